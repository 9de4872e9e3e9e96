"""Evidence tables: exact cells from known final entries, and the exports read back (CSV,
XLSX with openpyxl, DOCX with python-docx, Markdown), formula injection neutralised."""

from __future__ import annotations

import csv
import io
import zipfile
from pathlib import Path

import pytest
from docx import Document
from openpyxl import load_workbook

from review.extraction.entries import add_theme, save_entry
from review.extraction.export import (
    column_shares,
    csv_text,
    docx_bytes,
    export,
    markdown_text,
    xlsx_bytes,
)
from review.extraction.reconcile import reconcile
from review.extraction.tables import Table, build_tables
from tests.extraction_fixtures import included_review, protocol_text
from tests.test_extraction import ALL_YES

HOSTILE = "=HYPERLINK(\"http://example.org\",\"x\")"


def _final(store, study_id: int, values: dict, themes: dict, rating: str) -> None:
    for person in ("Priya", "Tom"):
        save_entry(store, study_id, person, values=values, themes=themes, answers=ALL_YES,
                   rating=rating, done=True)
    reconcile(store, study_id, by="Lee")


@pytest.fixture
def tables(db_url: str, tmp_path: Path):
    works = (("Alder, Jo", "2015", "Peer mentoring in a voluntary organisation"),
             ("Birch, Sam", "2019", "A moderated online forum run by a charity"),
             ("Alder, Kim", "2015", "Group peer support: an interview study"),
             ("Cedar, Ali", "2021", "Peer support groups in community settings"))
    store = included_review(db_url, tmp_path, works=works)
    add_theme(store, "risks", "stigma", "Stigma from others", by="Lee")
    _final(store, 1, {"author_year": "Alder 2015", "country": "UK; Ireland",
                      "setting": "A charity's forum",
                      "population": "Young people", "design": "Interviews",
                      "sample_size": 18, "sample_unit": "participants",
                      "self_harm_type": "Self-harm",
                      "format": ["online forum", "one-to-one"], "moderated": True,
                      "themes": "Belonging"},
           {"belonging": ("We felt understood", "p. 4", "participant"),
            "safe_space": [("Nobody judged me", "p. 5", "participant", "Trust"),
                           ("Members felt safe", "p. 6", "author")],
            "stigma": ("People judged us", "Results", "author")}, "high")
    _final(store, 2, {"author_year": "Birch 2019", "country": "Spain", "design": HOSTILE,
                      "format": "face-to-face group", "moderated": False},
           {"belonging": ("+1 for the group", "p. 2", "participant"),
            "facilitators": ("A nurse ran it | weekly", "p. 3", "author")}, "low")
    _final(store, 3, {"author_year": "Alder 2015", "population": "Adults", "sample_size": 1,
                      "sample_unit": "forums"}, {}, "moderate")
    save_entry(store, 4, "Priya", values={"author_year": "Cedar 2021"})  # not final: left out
    built = build_tables(store)
    store.close()
    return built


def test_characteristics_cells(tables) -> None:
    """The worked example's [tables] characteristics: its columns in order, each field its
    own column, the sample with its unit, studies numbered by first author then year."""
    table = tables["characteristics"]
    assert table.columns == ("No.", "Study", "Country", "Setting or organisation", "Aims",
                             "Population", "Study design", "Data collection", "Analysis",
                             "Sample size", "Type of self-harm", "Peer-support format",
                             "Moderated", "Appraisal")
    assert table.rows == (
        (1, "Alder (2015a)", "United Kingdom; Ireland", "A charity's forum", "NR",
         "Young people", "Interviews", "NR", "NR", "18 participants", "Self-harm",
         "online forum; one-to-one", "yes", "high"),
        (2, "Alder (2015b)", "NR", "NR", "NR", "Adults", "NR", "NR", "NR", "1 forum", "NR",
         "NR", "NR", "moderate"),
        (3, "Birch (2019)", "Spain", "NR", "NR", "NR", HOSTILE, "NR", "NR", "NR", "NR",
         "face-to-face group", "no", "low"),
    )
    assert tables.studies == 3 and tables.pending == ("Cedar 2021",)
    assert table.note.startswith("No.: the study's reference number. NR: not reported.")
    assert [(c.number, c.label) for c in tables.cited] == [
        (1, "Alder (2015a) [1]"), (2, "Alder (2015b) [2]"), (3, "Birch (2019) [3]"),
        (4, "Cedar (2021) [4]")]


def test_theme_matrix_cells(tables) -> None:
    table = tables["themes"]
    assert table.title == ("Study x theme matrix: benefits, risks, mitigations and "
                           "acceptability reported by the included studies")
    assert table.columns == ("Kind", "Theme", "Descriptive theme", "Alder (2015a) [1]",
                             "Alder (2015b) [2]", "Birch (2019) [3]", "Studies", "Extracts")
    rows = {(r[0], r[1], r[2]): r[3:] for r in table.rows}
    assert len(rows) == len(table.rows) == 31  # every theme, reported or not, and "All"
    # an analytical theme counts its descriptive themes' extracts too
    assert rows["Benefits", "Community and belonging", ""] == ("✓ 3", "", "✓", 2, 4)
    assert rows["Benefits", "Community and belonging", "A safe, non-judgemental space"] == (
        "✓ 2", "", "", 1, 2)
    assert rows["Benefits", "Community and belonging", "Less isolation"] == ("", "", "", 0, 0)
    assert rows["Risks", "Stigma from others", ""] == ("✓", "", "", 1, 1)
    assert rows["Mitigations", "Facilitation and oversight", ""] == ("", "", "✓", 1, 1)
    assert rows["Acceptability", "Acceptability to those taking part", ""] == (
        "", "", "", 0, 0)
    assert [r[1] for r in table.rows[:3]] == ["Community and belonging"] * 3
    assert [r[0] for r in table.rows].index("Risks") == 8  # kinds in the protocol's order
    # the last row: the (analytical) themes each study reports, counted once however many
    # descriptive themes hold its extracts; then the themes any study reports and every extract
    assert table.rows[-1] == ("All", "Themes reported by the study", "", 2, 0, 2, 3, 6)
    assert table.totals == 1 and table.data_rows == table.rows[:-1]  # 30 themes, then "All"


def test_theme_quotes_cells(tables) -> None:
    table = tables["quotes"]
    assert table.columns == ("Kind", "Theme", "Sub-theme", "Study", "Voice", "Location",
                             "Quote")
    safe = "Community and belonging › A safe, non-judgemental space"
    assert table.rows == (
        ("Benefits", "Community and belonging", "", "Alder (2015a) [1]", "Participant",
         "p. 4", "We felt understood"),
        ("Benefits", "Community and belonging", "", "Birch (2019) [3]", "Participant", "p. 2",
         "+1 for the group"),
        ("Benefits", safe, "Trust", "Alder (2015a) [1]", "Participant", "p. 5",
         "Nobody judged me"),
        ("Benefits", safe, "", "Alder (2015a) [1]", "Author", "p. 6", "Members felt safe"),
        ("Risks", "Stigma from others", "", "Alder (2015a) [1]", "Author", "Results",
         "People judged us"),
        ("Mitigations", "Facilitation and oversight", "", "Birch (2019) [3]", "Author", "p. 3",
         "A nurse ran it | weekly"),
    )


def test_references_are_numbered_as_the_tables_cite_the_studies(tables) -> None:
    table = tables["references"]
    assert table.columns == ("No.", "Reference")
    assert table.rows == (
        (1, "Alder J. Peer mentoring in a voluntary organisation. Journal of Examples. 2015."),
        (2, "Alder K. Group peer support: an interview study. Journal of Examples. 2015."),
        (3, "Birch S. A moderated online forum run by a charity. Journal of Examples. 2019."),
        (4, "Cedar A. Peer support groups in community settings. Journal of Examples. 2021."),
    )
    assert tables["excluded"].rows == ()  # every report was included


def test_without_a_tables_key_every_field_is_a_column_as_before(db_url: str,
                                                                 tmp_path: Path) -> None:
    """A protocol without [tables]: every field in the form's order, population with design
    and format with moderated sharing a cell, the rating before the themes field; the unit
    still joins its number and has no column of its own."""
    text = protocol_text()
    start = text.index("[tables]")
    text = text[:start] + text[text.index("# The synthesis approach"):]
    store = included_review(db_url, tmp_path, protocol=text)
    try:
        _final(store, 2, {"author_year": "Birch 2019", "population": "Adults",
                          "design": "Survey", "sample_size": 240, "sample_unit": "posts",
                          "format": "online forum", "moderated": True}, {}, "low")
        built = build_tables(store)
    finally:
        store.close()
    table = built["characteristics"]
    assert table.columns == ("No.", "Study", "Country", "Setting or organisation", "Aims",
                             "Population and design", "Data collection", "Analysis",
                             "Sample size", "Type of self-harm", "Peer-support format",
                             "Facilitated by", "Participants' role", "Age", "Gender",
                             "Organisation type", "Funding", "Quality", "Themes")
    assert table.rows == ((2, "Birch (2019)", "NR", "NR", "NR", "Adults; Survey", "NR", "NR",
                           "240 posts", "NR", "online forum; moderated", *("NR",) * 6, "low",
                           "NR"),)


def test_csv_neutralises_formulas(tables) -> None:
    text = csv_text(tables["characteristics"])
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[0][:2] == ["No.", "Study"] and rows[3][6] == "'" + HOSTILE
    assert rows[1][0] == "1"  # the reference number stays a number
    quotes = list(csv.reader(io.StringIO(csv_text(tables["quotes"]))))
    assert quotes[2][6] == "'+1 for the group" and quotes[1][6] == "We felt understood"
    for start in ("=", "+", "-", "@", "\t", "\r"):
        one = Table("t", "T", ("a",), ((f"{start}1+1",),))
        assert list(csv.reader(io.StringIO(csv_text(one))))[1][0] == f"'{start}1+1"


RISKY_STARTS = ("=", "+", "-", "@", "\t", "\r")


def test_every_dangerous_start_is_inert_in_csv_and_xlsx_and_numbers_stay_numbers() -> None:
    cells = [f"{start}1+1" for start in RISKY_STARTS]
    one = Table("t", "T", ("text", "number as text", "count"),
                tuple((cell, "-0.42", 3) for cell in cells), note="=note from a person")
    read = list(csv.reader(io.StringIO(csv_text(one), newline="")))
    assert [row[0] for row in read[1:]] == ["'" + cell for cell in cells]
    assert {(row[1], row[2]) for row in read[1:]} == {("-0.42", "3")}
    sheet = load_workbook(io.BytesIO(xlsx_bytes([one]))).active
    for r, cell in enumerate(cells, start=2):
        written = sheet.cell(row=r, column=1)
        assert (written.value, written.data_type, written.quotePrefix) == (cell, "s", True)
        number_text = sheet.cell(row=r, column=2)
        assert (number_text.value, number_text.data_type) == ("-0.42", "s")
        assert not number_text.quotePrefix
        assert sheet.cell(row=r, column=3).value == 3
    note = sheet.cell(row=len(cells) + 3, column=1)
    assert note.value == "=note from a person" and note.quotePrefix


def test_xlsx_reads_back_with_text_cells(tables, tmp_path: Path) -> None:
    data = xlsx_bytes(tables.tables)
    book = load_workbook(io.BytesIO(data))
    assert book.sheetnames == ["Characteristics", "Themes", "Quotes", "Appraisal",
                               "Excluded reports", "References"]
    sheet = book["Characteristics"]
    read = [[c.value for c in row] for row in sheet.iter_rows(min_row=1, max_row=4)]
    table = tables["characteristics"]
    assert read[0] == list(table.columns)
    assert [tuple("" if v is None else v for v in r) for r in read[1:]] == list(
        tuple("" if v is None else v for v in r) for r in table.rows)
    hostile = sheet["G4"]
    assert hostile.value == HOSTILE and hostile.data_type == "s" and hostile.quotePrefix
    assert sheet["A1"].font.bold and sheet.freeze_panes == "A2"
    assert sheet.cell(row=6, column=1).value == table.note
    themes = book["Themes"]
    assert themes["G2"].value == 2 and themes["G2"].data_type == "n"
    assert themes["H2"].value == 4 and themes["D2"].value == "✓ 3"
    assert themes["F2"].value == "✓"
    assert sheet["A2"].value == 1 and sheet["A2"].data_type == "n"
    assert book["Quotes"]["G3"].value == "+1 for the group"
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        sheets = [archive.read(n).decode() for n in archive.namelist()
                  if n.startswith("xl/worksheets/sheet")]
    assert sheets and all("<f>" not in s and "<f " not in s for s in sheets)  # no formulas


def test_docx_reads_back(tables) -> None:
    document = Document(io.BytesIO(docx_bytes(tables.tables)))
    headings = [p.text for p in document.paragraphs if p.style.name.startswith("Heading")]
    assert headings == ["Evidence tables", "Table 1. Characteristics of included studies",
                        "Table 2. Study x theme matrix: benefits, risks, mitigations and "
                        "acceptability reported by the included studies",
                        "Table 3. Benefits, risks, mitigations and acceptability: supporting "
                        "quotes",
                        "Table 4. Quality appraisal of included studies, question by question",
                        "Table 5. Excluded full-text reports",
                        "Table 6. References of the included studies"]
    assert len(document.tables) == 6
    for grid, table in zip(document.tables, tables.tables, strict=True):
        cells = [tuple(c.text for c in row.cells) for row in grid.rows]
        assert cells[0] == table.columns
        assert cells[1:] == [tuple(str(v) for v in row) for row in table.rows]
        assert all(run.bold for c in grid.rows[0].cells for run in c.paragraphs[0].runs)
    assert document.sections[0].page_width > document.sections[0].page_height


def test_markdown_escapes_cells(tables) -> None:
    text = markdown_text(tables.tables)
    assert "| 1 | Alder (2015a) | United Kingdom; Ireland | A charity's forum |" in text
    assert "| Mitigations | Facilitation and oversight |  | Birch (2019) \\[3\\] | Author | " \
           "p. 3 | A nurse ran it \\| weekly |" in text
    assert "|---|---|---|---|---|---|---:|---:|" in text  # counts right-aligned
    assert "|---:|---|---|---|" in text  # the reference numbers too
    assert ("## Table 3. Benefits, risks, mitigations and acceptability: supporting quotes"
            in text)
    hostile = Table("t", "T", ("a",), (("<b>x</b>\nnext",),))
    assert "| &lt;b&gt;x&lt;/b&gt; next |" in markdown_text([hostile])


def test_export_writes_every_format(tables, tmp_path: Path) -> None:
    written = export(tables.tables, tmp_path / "out")
    assert sorted(p.name for p in written) == [
        "appraisal.csv", "characteristics.csv", "evidence-tables.docx", "evidence-tables.md",
        "evidence-tables.xlsx", "excluded.csv", "quotes.csv", "references.csv", "themes.csv"]
    raw = (tmp_path / "out" / "themes.csv").read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf") and "✓".encode() in raw
    # a script reading themes.csv row by row gets one row per theme: the totals row ("All")
    # is in the tables people read (XLSX, Markdown, DOCX), not in the data
    themes = tables["themes"]
    read = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"), newline="")))
    assert len(read) == 1 + len(themes.rows) - 1 == 31
    assert [r[0] for r in read[1:]].count("All") == 0
    assert read[-1][:3] == [str(v) for v in themes.rows[-2][:3]]
    assert "| All | Themes reported by the study |  | 2 | 0 | 2 | 3 | 6 |" in (
        tmp_path / "out" / "evidence-tables.md").read_text(encoding="utf-8")
    sheet = load_workbook(tmp_path / "out" / "evidence-tables.xlsx")["Themes"]
    last = sheet[len(themes.rows) + 1]
    assert [c.value for c in last[:2]] == ["All", "Themes reported by the study"]
    assert last[0].font.bold and not sheet[2][0].font.bold
    assert sheet.auto_filter.ref == f"A1:H{len(themes.rows)}"  # the themes, not the totals
    grid = next(g for g in Document(tmp_path / "out" / "evidence-tables.docx").tables
                if g.rows[0].cells[2].text == "Descriptive theme")
    assert grid.rows[-1].cells[0].text == "All" and grid.rows[-1].cells[0].paragraphs[0].runs[
        0].bold and not grid.rows[-2].cells[0].paragraphs[0].runs[0].bold
    only = export(tables.tables, tmp_path / "md", ["md"])
    assert [p.name for p in only] == ["evidence-tables.md"]


def test_tables_of_a_review_without_final_entries(db_url: str, tmp_path: Path) -> None:
    store = included_review(db_url, tmp_path)
    try:
        built = build_tables(store)
    finally:
        store.close()
    assert built.studies == 0 and len(built.pending) == 3
    assert built["characteristics"].rows == () and built["quotes"].rows == ()
    assert built["appraisal"].rows == ()
    assert all(row[-1] == 0 for row in built["themes"].rows)
    assert len(built["references"].rows) == 3  # included, not yet extracted: still cited
    assert "No studies with a final entry yet." in markdown_text(built.tables)
    Document(io.BytesIO(docx_bytes(built.tables)))
    load_workbook(io.BytesIO(xlsx_bytes(built.tables)))


def test_docx_columns_share_the_width_by_their_text() -> None:
    table = Table("t", "T", ("No.", "Quote", "Where"),
                  ((1, "a long quote about peer support " * 3, "p. 4"),))
    shares = column_shares(table, 120)
    assert abs(sum(shares) - 1) < 1e-9
    assert shares[1] > shares[2] > shares[0]  # the text column gets the room
    assert shares[0] * 120 >= len("No.") + 1 and shares[2] * 120 >= len("Where") + 1
    narrow = column_shares(Table("t", "T", ("No.", "Organisations"), ((1, "x"),)), 10)
    assert narrow[0] * 10 >= len("No.") + 1 - 1e-6  # a short column keeps its word


def test_excluded_reports_are_the_ones_prisma_counts(db_url: str, tmp_path: Path) -> None:
    from review.prisma.counts import compute, total
    from review.screening.votes import cast_vote

    store = included_review(db_url, tmp_path)
    try:
        for person in ("Priya", "Tom"):  # both change their minds on the third report
            cast_vote(store, person, 3, "exclude", stage="full_text", reason="Clinical setting",
                      note="A hospital ward after all")
        built, counts = build_tables(store), compute(store)
    finally:
        store.close()
    table = built["excluded"]
    assert total(counts.dbr_excluded) == len(table.rows) == 1
    assert table.rows == ((1, "Cedar A. Group peer support in community settings: an interview "
                           "study. Journal of Examples. 2021.", "Clinical setting"),)
    assert [row[0] for row in built["references"].rows] == [1, 2]  # Alder, Birch
    assert counts.new_studies == 2
