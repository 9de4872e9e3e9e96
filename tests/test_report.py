"""The review's report (review.report, `review report`): its numbers compared with the services
that own them (PRISMA counts, agreement, studies), its headings, and the files read back
(report.md; report.docx with python-docx, and through LibreOffice when it is installed)."""

from __future__ import annotations

import dataclasses
import importlib.util
import io
import re
import shutil
import subprocess
from collections import Counter
from pathlib import Path

import pytest
from click.testing import CliRunner
from docx import Document

from review.accounts import AccessError, get_reviewer
from review.cli.main import main
from review.demo.build import build_demo
from review.extraction.studies import list_studies
from review.prisma.counts import compute, total
from review.project import review_protocol as load_protocol_of
from review.protocol import load_protocol
from review.report.build import HEADINGS, build_report
from review.report.methods import duplicates_removed, records_found
from review.report.writers import docx_bytes, markdown_text, write_report
from review.screening.agreement import agreement
from review.store import Store
from tests.conftest import IN_CI, ROOT, missing
from tests.extraction_fixtures import included_review


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    db = tmp_path_factory.mktemp("report") / "demo.db"
    build_demo(db).close()
    return db


@pytest.fixture(scope="module")
def report(demo: Path):
    store = Store.open(demo)
    try:
        yield build_report(store)
    finally:
        store.close()


def _section(report, heading: str):
    return next(s for s in report.sections if s.heading == heading)


def test_methods_numbers_are_the_reviews_own(demo: Path, report) -> None:
    store = Store.open(demo)
    try:
        counts = compute(store)
        figures = agreement(store, by="Morgan")
    finally:
        store.close()
    methods = " ".join(_section(report, "Methods").paragraphs)
    assert f"The searches found {records_found(counts):,} records" in methods
    assert records_found(counts) == counts.database_results + counts.register_results + sum(
        getattr(counts, k) for k in ("website_results", "organisation_results",
                                     "citations_results", "other_results"))
    assert f"{duplicates_removed(counts):,} duplicates were removed" in methods
    pooled = {a.stage: a for a in figures if a.reviewer_a is None}
    assert set(pooled) == {"title_abstract", "full_text"}
    for figure in pooled.values():
        assert figure.records and figure.kappa is not None
        assert (f"agreement {figure.percent:.1f}%, Cohen's kappa {figure.kappa:.2f}, on "
                f"{figure.records} records") in methods
    assert "Two reviewers screened every record independently" in methods
    assert "MEDLINE (Ovid) on 11 March 2025 (82 records)" in methods  # the manifest's date
    assert "in this order: Not about self-harm; Not peer support;" in methods
    shipped = load_protocol(ROOT / "protocols" / "peer-support-self-harm.toml")
    for checklist in shipped.checklists:  # appraisal by design: every tool named
        assert f"{checklist.name} ({len(checklist.questions)} questions) for " in methods
    assert "Thematic synthesis:" in methods and "GRADE-CERQual" in methods
    # coded extracts: the themes counted from the protocol, in two levels, and the voice
    themes = [t for kind in shipped.extraction.themes.values() for t in kind]
    below = sum(1 for t in themes if t.parent)
    assert (f"coded as extracts under {len(themes)} themes ({below} descriptive themes under "
            f"{len(themes) - below} analytical themes) of 4 kinds (benefits, risks, "
            "mitigations and acceptability)") in methods
    assert "participants' own words or the authors' interpretation" in methods


def test_study_selection_matches_prisma_and_the_studies(demo: Path, report) -> None:
    store = Store.open(demo)
    try:
        counts = compute(store)
        studies = list_studies(store)
    finally:
        store.close()
    text = _section(report, "Study selection").paragraphs[0]
    excluded = total(counts.dbr_excluded) + total(counts.other_excluded)
    assert (f"Databases and registers gave {counts.identified_dbr:,} records; after "
            f"{counts.duplicates:,} duplicates were removed, {counts.records_screened:,} "
            f"records were screened and {counts.records_excluded:,} excluded. Of "
            f"{counts.dbr_sought_reports:,} reports sought for retrieval, "
            f"{counts.dbr_notretrieved_reports:,} could not be retrieved and "
            f"{counts.dbr_assessed:,} were assessed in full; {total(counts.dbr_excluded):,} "
            "were excluded.") in text
    assert counts.identified_other and not counts.other_sought_reports
    assert (f"Other methods gave {counts.identified_other:,} records, none of them a report "
            "sought for retrieval.") in text
    for reason, n in counts.dbr_excluded:
        assert f"{reason.lower()}, {n}" in text
    assert (f"{len(studies)} studies ({sum(len(s.reports) for s in studies)} reports) were "
            "included") in text
    assert len(studies) == counts.new_studies and excluded > 0


def test_excluded_reports_are_prismas_excluded_reports(demo: Path, report) -> None:
    store = Store.open(demo)
    try:
        counts = compute(store)
    finally:
        store.close()
    table = _section(report, "Excluded full-text reports").tables[0]
    assert len(table.rows) == total(counts.dbr_excluded) + total(counts.other_excluded)
    assert Counter(row[2] for row in table.rows) == Counter(
        dict(counts.dbr_excluded)) + Counter(dict(counts.other_excluded))
    assert [row[0] for row in table.rows] == list(range(1, len(table.rows) + 1))


def test_references_number_every_included_study_as_the_tables_do(demo: Path, report) -> None:
    store = Store.open(demo)
    try:
        studies = list_studies(store)
    finally:
        store.close()
    references = _section(report, "References").numbered
    assert len(references) == len(studies) == report.data.prisma.new_studies
    characteristics = _section(report, "Characteristics of included studies").tables[0]
    cited = {c.number: c for c in report.data.evidence.cited}
    for row in characteristics.rows:
        number, name = row[0], row[1]
        assert cited[number].name == name
        surname = re.match(r"[^(]+", name)[0].strip()
        assert references[number - 1].startswith(surname)
    names = [(c.name.split(" (")[0].casefold(), c.name) for c in cited.values()]
    assert names == sorted(names)  # by first author, then year


def test_markdown_has_the_headings_the_figure_and_every_table(report) -> None:
    text = markdown_text(report)
    for heading in HEADINGS:
        assert re.search(rf"^#{{2,3}} {re.escape(heading)}$", text, re.MULTILINE), heading
    assert "![Figure 1. PRISMA 2020 flow diagram" in text and "(prisma-flow.png)" in text
    tables = re.findall(r"^\*\*Table (\d+)\. ", text, re.MULTILINE)
    assert tables == [str(n) for n in range(1, len(tables) + 1)] and len(tables) >= 6
    assert text.startswith("# Peer support for self-harm in non-clinical settings\n")
    assert "*Provisional: the review is still in progress" in text


def test_docx_reads_back_with_headings_picture_and_tables(report) -> None:
    document = Document(io.BytesIO(docx_bytes(report)))
    headings = [p.text for p in document.paragraphs if p.style.name.startswith("Heading")]
    for heading in HEADINGS:
        assert heading in headings
    assert headings.index("Methods") < headings.index("Characteristics of included studies") \
        < headings.index("Excluded full-text reports") < headings.index("References")
    assert len(document.inline_shapes) == 1  # the PRISMA diagram
    shown = [t for s in report.sections for t in s.tables]
    assert len(document.tables) == len(shown)
    for grid, table in zip(document.tables, shown, strict=True):
        assert tuple(c.text for c in grid.rows[0].cells) == table.columns
        assert len(grid.rows) == 1 + len(table.rows)
    orientations = {s.page_width > s.page_height for s in document.sections}
    assert orientations == {True, False}  # wide tables on landscape pages, text on portrait
    texts = [p.text for p in document.paragraphs]
    assert "1. " + _section(report, "References").numbered[0] in texts


def test_write_report_and_the_command(demo: Path, tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["report", "--out", str(tmp_path / "out"), "--db",
                                       str(demo)])
    assert result.exit_code == 0, result.output
    names = sorted(p.name for p in (tmp_path / "out").iterdir())
    assert names == ["prisma-flow.png", "report.docx", "report.md"]
    assert (tmp_path / "out" / "prisma-flow.png").read_bytes().startswith(b"\x89PNG")
    assert "8 studies included; 5 with a final extraction;" in result.output
    refused = CliRunner().invoke(main, ["report", "--out", str(tmp_path / "final"), "--final",
                                        "--db", str(demo)])
    assert refused.exit_code == 1 and "not final" in refused.output
    assert not (tmp_path / "final").exists()


def test_a_lead_only_and_an_empty_review_still_reads(db_url: str, tmp_path: Path) -> None:
    store = included_review(db_url, tmp_path)
    try:
        with pytest.raises(AccessError, match="only a lead writes the review's report"):
            build_report(store, by=get_reviewer(store, "Priya"))  # as the app signs her in
        made = build_report(store, by=get_reviewer(store, "Lee"))
    finally:
        store.close()
    text = markdown_text(made)
    assert "Table 1 describes the 0 included studies" in text
    assert "No full-text report has been excluded." in text
    assert "3 studies (3 reports) were included" in text
    assert len(_section(made, "References").numbered) == 3
    written = write_report(made, tmp_path / "empty")
    assert {p.name for p in written} == {"report.md", "report.docx", "prisma-flow.png"}


def test_report_docx_converts_with_libreoffice(report, tmp_path: Path) -> None:
    soffice = shutil.which("soffice") or shutil.which("libreoffice")
    if soffice is None:
        if IN_CI:
            missing("LibreOffice", "apt-get install libreoffice-writer-nogui "
                    "(scripts/system-deps.sh)")
        pytest.skip("LibreOffice (soffice) is not installed")
    path = tmp_path / "report.docx"
    path.write_bytes(docx_bytes(report))
    done = subprocess.run([soffice, "--headless", "--convert-to", "pdf", "--outdir",
                           str(tmp_path), str(path)], capture_output=True, timeout=300,
                          check=False)
    pdf = tmp_path / "report.pdf"
    assert done.returncode == 0 and pdf.is_file(), done.stderr
    assert pdf.read_bytes().startswith(b"%PDF") and pdf.stat().st_size > 20_000


def test_readme_excerpt_is_what_the_command_writes(report) -> None:
    """The README's excerpt of the demo's report is the command's output (regenerate it with
    scripts/readme_report.py), never typed."""
    spec = importlib.util.spec_from_file_location("readme_report",
                                                  ROOT / "scripts" / "readme_report.py")
    assert spec is not None and spec.loader is not None
    script = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(script)
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert script.current_block(readme) == script.excerpt(markdown_text(report)), (
        "README.md's report excerpt is out of date: run scripts/readme_report.py")


def test_a_table_no_builder_places_still_reaches_the_report(demo: Path, monkeypatch) -> None:
    """Another evidence table (coded extracts, a per-question appraisal table) slots in: with
    no section builder of its own it goes under "Additional tables", before the references."""
    import review.report.build as build
    from review.extraction.tables import Table

    real = build.tables_of

    def with_extra(store, excluded):  # noqa: ANN001, ANN202
        found = real(store, excluded)
        extra = Table("sensitivity", "Sensitivity analysis", ("Study", "Q1"), (("A", "yes"),))
        return dataclasses.replace(found, tables=(*found.tables, extra))

    monkeypatch.setattr(build, "tables_of", with_extra)
    store = Store.open(demo)
    try:
        made = build_report(store)
    finally:
        store.close()
    headings = [s.heading for s in made.sections]
    assert headings.index("Additional tables") == headings.index("References") - 1
    assert [t.key for t in _section(made, "Additional tables").tables] == ["sensitivity"]
    assert "**Table 8. Sensitivity analysis**" in markdown_text(made)
    assert any("Companion report: " in r for r in _section(made, "References").numbered)


def test_an_updated_review_counts_the_previous_version_too() -> None:
    from review.prisma.counts import Prisma
    from review.report.methods import selection_paragraph

    counts = Prisma(previous_records=3, previous_reports=3, previous_studies=2, new_studies=4,
                    new_reports=5, total_studies=6, total_reports=8)
    text = selection_paragraph(counts, counts.new_studies, counts.new_reports)
    assert text.endswith("4 studies (5 reports) were included in this update, which with the "
                         "previous version's 2 studies (3 reports) makes 6 studies (8 reports) "
                         "in all (Figure 1).")


def _excluded_figures(made) -> tuple[int, int, int]:  # noqa: ANN001
    """The excluded reports as the sentence, the diagram's counts and the table give them."""
    section = _section(made, "Excluded full-text reports")
    said = int(re.match(r"([\d,]+) full-text report", section.paragraphs[0]).group(1))
    prisma = made.data.prisma
    return said, total(prisma.dbr_excluded) + total(prisma.other_excluded), len(
        section.tables[0].rows) if section.tables else 0


def test_a_change_committing_while_the_report_is_made_cannot_split_it(
        demo: Path, tmp_path: Path, monkeypatch) -> None:
    """A full-text exclusion commits between the report's reads (here: just
    before the pending work is read, after the diagram and the tables): the report is made
    again from the new state, so the sentence, Figure 1, the table and the status agree, and
    it is the report a lead would make now."""
    import review.report.build as build
    from review.screening.conflicts import resolve

    db = tmp_path / "busy.db"
    shutil.copy(demo, db)
    store = Store.open(db)
    try:
        before = build_report(store)
        reason = load_protocol_of(store).exclusion_reasons[0]
        real, calls = build.pending_work, []

        def meanwhile(store_):  # noqa: ANN001, ANN202
            calls.append(1)
            if len(calls) == 1:  # the lead settles record 25's full-text conflict: excluded
                resolve(store_, 25, "exclude", by="Morgan", stage="full_text", reason=reason)
            return real(store_)

        monkeypatch.setattr(build, "pending_work", meanwhile)
        made = build_report(store)
        monkeypatch.setattr(build, "pending_work", real)
        again = build_report(store)
    finally:
        store.close()
    assert len(calls) == 2  # the first build saw the change land and was made again
    said, drawn, listed = _excluded_figures(made)
    assert said == drawn == listed == _excluded_figures(before)[0] + 1
    assert markdown_text(made) == markdown_text(again)
    assert made.status == again.status


def test_a_review_that_never_stops_changing_gets_a_clear_error(
        demo: Path, tmp_path: Path, monkeypatch) -> None:
    import review.report.build as build
    from review.errors import ReviewError
    from review.screening.votes import cast_vote

    db = tmp_path / "busy.db"
    shutil.copy(demo, db)
    store = Store.open(db)
    real, calls = build.pending_work, []

    def meanwhile(store_):  # noqa: ANN001, ANN202
        calls.append(1)  # Priya keeps changing her mind on record 78
        cast_vote(store_, "Priya", 78, "include" if len(calls) % 2 else "maybe",
                  stage="full_text", note="read in print")
        return real(store_)

    monkeypatch.setattr(build, "pending_work", meanwhile)
    try:
        with pytest.raises(ReviewError, match="kept changing while the report was made"):
            build_report(store)
    finally:
        store.close()
    assert len(calls) == 4


@pytest.mark.parametrize("failing", [1, 2, 3, 4, 5])
def test_a_write_failing_part_way_leaves_the_previous_report(
        report, tmp_path: Path, monkeypatch, failing: int) -> None:
    """The n-th move of the swap fails (a full disk, a file held open): the folder holds the
    previous report, byte for byte, and nothing of the new one or of the staging."""
    import review.report.writers as writers
    from review.errors import ReviewError

    out = tmp_path / "out"
    write_report(report, out)
    (out / "notes.txt").write_text("mine")  # not the report's: left alone
    old = {p.name: p.read_bytes() for p in out.iterdir()}
    newer = dataclasses.replace(report, title="A newer title")
    real, calls = writers.os.replace, []

    def flaky(src, dst):  # noqa: ANN001, ANN202
        calls.append((src, dst))
        if len(calls) == failing:
            raise OSError(28, "No space left on device")
        return real(src, dst)

    monkeypatch.setattr(writers.os, "replace", flaky)
    with pytest.raises(ReviewError, match="cannot write the report: No space left"):
        write_report(newer, out)
    monkeypatch.setattr(writers.os, "replace", real)
    assert {p.name: p.read_bytes() for p in out.iterdir()} == old
    written = write_report(newer, out)
    assert "# A newer title" in (out / "report.md").read_text()
    assert sorted(p.name for p in out.iterdir()) == sorted([*(p.name for p in written),
                                                            "notes.txt"])


HOSTILE = ("[click me](javascript:alert(1)) ![](http://tracker.example/p.gif) "
           "<img src=x onerror=alert(1)> *loud* _quiet_ `code` ~~gone~~ a|b \\[kept\\]")


def _rendered(text: str) -> str | None:
    """report.md as a Markdown viewer shows it (CommonMark with GFM tables and
    strikethrough), when markdown-it-py is installed."""
    if importlib.util.find_spec("markdown_it") is None:
        return None
    from markdown_it import MarkdownIt

    return MarkdownIt("commonmark").enable(["table", "strikethrough"]).render(text)


@pytest.mark.parametrize("leading", ["# Heading?", "1. Listed?", "- Bullet?", "+ Plus?",
                                     "> Quoted?", "2) Listed?"])
def test_typed_and_imported_text_stays_text_in_report_md(report, leading: str) -> None:
    """A title, a quote, a reason, a study's name or a reference holding Markdown or HTML is
    shown as typed: no link, image, emphasis, code, heading or list appears from it."""
    from review.extraction.export import markdown_text as tables_markdown
    from review.extraction.tables import Table
    from review.report.build import Section

    table = Table("quotes", f"{leading} {HOSTILE}", ("Study", HOSTILE, "Extracts"),
                  ((f"{leading} Smith (2015) [3]", HOSTILE, 12), ("Jones", "-3 and 1.5", -3)),
                  f"Note: {HOSTILE}")
    hostile = dataclasses.replace(report, title=f"{leading} {HOSTILE}", sections=(
        Section("Results", 1, (f"{leading} {HOSTILE}",), (table,),
                numbered=(f"{leading} {HOSTILE}",)),))
    for text, ours in ((markdown_text(hostile), 1), (tables_markdown([table]), 0)):
        assert "[click me](" not in text and "![](" not in text and "<img" not in text
        assert "\\[click me\\](javascript:alert(1))" in text
        assert "\\*loud\\* \\_quiet\\_ \\`code\\` \\~\\~gone\\~\\~ a\\|b \\\\\\[kept\\\\\\]" in text
        assert "| Jones | -3 and 1.5 | -3 |" in text  # numbers as they are
        assert "Smith (2015) \\[3\\]" in text
        html = _rendered(text)
        if html is None:
            continue
        for made in ("<a ", "<img", "<code>", "<del>", "<s>", "<blockquote", "<ul>",
                     "<h3>"):
            assert made not in html, (made, html)
        # only our own markup: the title and section headings, the italic status line and
        # the numbered references and the bold table caption of the report
        assert html.count("<h1>") == 1 and html.count("<h2>") == 1, html
        assert html.count("<em>") == ours and html.count("<ol") == ours, html
        assert html.count("<strong>") == ours, html
        assert "[click me](javascript:alert(1))" in html  # shown, as typed
        assert "a|b" in html and "*loud* _quiet_ `code` ~~gone~~" in html


def test_a_theme_added_while_the_report_is_made_is_in_all_of_it_or_none(
        db_url: str, tmp_path: Path, monkeypatch) -> None:
    """On either database: a lead adds a theme between the report's reads; the report is made
    again, so its themes table and its methods both have it, as a fresh report does."""
    import review.report.build as build
    from review.extraction.entries import add_theme, extraction_form

    store = included_review(db_url, tmp_path)
    real, calls = build.pending_work, []

    def meanwhile(store_):  # noqa: ANN001, ANN202
        calls.append(1)
        if len(calls) == 1:
            kind = extraction_form(store_).themes[0].kind
            add_theme(store_, kind, "late_theme", "A theme found late", by="Ola")
        return real(store_)

    monkeypatch.setattr(build, "pending_work", meanwhile)
    try:
        made = build_report(store, by="Lee")
        monkeypatch.setattr(build, "pending_work", real)
        again = build_report(store, by="Lee")
    finally:
        store.close()
    assert len(calls) == 2
    assert "A theme found late" in markdown_text(made)
    assert markdown_text(made) == markdown_text(again)
