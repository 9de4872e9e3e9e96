"""Rows to text as a table, CSV or JSON: one renderer for every listing command, so `--format`
means the same everywhere.

Titles, notes and reasons come from outside, and a CSV is often opened in a spreadsheet, which
runs a cell starting with =, +, -, @, a tab or a carriage return as a formula. CSV cells holding
such text get a leading single quote (numbers stay numbers); `restore` undoes exactly that, so
an exported CSV imports back to the same values. (The batch dedupe output is not written here:
it carries its input's fields through unchanged, by its specification.)"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

FORMATS = ("table", "csv", "json")
RISKY_START = ("=", "+", "-", "@", "\t", "\r")


def _risky(text: str) -> bool:
    # a quote we added must survive a second round, so quoted risky text is risky too
    return text.lstrip("'").startswith(RISKY_START)


def neutralise(text: str) -> str:
    """Text a spreadsheet would run as a formula, made inert with a leading single quote."""
    return "'" + text if _risky(text) else text


def restore(text: str) -> str:
    """The text `neutralise` was given (for reading our own CSV back)."""
    return text[1:] if text.startswith("'") and _risky(text[1:]) else text


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


def _csv_cell(value: Any) -> str:
    if isinstance(value, bool | int | float):
        return _cell(value)
    return neutralise(_cell(value))


def render(rows: Sequence[dict[str, Any]], columns: Sequence[str], fmt: str = "table", *,
           widths: dict[str, int] | None = None) -> str:
    """Render rows; `widths` caps column widths in table form only (CSV and JSON are whole)."""
    if fmt == "json":
        return json.dumps([{c: row.get(c) for c in columns} for row in rows],
                          ensure_ascii=False, indent=2) + "\n"
    if fmt == "csv":
        lines = [_csv_line([neutralise(c) for c in columns])]
        lines += [_csv_line([_csv_cell(row.get(c)) for c in columns]) for row in rows]
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
