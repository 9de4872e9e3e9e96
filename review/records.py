"""The Record type and the normalisers that turn each database's raw tags into comparable fields.

Every reader produces the raw tags exactly as exported (every value of a repeated tag kept) and a
set of *candidates* per normalised field, in order of preference. `build_record` picks from the
candidates with the normalisers below, so every format shares one definition of "the DOI" or
"the first page", and dedupe, screening and PRISMA can rely on them.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, fields
from functools import lru_cache
from typing import Any
from urllib.parse import unquote

Raw = dict[str, list[str]]
Candidates = dict[str, list[str]]

LIST_FIELDS = ("authors", "issn", "isbn", "keywords")
TEXT_FIELDS = (
    "doi", "pmid", "title", "journal", "journal_abbrev", "volume", "issue", "pages_start",
    "pages_end", "abstract", "url", "language", "pub_type", "publisher", "accession",
)


@dataclass(slots=True)
class Record:
    """One imported record: the raw tags as exported, and normalised fields beside them."""

    raw: Raw
    format: str = ""
    line: int = 0
    doi: str | None = None
    pmid: str | None = None
    title: str | None = None
    authors: list[str] = field(default_factory=list)
    year: int | None = None
    journal: str | None = None
    journal_abbrev: str | None = None
    volume: str | None = None
    issue: str | None = None
    pages_start: str | None = None
    pages_end: str | None = None
    issn: list[str] = field(default_factory=list)
    isbn: list[str] = field(default_factory=list)
    abstract: str | None = None
    keywords: list[str] = field(default_factory=list)
    url: str | None = None
    language: str | None = None
    pub_type: str | None = None
    publisher: str | None = None
    accession: str | None = None

    def normalised(self) -> dict[str, Any]:
        """The normalised fields only (what gets compared, searched and shown)."""
        skip = {"raw", "format", "line"}
        return {f.name: getattr(self, f.name) for f in fields(self) if f.name not in skip}

    @property
    def pages(self) -> str | None:
        if self.pages_start and self.pages_end and self.pages_end != self.pages_start:
            return f"{self.pages_start}-{self.pages_end}"
        return self.pages_start


NORMALISED_FIELDS: tuple[str, ...] = tuple(Record(raw={}).normalised())


# --- text ---------------------------------------------------------------------------------

_DOUBLE_SPACE = re.compile("  ")  # re finds it faster than `in` in text full of single spaces


def _already_clean(value: str) -> bool:
    """True when collapsing whitespace would change nothing: ASCII text whose only whitespace
    is single spaces between words. Checked without splitting a long abstract into words."""
    return (value.isascii() and value[0] != " " and value[-1] != " "
            and "\n" not in value and "\r" not in value and "\t" not in value
            and "\x0b" not in value and "\x0c" not in value and "\x1c" not in value
            and "\x1d" not in value and "\x1e" not in value and "\x1f" not in value
            and _DOUBLE_SPACE.search(value) is None)


def clean_text(value: str | None) -> str | None:
    """Collapse whitespace (wrapped lines, tabs, non-breaking spaces); empty becomes None.

    Returns the very same string when nothing changes, so raw and normalised share memory.
    """
    if value is None:
        return None
    if len(value) > 80 and _already_clean(value):  # short ones split faster than we check
        return value
    text = " ".join(value.split())
    if text == value:
        return value
    return text or None


def clean_title(value: str | None) -> str | None:
    """Titles lose the final full stop some databases add (Ovid, PubMed), so copies compare."""
    text = clean_text(value)
    if text and text.endswith(".") and not text.endswith(".."):
        text = text[:-1].rstrip()
    return text or None


_COPYRIGHT = re.compile(
    r"^(copyright|\(c\)|©|\u00a9)|all rights reserved|is the property of .* and its content may not"
    r"|database record \(c\)|\(c\) \d{4}|© \d{4}",
    re.IGNORECASE,
)


def is_copyright_line(value: str) -> bool:
    """EBSCO and APA append a copyright statement as a second abstract; it is not the abstract."""
    text = value.strip()
    return len(text) < 400 and bool(_COPYRIGHT.search(text))


_ABSTRACT_TRAILER = re.compile(
    r"\s*(\[ABSTRACT FROM (AUTHOR|PUBLISHER)\]|\(Psyc(INFO|Info) Database Record \(c\)[^)]*\))\s*$",
)


def _drop_trailer(value: str) -> str:
    if value.rstrip().endswith(("]", ")")):
        return _ABSTRACT_TRAILER.sub("", value)
    return value


def pick_abstract(values: Iterable[str]) -> str | None:
    """The real abstract wins over copyright lines; among real ones the longest wins.

    Trailers that databases append ('[ABSTRACT FROM AUTHOR]', APA's copyright line) go, so
    copies of one abstract from different databases compare equal; the raw tag keeps them.
    """
    cleaned = [c for c in (clean_text(_drop_trailer(v)) for v in values) if c]
    real = [v for v in cleaned if not is_copyright_line(v)]
    pool = real or cleaned
    return max(pool, key=len) if pool else None


# --- identifiers --------------------------------------------------------------------------

_DOI = re.compile(r"10\.\d{4,9}/[^\s\"<>]+", re.IGNORECASE)


_DOI_TAG = re.compile(r"\[doi\]$", re.IGNORECASE)  # MEDLINE's '10.1/x [doi]'
_DOI_URL_SUFFIX = re.compile(r"/(pdf|full|abstract|epdf|epub|pdfdirect|suppinfo|html|"
                             r"full\.pdf|fulltext|references)/?$", re.IGNORECASE)


def normalise_doi(value: str | None) -> str | None:
    """Bare lower-case DOI from a DOI, a doi.org / dx.doi.org URL or any text holding one.

    Publisher URLs add a view to the DOI ('.../10.1002/dmrr.2604/pdf'); that suffix goes.
    """
    if not value:
        return None
    text = value
    for _ in range(3):  # link resolvers encode twice: %2528 -> %28 -> (
        if "%" not in text:
            break
        text = unquote(text)
    match = _DOI.search(text)
    if not match:
        return None
    doi = match.group(0)
    if doi.endswith("]"):
        doi = _DOI_TAG.sub("", doi)
    doi = doi.rstrip(".,;:]}'")
    while doi.endswith(")") and doi.count(")") > doi.count("("):  # '(see 10.1/x)'
        doi = doi[:-1].rstrip(".,;:")
    if "&" in doi and "doi.org" not in text.lower():
        doi = doi.split("&", 1)[0]  # a DOI inside a query string (Scopus links)
    doi = _DOI_URL_SUFFIX.sub("", doi)
    return doi.lower() or None


_PMID_TEXT = re.compile(r"(?:PMID|PubMed ID)\s*[:=]?\s*(\d{1,9})", re.IGNORECASE)
_PUBMED_URL = re.compile(r"(?:ncbi\.nlm\.nih\.gov/pubmed/|pubmed\.ncbi\.nlm\.nih\.gov/)(\d{1,9})")


def normalise_pmid(value: str | None) -> str | None:
    """A PubMed id from a bare number, 'PMID: 123' text or a PubMed URL; leading zeros dropped."""
    if not value:
        return None
    text = value.strip()
    if text.isdigit() and 0 < len(text) <= 9:
        return str(int(text))
    for pattern in (_PMID_TEXT, _PUBMED_URL):
        match = pattern.search(text)
        if match:
            return str(int(match.group(1)))
    return None


def _isbn_ok(digits: str) -> bool:
    if len(digits) == 10:
        total = sum((10 - i) * (10 if c in "Xx" else int(c)) for i, c in enumerate(digits))
        return total % 11 == 0
    if len(digits) == 13 and digits.isdigit():
        total = sum((1 if i % 2 == 0 else 3) * int(c) for i, c in enumerate(digits))
        return total % 10 == 0
    return False


_ID_SEPARATOR = re.compile(r"[;,\s]+(?=\S*\d)")
_QUALIFIER = re.compile(r"\(.*?\)")
_NOT_ID_CHAR = re.compile(r"[^0-9Xx]")


def split_issn_isbn(values: Iterable[str]) -> tuple[list[str], list[str]]:
    """Databases put ISSNs and ISBNs in one tag (RIS SN); tell them apart by length and checksum.

    Returns (issns as NNNN-NNNX, isbns as bare digits). Qualifiers such as '(Linking)' go.
    """
    issns: list[str] = []
    isbns: list[str] = []
    for value in values:
        for part in _ID_SEPARATOR.split(value):
            if "(" in part:
                part = _QUALIFIER.sub("", part)
            compact = _NOT_ID_CHAR.sub("", part).upper()
            if len(compact) == 8:
                issn = f"{compact[:4]}-{compact[4:]}"
                if issn not in issns:
                    issns.append(issn)
            elif len(compact) in (10, 13) and _isbn_ok(compact):
                if compact not in isbns:
                    isbns.append(compact)
    return issns, isbns


# --- bibliographic fields -----------------------------------------------------------------

_YEAR = re.compile(r"(?<!\d)(1[5-9]\d\d|20\d\d)(?!\d)")


def normalise_year(value: str | None) -> int | None:
    """First plausible year in '2016/09//', '2019 Mar 12', '2014//', '2020'."""
    if not value:
        return None
    match = _YEAR.search(value)
    return int(match.group(1)) if match else None


_PAGE_PREFIX = re.compile(r"^\s*(?:pp?\.?|pages?)\s*", re.IGNORECASE)
_PAGE_SPLIT = re.compile(r"\s*[-\u2010-\u2015\u2212]+\s*")
_PAGE_PARTS = re.compile(r"^([A-Za-z]*)(\d+)([A-Za-z]*)$")


def normalise_pages(start: str | None, end: str | None = None) -> tuple[str | None, str | None]:
    """Start and end page; '123-9' means 123-129 and 'S12-9' means S12-S19."""
    if start:
        if "p" in start or "P" in start:  # only then can there be a 'pp.' prefix
            start = _PAGE_PREFIX.sub("", start)
        start = clean_text(start)
    end = clean_text(end) if end else None
    if start and not end:
        parts = _PAGE_SPLIT.split(start, maxsplit=1)
        if len(parts) == 2 and parts[0] and parts[1]:
            start, end = parts
        else:
            start = start.rstrip("-\u2013 ") or None
    if not start:
        return None, end
    if end:
        s, e = _PAGE_PARTS.match(start), _PAGE_PARTS.match(end)
        if s and e:
            s_digits, e_digits = s.group(2), e.group(2)
            if len(e_digits) < len(s_digits):
                expanded = s_digits[: len(s_digits) - len(e_digits)] + e_digits
                if int(expanded) >= int(s_digits):
                    e_digits = expanded
            end = f"{e.group(1) or s.group(1)}{e_digits}{e.group(3)}"
        if end == start:
            end = None
    return start, end


_CORPORATE = re.compile(
    r"\b(network|trust|group|society|organi[sz]ation|association|institute|council|committee"
    r"|collaborat\w*|consortium|foundation|department|ministry|service|centre|center|charity"
    r"|university|project|team|alliance|nhs|who)\b",
    re.IGNORECASE,
)
_ANONYMOUS = {"anonymous", "anon", "no authorship indicated", "et al"}
_PARTICLES = {"van", "von", "der", "den", "de", "del", "della", "da", "di", "du", "la", "le", "ter",
              "ten", "bin", "al", "el", "dos", "das", "mac"}


def _initials(given: str, mixed_case: bool) -> str:
    """'Jane A' -> JA. Upper-case blocks are initials already: 'JA' always, 'KCDLR' in a
    mixed-case name; in an all-capitals name only two letters ('SMITH, JOHN' -> J)."""
    letters: list[str] = []
    for part in re.split(r"[\s.\-]+", given.strip()):
        if part.isupper() and part.isalpha() and (len(part) <= 2 or mixed_case and len(part) <= 6):
            letters.extend(part)
        elif part:
            letters.append(part[0])
    return "".join(ch.upper() for ch in letters if ch.isalpha())


def _surname_case(surname: str) -> str:
    if surname.isupper() and len(surname) > 1:
        return "-".join(p.capitalize() for p in surname.split("-"))
    return surname


@lru_cache(maxsize=200_000)
def normalise_author(value: str | None) -> str | None:
    """'Smith, Jane A', 'Smith JA', 'SMITH, J. A.', 'Jane A. Smith' all become 'Smith JA'.

    Corporate authors ('Harbour Peer Support Trust') are kept as written.
    """
    name = clean_text(value)
    if not name:
        return None
    name = name.strip(" ,;.-'")
    if not any(ch.isalnum() for ch in name) or name.strip("[]").lower() in _ANONYMOUS:
        return None
    if _CORPORATE.search(name) and "," not in name:
        return name
    if not any(ch.isupper() or ch.islower() for ch in name):
        return name  # scripts without case (Chinese, Japanese): order and form kept
    if "," in name:
        surname, given = (p.strip() for p in name.split(",", 1))
        given = re.sub(r"\b(Jr|Sr|II|III|IV)\b\.?", "", given).strip(" ,")
    else:
        tokens = name.split()
        if len(tokens) == 1:
            return _surname_case(tokens[0])
        last = tokens[-1].replace(".", "")
        rest_mixed = any(ch.islower() for ch in " ".join(tokens[:-1]))
        if last.isupper() and last.isalpha() and (len(last) <= 3 or rest_mixed and len(last) <= 6):
            surname, given = " ".join(tokens[:-1]), tokens[-1]
        else:
            cut = len(tokens) - 1
            while cut > 1 and tokens[cut - 1].lower() in _PARTICLES:
                cut -= 1
            surname, given = " ".join(tokens[cut:]), " ".join(tokens[:cut])
    mixed_case = any(ch.islower() for ch in name)
    surname = _surname_case(surname.strip(" ,;.-'"))
    initials = _initials(given, mixed_case)
    result = f"{surname} {initials}".strip() if initials else surname
    return result or None


_LANGUAGES = {
    "eng": "English", "en": "English", "english": "English", "ger": "German", "deu": "German",
    "de": "German", "german": "German", "fre": "French", "fra": "French", "fr": "French",
    "french": "French", "spa": "Spanish", "es": "Spanish", "spanish": "Spanish", "ita": "Italian",
    "it": "Italian", "italian": "Italian", "por": "Portuguese", "pt": "Portuguese",
    "portuguese": "Portuguese", "dut": "Dutch", "nld": "Dutch", "nl": "Dutch", "dutch": "Dutch",
    "nor": "Norwegian", "no": "Norwegian", "norwegian": "Norwegian", "swe": "Swedish",
    "sv": "Swedish", "swedish": "Swedish", "dan": "Danish", "da": "Danish", "danish": "Danish",
    "chi": "Chinese", "zho": "Chinese", "zh": "Chinese", "chinese": "Chinese", "jpn": "Japanese",
    "ja": "Japanese", "japanese": "Japanese", "kor": "Korean", "korean": "Korean",
    "rus": "Russian", "russian": "Russian", "pol": "Polish", "polish": "Polish",
    "fin": "Finnish", "finnish": "Finnish", "tur": "Turkish", "turkish": "Turkish",
}


@lru_cache(maxsize=4096)
def normalise_language(value: str | None) -> str | None:
    """ISO codes and names to one English name ('eng', 'EN', 'English' -> 'English')."""
    text = clean_text(value)
    if not text:
        return None
    first = re.split(r"[;,]", text)[0].strip()
    return _LANGUAGES.get(first.lower(), first[:1].upper() + first[1:])


# Publication types, one vocabulary across databases. Order matters: the first match wins.
_PUB_TYPES: tuple[tuple[str, str], ...] = (
    (r"retract", "retraction"),
    (r"errat|correction|corrigend", "erratum"),
    (r"conference abstract|meeting abstract|^abst$|^abstract$", "conference abstract"),
    (r"conference|proceeding|^conf$|^cpaper$|^inproceedings$", "conference paper"),
    (r"comment|letter|editorial|reply|^news$", "comment"),
    (r"protocol", "protocol"),
    (r"preprint", "preprint"),
    (r"dissertation|thesis|^thes$|phdthesis|mastersthesis", "thesis"),
    (r"^chap$|chapter|^incollection$|^inbook$", "book chapter"),
    (r"^book$|^ebook$|^edbook$", "book"),
    (r"^rprt$|report|^techreport$|^gen$|^govdoc$|grey", "report"),
    (r"^elec$|web ?page|^web$|^blog$|^misc$", "web page"),
    (r"review(?!ed)", "review"),  # PsycInfo's 'Peer Reviewed Journal' is no review
    (r"^jour$|^jfull$|^ejour$|article|journal|^j$|^mgzn$|^inpr$", "journal article"),
)


def normalise_pub_type(values: Iterable[str]) -> str | None:
    """Map TY / PT / DT / M3 / Document Type values to one vocabulary.

    Specific types (erratum, conference abstract, comment, protocol) win over generic ones
    ('journal article'), because dedupe must not merge a notice into the article it names.
    """
    return _pub_type(tuple(values))


@lru_cache(maxsize=4096)
def _pub_type(values: tuple[str, ...]) -> str | None:
    cleaned = [c.lower() for c in (clean_text(v) for v in values) if c]
    for pattern, name in _PUB_TYPES:
        if any(re.search(pattern, value) for value in cleaned):
            return name
    return cleaned[0] if cleaned else None


# --- assembly -----------------------------------------------------------------------------


def _first(values: Iterable[str], normaliser: Callable[[str], Any]) -> Any:
    for value in values:
        result = normaliser(value)
        if result:
            return result
    return None


def _unique(values: list[str | None]) -> list[str]:
    """The values in their first order, each once, empty ones left out."""
    return [value for value in dict.fromkeys(values) if value]


_KEYWORD_SEPARATOR = re.compile(r";\s*")


def build_record(raw: Raw, candidates: Candidates, *, format: str, line: int) -> Record:
    """Pick every normalised field from its candidates (first usable value wins); a field
    with no candidates may be left out of them."""
    get = candidates.get
    issns, isbns = split_issn_isbn([*get("issn", ()), *get("isbn", ())])
    pages_start, pages_end = normalise_pages(_first(get("pages_start", ()), clean_text),
                                             _first(get("pages_end", ()), clean_text))
    keywords = _unique([clean_text(k) for value in get("keywords", ())
                        for k in (_KEYWORD_SEPARATOR.split(value) if ";" in value else (value,))])
    journal = _first(get("journal", ()), clean_text)
    abbrev = _first(get("journal_abbrev", ()), clean_text)
    if abbrev and journal and abbrev.lower() == journal.lower():
        abbrev = None
    return Record(
        raw=raw,
        format=format,
        line=line,
        doi=_first(get("doi", ()), normalise_doi),
        pmid=_first(get("pmid", ()), normalise_pmid),
        title=_first(get("title", ()), clean_title),
        authors=_unique([normalise_author(a) for a in get("authors", ())]),
        year=_first(get("year", ()), normalise_year),
        journal=journal or abbrev,
        journal_abbrev=abbrev,
        volume=_first(get("volume", ()), clean_text),
        issue=_first(get("issue", ()), clean_text),
        pages_start=pages_start,
        pages_end=pages_end,
        issn=issns,
        isbn=isbns,
        abstract=pick_abstract(get("abstract", ())),
        keywords=keywords,
        url=_first(get("url", ()), clean_text),
        language=_first(get("language", ()), normalise_language),
        pub_type=normalise_pub_type(get("pub_type", ())),
        publisher=_first(get("publisher", ()), clean_text),
        accession=_first(get("accession", ()), clean_text),
    )


# Letters that Unicode does not decompose into a base letter and an accent.
_UNDECOMPOSED = str.maketrans({"ø": "o", "Ø": "O", "æ": "ae", "Æ": "AE", "œ": "oe", "Œ": "OE",
                               "ß": "ss", "ł": "l", "Ł": "L", "đ": "d", "Đ": "D", "þ": "th",
                               "Þ": "Th", "ð": "d", "Ð": "D", "ı": "i"})


def fold(text: str) -> str:
    """Accents off, lower case, for search and matching (José -> jose, Øvergaard -> overgaard)."""
    if text.isascii():
        return text.lower()
    decomposed = unicodedata.normalize("NFKD", text.translate(_UNDECOMPOSED))
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch)).casefold()
