"""Rows to text as a table, CSV or JSON: one renderer for every listing command, so `--format`
means the same everywhere; and the one formula neutraliser every CSV and XLSX writer uses.

Titles, notes, quotes, source names and reasons come from outside, and a CSV is often opened in
a spreadsheet, which runs a cell starting with =, +, -, @, a tab or a carriage return as a
formula (the usual guidance on CSV injection). So a text cell starting with one of those gets a
leading single quote, which a spreadsheet shows as text; a real number (int, float) stays a
number. Text that is itself a plain decimal number ("-3", "+2.5", "-1e-3") is left alone: a
spreadsheet reads it as that number, never as a formula, and quoting it would turn extracted
numbers such as an effect size "-0.42" into text that no longer sorts or sums. `restore` undoes
exactly what `neutralise` did, so a CSV of ours reads back to the same values (quoted text
that was already risky gets a second quote, so even "'=x" survives). XLSX cells need no quote
in their content: they are string cells (never formulas) with the quote-prefix flag set where
`is_risky` says so. (The batch dedupe output does not go through here: it is a file for the
next script, carrying its input's fields through unchanged, so an id comes back as it was.)"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from typing import Any

FORMATS = ("table", "csv", "json")
RISKY_START = ("=", "+", "-", "@", "\t", "\r")
_NUMBER = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?")


def is_risky(text: str) -> bool:
    """Would a spreadsheet run this text as a formula (once quotes we added are off)?"""
    bare = text.lstrip("'")  # a quote we added must survive a second round
    return bare.startswith(RISKY_START) and _NUMBER.fullmatch(bare) is None


def neutralise(text: str) -> str:
    """Text a spreadsheet would run as a formula, made inert with a leading single quote."""
    return "'" + text if is_risky(text) else text


def restore(text: str) -> str:
    """The text `neutralise` was given (for reading our own CSV back)."""
    return text[1:] if text.startswith("'") and is_risky(text[1:]) else text


def csv_value(value: Any) -> Any:
    """A cell as every CSV writer should get it: numbers as they are, anything else as text
    (None empty, a list joined with "; ", a dict as JSON), neutralised."""
    if isinstance(value, bool | int | float):
        return value
    return neutralise(_cell(value))


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, list | tuple):
        return "; ".join(str(v) for v in value)
    if isinstance(value, dict):
        return json.dumps(value, ensure_ascii=False)
    return str(value)


def _csv_line(values: Sequence[str]) -> str:
    """One CSV line. Written here rather than by csv.writer, which leaves a field holding a
    lone carriage return unquoted (with "\\n" line ends), so a note with one split its row."""
    out = []
    for value in values:
        if any(c in value for c in ',"\r\n'):
            value = '"' + value.replace('"', '""') + '"'
        out.append(value)
    return ",".join(out) + "\n"


def render(rows: Sequence[dict[str, Any]], columns: Sequence[str], fmt: str = "table", *,
           widths: dict[str, int] | None = None) -> str:
    """Render rows; `widths` caps column widths in table form only (CSV and JSON are whole)."""
    if fmt == "json":
        return json.dumps([{c: row.get(c) for c in columns} for row in rows],
                          ensure_ascii=False, indent=2) + "\n"
    if fmt == "csv":
        lines = [_csv_line([neutralise(c) for c in columns])]
        lines += [_csv_line([_cell(csv_value(row.get(c))) for c in columns]) for row in rows]
        return "".join(lines)
    if fmt != "table":
        raise ValueError(f"unknown format {fmt!r}; choose one of {', '.join(FORMATS)}")
    widths = widths or {}
    cells = [[_cell(row.get(c)).replace("\n", " ") for c in columns] for row in rows]
    sizes = []
    for i, column in enumerate(columns):
        size = max([len(column)] + [len(r[i]) for r in cells])
        sizes.append(min(size, widths.get(column, size)))

    def line(values: Sequence[str]) -> str:
        parts = []
        for value, size in zip(values, sizes, strict=True):
            text = value if len(value) <= size else value[: max(size - 1, 0)] + "…"
            parts.append(text.ljust(size))
        return "  ".join(parts).rstrip()

    out_lines = [line(list(columns)), line(["-" * s for s in sizes])]
    out_lines += [line(r) for r in cells]
    return "\n".join(out_lines) + "\n"
