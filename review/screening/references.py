"""References out: the works a filter selects (review.screening.filters), one merged record per
work, as RIS for a reference manager (Zotero, EndNote, Mendeley) or as CSV for a spreadsheet.

Each work is its duplicate group's merged record, made by the same code that shows it to
screeners and judges it by the protocol's rules (review.screening.state.merged_records), so
the reference a lead exports is the one the team screened. RIS goes through the RIS writer that
batch deduplication uses (review.io.ris: TY first, ER last, standard tags); the work's record
id is its ID, and a note says which records were merged and carries the labels the person may
see. CSV cells go through review.tabular, so a title starting with "=" stays text.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import sqlalchemy as sa

from review.accounts import Reviewer
from review.errors import ReviewError
from review.io.ris import record_to_ris, write_ris
from review.project import review_protocol
from review.screening.filters import Filter, chunks, select
from review.screening.labels import visible_to
from review.screening.state import merged_records
from review.screening.votes import screener
from review.store import Store
from review.store import schema as t
from review.tabular import render

FORMATS = ("ris", "csv")
CSV_COLUMNS = ("record_id", "authors", "year", "title", "journal", "volume", "issue", "pages",
               "doi", "pmid", "issn", "isbn", "abstract", "keywords", "url", "language",
               "pub_type", "publisher", "sources", "records", "labels")


def format_for(path: str | Path) -> str:
    """The format a file name asks for: .ris or .csv, else a clear error."""
    suffix = Path(path).suffix.lower().lstrip(".")
    if suffix not in FORMATS:
        raise ReviewError(f"{Path(path).name}: name the file .ris (for Zotero, EndNote, "
                          "Mendeley) or .csv (for a spreadsheet)")
    return suffix


def references(store: Store, who: str | Reviewer | None, f: Filter) -> list[dict[str, Any]]:
    """The selected works, each as {record_id, record (merged Record), records, sources,
    labels}, in group order."""
    records, sources, members = t.records, t.sources, t.record_groups
    labels, reviewers = t.labels, t.reviewers
    out: list[dict[str, Any]] = []
    with store.read() as conn:
        protocol = review_protocol(store, conn)
        person = None if who is None else screener(store, conn, who)
        chosen = select(store, conn, person, f, protocol)
        kept = dict(zip(chosen.groups, chosen.records, strict=True))
        for part in chunks(chosen.groups):
            merged = merged_records(store, conn, list(part))
            copies: dict[int, list[tuple[int, str]]] = {}
            for row in conn.execute(sa.select(members.c.group_id, records.c.id, sources.c.name)
                                    .join(records, records.c.id == members.c.record_id)
                                    .join(sources, sources.c.id == records.c.source_id)
                                    .where(members.c.group_id.in_(list(part)))
                                    .order_by(records.c.id)):
                copies.setdefault(row.group_id, []).append((row.id, row.name))
            marks: dict[int, list[str]] = {}
            query = (sa.select(labels.c.group_id, labels.c.label, labels.c.reviewer_id,
                               reviewers.c.name)
                     .join(reviewers, reviewers.c.id == labels.c.reviewer_id)
                     .where(labels.c.group_id.in_(list(part))).order_by(labels.c.id))
            if person is not None:
                query = query.where(visible_to(person))
            for r in conn.execute(query):
                own = person is not None and r.reviewer_id == person.id
                marks.setdefault(r.group_id, []).append(r.label if own
                                                        else f"{r.label} ({r.name})")
            for group_id in part:
                found = copies.get(group_id, [])
                out.append({"record_id": kept[group_id], "record": merged[group_id],
                            "records": [i for i, _ in found],
                            "sources": list(dict.fromkeys(n for _, n in found)),
                            "labels": marks.get(group_id, [])})
    return out


def ris_author(name: str) -> str:
    """A normalised author ("Smith JA") as reference managers split it ("Smith, JA"); a name
    without initials at the end (an organisation) as it is."""
    surname, _, initials = name.rpartition(" ")
    if surname and initials.isalpha() and initials.isupper() and len(initials) <= 6:
        return f"{surname}, {initials}"
    return name


def as_ris(works: list[dict[str, Any]]) -> str:
    entries = []
    for work in works:
        raw = record_to_ris(work["record"])
        if raw.get("AU"):
            raw["AU"] = [ris_author(a) for a in raw["AU"]]
        raw["ID"] = [str(work["record_id"])]
        notes = raw.get("N1", [])
        if len(work["records"]) > 1:
            notes.append("Review: duplicates merged from records "
                         + ", ".join(map(str, work["records"])))
        if work["sources"]:
            raw["DB"] = ["; ".join(work["sources"])]
        if work["labels"]:
            notes.append("Review labels: " + "; ".join(work["labels"]))
        if notes:
            raw["N1"] = notes
        entries.append(raw)
    return write_ris(entries, numbered=False) if entries else ""


def as_csv(works: list[dict[str, Any]]) -> str:
    rows = []
    for work in works:
        record = work["record"]
        row = {name: getattr(record, name) for name in CSV_COLUMNS if hasattr(record, name)}
        row.update(record_id=work["record_id"], pages=record.pages, sources=work["sources"],
                   records=[str(i) for i in work["records"]], labels=work["labels"])
        rows.append(row)
    return render(rows, CSV_COLUMNS, "csv")


def export_references(store: Store, who: str | Reviewer | None, f: Filter,
                      fmt: str) -> tuple[str, int]:
    """The selected works as RIS or CSV text, and how many there are."""
    if fmt not in FORMATS:
        raise ReviewError(f"unknown reference format {fmt!r}; choose ris or csv")
    works = references(store, who, f)
    return (as_ris(works) if fmt == "ris" else as_csv(works)), len(works)
