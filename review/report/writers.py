"""The report as files: report.md (with the diagram beside it as a PNG) and report.docx (the
diagram inside), written into one folder.

Decisions made here:

- Tables are numbered in the order they appear (Table 1 is the characteristics of included
  studies), the PRISMA diagram is Figure 1; the tables' cells are escaped as in the evidence
  tables' Markdown (review.extraction.export), so typed text never turns into markup.
- DOCX: A4 portrait for the text and the diagram; the wide tables (more than five columns)
  go on landscape pages, as journals print them; tables in 8 pt (7 pt beyond ten columns),
  their columns sharing the
  page's width by how much text each holds (never narrower than its longest word); headings
  use Word's Heading styles, so the navigation pane and a table of contents find them;
  tables repeat their header row.
- Everything is written into a staging folder inside the output folder (same file system,
  so moves are renames), then swapped in file by file with the previous files set aside;
  a failure part-way puts the previous files back, so a failed write never leaves half a
  new report beside an old one.
"""

from __future__ import annotations

import io
import os
import shutil
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from review.errors import ReviewError
from review.extraction.export import _md, add_docx_table, markdown_table
from review.report.build import Report, Section

__all__ = ["DOCX_NAME", "MD_NAME", "docx_bytes", "markdown_text", "write_report"]

MD_NAME, DOCX_NAME = "report.md", "report.docx"
WIDE = 5  # tables with more columns than this get a landscape page
TABLE_PT = 8  # type size in the tables, as journals set them


def _numbered(report: Report) -> list[tuple[Section, list[tuple[int, Any]]]]:
    """Each section with its tables numbered in order of appearance."""
    number, out = 0, []
    for section in report.sections:
        tables = []
        for table in section.tables:
            number += 1
            tables.append((number, table))
        out.append((section, tables))
    return out


def markdown_text(report: Report) -> str:
    parts = [f"# {_md(report.title)}\n\n", f"*{_md(report.status)}*\n"]
    for section, tables in _numbered(report):
        parts.append(f"\n{'#' * (section.level + 1)} {_md(section.heading)}\n")
        for paragraph in section.paragraphs:
            parts.append(f"\n{_md(paragraph)}\n")
        if section.figure is not None:
            f = section.figure
            parts.append(f"\n![Figure {f.number}. {_md(f.caption)}]({f.file_name})\n\n"
                         f"*Figure {f.number}. {_md(f.caption)}*\n")
        for number, table in tables:
            parts.append(f"\n**Table {number}. {_md(table.title)}**\n\n")
            parts.append(markdown_table(table))
        if section.numbered:
            parts.append("\n" + "".join(f"{i}. {_md(text)}\n"
                                        for i, text in enumerate(section.numbered, start=1)))
    return "".join(parts)


def _orient(document: Any, landscape: bool) -> None:
    from docx.enum.section import WD_ORIENT, WD_SECTION  # start-up: python-docx for a .docx
    from docx.shared import Cm  # start-up: as above

    current = document.sections[-1]
    if (current.orientation == WD_ORIENT.LANDSCAPE) == landscape:
        return
    section = document.add_section(WD_SECTION.NEW_PAGE)
    section.orientation = WD_ORIENT.LANDSCAPE if landscape else WD_ORIENT.PORTRAIT
    margin = Cm(1.5) if landscape else Cm(2.0)
    for side in ("left_margin", "right_margin"):
        setattr(section, side, margin)
    width, height = section.page_width, section.page_height
    if (width > height) != landscape:
        section.page_width, section.page_height = height, width


def docx_bytes(report: Report) -> bytes:
    from docx import Document  # start-up: python-docx only for a .docx
    from docx.enum.section import WD_ORIENT  # start-up: as above
    from docx.shared import Cm, Pt  # start-up: as above

    document = Document()
    first = document.sections[0]
    first.orientation = WD_ORIENT.PORTRAIT
    first.page_width, first.page_height = Cm(21.0), Cm(29.7)
    for side in ("left_margin", "right_margin", "top_margin", "bottom_margin"):
        setattr(first, side, Cm(2.0))
    document.styles["Normal"].font.size = Pt(10)
    document.add_heading(report.title, level=0)
    document.add_paragraph(report.status).runs[0].italic = True
    for section, tables in _numbered(report):
        _orient(document, any(len(t.columns) > WIDE for _, t in tables))
        document.add_heading(section.heading, level=section.level)
        for paragraph in section.paragraphs:
            document.add_paragraph(paragraph)
        if section.figure is not None:
            f = section.figure
            width = (document.sections[-1].page_width or Cm(21.0)) - Cm(4.0)
            document.add_picture(io.BytesIO(f.png), width=width)
            document.add_paragraph(f"Figure {f.number}. {f.caption}").runs[0].italic = True
        for number, table in tables:
            document.add_paragraph().add_run(f"Table {number}. {table.title}").bold = True
            page = document.sections[-1]
            usable = (page.page_width or 0) - (page.left_margin or 0) - (page.right_margin or 0)
            size = TABLE_PT - 1 if len(table.columns) > 10 else TABLE_PT
            add_docx_table(document, table, usable or None, size)
        for i, text in enumerate(section.numbered, start=1):
            document.add_paragraph(f"{i}. {text}")
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def _swap(out: Path, staging: Path, names: Sequence[str]) -> None:
    """Move the staged files into out, each previous file set aside first; on a failure
    part-way, every previous file goes back (a file that had none is removed), so out holds
    the old report or the new one, never a mix."""
    previous = staging / "previous"
    previous.mkdir()
    moved: list[tuple[str, bool]] = []  # name, whether an old file was set aside
    try:
        for name in names:
            had = (out / name).exists()
            if had:
                os.replace(out / name, previous / name)
            moved.append((name, had))
            os.replace(staging / name, out / name)
    except OSError:
        for name, had in reversed(moved):
            if had:
                os.replace(previous / name, out / name)
            else:
                (out / name).unlink(missing_ok=True)
        raise


def write_report(report: Report, out_dir: str | Path) -> list[Path]:
    """report.md, its diagram (PNG) and report.docx into out_dir; returns the files written.
    All of them or none: a failure leaves the previous report as it was."""
    out = Path(out_dir)
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ReviewError(f"{out}: cannot create the folder: {exc.strerror}") from None
    files: list[tuple[str, bytes]] = [(MD_NAME, markdown_text(report).encode("utf-8"))]
    files += [(f.file_name, f.png) for f in report.figures]
    files.append((DOCX_NAME, docx_bytes(report)))
    try:
        staging = Path(tempfile.mkdtemp(prefix=".report-staging-", dir=out))
    except OSError as exc:
        raise ReviewError(f"{out}: cannot write the report: {exc.strerror or exc}") from None
    try:
        for name, data in files:
            (staging / name).write_bytes(data)
        _swap(out, staging, [name for name, _ in files])
    except OSError as exc:
        raise ReviewError(f"{out}: cannot write the report: {exc.strerror or exc}") from None
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return [out / name for name, _ in files]
