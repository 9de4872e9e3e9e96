"""RIS reading (through rispy) and writing.

rispy parses tag lines well but trusts the file: it drops the first record after a UTF-8 BOM,
keeps only the first of a repeated non-list tag, silently drops tagged lines between records and
merges two records when an ER is missing. So we walk the lines first: we find each record's
bounds (with its line number), join continuation lines, skip the text databases put between
records (Ovid's '1.' and 'Link to the Ovid Full Text' lines), and refuse structural damage with
the file and line. rispy then parses each clean record with every tag read as a list, so no
value is ever lost.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator

import rispy

from review.errors import InputError
from review.records import Candidates, Raw, Record, build_record

TAG_LINE = re.compile(r"^([A-Z][A-Z0-9]) {1,2}-(?: (.*)|\s*)$")

# Tags whose continuation lines are separate values (EndNote puts one MeSH term per line).
_LINE_PER_VALUE = {"KW", "AU", "A1", "A2", "A3", "A4"}
# Outside a record, these tags can only mean a record lost its TY line.
_RECORD_TAGS = {"TI", "T1", "AU", "A1", "AB", "N2", "PY", "Y1", "DO", "JF", "JO", "T2", "VL", "SP"}


class _Identity(dict):
    """rispy mapping that names every tag by itself, so unknown tags are kept as they are."""

    def __missing__(self, key: str) -> str:
        return key


class _Everything(list):
    """rispy list_tags that holds every tag: repeated tags keep all their values."""

    def __contains__(self, item: object) -> bool:
        return True


def _records(lines: Iterable[str], file: str) -> Iterator[tuple[int, list[str]]]:
    """Yield (first line number, clean 'XX  - value' lines) per record; raise on damage."""
    start: int | None = None
    body: list[str] = []
    last_tag: str | None = None
    number = 0
    for number, line in enumerate(lines, start=1):
        match = TAG_LINE.match(line)
        if start is None:
            if match and match.group(1) == "TY":
                start, body, last_tag = number, [f"TY  - {(match.group(2) or '').strip()}"], "TY"
            elif match and match.group(1) == "ER":
                raise InputError(file, "ER (end of record) with no record open: a TY line is "
                                       "missing above it", line=number)
            elif match and match.group(1) in _RECORD_TAGS:
                raise InputError(file, f"{match.group(1)} line outside any record: the record's "
                                       "TY line is missing or an ER came too early", line=number)
            continue  # numbering, links and notes that databases put between records
        if not match:
            text = line.strip()
            if text and last_tag is not None:
                if last_tag in _LINE_PER_VALUE:
                    body.append(f"{last_tag}  - {text}")
                else:
                    body[-1] = f"{body[-1]}\n{text}"
            continue
        tag, value = match.group(1), (match.group(2) or "").strip()
        if tag == "TY":
            raise InputError(file, "a new record starts (TY) before the record that started at "
                                   f"line {start} ended with ER; the ER line is missing",
                             line=number)
        if tag == "ER":
            body.append("ER  - ")
            yield start, body
            start, body, last_tag = None, [], None
            continue
        body.append(f"{tag}  - {value}")
        last_tag = tag
    if start is not None:
        raise InputError(file, f"the file ends inside the record that started at line {start} "
                               "(no ER line): is the file truncated?", line=number)


def parse_ris(lines: Iterable[str], file: str) -> list[Record]:
    """Records of an RIS file, each with its raw tags, normalised fields and first line."""
    parser = rispy.RisParser(mapping=_Identity(), list_tags=_Everything(),
                             delimiter_tags_mapping={}, enforce_list_tags=True)
    records = []
    for start, body in _records(lines, file):
        parsed = parser.parse_lines(iter(body))
        if len(parsed) != 1:  # our bounds and rispy's must agree, or we would lose data
            raise InputError(file, f"RIS record unclear: rispy read {len(parsed)} records "
                                   "where one was expected", line=start)
        raw: Raw = {tag: (value if isinstance(value, list) else [value])
                    for tag, value in parsed[0].items()}
        records.append(build_record(raw, ris_candidates(raw), format="ris", line=start))
    return records


def _values(raw: Raw, *tags: str) -> list[str]:
    return [v for tag in tags for v in raw.get(tag, []) if v]


def ris_candidates(raw: Raw) -> Candidates:
    """Where each normalised field lives in the RIS dialects of Ovid, EBSCO, Embase, WoS,
    ProQuest, PubMed-via-EndNote, Zotero, Google Scholar and Scopus."""
    ty = (raw.get("TY") or [""])[0].upper()
    in_book = ty in {"CHAP", "CHAPTER"}
    source_db = " ".join(_values(raw, "DB", "DP")).lower()
    medline = any(word in source_db for word in ("nlm", "pubmed", "medline"))
    urls = _values(raw, "UR", "L2", "LK", "L1")
    return {
        "title": _values(raw, "TI", "T1", "CT", "BT") if not in_book else _values(raw, "TI", "T1"),
        "authors": _values(raw, "AU", "A1"),
        "year": _values(raw, "PY", "Y1", "DA", "Y2"),
        "journal": _values(raw, "JF", "T2", "JO", "JA", "J2", "J1", "BT"),
        "journal_abbrev": _values(raw, "J2", "JA", "J9", "JI", "J1", "JO"),
        "volume": _values(raw, "VL"),
        "issue": _values(raw, "IS", "CP"),
        "pages_start": _values(raw, "SP"),
        "pages_end": _values(raw, "EP"),
        "doi": _values(raw, "DO", "DI", "L3", "M3", "N1") + [u for u in urls if "doi" in u.lower()],
        "pmid": ([v for v in _values(raw, "AN", "ID", "C2") if medline]
                 + [v for v in _values(raw, "N1", "M1", "C2", "AN") if "pmid" in v.lower()]
                 + [u for u in urls if "pubmed" in u.lower()]),
        "issn": _values(raw, "SN"),
        "isbn": _values(raw, "BN"),
        "abstract": _values(raw, "AB", "N2"),
        "keywords": _values(raw, "KW", "DE"),
        "url": [u for u in urls if "doi.org" not in u.lower()] + urls,
        "language": _values(raw, "LA"),
        "pub_type": _values(raw, "M3", "PT", "DT") + [ty],
        "publisher": _values(raw, "PB", "PU"),
        "accession": _values(raw, "AN", "ID", "U2", "UT"),
    }


def write_ris(entries: Iterable[Raw]) -> str:
    """RIS text from raw tag dicts (every value of every tag), through rispy's writer."""
    refs: list[dict[str, object]] = []
    tags: set[str] = set()
    for raw in entries:
        ref: dict[str, object] = {"type_of_reference": (raw.get("TY") or ["GEN"])[0]}
        for tag, values in raw.items():
            if tag not in ("TY", "ER") and values:
                ref[tag.lower()] = list(values)
                tags.add(tag)
        refs.append(ref)
    mapping = {tag: tag.lower() for tag in tags}
    mapping["TY"] = "type_of_reference"
    return rispy.dumps(refs, mapping=mapping, list_tags=sorted(tags), delimiter_tags_mapping={})


_TY_FOR_TYPE = {
    "journal article": "JOUR", "review": "JOUR", "conference abstract": "ABST",
    "conference paper": "CPAPER", "book": "BOOK", "book chapter": "CHAP", "report": "RPRT",
    "thesis": "THES", "web page": "ELEC", "comment": "JOUR", "erratum": "JOUR",
    "retraction": "JOUR", "protocol": "JOUR", "preprint": "JOUR",
}


def record_to_ris(record: Record) -> Raw:
    """RIS tags carrying a record's normalised fields, for records that did not come from RIS
    (reading them back gives the same normalised fields)."""
    raw: Raw = {"TY": [_TY_FOR_TYPE.get(record.pub_type or "", "GEN" if not record.journal
                                        else "JOUR")]}

    def put(tag: str, *values: object) -> None:
        kept = [str(v) for v in values if v not in (None, "")]
        if kept:
            raw.setdefault(tag, []).extend(kept)

    put("TI", record.title)
    put("AU", *record.authors)
    put("PY", record.year)
    put("JF", record.journal)
    put("J2", record.journal_abbrev)
    put("VL", record.volume)
    put("IS", record.issue)
    put("SP", record.pages_start)
    put("EP", record.pages_end)
    put("DO", record.doi)
    put("SN", *record.issn, *record.isbn)
    put("AB", record.abstract)
    put("KW", *record.keywords)
    put("UR", record.url)
    put("LA", record.language)
    put("M3", record.pub_type)
    put("PB", record.publisher)
    put("AN", record.accession)
    if record.pmid:
        put("N1", f"PMID: {record.pmid}")
    return raw
