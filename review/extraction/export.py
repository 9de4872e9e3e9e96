"""The evidence tables as files for a manuscript: CSV, XLSX (openpyxl), Markdown, DOCX
(python-docx).

Quotes and values are typed by people and may come from anywhere, so a spreadsheet must never
run them as formulas. Decisions made here:

- CSV: text a spreadsheet would run as a formula (starting with =, +, -, @, a tab or a
  carriage return) gets a leading single quote, by review.tabular's one rule for every CSV
  and XLSX the tool writes; counts stay numbers. CSV files are UTF-8 with a byte-order mark,
  so Excel reads the ✓ marks and accents; one file per table.
- XLSX: every text cell is an explicit string cell (never a formula), and one the same rule
  calls risky also gets Excel's "quote prefix" style flag, so it is shown and kept as text
  (also after editing) while its content stays exact.
  Counts are numbers. One sheet per table: bold header on a fill, frozen header row, filter,
  wrapped text, set column widths, the table's note under it.
- Markdown: one file, a section per table; | and \\ are escaped, line breaks become spaces,
  < and > and & become entities, so pasted text cannot turn into markup.
- DOCX: one landscape document, a heading per table, grid tables with a bold header row that
  repeats on every page, the note under each table.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from review.errors import ReviewError
from review.extraction.tables import Table
from review.tabular import csv_value, is_risky

__all__ = ["FORMATS", "csv_text", "docx_bytes", "export", "markdown_text", "xlsx_bytes"]

FORMATS = ("csv", "xlsx", "md", "docx")
STEM = "evidence-tables"
_SHEET_NAMES = {"characteristics": "Characteristics", "themes": "Themes", "quotes": "Quotes",
                "appraisal": "Appraisal",
                "findings": "Qualitative findings", "cerqual": "CERQual evidence profile"}


def csv_text(table: Table) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow([csv_value(c) for c in table.columns])
    for row in table.rows:
        writer.writerow([csv_value(v) for v in row])
    return out.getvalue()


def _width(table: Table, index: int) -> float:
    longest = max([len(str(table.columns[index]))]
                  + [len(str(r[index])) for r in table.rows if r[index] is not None])
    return float(min(max(longest + 2, 6), 60))


def xlsx_bytes(tables: Sequence[Table]) -> bytes:
    from openpyxl import Workbook  # start-up: openpyxl only for an .xlsx
    from openpyxl.styles import Alignment, Font, PatternFill  # start-up: as above
    from openpyxl.utils import get_column_letter  # start-up: as above

    book = Workbook()
    book.remove(book.active)
    header_font, fill = Font(bold=True), PatternFill("solid", fgColor="DDE4EE")
    wrap = Alignment(wrap_text=True, vertical="top")
    for table in tables:
        sheet = book.create_sheet(_SHEET_NAMES.get(table.key, table.key[:31]))
        for r, row in enumerate([table.columns, *table.rows], start=1):
            for c, value in enumerate(row, start=1):
                cell = sheet.cell(row=r, column=c)
                cell.value = value
                if isinstance(value, str):
                    cell.data_type = "s"  # never a formula, whatever the text starts with
                    if is_risky(value):
                        cell.quotePrefix = True
                cell.alignment = wrap
                if r == 1:
                    cell.font, cell.fill = header_font, fill
        for c in range(1, len(table.columns) + 1):
            sheet.column_dimensions[get_column_letter(c)].width = _width(table, c - 1)
        sheet.freeze_panes = "A2"
        if table.rows:
            sheet.auto_filter.ref = (f"A1:{get_column_letter(len(table.columns))}"
                                     f"{len(table.rows) + 1}")
        if table.note:
            note = sheet.cell(row=len(table.rows) + 3, column=1, value=table.note)
            note.data_type = "s"
            note.quotePrefix = is_risky(table.note)
            note.font = Font(italic=True)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _md(value: Any) -> str:
    text = "" if value is None else str(value)
    text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    text = text.replace("\\", "\\\\").replace("|", "\\|")
    return " ".join(text.split())


def markdown_text(tables: Sequence[Table], title: str = "Evidence tables") -> str:
    parts = [f"# {_md(title)}\n"]
    for number, table in enumerate(tables, start=1):
        parts.append(f"\n## Table {number}. {_md(table.title)}\n\n")
        parts.append("| " + " | ".join(_md(c) for c in table.columns) + " |\n")
        parts.append("|" + "|".join("---:" if isinstance(table.rows[0][i], int) else "---"
                                    for i in range(len(table.columns))) + "|\n"
                     if table.rows else "|" + "---|" * len(table.columns) + "\n")
        for row in table.rows:
            parts.append("| " + " | ".join(_md(v) for v in row) + " |\n")
        if not table.rows:
            parts.append("\nNo studies with a final entry yet.\n")
        if table.note:
            parts.append(f"\n{_md(table.note)}\n")
    return "".join(parts)


def docx_bytes(tables: Sequence[Table], title: str = "Evidence tables") -> bytes:
    from docx import Document  # start-up: python-docx only for a .docx
    from docx.enum.section import WD_ORIENT  # start-up: as above
    from docx.oxml import OxmlElement  # start-up: as above
    from docx.oxml.ns import qn  # start-up: as above
    from docx.shared import Cm, Pt  # start-up: as above

    document = Document()
    section = document.sections[0]
    section.orientation = WD_ORIENT.LANDSCAPE
    section.page_width, section.page_height = section.page_height, section.page_width
    for side in ("left_margin", "right_margin", "top_margin", "bottom_margin"):
        setattr(section, side, Cm(1.8))
    document.styles["Normal"].font.size = Pt(9)
    document.add_heading(title, level=1)
    for number, table in enumerate(tables, start=1):
        document.add_heading(f"Table {number}. {table.title}", level=2)
        grid = document.add_table(rows=1 + len(table.rows), cols=len(table.columns))
        grid.style = "Table Grid"
        for r, row in enumerate([table.columns, *table.rows]):
            cells = grid.rows[r].cells
            for c, value in enumerate(row):
                paragraph = cells[c].paragraphs[0]
                run = paragraph.add_run("" if value is None else str(value))
                run.bold = r == 0
        header = grid.rows[0]._tr.get_or_add_trPr()
        repeat = OxmlElement("w:tblHeader")
        repeat.set(qn("w:val"), "true")
        header.append(repeat)
        if not table.rows:
            document.add_paragraph("No studies with a final entry yet.")
        if table.note:
            document.add_paragraph(table.note).runs[0].italic = True
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def export(tables: Sequence[Table], out_dir: str | Path,
           formats: Iterable[str] = FORMATS) -> list[Path]:
    """Write the tables in each format into out_dir; returns the files written."""
    formats = list(dict.fromkeys(formats))
    for fmt in formats:
        if fmt not in FORMATS:
            raise ReviewError(f"unknown table format {fmt!r}; choose from {', '.join(FORMATS)}")
    out = Path(out_dir)
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ReviewError(f"{out}: cannot create the folder: {exc.strerror}") from None
    written: list[Path] = []
    files: list[tuple[Path, bytes]] = []
    for fmt in formats:
        if fmt == "csv":
            files += [(out / f"{t.key}.csv", csv_text(t).encode("utf-8-sig")) for t in tables]
        elif fmt == "xlsx":
            files.append((out / f"{STEM}.xlsx", xlsx_bytes(tables)))
        elif fmt == "md":
            files.append((out / f"{STEM}.md", markdown_text(tables).encode("utf-8")))
        else:
            files.append((out / f"{STEM}.docx", docx_bytes(tables)))
    for path, data in files:
        try:
            path.write_bytes(data)
        except OSError as exc:
            raise ReviewError(f"{path}: cannot write: {exc.strerror}") from None
        written.append(path)
    return written
