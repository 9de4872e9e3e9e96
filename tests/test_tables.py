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
from review.extraction.export import csv_text, docx_bytes, export, markdown_text, xlsx_bytes
from review.extraction.reconcile import reconcile
from review.extraction.tables import Table, build_tables
from tests.extraction_fixtures import included_review
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
                      "population": "Young people", "design": "Interviews",
                      "sample_size": 18, "self_harm_type": "Self-harm",
                      "format": ["online forum", "one-to-one"], "moderated": True,
                      "themes": "Belonging"},
           {"belonging": ("We felt understood", "p. 4"),
            "stigma": ("People judged us", "Results")}, "high")
    _final(store, 2, {"author_year": "Birch 2019", "country": "Spain", "design": HOSTILE,
                      "format": "face-to-face group", "moderated": False},
           {"belonging": ("+1 for the group", "p. 2"),
            "facilitators": ("A nurse ran it | weekly", "p. 3")}, "low")
    _final(store, 3, {"author_year": "Alder 2015", "population": "Adults"}, {}, "moderate")
    save_entry(store, 4, "Priya", values={"author_year": "Cedar 2021"})  # not final: left out
    built = build_tables(store)
    store.close()
    return built


def test_characteristics_cells(tables) -> None:
    table = tables["characteristics"]
    assert table.columns == ("Study", "Country", "Population and design", "Sample size",
                             "Type of self-harm", "Peer-support format", "Facilitated by",
                             "Participants' role", "Age", "Gender", "Organisation type",
                             "Funding", "Quality", "Themes")
    unreported = ("NR",) * 6  # the fields of who facilitates, roles, age, gender, ...
    assert table.rows == (
        ("Alder (2015a)", "United Kingdom; Ireland", "Young people; Interviews", "18",
         "Self-harm", "online forum; one-to-one; moderated", *unreported, "high", "Belonging"),
        ("Birch (2019)", "Spain", HOSTILE, "NR", "NR", "face-to-face group; not moderated",
         *unreported, "low", "NR"),
        ("Alder (2015b)", "NR", "Adults", "NR", "NR", "NR", *unreported, "moderate", "NR"),
    )
    assert tables.studies == 3 and tables.pending == ("Cedar 2021",)
    assert table.note.startswith("NR: not reported.")


def test_theme_matrix_cells(tables) -> None:
    table = tables["themes"]
    assert table.columns == ("Kind", "Theme", "Alder (2015a)", "Birch (2019)",
                             "Alder (2015b)", "Studies")
    assert table.rows == (
        ("Benefits", "Community and sense of belonging", "✓", "✓", "", 2),
        ("Benefits", "Empowerment", "", "", "", 0),
        ("Benefits", "Information and support", "", "", "", 0),
        ("Risks", "Triggering content", "", "", "", 0),
        ("Risks", "Competition", "", "", "", 0),
        ("Risks", "Co-dependency", "", "", "", 0),
        ("Risks", "Stigma from others", "✓", "", "", 1),
        ("Mitigations", "Professional facilitators", "", "✓", "", 1),
        ("Mitigations", "Trigger warnings", "", "", "", 0),
        ("Mitigations", "Supervision and training", "", "", "", 0),
    )


def test_theme_quotes_cells(tables) -> None:
    table = tables["quotes"]
    assert table.columns == ("Kind", "Theme", "Study", "Quote", "Location")
    assert table.rows == (
        ("Benefits", "Community and sense of belonging", "Alder (2015a)", "We felt understood",
         "p. 4"),
        ("Benefits", "Community and sense of belonging", "Birch (2019)", "+1 for the group",
         "p. 2"),
        ("Risks", "Stigma from others", "Alder (2015a)", "People judged us", "Results"),
        ("Mitigations", "Professional facilitators", "Birch (2019)", "A nurse ran it | weekly",
         "p. 3"),
    )


def test_csv_neutralises_formulas(tables) -> None:
    text = csv_text(tables["characteristics"])
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[0][0] == "Study" and rows[2][2] == "'" + HOSTILE
    quotes = list(csv.reader(io.StringIO(csv_text(tables["quotes"]))))
    assert quotes[2][3] == "'+1 for the group" and quotes[1][3] == "We felt understood"
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
    assert book.sheetnames == ["Characteristics", "Themes", "Quotes", "Appraisal"]
    sheet = book["Characteristics"]
    read = [[c.value for c in row] for row in sheet.iter_rows(min_row=1, max_row=4)]
    table = tables["characteristics"]
    assert read[0] == list(table.columns)
    assert [tuple("" if v is None else v for v in r) for r in read[1:]] == list(
        tuple("" if v is None else v for v in r) for r in table.rows)
    hostile = sheet["C3"]
    assert hostile.value == HOSTILE and hostile.data_type == "s" and hostile.quotePrefix
    assert sheet["A1"].font.bold and sheet.freeze_panes == "A2"
    assert sheet.cell(row=6, column=1).value == table.note
    themes = book["Themes"]
    assert themes["F2"].value == 2 and themes["F2"].data_type == "n"
    assert themes["C2"].value == "✓"
    assert book["Quotes"]["D3"].value == "+1 for the group"
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        sheets = [archive.read(n).decode() for n in archive.namelist()
                  if n.startswith("xl/worksheets/sheet")]
    assert sheets and all("<f>" not in s and "<f " not in s for s in sheets)  # no formulas


def test_docx_reads_back(tables) -> None:
    document = Document(io.BytesIO(docx_bytes(tables.tables)))
    headings = [p.text for p in document.paragraphs if p.style.name.startswith("Heading")]
    assert headings == ["Evidence tables", "Table 1. Characteristics of included studies",
                        "Table 2. Benefits, risks and mitigations reported by the included "
                        "studies", "Table 3. Benefits, risks and mitigations with supporting "
                        "quotes", "Table 4. Quality appraisal of included studies, question "
                        "by question"]
    assert len(document.tables) == 4
    for grid, table in zip(document.tables, tables.tables, strict=True):
        cells = [tuple(c.text for c in row.cells) for row in grid.rows]
        assert cells[0] == table.columns
        assert cells[1:] == [tuple(str(v) for v in row) for row in table.rows]
        assert all(run.bold for c in grid.rows[0].cells for run in c.paragraphs[0].runs)
    assert document.sections[0].page_width > document.sections[0].page_height


def test_markdown_escapes_cells(tables) -> None:
    text = markdown_text(tables.tables)
    assert "| Alder (2015a) | United Kingdom; Ireland | Young people; Interviews | 18 |" in text
    assert "| Mitigations | Professional facilitators | Birch (2019) | A nurse ran it \\| " \
           "weekly | p. 3 |" in text
    assert "|---|---|---|---|---|---:|" in text  # counts right-aligned
    assert "## Table 3. Benefits, risks and mitigations with supporting quotes" in text
    hostile = Table("t", "T", ("a",), (("<b>x</b>\nnext",),))
    assert "| &lt;b&gt;x&lt;/b&gt; next |" in markdown_text([hostile])


def test_export_writes_every_format(tables, tmp_path: Path) -> None:
    written = export(tables.tables, tmp_path / "out")
    assert sorted(p.name for p in written) == [
        "appraisal.csv", "characteristics.csv", "evidence-tables.docx", "evidence-tables.md",
        "evidence-tables.xlsx", "quotes.csv", "themes.csv"]
    raw = (tmp_path / "out" / "themes.csv").read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf") and "✓".encode() in raw
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
    assert "No studies with a final entry yet." in markdown_text(built.tables)
    Document(io.BytesIO(docx_bytes(built.tables)))
    load_workbook(io.BytesIO(xlsx_bytes(built.tables)))
