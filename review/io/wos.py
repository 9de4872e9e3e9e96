"""Web of Science tagged export (.ciw, 'Plain text' .txt): two-letter tags followed by one space,
3-space continuation lines, PT ... ER per record, FN/VR header and EF at the end.

rispy's WokParser fails on tags missing from its mapping (Z8, ZB, ZR, ZS) and keeps only the
first line of multi-line fields, so this reader is our own.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from review.errors import InputError
from review.records import Candidates, Raw, Record, build_record

TAG_LINE = re.compile(r"^([A-Z][A-Z0-9])(?: (.*))?$")
# Continuation lines of these tags are separate values (one author or reference per line).
_LINE_PER_VALUE = {"AU", "AF", "BA", "BF", "CA", "GP", "ED", "CR", "C1", "C3", "RI", "OI", "EM"}
_HEADER = {"FN", "VR", "EF"}


def parse_wos(lines: Iterable[str], file: str) -> list[Record]:
    records: list[Record] = []
    raw: Raw | None = None
    start = 0
    last_tag: str | None = None
    number = 0
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        if line.startswith("   ") or line.startswith("\t"):
            if raw is None or last_tag is None:
                raise InputError(file, "continuation line outside a record", line=number)
            text = line.strip()
            if last_tag in _LINE_PER_VALUE:
                raw[last_tag].append(text)
            else:
                raw[last_tag][-1] = f"{raw[last_tag][-1]} {text}"
            continue
        match = TAG_LINE.match(line.rstrip())
        if not match:
            raise InputError(file, f"expected a two-letter tag, found {line.strip()[:60]!r}",
                             line=number)
        tag, value = match.group(1), (match.group(2) or "").strip()
        if raw is None:
            if tag == "PT":
                raw, start, last_tag = {"PT": [value]}, number, "PT"
            elif tag == "ER":
                raise InputError(file, "ER with no record open: a PT line is missing", line=number)
            elif tag not in _HEADER:
                raise InputError(file, f"{tag} line outside any record: the record's PT line is "
                                       "missing or an ER came too early", line=number)
            continue
        if tag == "PT":
            raise InputError(file, "a new record starts (PT) before the record that started at "
                                   f"line {start} ended with ER; the ER line is missing",
                             line=number)
        if tag == "ER":
            records.append(build_record(raw, wos_candidates(raw), format="wos", line=start))
            raw, last_tag = None, None
            continue
        if tag == "EF":
            break
        raw.setdefault(tag, []).append(value)
        last_tag = tag
    if raw is not None:
        raise InputError(file, f"the file ends inside the record that started at line {start} "
                               "(no ER line): is the file truncated?", line=number)
    return records


def wos_candidates(raw: Raw) -> Candidates:
    get = raw.get
    return {
        "title": get("TI", []),
        "authors": get("AU", []) or get("AF", []),
        "year": get("PY", []) + get("PD", []) + get("EA", []),
        "journal": get("SO", []) + get("SE", []),
        "journal_abbrev": get("JI", []) + get("J9", []),
        "volume": get("VL", []),
        "issue": get("IS", []),
        "pages_start": get("BP", []) + [v.removeprefix("UNSP ") for v in get("AR", [])],
        "pages_end": get("EP", []),
        "doi": get("DI", []) + get("D2", []),
        "pmid": get("PM", []),
        "issn": get("SN", []) + get("EI", []),
        "isbn": get("BN", []),
        "abstract": get("AB", []),
        "keywords": get("DE", []) + get("ID", []),
        "url": [],
        "language": get("LA", []),
        "pub_type": get("DT", []) + get("PT", []),
        "publisher": get("PU", []),
        "accession": get("UT", []),
    }
