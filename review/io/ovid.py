"""Ovid's own tagged format: what Ovid (Embase, MEDLINE, PsycINFO, ...) writes for its "Citavi"
and "Reference Manager" export options (.ovd) and, on Embase, its "EndNote" option (.cgi);
often saved or renamed as .txt or .ris.

Each record starts with its number in angle brackets (`<3001. >`), then 'XX  - value' lines
with Ovid's field labels (VN, DB, UI, TI, SO, AU, IN, MH, AB, DO, YR, PT, ...); a value that
goes on is continued on lines indented by six spaces (the EndNote option starts each section
of a structured abstract on an unindented line instead); a blank line follows each record.
There is no TY and no ER, so the RIS reader cannot take it. Text before the first record (the
search history, when the export includes it) is not part of any record and is skipped.
"""

from __future__ import annotations

import re
import string
import sys
from collections.abc import Iterable

from review.errors import InputError
from review.records import Candidates, Raw, Record, build_record

RECORD_START = re.compile(r"^<\s*(\d+)\s*\.\s*>\s*$")
TAG_LINE = re.compile(r"^([A-Z][A-Z0-9]) {1,2}-(?: (.*)|\s*)$")
# The usual start of a field line ('AU  - '), to its tag (one string per tag, shared by every
# record): one dict lookup tells most lines apart, as in the RIS reader.
_HEADS = {f"{a}{b}  - ": sys.intern(a + b) for a in string.ascii_uppercase
          for b in string.ascii_uppercase + string.digits}
# Short values recur from record to record (databases, languages, headings, years): each
# distinct one is kept once per file.
_SHARED_LENGTH = 32
# Continuation lines of these fields are further values (one institution, author or heading
# a line), not the same value wrapped.
_LINE_PER_VALUE = {"IN", "AD", "AU", "FA", "ED", "MH", "KW", "OD", "CC"}
# Databases whose UI/AN is the PubMed id.
_PUBMED_DATABASES = ("medline", "pubmed")
# Ovid's labels after a Journals@Ovid title: 'Title.  [Article]'
_TITLE_LABEL = re.compile(r"\s*\[(?:Article|Report|Miscellaneous|References|Editorial|Letter"
                          r"|Review|Abstract)\]\s*$")
# An author's footnote marks and roles, as Journals@Ovid and BIOSIS give them:
# 'Zhang, Weijia 1,2,+', 'Walsdorf, Neill B. [Inventor, Reprint Author]'
_AUTHOR_MARKS = re.compile(r"\s*\[[^\]]*\]\s*$|[\s\d,+*\u2020\u2021]+$")
# Degrees after a full name ('Gazic, Barbara MD, PhD'); only after 'Surname, Given', since in
# 'Smith MD' the MD are initials.
_DEGREES = r"(?:MD|PhD|Ph\.D\.?|MSc|BSc|MPH|MBBS|RN|DPhil|FACSM)"
# Whether a name has anything of the above to take off (most have not).
_AUTHOR_NOISY = re.compile(r"[\[\d+*,\u2020\u2021]\s*$|\[|\d|\s" + _DEGREES + r"\W*$")
_AUTHOR_DEGREE = re.compile(r"^([^,]+,\s*\S.*?\S),?\s+" + _DEGREES + "$")


def parse_ovid(lines: Iterable[str], file: str) -> list[Record]:
    """Records of an Ovid tagged file, each with its raw fields and the line of its `<N. >`."""
    records: list[Record] = []
    raw: Raw | None = None
    start = number = 0
    label = ""
    last: list[str] | None = None  # the values of the open record's latest field
    last_tag = ""
    heads = _HEADS.get
    strings: dict[str, str] = {}
    shared = strings.setdefault

    def close() -> None:
        if raw is None:
            return
        if not raw:
            raise InputError(file, f"record {label} has no fields: is the file cut short or "
                                   "the record damaged?", line=start)
        records.append(build_record(raw, ovid_candidates(raw), format="ovid", line=start))

    for number, line in enumerate(lines, start=1):
        tag = heads(line[:6])
        if tag is not None and raw is not None and (tag != "VN" or "VN" not in raw):  # most
            value = line[6:].strip()
            if len(value) <= _SHARED_LENGTH:
                value = shared(value, value)
            last = raw.get(tag)
            if last is None:
                last = raw[tag] = [value]
            else:
                last.append(value)
            last_tag = tag
            continue
        if not line.strip():
            continue
        mark = RECORD_START.match(line) if line[:1] == "<" else None
        if mark:
            close()
            raw, start, label, last, last_tag = {}, number, line.strip(), None, ""
            continue
        tagged = TAG_LINE.match(line) if line[:1] != " " else None
        if tagged:
            tag, value = tagged.group(1), (tagged.group(2) or "").strip()
            if raw is None or (tag == "VN" and "VN" in raw):
                if tag != "VN":
                    raise InputError(file, f"{tag} line outside any record: each record starts "
                                           "with its number, like '<1. >'", line=number)
                close()  # an export without record numbers: each record starts at VN
                raw, start, label = {}, number, f"at line {number}"
            last = raw.setdefault(tag, [])
            last.append(value)
            last_tag = tag
            continue
        if raw is None:
            if line[:1] == " ":
                raise InputError(file, "an indented continuation line outside any record: "
                                       "each record starts with its number, like '<1. >'",
                                 line=number)
            continue  # the search history or a heading before the first record
        if last is None:
            raise InputError(file, f"expected an Ovid field line ('XX  - value') after record "
                                   f"{label}, found {line.strip()[:60]!r}", line=number)
        text = line.strip()
        if last_tag in _LINE_PER_VALUE:
            last.append(text)
        else:
            last[-1] = f"{last[-1]} {text}" if last[-1] else text
    close()
    return records


def _strip_title_label(value: str) -> str:
    return _TITLE_LABEL.sub("", value)


def _heading(value: str) -> str:
    """'*Self-Injurious Behavior/th [Therapy]' as MEDLINE writes it:
    'Self-Injurious Behavior/therapy' (the star marks a major heading)."""
    if "[" not in value:
        return value.strip().lstrip("*")
    found = _HEADING.match(value.strip())
    if found:
        return f"{found.group(1)}/{found.group(2).lower()}"
    return value.strip().lstrip("*")


def _author(value: str) -> str:
    if not _AUTHOR_NOISY.search(value):  # most names: nothing to take off
        return value
    previous = None
    while previous != value:
        previous = value
        value = _AUTHOR_MARKS.sub("", value)
        value = _AUTHOR_DEGREE.sub(r"\1", value)
    return value


# Ovid's SO field, for records without separate journal, volume, issue and page fields:
#   Embase:  'Journal. 12 (3) (pp 100-110), 2018. Date of Publication: March 2018.'
#   MEDLINE: 'Journal of Affective Disorders. 245:123-130, 2019 Feb 15.'
_SO_JOURNAL = re.compile(r"^(.+?)\.\s+(?=\S)")
_SO_EMBASE = re.compile(r"\s(\d+)\s*(?:\((?!pp\b|no pagination)([^()]+)\))?"
                        r"\s*(?:\((?:pp\s*)?([^()]+)\))?,\s*\d{4}")
_SO_MEDLINE = re.compile(r"\.\s+(\d+)(?:\(([^()]+)\))?:([A-Za-z]?\d+[A-Za-z]?(?:-[A-Za-z]?\d+"
                         r"[A-Za-z]?)?),\s*\d{4}")
_NO_PAGES = ("no pagination", "no pagination specified")
# A MeSH heading with Ovid's subheading: '*Self-Injurious Behavior/th [Therapy]'
_HEADING = re.compile(r"^\*?(.+?)/\w+ \[([^\]]+)\]$")


def source_parts(source: str) -> dict[str, str]:
    """Journal, volume, issue and pages read from Ovid's SO text (those it holds)."""
    parts: dict[str, str] = {}
    text = " ".join(source.split())
    journal = _SO_JOURNAL.match(text)
    if journal:
        parts["journal"] = journal.group(1)
    found = _SO_MEDLINE.search(text) or _SO_EMBASE.search(text)
    if found:
        parts["volume"] = found.group(1)
        if found.group(2):
            parts["issue"] = found.group(2).strip()
        pages = (found.group(3) or "").strip()
        if pages and pages.lower() not in _NO_PAGES:
            parts["pages"] = pages
    return parts


def ovid_candidates(raw: Raw) -> Candidates:
    """Where each normalised field lives among Ovid's field labels (Embase, MEDLINE, PsycINFO,
    Journals@Ovid), with the SO text as the fallback for journal, volume, issue and pages."""
    get = raw.get
    so: dict[str, list[str]] = {}
    if not ("JN" in raw and "VO" in raw and "IP" in raw and "PG" in raw):  # only then read SO
        so = {key: [value] for key, value in source_parts(get("SO", [""])[0]).items()}
    databases = " ".join(get("DB", [])).lower()
    ids = get("UI", []) + get("AN", [])
    pmid = get("PM", []) + (ids if any(d in databases for d in _PUBMED_DATABASES) else [])
    pages = [p for p in get("PG", []) if p.strip().lower() not in _NO_PAGES]
    return {
        "title": [_strip_title_label(t) for t in get("TI", []) + get("OT", [])],
        "authors": [_author(a) for a in get("FA", []) or get("AU", [])],
        "year": get("YR", []) + get("DP", []) + get("EP", []),
        "journal": get("JN", []) + get("JT", []) + get("JX", []) + so.get("journal", []),
        "journal_abbrev": get("JA", []) + get("TA", []),
        "volume": get("VO", []) + get("VI", []) + so.get("volume", []),
        "issue": get("IP", []) + so.get("issue", []),
        "pages_start": pages + so.get("pages", []),
        "doi": get("DO", []) + get("DI", []),
        "pmid": pmid,
        "issn": get("IS", []) + get("ES", []) + get("IL", []),
        "isbn": get("IB", []) + get("BN", []),
        "abstract": get("AB", []),
        "keywords": get("KW", []) + [_heading(m) for m in get("MH", [])],
        "url": get("UR", []) + get("XL", []),
        "language": get("LG", []) + get("LA", []),
        "pub_type": get("PT", []) + get("DT", []),
        "publisher": get("PB", []) + get("PU", []),
        "accession": ids,
    }
