"""PDF text: each page read once when a PDF is attached (or by `review fulltext index`), a
search across the review's PDFs (report, study, page, snippet with the words marked) and a
quote found on its page or reported as not found verbatim; scans without a text layer and
damaged PDFs are said to be so, naming the file. PDFs are made here, in code."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import pytest
import sqlalchemy as sa
from click.testing import CliRunner

from review.accounts import AccessError, add_reviewer
from review.cli.main import main
from review.errors import InputError, ReviewError
from review.extraction.entries import Extract
from review.extraction.quotes import check_quotes, entered_pages
from review.io.pdf import read_pdf_text, write_text_pdf
from review.io.textsearch import find_quote, fold_text, parse_query, quote_fragments, snippet
from review.screening.fulltext import attach_pdf
from review.screening.pdftext import (
    index_pdfs,
    locate_in_reports,
    locate_quote,
    search_pdfs,
    text_status,
)
from review.store import schema as t
from tests.test_screening import both, build

# Three pages of an invented report: a word hyphenated at a line end ("sup-/port"), a
# participant's words in curly quotes, a phrase that runs over from page 2 to page 3.
PAGES = (
    ["Peer support for young people who self-harm: a qualitative study",
     "Methods. We interviewed eighteen members of an online forum run by a",
     "charity. The forum offered peer sup-",
     "port and was moderated by trained volunteers."],
    ["Results. Members valued a safe, non-judgemental space.",
     "\u201cIt was the first place I felt under-",
     "stood,\u201d one participant said. Moderators removed posts that",
     "described methods, and the rules asked members to talk about"],
    ["feelings rather than methods.",
     "Discussion. Mutual aid reduced isolation; moderators needed",
     "debriefing after difficult nights."],
)


def _pdf(*objects: bytes) -> bytes:
    """A PDF of these objects (1 is the catalog), with a correct cross-reference table."""
    out, offsets = bytearray(b"%PDF-1.4\n"), []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n%s\nendobj\n" % (number, body)
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % o for o in offsets)
    return bytes(out + b"trailer << /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n"
                 % (len(objects) + 1, xref))


# A scanned page: an image drawn over the page, no text operators at all.
_IMAGE = b"\x00\xff\xff\x00"
_DRAW = b"q 483 730 0 0 56 56 cm /Im1 Do Q"
SCAN = _pdf(b"<< /Type /Catalog /Pages 2 0 R >>",
            b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
            b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] "
            b"/Resources << /XObject << /Im1 5 0 R >> >> /Contents 4 0 R >>",
            b"<< /Length %d >>\nstream\n%s\nendstream" % (len(_DRAW), _DRAW),
            b"<< /Type /XObject /Subtype /Image /Width 2 /Height 2 /ColorSpace /DeviceGray "
            b"/BitsPerComponent 8 /Length 4 >>\nstream\n" + _IMAGE + b"\nendstream")
DAMAGED = b"%PDF-1.7\n1 0 obj << /Type /Catalog /Pa"


@pytest.fixture(scope="module")
def report_pdf() -> bytes:
    return write_text_pdf(PAGES, title="Peer support")


# --- reading PDFs -------------------------------------------------------------------------


def test_each_page_text_is_read(report_pdf: bytes) -> None:
    text = read_pdf_text(report_pdf, "Smith 2019.pdf")
    assert len(text.pages) == 3 and text.status == "text" and text.text_pages == 3
    assert "trained volunteers" in text.pages[0] and "Mutual aid" in text.pages[2]
    assert "\u201cIt was the first place" in text.pages[1]
    assert text.extractor.startswith("pypdf ")


def test_a_scan_has_no_text_layer_and_a_damaged_pdf_names_its_file() -> None:
    scan = read_pdf_text(SCAN, "scan.pdf")
    assert (scan.status, scan.pages, scan.text_pages) == ("no text layer", ("",), 0)
    with pytest.raises(InputError, match=r"^Jones 2020\.pdf: not a readable PDF .*damaged"):
        read_pdf_text(DAMAGED, "Jones 2020.pdf")
    with pytest.raises(InputError, match="no pages"):
        read_pdf_text(write_text_pdf([]), "empty.pdf")


def _encrypted(user: str) -> bytes:
    import io

    import pypdf

    writer = pypdf.PdfWriter(clone_from=pypdf.PdfReader(io.BytesIO(write_text_pdf([["Text"]]))))
    writer.encrypt(user, owner_password="owner", algorithm="RC4-128")
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def test_a_password_is_named_and_a_pdf_only_restricted_is_read() -> None:
    with pytest.raises(InputError, match=r"^locked\.pdf: the PDF is encrypted with a password"):
        read_pdf_text(_encrypted("secret"), "locked.pdf")
    assert read_pdf_text(_encrypted(""), "printing-restricted.pdf").pages == ("Text",)


# --- matching, pure -----------------------------------------------------------------------


def test_folding_joins_line_end_hyphenation_and_straightens_quotes() -> None:
    folded = fold_text("Peer SUP-\nport  \u201cquoted\u201d\ttext \ufb01ne")
    assert folded == 'peer sup\u00adport "quoted" text fine'


def test_search_terms_ignore_case_breaks_and_hyphens() -> None:
    page = "\n".join(PAGES[0])
    query = parse_query(["SUPPORT", "self harm"])
    shown = snippet(page, query)
    assert shown is not None and shown.hits == 3
    assert shown.marked().startswith("Peer **support** for young people who **self-harm**:")
    assert shown.marked().endswith("eighteen members...")  # the first match and around it
    later = snippet("\n".join(PAGES[0][2:]), query)
    assert later is None  # every term must be there
    broken = snippet("\n".join(PAGES[0][2:]), parse_query("support"))
    assert broken.marked() == ("charity. The forum offered peer **sup-port** and was moderated "
                               "by trained volunteers.")
    assert snippet(page, parse_query("supporter")) is None  # whole words only...
    assert snippet(page, parse_query("moderat*")).marked().count("**moderated**") == 1  # ...or *
    assert snippet(page, parse_query('"online forum" charity')) is not None
    assert snippet(page, parse_query('"forum online"')) is None
    # from a command line: an argument with a space is a phrase, quoted there or not
    assert parse_query(["forum online", '"an online"', "x"]).terms == (
        "forum online", "an online", "x")
    assert snippet(page, parse_query(["forum online"])) is None
    with pytest.raises(ReviewError, match="unclosed quotation mark"):
        parse_query('"online forum')
    with pytest.raises(ReviewError, match="at least one word"):
        parse_query(["--", "*"])


def test_a_quote_is_found_on_its_page() -> None:
    pages = [fold_text("\n".join(p)) for p in PAGES]
    # straight quotes for curly ones, a line-end hyphen, other spacing and case
    found = find_quote(pages, '"it was the first place i felt  understood," one')
    assert found is not None and (found.page, found.location) == (2, "p. 2")
    assert find_quote(pages, "offered peer support and was moderated").location == "p. 1"
    # over a page break; an elision marked with an ellipsis
    spans = find_quote(pages, "asked members to talk about feelings rather than methods")
    assert (spans.page, spans.end_page, spans.location) == (2, 3, "pp. 2-3")
    assert find_quote(pages, "Members valued [...] space").location == "p. 2"
    assert quote_fragments("a \u2026 b ... c") == ["a", "b", "c"]
    # not verbatim: a word changed, or the parts in the wrong order
    assert find_quote(pages, "It was the first place I felt welcome") is None
    assert find_quote(pages, "non-judgemental space ... Members valued") is None
    moderators = find_quote(pages, "methods")
    assert (moderators.page, moderators.also_on) == (1, (2, 3))


# --- the review's PDFs (SQLite and PostgreSQL) ----------------------------------------------


@pytest.fixture
def review(db_url: str, tmp_path: Path, report_pdf: bytes):
    store = build(db_url, tmp_path)
    for record in (1, 2, 3):
        both(store, record, "include", "include")
    row = attach_pdf(store, 1, report_pdf, "Smith 2019.pdf", actor="Lead")
    assert (row["text_status"], row["text_error"]) == ("text", None)
    yield store
    store.close()


def test_text_is_stored_per_page_when_attached(review, report_pdf: bytes) -> None:
    with review.read() as conn:
        pages = conn.execute(sa.select(t.pdf_pages.c.page, t.pdf_pages.c.text)
                             .order_by(t.pdf_pages.c.page)).all()
    assert [p.page for p in pages] == [1, 2, 3] and "safe, non-judgemental" in pages[1].text
    scan = attach_pdf(review, 2, SCAN, "scan.pdf", actor="Ana")
    assert scan["text_status"] == "no text layer"
    damaged = attach_pdf(review, 3, DAMAGED, "Jones 2020.pdf", actor="Ana")  # kept all the same
    assert damaged["text_status"] == "unreadable"
    assert damaged["text_error"].startswith("Jones 2020.pdf: not a readable PDF")
    rows = {r["record_id"]: r for r in text_status(review)}
    assert [(rows[n]["status"], rows[n]["pages"]) for n in (1, 2, 3)] == [
        ("text", 3), ("no text layer", 1), ("unreadable", None)]
    assert "not a readable PDF" in rows[3]["error"]


def test_search_gives_report_page_and_marked_snippet(review) -> None:
    attach_pdf(review, 2, SCAN, "scan.pdf", actor="Ana")
    found = search_pdfs(review, "moderat* methods", actor="Ana")
    assert [(h.record_id, h.page, h.file_name) for h in found.hits] == [
        (1, 1, "Smith 2019.pdf"), (1, 2, "Smith 2019.pdf"), (1, 3, "Smith 2019.pdf")]
    hit = found.hits[1]
    assert "**Moderators** removed posts that described **methods**" in hit.snippet.marked()
    assert hit.label.endswith("2016") and hit.title.startswith("Peer mentoring")
    assert found.pdfs == 1 and found.unsearchable == [
        {"record_id": 2, "file_name": "scan.pdf", "status": "no text layer", "error": None}]
    # blinding: a hit names the report, never a vote or where screening stands
    assert {f.name for f in dataclasses.fields(hit)} == {
        "record_id", "study_id", "label", "title", "file_name", "page", "snippet"}
    assert search_pdfs(review, "nothing-like-this", actor="Ana").hits == []
    assert search_pdfs(review, "support", actor="Ana", limit=1).hits[0].page == 1


def test_observers_do_not_search(review) -> None:
    olu = add_reviewer(review, "Olu", role="observer", actor="Lead")
    with pytest.raises(AccessError, match="observers do not search"):
        search_pdfs(review, "forum", actor=olu)


def test_pdfs_stored_before_text_was_kept_are_read_on_demand(review) -> None:
    with review.write() as conn:  # as a review from before this version has it
        conn.execute(t.pdf_pages.delete())
        conn.execute(t.pdf_texts.delete())
    assert text_status(review)[0]["status"] == "not read yet"
    assert search_pdfs(review, "mutual aid", actor="Lead").hits[0].page == 3  # read lazily
    assert index_pdfs(review) == []  # nothing left to read
    again = index_pdfs(review, again=True)
    assert [(r["file_name"], r["status"], r["pages"]) for r in again] == [
        ("Smith 2019.pdf", "text", 3)]


def test_a_quote_is_located_in_a_report(review) -> None:
    found = locate_quote(review, "\u201cIt was the first place I felt understood,\u201d", 1)
    assert (found.status, found.location) == ("found", "p. 2")
    assert found.message == "found on p. 2 of Smith 2019.pdf (record 1)"
    missing = locate_quote(review, "It was the only place I felt understood", 1)
    assert (missing.status, missing.location) == ("not found verbatim", None)
    assert missing.message == "not found verbatim in Smith 2019.pdf (record 1)"
    assert locate_quote(review, "anything", 2).status == "no PDF"
    attach_pdf(review, 2, SCAN, "scan.pdf", actor="Ana")
    assert "no text layer" in locate_quote(review, "anything", 2).message
    # a study of two reports: the quote is looked for in each
    both_reports = locate_in_reports(review, "debriefing after difficult nights", [2, 1])
    assert (both_reports.record_id, both_reports.location) == (1, "p. 3")
    neither = locate_in_reports(review, "not in either", [2, 1])
    assert neither.status == "not found verbatim" and "scan.pdf" in neither.message


def test_cli_search_index_and_locate(tmp_path: Path, report_pdf: bytes,
                                     monkeypatch: pytest.MonkeyPatch) -> None:
    db = str(tmp_path / "review.db")
    store = build(db, tmp_path)
    for record in (1, 2):
        both(store, record, "include", "include")
    store.close()
    (tmp_path / "smith.pdf").write_bytes(report_pdf)
    (tmp_path / "scan.pdf").write_bytes(SCAN)
    monkeypatch.setenv("REVIEW_USER", "Ana")
    runner = CliRunner()
    for record, name in ((1, "smith.pdf"), (2, "scan.pdf")):
        done = runner.invoke(main, ["fulltext", "attach", str(record), str(tmp_path / name),
                                    "--db", db])
        assert done.exit_code == 0, done.output
    assert "scan.pdf has no text layer" in done.output
    found = runner.invoke(main, ["fulltext", "search", "non-judgemental", "SPACE", "--db", db])
    assert found.exit_code == 0, found.output
    assert "Record 1 (" in found.output and "smith.pdf, p. 2:" in found.output
    assert "safe, **non-judgemental** **space**." in found.output
    assert "1 page(s) in 1 searchable PDF(s)" in found.output
    assert "Not searched: record 2, scan.pdf: no text layer." in found.output
    as_json = runner.invoke(main, ["fulltext", "search", "forum", "--format", "json",
                                   "--db", db])
    rows = json.loads(as_json.stdout)
    assert [(r["record_id"], r["page"]) for r in rows] == [(1, 1)]
    assert "**forum**" in rows[0]["snippet"]
    index = runner.invoke(main, ["fulltext", "index", "--format", "csv", "--db", db])
    assert index.exit_code == 0, index.output
    assert "1,smith.pdf,text,3,3," in index.stdout and "2,scan.pdf,no text layer,1,0," \
        in index.stdout
    located = runner.invoke(main, ["fulltext", "locate", "1", "feelings rather than methods",
                                   "--db", db])
    assert (located.exit_code, located.output) == (
        0, "Found on p. 3 of smith.pdf (record 1).\n")
    missing = runner.invoke(main, ["fulltext", "locate", "1", "feelings about methods",
                                   "--db", db])
    assert missing.exit_code == 1 and "Not found verbatim in smith.pdf" in missing.output


def test_extraction_quotes_get_their_page_or_a_flag(review) -> None:
    extracts = [Extract("belonging", "it was the first place I felt understood", "",
                        "participant"),
                Extract("belonging", "Moderators removed posts", "p. 4", "author"),
                Extract("rules", "talk about feelings rather than methods", "pp. 2-3"),
                Extract("section", "Mutual aid reduced isolation", "Discussion"),
                Extract("typo", "Mutual aid reduced loneliness", ""),
                Extract("empty", "", "")]
    filled, checks = check_quotes(review, [1], extracts)
    assert filled[0] == Extract("belonging", "it was the first place I felt understood",
                                "p. 2", "participant")
    assert filled[1:] == extracts[1:]  # entered text kept
    outcome = [(c.index, c.theme_id, c.outcome, c.location) for c in checks]
    assert outcome == [(0, "belonging", "filled", "p. 2"), (1, "belonging", "differs", "p. 2"),
                       (2, "rules", "matches", "pp. 2-3"), (3, "section", "matches", "p. 3"),
                       (4, "typo", "not found verbatim", None)]
    assert checks[1].message == (
        "found on p. 2 of Smith 2019.pdf (record 1), not at 'p. 4' as entered")
    _, unchecked = check_quotes(review, [2], [Extract("belonging", "anything", "")])
    assert [(c.outcome, c.message) for c in unchecked] == [
        ("unchecked", "record 2 has no PDF attached")]
    assert [entered_pages(x) for x in ("p. 4", "pp 4\u20135", "page 12", "7", "Table 3")] == [
        (4, 4), (4, 5), (12, 12), (7, 7), None]


# --- the demo and the app -----------------------------------------------------------------


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from review.demo.build import build_demo

    db = tmp_path_factory.mktemp("demo") / "demo.db"
    build_demo(db).close()
    return db


def test_the_demo_pdfs_hold_its_quotes_on_their_pages(demo: Path) -> None:
    from review.demo.extraction import _STUDIES, demo_extracts
    from review.extraction.studies import list_studies
    from review.store import Store

    store = Store.open(demo)
    rows = text_status(store)
    assert len(rows) == 5 and {r["status"] for r in rows} == {"text"}
    for study, spec in zip(list_studies(store), _STUDIES, strict=False):
        for person in ("Priya", "Tom"):  # Tom marks fewer words of one quote: found too
            extracts = [Extract(e["theme"], e["quote"], e["location"], e["voice"])
                        for e in demo_extracts(spec, person)]
            _, checks = check_quotes(store, list(study.records), extracts)
            assert [c.outcome for c in checks] == ["matches"] * len(extracts), checks
    found = search_pdfs(store, '"first place" under*', actor="Priya")
    assert [(h.study_id, h.page) for h in found.hits] == [(1, 5)]
    # the quote is hyphenated over a line end: found, and shown joined
    assert "the **first place** I felt **under-stood**." in found.hits[0].snippet.marked()
    store.close()


def _demo_pdfs(db: Path, study_id: int) -> list[tuple[int, str]]:
    from review.extraction.studies import list_studies
    from review.store import Store

    store = Store.open(db)
    study = next(s for s in list_studies(store) if s.id == study_id)
    rows = {r["record_id"]: r["file_name"] for r in text_status(store)}
    store.close()
    return [(r, rows[r]) for r in study.records if r in rows]


def test_the_app_searches_the_pdfs_and_fills_in_a_quote_page(demo: Path, monkeypatch) -> None:
    from streamlit.testing.v1 import AppTest

    from tests.test_ui import ROOT, _back_with_cookie, _click, _widget

    monkeypatch.setenv("REVIEW_DB", str(demo))
    app = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60).run()
    _widget(app.text_input, "Name").input("Tom")
    _widget(app.text_input, "Password").input("tom-demo")
    _back_with_cookie(_click(app, "Sign in"))
    app.switch_page("review/ui/pages/fulltext.py").run()
    _widget(app.text_input, "Words to find in the PDFs").input('"safe space" group')
    _click(app, "Search")
    shown = [m.value for m in app.markdown if "p. 3" in m.value]
    assert shown and "Record " in shown[0] and 'class="term-include"' in shown[0], shown
    assert any("1 page(s) in 5 searchable PDF(s)" in c.value for c in app.caption)
    app.switch_page("review/ui/pages/extraction.py").run()
    _widget(app.selectbox, "Study").set_value(5).run()  # Tom's entry, not reconciled yet
    pdfs = _demo_pdfs(demo, 5)
    assert len(pdfs) == 1 and [e.label for e in app.expander
                               if e.label.startswith("Read the PDF")] == [
        f"Read the PDF: {name} (record {record})" for record, name in pdfs]
    labels = [w.label for w in app.text_area]
    theme = next((label for label in labels if label.startswith("Quote, ")
                  and _widget(app.text_area, label).value.startswith("Demo quote: the group")),
                 None)
    assert theme is not None, labels
    where = theme.replace("Quote, ", "Page or section, ")
    _widget(app.text_input, where).input("")
    _click(app, "Save draft")
    assert _widget(app.text_input, where).value == "p. 3"
    assert any("page filled in" in i.value for i in app.info), [i.value for i in app.info]
    _widget(app.text_area, theme).input("Demo quote: the group felt like home.")
    _click(app, "Save draft")
    assert any("not found verbatim" in w.value for w in app.warning), app.warning
