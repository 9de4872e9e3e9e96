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
from dataclasses import dataclass
from functools import lru_cache

import rispy

from review.errors import InputError
from review.records import Candidates, Raw, Record, build_record

TAG_LINE = re.compile(r"^([A-Z][A-Z0-9]) {1,2}-(?: (.*)|\s*)$")

# Every tag TAG_LINE accepts, each one string object shared by all records (a tag per value
# would cost 50 bytes each, 60 MB on a 50,000-record export).
_TAGS = {sys.intern(a + b): sys.intern(a + b) for a in string.ascii_uppercase
         for b in string.ascii_uppercase + string.digits}
# The usual start of a tag line ('AU  - '), to its tag: one lookup tells most lines apart.
_HEADS = {f"{tag}  - ": tag for tag in _TAGS}
_BOUNDS = {"TY", "ER"}
# Short values recur from record to record (types, journals, years, keywords, databases);
# each distinct one is kept once per file, which saves 15% of the memory a read takes.
_SHARED_LENGTH = 32
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

    One loop over the lines, with a fast path for the common 'XX  - value' line inside a
    record; TAG_LINE decides the rest ('XX - value', a bare 'ER  -').
    """
    records: list[Record] = []
    heads = _HEADS.get
    strings: dict[str, str] = {}
    shared = strings.setdefault  # one str object per short value in the file
    tag_line = TAG_LINE.match
    raw: Raw | None = None  # the open record
    start = number = 0
    last_tag = ""
    last: list[str] = []  # the values of the open record's latest tag
    for block in blocks:
        for line in block:
            number += 1
            tag = heads(line[:6])
            if tag is not None and raw is not None and tag not in _BOUNDS:  # most lines
                value = line[6:].strip()
                if len(value) <= _SHARED_LENGTH:
                    value = shared(value, value)
                last_tag = tag
                last = raw.get(tag)  # type: ignore[assignment]
                if last is None:
                    last = raw[tag] = [value]
                else:
                    last.append(value)
                continue
            if tag is not None:
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


def _values(raw: Raw, tags: tuple[str, ...]) -> list[str]:
    """Every value of these tags (each present in `raw`), best tag first.

    Empty values stay in: every normaliser passes over them. A single tag's list is handed on
    as it is, not copied, since candidates are only read.
    """
    if len(tags) == 1:
        return raw[tags[0]]
    found: list[str] = []
    for tag in tags:
        found += raw[tag]
    return found


# Where each normalised field lives, best tag first, in the RIS dialects of Ovid, EBSCO, Embase,
# WoS, ProQuest, PubMed-via-EndNote, Zotero, Google Scholar and Scopus.
_FIELD_TAGS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("authors", ("AU", "A1")),
    ("year", ("PY", "Y1", "DA", "Y2")),
    ("journal", ("JF", "T2", "JO", "JA", "J2", "J1", "BT")),
    ("journal_abbrev", ("J2", "JA", "J9", "JI", "J1", "JO")),
    ("volume", ("VL",)),
    ("issue", ("IS", "CP")),
    ("pages_start", ("SP",)),
    ("pages_end", ("EP",)),
    ("issn", ("SN",)),
    ("isbn", ("BN",)),
    ("abstract", ("AB", "N2")),
    ("keywords", ("KW", "DE")),
    ("language", ("LA",)),
    ("publisher", ("PB", "PU")),
    ("accession", ("AN", "ID", "U2", "UT")),
)
_TITLE = ("TI", "T1", "CT", "BT")
_CHAPTER_TITLE = ("TI", "T1")  # in a chapter, BT is the book's title
_URL = ("UR", "L2", "LK", "L1")
_DOI = ("DO", "DI", "L3", "M3", "N1")
_SOURCE_DB = ("DB", "DP")
_MEDLINE_ID = ("AN", "ID", "C2")
_PMID_NOTE = ("N1", "M1", "C2", "AN")
_PUB_TYPE = ("M3", "PT", "DT")


@dataclass(frozen=True, slots=True)
class _Plan:
    """Which of the tags above a record has. Records of one export share a few sets of tags,
    so each set is worked out once, not for every record."""

    one_tag: tuple[tuple[str, str], ...]  # fields fed by one present tag
    tags: tuple[tuple[str, tuple[str, ...]], ...]  # fields fed by several
    title: tuple[str, ...]
    chapter_title: tuple[str, ...]
    url: tuple[str, ...]
    doi: tuple[str, ...]
    source_db: tuple[str, ...]
    medline_id: tuple[str, ...]
    pmid_note: tuple[str, ...]
    pub_type: tuple[str, ...]


@lru_cache(maxsize=1024)
def _plan(present: frozenset[str]) -> _Plan:
    def having(tags: tuple[str, ...]) -> tuple[str, ...]:
        return tuple(tag for tag in tags if tag in present)

    fields = [(field, having(tags)) for field, tags in _FIELD_TAGS]
    return _Plan(tuple((field, tags[0]) for field, tags in fields if len(tags) == 1),
                 tuple((field, tags) for field, tags in fields if len(tags) > 1),
                 having(_TITLE), having(_CHAPTER_TITLE), having(_URL), having(_DOI),
                 having(_SOURCE_DB), having(_MEDLINE_ID), having(_PMID_NOTE), having(_PUB_TYPE))


def ris_candidates(raw: Raw) -> Candidates:
    """Where each normalised field lives in the RIS dialects of Ovid, EBSCO, Embase, WoS,
    ProQuest, PubMed-via-EndNote, Zotero, Google Scholar and Scopus. A field no tag feeds is
    left out."""
    plan = _plan(frozenset(raw))
    ty = (raw.get("TY") or [""])[0].upper()
    found = {field: raw[tag] for field, tag in plan.one_tag}
    for field, tags in plan.tags:
        found[field] = _values(raw, tags)
    found["title"] = _values(raw, plan.chapter_title if ty in {"CHAP", "CHAPTER"} else plan.title)
    found["pub_type"] = _values(raw, plan.pub_type) + [ty]
    urls = _values(raw, plan.url)
    if not urls:
        found["doi"] = _values(raw, plan.doi)
    else:
        lowered = [u.lower() for u in urls]
        found["doi"] = _values(raw, plan.doi) + [u for u, low in zip(urls, lowered, strict=True)
                                                 if "doi" in low]
        found["url"] = [u for u, low in zip(urls, lowered, strict=True)
                        if "doi.org" not in low] + urls
    pmid = [v for v in _values(raw, plan.pmid_note) if "pmid" in v.lower()]
    if plan.source_db and plan.medline_id:
        source_db = " ".join(_values(raw, plan.source_db)).lower()
        if "nlm" in source_db or "pubmed" in source_db or "medline" in source_db:
            pmid = _values(raw, plan.medline_id) + pmid
    if urls:
        pmid += [u for u, low in zip(urls, lowered, strict=True) if "pubmed" in low]
    found["pmid"] = pmid
    return found


class _UnnumberedWriter(rispy.RisWriter):
    """rispy's writer without its "1." line before each record: every record starts at TY."""

    def set_header(self, count: int) -> str:
        return ""


def write_ris(entries: Iterable[Raw], *, numbered: bool = True) -> str:
    """RIS text from raw tag dicts (every value of every tag), through rispy's writer; with
    numbered=False, no "n." line before each record (for reference managers)."""
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
    writer = rispy.RisWriter if numbered else _UnnumberedWriter
    return rispy.dumps(refs, implementation=writer, mapping=mapping, list_tags=sorted(tags),
                       delimiter_tags_mapping={})


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
