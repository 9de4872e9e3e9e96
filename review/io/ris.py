"""RIS reading and writing (writing through rispy).

Real exports break rispy's trust in the file: it drops the first record after a UTF-8 BOM,
keeps only the first of a repeated non-list tag, silently drops tagged lines between records and
merges two records when an ER is missing. So we read RIS with our own line parser, one pass and
one record at a time: it finds each record's bounds (with its line number), joins continuation
lines, skips the text databases put between records (Ovid's '1.' and 'Link to the Ovid Full
Text' lines), keeps every value of every tag, and refuses structural damage with the file and
line.
"""

from __future__ import annotations

import re
import string
import sys
from collections.abc import Iterable

import rispy

from review.errors import InputError
from review.records import Candidates, Raw, Record, build_record

TAG_LINE = re.compile(r"^([A-Z][A-Z0-9]) {1,2}-(?: (.*)|\s*)$")

# Every tag TAG_LINE accepts, each one string object shared by all records (a tag per value
# would cost 50 bytes each, 60 MB on a 50,000-record export).
_TAGS = {sys.intern(a + b): sys.intern(a + b) for a in string.ascii_uppercase
         for b in string.ascii_uppercase + string.digits}
# Tags whose continuation lines are separate values (EndNote puts one MeSH term per line).
_LINE_PER_VALUE = {"KW", "AU", "A1", "A2", "A3", "A4"}
# Outside a record, these tags can only mean a record lost its TY line.
_RECORD_TAGS = {"TI", "T1", "AU", "A1", "AB", "N2", "PY", "Y1", "DO", "JF", "JO", "T2", "VL", "SP"}


def parse_ris(lines: Iterable[str], file: str) -> list[Record]:
    """Records of an RIS file's lines, each with its raw tags, normalised fields and first
    line."""
    return parse_ris_blocks((lines,), file)


def parse_ris_blocks(blocks: Iterable[Iterable[str]], file: str) -> list[Record]:
    """Records from blocks of consecutive lines (a streamed file's chunks); raise on damage.

    One loop over the lines, with a fast path for the common 'XX  - value' line; TAG_LINE
    decides the rest ('XX - value', a bare 'ER  -').
    """
    records: list[Record] = []
    tags = _TAGS.get
    tag_line = TAG_LINE.match
    raw: Raw | None = None  # the open record
    start = number = 0
    last_tag = ""
    last: list[str] = []  # the values of the open record's latest tag
    for block in blocks:
        for line in block:
            number += 1
            if line[2:6] == "  - " and (tag := tags(line[:2])) is not None:
                value = line[6:].strip()
            elif match := tag_line(line):
                tag = _TAGS[match.group(1)]
                value = (match.group(2) or "").strip()
            elif raw is None:
                continue  # numbering, links and notes that databases put between records
            else:
                text = line.strip()
                if text:  # a continuation line
                    if last_tag in _LINE_PER_VALUE:
                        last.append(text)
                    else:
                        last[-1] = f"{last[-1]}\n{text}" if last[-1] else text
                continue
            if raw is None:
                if tag == "TY":
                    start, last_tag, last = number, tag, [value]
                    raw = {tag: last}
                elif tag == "ER":
                    raise InputError(file, "ER (end of record) with no record open: a TY line "
                                           "is missing above it", line=number)
                elif tag in _RECORD_TAGS:
                    raise InputError(file, f"{tag} line outside any record: the record's TY line "
                                           "is missing or an ER came too early", line=number)
                continue
            if tag == "ER":
                records.append(build_record(raw, ris_candidates(raw), format="ris", line=start))
                raw = None
            elif tag == "TY":
                raise InputError(file, "a new record starts (TY) before the record that started "
                                       f"at line {start} ended with ER; the ER line is missing",
                                 line=number)
            else:
                last_tag = tag
                last = raw.get(tag)  # type: ignore[assignment]
                if last is None:
                    last = raw[tag] = [value]
                else:
                    last.append(value)
    if raw is not None:
        raise InputError(file, f"the file ends inside the record that started at line {start} "
                               "(no ER line): is the file truncated?", line=number)
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
