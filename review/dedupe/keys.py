"""Match keys: each record reduced once to the comparable forms that blocking and pair scoring
use, so the quadratic part of deduplication touches only small, ready values."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from operator import attrgetter

from review.records import NORMALISED_FIELDS, Record, fold

_TAGS = re.compile(r"<[^>]{1,40}>")
_BRACKETED = re.compile(r"\[([^\]]{12,})\]")
_SUBTITLE = re.compile(r"\s*[:?]\s+|\s+[-\u2013\u2014]+\s+|\.\s+")
# Ovid and PubMed append notes to titles: '[Review] [97 refs]', '[Article in German]'
_TITLE_NOTES = re.compile(r"\[(review|\d+ refs?|editorial|comment|letter|english abstract|"
                          r"article in [a-z]+|abstract|see comments?|[^\]]*erratum[^\]]*|"
                          r"[^\]]*retraction[^\]]*|comment in[^\]]*|"
                          r"(?:in )?(?:japanese|chinese|russian|german|french|spanish|italian|"
                          r"portuguese|polish|czech|dutch|danish|swedish|norwegian|finnish|"
                          r"hungarian|turkish|korean|hebrew|greek|croatian|serbian|slovak|"
                          r"slovenian|romanian|bulgarian|ukrainian|persian|arabic|lithuanian|"
                          r"estonian|latvian|icelandic|catalan)(?: with english abstract)?)\]",
                          re.IGNORECASE)
# a title that is no title: a spreadsheet error or a placeholder a database or a person typed
_PLACEHOLDER = re.compile(
    r"^\W*(#(name|value|ref|n/?a|div/0|null|num|error|spill|calc|getting_data)[?!]?"
    r"|no title( available| given| provided)?|untitled|not available|title not available"
    r"|n/?a|na|nil|null|none|unknown|tbd|tba|title|no abstract|no title found"
    r"|(article|record|item|paper) (title )?(not available|unavailable|missing))\W*$",
    re.IGNORECASE)
_NON_WORD = re.compile(r"[^0-9a-z]+")
_NON_WORD_ANY_SCRIPT = re.compile(r"[\W_]+")  # letters of every script kept (Cyrillic, CJK, ...)
_MOJIBAKE = re.compile(r"[ÃÂ][\u0080-\u00bf]")
_PART = re.compile(r"\bpart\s*[:.-]?\s*(\d+|[ivx]{1,4}|one|two|three|four|five)\b")
_PART_LETTER = re.compile(r"\b[Pp]art\s+([A-H])\b(?!\s+[a-z])")  # 'Part A: ...', 'Part B'

_PART_WORDS = {"one": 1, "two": 2, "three": 3, "four": 4, "five": 5}
_ROMAN = {"i": 1, "ii": 2, "iii": 3, "iv": 4, "v": 5, "vi": 6, "vii": 7, "viii": 8, "ix": 9,
          "x": 10}
_NOTICE_TITLE = (
    (re.compile(r"^(erratum|errata|correction|corrigendum|corrigenda|notice of correction)\b"
                r"|\b(correction|erratum|corrigendum) (to|for|of)\b"), "erratum"),
    (re.compile(r"^(retraction|retracted|notice of retraction|expression of concern)\b"
                r"|\bretraction (of|notice)\b"), "retraction"),
    (re.compile(r"^(comment|commentary) (on|to)\b|^letter to the editor\b|\bcomment on\b"),
     "comment"),
    (re.compile(r"^(reply|response|author'?s? reply|authors'? response|in reply)\b"
                r"|\breply to\b"), "reply"),
)
_NOTICE_TYPES = {"erratum": "erratum", "retraction": "retraction", "comment": "comment"}
_PROTOCOL = re.compile(r"\bprotocol\b")
_JOURNAL_STOP = {"the", "of", "and", "in", "for", "on", "de", "la", "und", "der", "journal"}


def repair_mojibake(text: str) -> str:
    """UTF-8 read as latin-1 ('KÃ¶nig') back to what it was ('König'), where that is clean."""
    if not _MOJIBAKE.search(text):
        return text
    try:
        return text.encode("cp1252").decode("utf-8")
    except (UnicodeEncodeError, UnicodeDecodeError):
        try:
            return text.encode("latin-1").decode("utf-8")
        except (UnicodeEncodeError, UnicodeDecodeError):
            return text


_GREEK = str.maketrans({letter: f" {name} " for letters, name in (
    ("αΑ", "alpha"), ("βΒϐ", "beta"), ("γΓ", "gamma"), ("δΔ", "delta"), ("εΕϵ", "epsilon"),
    ("ζΖ", "zeta"), ("ηΗ", "eta"), ("θΘϑ", "theta"), ("ιΙ", "iota"), ("κΚϰ", "kappa"),
    ("λΛ", "lambda"), ("μΜµ", "mu"), ("νΝ", "nu"), ("ξΞ", "xi"), ("οΟ", "omicron"),
    ("πΠ", "pi"), ("ρΡ", "rho"), ("σςΣ", "sigma"), ("τΤ", "tau"), ("υΥ", "upsilon"),
    ("φΦϕ", "phi"), ("χΧ", "chi"), ("ψΨ", "psi"), ("ωΩ", "omega")) for letter in letters})
# 'ß' typed for 'β' ('amyloid-ß', 'Aß42', 'TGF-ß'): after a capital, a digit, a space or a
# hyphen, never inside a German word ('Straße')
_SHARP_S_AS_BETA = re.compile(r"(?<![a-zà-ÿ])ß")


def _greek(text: str) -> str:
    """Greek letters written out ('TNF-α' -> 'TNF- alpha '), as other databases spell them;
    a text in Greek stays Greek (most of its letters are Greek, not a symbol or two)."""
    if "ß" in text:
        text = _SHARP_S_AS_BETA.sub(" beta ", text)
    greek = sum(1 for ch in text if "\u0370" <= ch <= "\u03ff")
    if not greek or greek > 3 and greek * 3 > len(text):
        return text
    return text.translate(_GREEK)


def simple(text: str | None) -> str:
    """Folded words separated by single spaces: case, accents, markup and punctuation gone.
    Letters of other scripts (Cyrillic, Greek, CJK, Hangul, ...) stay, so a title in them is
    compared like any other instead of vanishing."""
    if not text:
        return ""
    if "<" in text:
        text = _TAGS.sub(" ", text)
    if not text.isascii():
        text = _greek(repair_mojibake(text))
    text = fold(text).replace("&", " and ")
    if text.isascii():
        return _NON_WORD.sub(" ", text).strip()
    return _NON_WORD_ANY_SCRIPT.sub(" ", text).strip()


def is_placeholder(title: str | None) -> bool:
    """A title that names no work: a spreadsheet error ('#NAME?', '#VALUE!'), a placeholder
    ('[No title]', 'Untitled', 'N/A') or nothing but punctuation."""
    if not title or len(title) > 60:
        return False  # placeholders are short; a long title is a title
    stripped = title.strip()
    return bool(_PLACEHOLDER.match(stripped)) or not any(ch.isalnum() for ch in stripped)


def _part(title: str, raw: str) -> str | None:
    """The part of a series the title names ('Part 2', 'part II', 'Part two' -> '2'; 'Part B'
    -> 'B'), or None."""
    if "part" not in title:
        return None
    match = _PART.search(title)
    if match:
        value = match.group(1)
        number = int(value) if value.isdigit() else _PART_WORDS.get(value) or _ROMAN.get(value)
        return None if number is None else str(number)
    letter = _PART_LETTER.search(raw)
    return letter.group(1) if letter else None


_NOTICE_WORDS = ("errat", "correct", "corrig", "retract", "concern", "comment", "letter",
                 "repl", "respon")


def _notice(title: str, pub_type: str | None) -> str | None:
    if not any(word in title for word in _NOTICE_WORDS):
        return _NOTICE_TYPES.get(pub_type or "")
    for pattern, kind in _NOTICE_TITLE:
        if pattern.search(title):
            return kind
    return _NOTICE_TYPES.get(pub_type or "")


_DIGITS = re.compile(r"\d+")


def _number(value: str | None) -> str:
    """The first number of a volume, issue or page ('21 Suppl 1' -> '21', 'Suppl 2' -> '2',
    'e0209483' -> '209483')."""
    if not value:
        return ""
    match = _DIGITS.search(value)
    if not match:
        return ""
    return match.group(0).lstrip("0") or "0"


_LOCATOR_ISSUE = re.compile(r"^[eE]\d{3,}$")
_VOLUME_ISSUE = re.compile(r"^\s*\d+\s*\((\d+)\)")  # '10 (11) (no pagination)'
# a DOI names one work: 10.<registrant>/<suffix>; a DOI of a whole journal or book series
# ('10.1002/(issn)1744-4292') names none, so it is no evidence either way
_DOI = re.compile(r"^10\.\d{4,9}/\S+$")
_SERIES_DOI = re.compile(r"\((issn|isbn)\)", re.IGNORECASE)


def work_doi(doi: str | None) -> str:
    """The DOI if it can name one work, else ''."""
    if not doi or not _DOI.match(doi) or _SERIES_DOI.search(doi):
        return ""
    return doi


_MONTHS = ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")


def _issue(value: str | None) -> str:
    """The issue number; an issue given as a month ('May', 'Jan-Feb') becomes 'm5', 'm1', which
    `compare` matches against the plain number of a monthly issue but never counts against it.
    An article number in the issue field ('e0143396', as some exports place it) is no issue."""
    if value and _LOCATOR_ISSUE.match(value.strip()):
        return ""
    number = _number(value)
    if number or not value:
        return number
    start = value.strip()[:3].lower()
    return f"m{_MONTHS.index(start) + 1}" if start in _MONTHS else ""


def _volume_issue(volume: str | None) -> str:
    """An issue written into the volume field ('10 (11)'), for a record whose issue is empty."""
    match = _VOLUME_ISSUE.match(volume) if volume and "(" in volume else None
    return match.group(1).lstrip("0") if match else ""


def _volume(value: str | None, year: int | None) -> str:
    """The volume number, unless it is only the year again (magazines cited as '2016', or
    '2015-April'): that is no evidence beyond the year."""
    number = _number(value)
    return "" if year is not None and number == str(year) else number


def _is_locator(page: str | None) -> bool:
    if not page:
        return False
    return bool(re.match(r"^[A-Za-z]{1,2}\d", page)) and not page.upper().startswith("S") \
        or (page.isdigit() and len(page) >= 5)


@lru_cache(maxsize=200_000)
def _initial(author: str) -> str:
    parts = author.rsplit(" ", 1)
    if len(parts) == 2 and parts[1].isupper() and parts[1].isalpha():
        return simple(parts[1][0])
    return ""


@lru_cache(maxsize=200_000)
def _surname_words(author: str) -> tuple[str, ...]:
    parts = author.rsplit(" ", 1)
    if len(parts) == 2 and parts[1].isupper() and parts[1].isalpha():
        return tuple(simple(parts[0]).split())
    return tuple(simple(author).split())


def _surname(author: str) -> str:
    return "".join(_surname_words(author))


@lru_cache(maxsize=50_000)
def _journal(name: str | None) -> str:
    return simple(name)


@lru_cache(maxsize=50_000)
def _journal_words(journal: str) -> tuple[str, ...]:
    return tuple(w for w in journal.split() if w not in _JOURNAL_STOP)


def _compounds(authors: list[str]) -> tuple[tuple[str, str, str], ...]:
    """(surname, its first word, its last word) for each surname of two words or more
    ('Jennings Anderson', 'Garcia-Marquez'), which other databases often cut to one word."""
    words = (_surname_words(a) for a in authors)
    return tuple(("".join(w), w[0], w[-1]) for w in words if len(w) > 1)


@dataclass(frozen=True, slots=True)
class Keys:
    """A record's comparable forms. `uid` keeps the record's identity through the engine."""

    uid: str
    title: str  # '' for a placeholder title ('#NAME?', '[No title]'): see `placeholder`
    title_key: str
    main: str  # the title before a subtitle (':', ' - '), which some databases drop
    alternative: str  # a title given in brackets: the original of a translated title
    word_count: int  # distinct words in the title
    surnames: tuple[str, ...]
    initials: tuple[str, ...]  # first initial per author, beside `surnames`
    compounds: tuple[tuple[str, str, str], ...]  # surnames of several words, see _compounds
    year: int | None
    journal: str
    journal_words: tuple[str, ...]
    volume: str
    issue: str  # a number, or 'm<number>' for an issue given as a month
    page: str
    page_end: str
    locator: bool  # an article number or e-locator ('e0209483', 'a1754'), not a printed page
    doi: str
    pmid: str
    isbns: frozenset[str]
    notice: str | None
    conference_abstract: bool
    protocol: bool
    part: str | None  # '2' for 'Part 2' or 'Part II', 'B' for 'Part B'
    placeholder: bool  # the title is a spreadsheet error or a placeholder, so no title at all
    completeness: int


_NORMALISED = attrgetter(*NORMALISED_FIELDS)  # every normalised field's value at once


def make_keys(uid: str, record: Record) -> Keys:
    placeholder = is_placeholder(record.title)
    raw_title = "" if placeholder else record.title or ""
    if "[" in raw_title:
        raw_title = _TITLE_NOTES.sub(" ", raw_title)
    bracketed = _BRACKETED.search(raw_title) if "[" in raw_title else None
    alternative = simple(bracketed.group(1)) if bracketed else ""
    # a bracketed original beside the title ('Titel [Title]'); a title wholly in brackets is
    # the English title of a foreign-language work (MEDLINE's way): the title itself
    outside = simple(raw_title[: bracketed.start()] + raw_title[bracketed.end():]) \
        if bracketed else ""
    if bracketed and len(outside.split()) < 3:
        alternative = ""
        raw_title = raw_title.replace("[", " ").replace("]", " ")
    elif bracketed and len(alternative) < len(simple(raw_title)) - 5:
        raw_title = raw_title[: bracketed.start()] + raw_title[bracketed.end():]
    title = simple(raw_title)
    subtitle = _SUBTITLE.search(raw_title)
    main = simple(raw_title[: subtitle.start()]) if subtitle else title
    journal = _journal(record.journal)
    names = [(_surname(a), a) for a in record.authors]
    values = _NORMALISED(record)
    filled = len(values) - values.count(None) - values.count("") - values.count([])
    return Keys(
        uid=uid,
        title=title,
        title_key=title.replace(" ", ""),
        main=main if main != title and len(main.split()) >= 3 else "",
        alternative=alternative,
        word_count=len(set(title.split())),
        surnames=tuple(surname for surname, _ in names if surname),
        initials=tuple(_initial(a) for surname, a in names if surname),
        compounds=_compounds(record.authors),
        year=record.year,
        journal=journal,
        journal_words=_journal_words(journal),
        volume=_volume(record.volume, record.year),
        issue=_issue(record.issue) or _volume_issue(record.volume),
        page=_number(record.pages_start),
        page_end=_number(record.pages_end),
        locator=_is_locator(record.pages_start),
        doi=work_doi(record.doi),
        pmid=record.pmid or "",
        isbns=frozenset(record.isbn),
        notice=_notice(title, record.pub_type),
        conference_abstract=record.pub_type == "conference abstract",
        protocol=("protocol" in title and bool(_PROTOCOL.search(title)))
        or record.pub_type == "protocol",
        part=_part(title, raw_title),
        placeholder=placeholder,
        completeness=filled + (3 if record.doi else 0) + (2 if record.abstract else 0),
    )
