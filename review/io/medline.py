"""PubMed/MEDLINE format (.nbib, .txt): 'TAG - value' with 4-character padded tags,
6-space continuation lines, and a blank line between records."""

from __future__ import annotations

import re
from collections.abc import Iterable

from review.errors import InputError
from review.records import Candidates, Raw, Record, build_record

TAG_LINE = re.compile(r"^([A-Z][A-Z0-9]{1,3}) {0,3}- ?(.*)$")
CONTINUATION = re.compile(r"^ {2,}\S")


def parse_medline(lines: Iterable[str], file: str) -> list[Record]:
    records: list[Record] = []
    raw: Raw | None = None
    start = 0
    last_tag: str | None = None

    def close() -> None:
        if raw:
            records.append(build_record(raw, medline_candidates(raw), format="medline", line=start))

    for number, line in enumerate(lines, start=1):
        if not line.strip():
            close()
            raw, last_tag = None, None
            continue
        match = TAG_LINE.match(line) if line[:1] != " " else None
        if match:
            tag, value = match.group(1), match.group(2).strip()
            if raw is None:
                raw, start = {}, number
            elif tag == "PMID":
                raise InputError(file, "a second PMID inside one record: the blank line between "
                                       "two records is missing", line=number)
            raw.setdefault(tag, []).append(value)
            last_tag = tag
        elif CONTINUATION.match(line) and raw is not None and last_tag is not None:
            values = raw[last_tag]
            values[-1] = f"{values[-1]} {line.strip()}".strip()
        else:
            raise InputError(file, "expected a MEDLINE tag line ('TAG - value') or an indented "
                                   f"continuation line, found {line.strip()[:60]!r}", line=number)
    close()
    return records


def _tagged(values: list[str], marker: str) -> list[str]:
    return [v for v in values if v.lower().endswith(f"[{marker}]")]


def medline_candidates(raw: Raw) -> Candidates:
    get = raw.get
    ids = get("LID", []) + get("AID", [])
    return {
        "title": get("TI", []) + get("BTI", []),
        "authors": get("FAU", []) or get("AU", []),
        "year": get("DP", []) + get("DEP", []) + get("EDAT", []),
        "journal": get("JT", []) + get("TA", []),
        "journal_abbrev": get("TA", []),
        "volume": get("VI", []),
        "issue": get("IP", []),
        "pages_start": get("PG", []),
        "doi": _tagged(ids, "doi"),
        "pmid": get("PMID", []),
        "issn": get("IS", []),
        "isbn": get("ISBN", []),
        "abstract": get("AB", []),
        "keywords": get("OT", []) + get("MH", []),
        "url": [],
        "language": get("LA", []),
        "pub_type": get("PT", []),
        "publisher": get("PB", []),
        "accession": get("PMID", []),
    }
