"""Files of coded extracts for `review extract --extracts FILE`: CSV (a header row naming the
columns) or JSON (a list of objects, or {"extracts": [...]}), one extract per row or object
with theme, quote, location, voice and sub_theme. theme and quote are required; an empty
location is filled in from the study's PDFs where the quote is found there
(review.extraction.quotes). Errors name the file and the line (CSV, and JSON syntax) or the
extract's number (JSON objects). Checking the values against the review's themes is
review.extraction.entries' job; this module only reads.
"""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path
from typing import Any

from review.errors import InputError

__all__ = ["COLUMNS", "read_extracts"]

COLUMNS = ("theme", "quote", "location", "voice", "sub_theme")
_ALIASES = {"sub-theme": "sub_theme", "subtheme": "sub_theme", "sub theme": "sub_theme",
            "page": "location"}


def _column(name: str) -> str:
    key = " ".join((name or "").strip().casefold().split())
    return _ALIASES.get(key, key)


def _row(file: str, where: str, line: int | None, item: Any) -> dict[str, str]:
    """One extract's columns; `where` starts each message ("extract 2: ", or "" with a line)."""
    if not isinstance(item, dict):
        raise InputError(file, f"{where}expected an object with {', '.join(COLUMNS)}", line)
    found: dict[str, str] = {}
    for key, value in item.items():
        column = _column(str(key))
        if column not in COLUMNS:
            raise InputError(file, f"{where}unknown column {key!r} (columns: "
                                   f"{', '.join(COLUMNS)})", line)
        if value is not None and not isinstance(value, str):
            raise InputError(file, f"{where}{column} is text, got {value!r}", line)
        found[column] = (value or "").strip()
    for column in ("theme", "quote"):
        if not found.get(column):
            raise InputError(file, f"{where}{column} is empty; every extract needs its "
                                   "theme and quote", line)
    return found


def read_extracts(path: str | Path) -> list[tuple[str, dict[str, str]]]:
    """(where, extract) per extract in the file, where being "FILE, line N" or "FILE,
    extract N" for messages about it later."""
    file = str(path)
    try:
        text = Path(path).read_bytes().decode("utf-8-sig")
    except OSError as exc:
        raise InputError(file, f"cannot read the file: {exc.strerror}") from None
    except UnicodeDecodeError:
        raise InputError(file, "not UTF-8 text; save it as UTF-8 (CSV UTF-8 in Excel)") from None
    if file.lower().endswith(".json"):
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise InputError(file, exc.msg, exc.lineno) from None
        if isinstance(data, dict) and set(data) == {"extracts"}:
            data = data["extracts"]
        if not isinstance(data, list):
            raise InputError(file, 'expected a list of extracts, or {"extracts": [...]}')
        return [(f"{file}, extract {n}", _row(file, f"extract {n}: ", None, item))
                for n, item in enumerate(data, start=1)]
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = next(reader)
    except StopIteration:
        raise InputError(file, "the file is empty; the first line names the columns "
                               f"({', '.join(COLUMNS)})") from None
    except csv.Error as exc:
        raise InputError(file, str(exc), 1) from None
    columns = [_column(c) for c in header]
    for required in ("theme", "quote"):
        if required not in columns:
            raise InputError(file, f"no {required} column; the first line names the columns "
                                   f"({', '.join(COLUMNS)})", 1)
    found = []
    try:
        for values in reader:
            line = reader.line_num
            if not any(v.strip() for v in values):
                continue
            if len(values) > len(columns):
                raise InputError(file, f"{len(values)} values for {len(columns)} columns", line)
            item = dict(zip(header, values, strict=False))
            found.append((f"{file}, line {line}", _row(file, "", line, item)))
    except csv.Error as exc:
        raise InputError(file, str(exc), reader.line_num) from None
    return found
