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
import re
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from review.errors import ReviewError
from review.extraction.tables import Table
from review.tabular import csv_value, is_risky

__all__ = ["FORMATS", "add_docx_table", "column_shares", "csv_text", "docx_bytes", "export",
           "markdown_table", "markdown_text", "xlsx_bytes"]

FORMATS = ("csv", "xlsx", "md", "docx")
STEM = "evidence-tables"
_SHEET_NAMES = {"characteristics": "Characteristics", "themes": "Themes", "quotes": "Quotes",
                "appraisal": "Appraisal",
                "findings": "Qualitative findings", "cerqual": "CERQual evidence profile",
                "excluded": "Excluded reports", "references": "References"}


def csv_text(table: Table) -> str:
    """The table as data: a header, then one row per item; totals rows are left out (the
    XLSX, Markdown and DOCX tables show them), so a reader never counts them as items."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow([csv_value(c) for c in table.columns])
    for row in table.data_rows:
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
                elif r > len(table.data_rows) + 1:  # a totals row
                    cell.font = header_font
        for c in range(1, len(table.columns) + 1):
            sheet.column_dimensions[get_column_letter(c)].width = _width(table, c - 1)
        sheet.freeze_panes = "A2"
        if table.data_rows:  # sorting and filtering the items leaves the totals last
            sheet.auto_filter.ref = (f"A1:{get_column_letter(len(table.columns))}"
                                     f"{len(table.data_rows) + 1}")
        if table.note:
            note = sheet.cell(row=len(table.rows) + 3, column=1, value=table.note)
            note.data_type = "s"
            note.quotePrefix = is_risky(table.note)
            note.font = Font(italic=True)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


_INLINE = re.compile(r"([\\`*_\[\]~|])")  # Markdown's inline markup (and the cell divider)
_LEADING = re.compile(r"^(?:([#+=-])(?!\d)|(\d+)([.)])(?=\s|$))")  # a block marker first


def _md(value: Any) -> str:
    """Text as Markdown shows it literally, on one line: HTML's characters as entities and
    every character of inline markup backslash-escaped (emphasis, code, strikethrough, and
    the brackets every link and image needs, so `[x](javascript:...)` or `![](http://...)`
    typed in a quote or imported in a title stays text); a heading, list or quote marker at
    the start too. Parentheses and `!` are left: without a bracket they make nothing, and
    they keep "Smith (2015)" and numbers readable."""
    text = " ".join(("" if value is None else str(value)).split())
    text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    text = _INLINE.sub(r"\\\1", text)
    return _LEADING.sub(lambda m: (f"\\{m[1]}" if m[1] else f"{m[2]}\\{m[3]}"), text)


def markdown_table(table: Table) -> str:
    """One table in Markdown (no heading): the grid, what an empty table means, the note."""
    parts = ["| " + " | ".join(_md(c) for c in table.columns) + " |\n"]
    parts.append("|" + "|".join("---:" if isinstance(table.rows[0][i], int) else "---"
                                for i in range(len(table.columns))) + "|\n"
                 if table.rows else "|" + "---|" * len(table.columns) + "\n")
    for row in table.rows:
        parts.append("| " + " | ".join(_md(v) for v in row) + " |\n")
    if not table.rows:
        parts.append(f"\n{_md(table.empty)}\n")
    if table.note:
        parts.append(f"\n{_md(table.note)}\n")
    return "".join(parts)


def markdown_text(tables: Sequence[Table], title: str = "Evidence tables") -> str:
    parts = [f"# {_md(title)}\n"]
    for number, table in enumerate(tables, start=1):
        parts.append(f"\n## Table {number}. {_md(table.title)}\n\n")
        parts.append(markdown_table(table))
    return "".join(parts)


def column_shares(table: Table, chars: float = 150.0) -> list[float]:
    """How to share a line of `chars` characters between a table's columns: each gets at least
    its longest word (so no word is broken), the rest goes by how much text it holds."""
    def words(value: Any) -> list[str]:
        return str("" if value is None else value).split() or [""]

    columns = range(len(table.columns))
    rows = [table.columns, *table.rows]
    least = [max(len(w) for r in rows for w in words(r[i])) + 1 for i in columns]
    mean = [sum(len(str(r[i] or "")) for r in table.rows) / max(len(table.rows), 1)
            for i in columns]
    want = [max(least[i], min(mean[i], 45.0)) for i in columns]
    total_least, total_want = sum(least), sum(want)
    budget = max(total_want, 1.0) if total_want <= chars else chars
    if total_least >= budget:  # too narrow for every longest word: cap the longest ones
        low, high = 0.0, float(max(least))
        for _ in range(40):
            cap = (low + high) / 2
            low, high = (cap, high) if sum(min(n, cap) for n in least) < budget else (low, cap)
        capped = [min(n, low) for n in least]
        return [n / sum(capped) for n in capped]
    spare = budget - total_least
    extra = [w - n for w, n in zip(want, least, strict=True)]
    shares = [n + (spare * e / sum(extra) if sum(extra) else spare / len(least))
              for n, e in zip(least, extra, strict=True)]
    return [x / sum(shares) for x in shares]


def _column_widths(table: Table, width: int, font_pt: float) -> list[int]:
    """Column widths (EMU) filling `width`: each a cell's padding (Word's default, about
    0.4 cm) plus its share of the text width, counting half an em per character."""
    pad = int(0.4 / 2.54 * 914400)
    text = max(width - pad * len(table.columns), width // 2)
    chars = text / (font_pt * 0.52 * 12700)
    return [pad + int(text * share) for share in column_shares(table, chars)]


def add_docx_table(document: Any, table: Table, width: int | None = None,
                   font_pt: float | None = None) -> None:
    """One table into a python-docx Document: a grid with a bold header row that repeats on
    every page, what an empty table means, the note in italics. With `width` (EMU) the
    columns share it by column_shares; `font_pt` sets the cells' type size."""
    from docx.oxml import OxmlElement  # start-up: python-docx only for a .docx
    from docx.oxml.ns import qn  # start-up: as above
    from docx.shared import Pt  # start-up: as above

    grid = document.add_table(rows=1 + len(table.rows), cols=len(table.columns))
    grid.style = "Table Grid"
    widths = _column_widths(table, width, font_pt or 9.0) if width else None
    if widths:
        grid.autofit = False
        for column, size_emu in zip(grid.columns, widths, strict=True):
            column.width = size_emu  # the grid LibreOffice reads; cells below for Word
    for r, row in enumerate([table.columns, *table.rows]):
        cells = grid.rows[r].cells
        for c, value in enumerate(row):
            paragraph = cells[c].paragraphs[0]
            run = paragraph.add_run("" if value is None else str(value))
            run.bold = r == 0 or r > len(table.data_rows)  # the header, a totals row
            if font_pt:
                run.font.size = Pt(font_pt)
            if widths:
                cells[c].width = widths[c]
    header = grid.rows[0]._tr.get_or_add_trPr()
    repeat = OxmlElement("w:tblHeader")
    repeat.set(qn("w:val"), "true")
    header.append(repeat)
    if not table.rows:
        document.add_paragraph(table.empty)
    if table.note:
        document.add_paragraph(table.note).runs[0].italic = True


def docx_bytes(tables: Sequence[Table], title: str = "Evidence tables") -> bytes:
    from docx import Document  # start-up: python-docx only for a .docx
    from docx.enum.section import WD_ORIENT  # start-up: as above
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
        usable = ((section.page_width or 0) - (section.left_margin or 0)
                  - (section.right_margin or 0))
        add_docx_table(document, table, usable or None)
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
