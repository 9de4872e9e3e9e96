"""The text of the review's PDFs: read page by page when a PDF is attached (or by `review
fulltext index` for PDFs stored before), searched across every attached report, and used to
find a quote's page for extraction.

A search returns the report, its study, the page and a snippet with the words marked: nothing
about anyone's votes (the PDFs are shared by design; screening decisions stay blind). A PDF
without a text layer (a scan) or one that cannot be read is listed as such, never an error
that stops the search.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from review.accounts import Reviewer, authorise, screens
from review.errors import InputError, ReviewError
from review.io.pdf import (
    NO_TEXT_LAYER,
    TEXT,
    UNREADABLE,
    PdfText,
    extractor_name,
    read_pdf_text,
)
from review.io.textsearch import (
    Query,
    QuoteFound,
    Snippet,
    find_quote,
    fold_text,
    matches,
    parse_query,
    snippet,
)
from review.screening.state import group_for_record
from review.store import Store, utc_now
from review.store import schema as t

MAX_HITS = 200
Progress = Callable[[int, int, str], None]  # done, total, file name


def read_text(data: bytes, file_name: str) -> PdfText | InputError:
    """A PDF's text, or the error that says why it cannot be read (kept, not raised: the
    file is still the report, and the reviewer may read it in another viewer)."""
    try:
        return read_pdf_text(data, file_name)
    except InputError as exc:
        return exc


def save_text(conn: Connection, sha256: str, found: PdfText | InputError) -> str:
    """Store a file's text (replacing an earlier reading); returns its status."""
    texts, pages = t.pdf_texts, t.pdf_pages
    conn.execute(pages.delete().where(pages.c.sha256 == sha256))
    conn.execute(texts.delete().where(texts.c.sha256 == sha256))
    if isinstance(found, InputError):
        conn.execute(texts.insert().values(
            sha256=sha256, status=UNREADABLE, page_count=None, text_pages=0,
            error=found.detail, extractor=extractor_name(), extracted_at=utc_now()))
        return UNREADABLE
    conn.execute(texts.insert().values(
        sha256=sha256, status=found.status, page_count=len(found.pages),
        text_pages=found.text_pages,
        error=(f"pages {', '.join(map(str, found.failed_pages))} could not be read"
               if found.failed_pages else None),
        extractor=found.extractor, extracted_at=utc_now()))
    if found.pages:
        conn.execute(pages.insert(), [{"sha256": sha256, "page": number, "text": text,
                                       "folded": fold_text(text)}
                                      for number, text in enumerate(found.pages, start=1)])
    return found.status


def has_text(conn: Connection, sha256: str) -> bool:
    texts = t.pdf_texts
    return conn.execute(sa.select(texts.c.sha256).where(texts.c.sha256 == sha256)
                        ).first() is not None


def _attached(conn: Connection) -> list[tuple[str, str]]:
    """(sha256, a file name) of every PDF attached to a report now."""
    fulltexts = t.fulltexts
    rows = conn.execute(sa.select(fulltexts.c.sha256, sa.func.min(fulltexts.c.file_name))
                        .where(fulltexts.c.sha256.is_not(None))
                        .group_by(fulltexts.c.sha256).order_by(fulltexts.c.sha256)).all()
    return [(r[0], r[1]) for r in rows]


def index_pdfs(store: Store, *, again: bool = False,
               progress: Progress | None = None) -> list[dict[str, Any]]:
    """Read the text of every attached PDF not read yet (with again: every one, e.g. after
    pypdf was upgraded). Each file is read outside any transaction, then stored in its own,
    so a long run never holds the database. Returns one row per file read."""
    files, texts = t.fulltext_files, t.pdf_texts
    with store.read() as conn:
        done = {s for (s,) in conn.execute(sa.select(texts.c.sha256))}
        wanted = [(s, n) for s, n in _attached(conn) if again or s not in done]
    report = []
    for number, (sha256, name) in enumerate(wanted, start=1):
        if progress is not None:
            progress(number - 1, len(wanted), name)
        with store.read() as conn:
            data = conn.execute(sa.select(files.c.data).where(files.c.sha256 == sha256)
                                ).scalar_one()
        found = read_text(bytes(data), name)
        try:
            with store.write() as conn:
                if again or not has_text(conn, sha256):
                    save_text(conn, sha256, found)
        except sa.exc.IntegrityError:  # another session stored the same file's text first
            pass
        report.append({"sha256": sha256, "file_name": name, **_summary(found)})
    if progress is not None and wanted:
        progress(len(wanted), len(wanted), "")
    return report


def _summary(found: PdfText | InputError) -> dict[str, Any]:
    if isinstance(found, InputError):
        return {"status": UNREADABLE, "pages": None, "text_pages": 0, "error": str(found)}
    return {"status": found.status, "pages": len(found.pages), "text_pages": found.text_pages,
            "error": (f"pages {', '.join(map(str, found.failed_pages))} could not be read"
                      if found.failed_pages else None)}


def text_status(store: Store) -> list[dict[str, Any]]:
    """Each attached PDF's text: status (text, no text layer, unreadable, or not read yet),
    pages, pages with text, and the error of an unreadable one, naming the file."""
    fulltexts, texts, groups = t.fulltexts, t.pdf_texts, t.duplicate_groups
    query = (sa.select(groups.c.kept_record_id.label("record_id"), fulltexts.c.file_name,
                       fulltexts.c.sha256, texts.c.status, texts.c.page_count,
                       texts.c.text_pages, texts.c.error, texts.c.extractor)
             .join(groups, groups.c.id == fulltexts.c.group_id)
             .outerjoin(texts, texts.c.sha256 == fulltexts.c.sha256)
             .where(fulltexts.c.sha256.is_not(None)).order_by(groups.c.kept_record_id))
    with store.read() as conn:
        rows = [dict(r) for r in conn.execute(query).mappings()]
    for row in rows:
        row["status"] = row["status"] or "not read yet"
        row["pages"] = row.pop("page_count")
    return rows


def _ensure_indexed(store: Store) -> None:
    """Read PDFs stored before text was kept (first search after an upgrade)."""
    texts = t.pdf_texts
    with store.read() as conn:
        done = {s for (s,) in conn.execute(sa.select(texts.c.sha256))}
        missing = [s for s, _ in _attached(conn) if s not in done]
    if missing:
        index_pdfs(store)


# --- search -----------------------------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class PdfHit:
    record_id: int
    study_id: int | None
    label: str  # first author and year (the study's label once it has one)
    title: str
    file_name: str
    page: int
    snippet: Snippet


@dataclass(frozen=True, slots=True)
class PdfSearch:
    query: Query
    hits: list[PdfHit]
    pdfs: int  # PDFs searched (with a text layer)
    more: int = 0  # pages that matched beyond the hits returned
    unsearchable: list[dict[str, Any]] = field(default_factory=list)  # no text / unreadable


def search_pdfs(store: Store, words: str | Sequence[str], *, actor: str | Reviewer,
                limit: int = MAX_HITS) -> PdfSearch:
    """Pages of the attached PDFs that hold every word (or "phrase"; * any ending), by
    report then page, each with a snippet; PDFs that cannot be searched are listed apart."""
    query = parse_query(words)
    with store.read() as conn:
        authorise(store, conn, actor, screens, "observers do not search the full texts")
    _ensure_indexed(store)
    pages, fulltexts, texts = t.pdf_pages, t.fulltexts, t.pdf_texts
    with store.read() as conn:
        attached = {s for s, _ in _attached(conn)}
        found = [(r.sha256, r.page) for r in conn.execute(
            sa.select(pages.c.sha256, pages.c.page, pages.c.folded)
            .order_by(pages.c.sha256, pages.c.page))
            if r.sha256 in attached and matches(r.folded, query)]
        reports = _reports(conn, {s for s, _ in found})
        hits: list[PdfHit] = []
        matched = sorted(((report, page) for sha256, page in found
                          for report in reports.get(sha256, ())),
                         key=lambda x: (x[0]["study_id"] is None, x[0]["study_id"] or 0,
                                        x[0]["record_id"], x[1]))
        for report, page in matched[:limit]:
            text = conn.execute(sa.select(pages.c.text).where(
                pages.c.sha256 == report["sha256"], pages.c.page == page)).scalar_one()
            shown = snippet(text, query)
            if shown is not None:
                hits.append(PdfHit(report["record_id"], report["study_id"], report["label"],
                                   report["title"], report["file_name"], page, shown))
        searched = conn.execute(sa.select(sa.func.count()).select_from(texts).where(
            texts.c.status == TEXT, texts.c.sha256.in_(attached) if attached else sa.false())
        ).scalar_one()
        unsearchable = [dict(r) for r in conn.execute(
            sa.select(t.duplicate_groups.c.kept_record_id.label("record_id"),
                      fulltexts.c.file_name, texts.c.status, texts.c.error)
            .join(t.duplicate_groups, t.duplicate_groups.c.id == fulltexts.c.group_id)
            .join(texts, texts.c.sha256 == fulltexts.c.sha256)
            .where(texts.c.status != TEXT).order_by(t.duplicate_groups.c.kept_record_id)
        ).mappings()]
    return PdfSearch(query, hits, searched, max(0, len(matched) - limit), unsearchable)


def _reports(conn: Connection, hashes: set[str]) -> dict[str, list[dict[str, Any]]]:
    """For each PDF, the reports it is attached to, with study, label and title (never a
    vote or a screening state)."""
    if not hashes:
        return {}
    fulltexts, groups, records = t.fulltexts, t.duplicate_groups, t.records
    links, studies = t.study_reports, t.studies
    rows = conn.execute(
        sa.select(fulltexts.c.sha256, fulltexts.c.file_name,
                  groups.c.kept_record_id.label("record_id"), records.c.title,
                  records.c.authors, records.c.year, links.c.study_id,
                  studies.c.label.label("study_label"))
        .join(groups, groups.c.id == fulltexts.c.group_id)
        .join(records, records.c.id == groups.c.kept_record_id)
        .outerjoin(links, links.c.group_id == fulltexts.c.group_id)
        .outerjoin(studies, studies.c.id == links.c.study_id)
        .where(fulltexts.c.sha256.in_(sorted(hashes)))).mappings()
    found: dict[str, list[dict[str, Any]]] = {}
    for row in rows:
        label = row["study_label"] or _label(row["authors"], row["year"], row["title"])
        found.setdefault(row["sha256"], []).append({
            "sha256": row["sha256"], "file_name": row["file_name"],
            "record_id": row["record_id"], "title": row["title"] or "",
            "study_id": row["study_id"], "label": label})
    return found


def _label(authors: Any, year: Any, title: str | None) -> str:
    first = authors[0].split(" ")[0].rstrip(",") if authors else (title or "Untitled")[:30]
    return f"{first} {year or 'n.d.'}"


# --- quotes -----------------------------------------------------------------------------------

FOUND, NOT_FOUND, NO_PDF = "found", "not found verbatim", "no PDF"


@dataclass(frozen=True, slots=True)
class QuoteLocation:
    """Where a quote is: found (with its page) in one report's PDF, or why not."""

    status: str  # found, not found verbatim, no PDF, no text layer, unreadable
    message: str
    record_id: int | None = None
    file_name: str | None = None
    found: QuoteFound | None = None

    @property
    def location(self) -> str | None:
        return self.found.location if self.found else None


def _report_text(store: Store, record_id: int) -> tuple[str | None, str | None, list[str]]:
    """(file name, text status, folded pages) of a report's attached PDF; a PDF stored before
    text was kept is read now."""
    fulltexts, texts, pages = t.fulltexts, t.pdf_texts, t.pdf_pages
    with store.read() as conn:
        group_id = group_for_record(store, conn, record_id)
        row = conn.execute(sa.select(fulltexts.c.file_name, fulltexts.c.sha256)
                           .where(fulltexts.c.group_id == group_id)).first()
        if row is None or row.sha256 is None:
            return None, None, []
        read = has_text(conn, row.sha256)
    if not read:
        index_pdfs(store)
    with store.read() as conn:
        status = conn.execute(sa.select(texts.c.status).where(texts.c.sha256 == row.sha256)
                              ).scalar_one()
        folded = [f for (f,) in conn.execute(sa.select(pages.c.folded).where(
            pages.c.sha256 == row.sha256).order_by(pages.c.page))]
    return row.file_name, status, folded


def locate_quote(store: Store, quote: str, record_id: int) -> QuoteLocation:
    """Find a quote in the PDF of the report record_id belongs to: its page, or why not
    (not found verbatim; no PDF attached; no text layer; unreadable)."""
    name, status, folded = _report_text(store, record_id)
    where = f"{name} (record {record_id})"
    if name is None:
        return QuoteLocation(NO_PDF, f"record {record_id} has no PDF attached", record_id)
    if status == NO_TEXT_LAYER:
        return QuoteLocation(NO_TEXT_LAYER, f"{where} has no text layer (a scan?): the quote "
                             "cannot be checked against it", record_id, name)
    if status == UNREADABLE:
        return QuoteLocation(UNREADABLE, f"{where} could not be read, so the quote cannot be "
                             "checked against it", record_id, name)
    found = find_quote(folded, quote)
    if found is None:
        return QuoteLocation(NOT_FOUND, f"not found verbatim in {where}", record_id, name)
    also = (f" (also on p. {', '.join(map(str, found.also_on))})" if found.also_on else "")
    return QuoteLocation(FOUND, f"found on {found.location} of {where}{also}", record_id,
                         name, found)


def locate_in_reports(store: Store, quote: str, record_ids: Sequence[int]) -> QuoteLocation:
    """A study's quote, looked for in each of its reports' PDFs in turn: the first found, else
    one answer that says why for every report."""
    if not record_ids:
        raise ReviewError("the study has no reports")
    answers = [locate_quote(store, quote, record_id) for record_id in record_ids]
    for answer in answers:
        if answer.status == FOUND:
            return answer
    if len(answers) == 1:
        return answers[0]
    checked = [a for a in answers if a.status == NOT_FOUND]
    status = NOT_FOUND if checked else answers[0].status
    return QuoteLocation(status, "; ".join(a.message for a in answers))
