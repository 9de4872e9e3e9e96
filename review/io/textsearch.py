"""Finding words and quotes in the text of PDF pages, the way a reviewer means them: case,
spacing, line breaks, curly or straight quotes, ligatures and words hyphenated at a line end
make no difference. Pure functions over page texts; the store keeps each page's folded form
(fold_text) so a search scans it without folding again.
"""

from __future__ import annotations

import re
import shlex
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass

from review.errors import ReviewError

# a word broken at a line end ("sup-\nport") is joined and this mark left where the break was,
# so "support", "sup-port" and a search for "self-harm" across "self-\nharm" all match
BREAK = "\u00ad"
_HYPHENS = "-\u2010\u2011"
_QUOTES = str.maketrans({"\u2018": "'", "\u2019": "'", "\u201a": "'", "\u201b": "'",
                         "\u2032": "'", "\u00b4": "'", "`": "'", "\u201c": '"', "\u201d": '"',
                         "\u201e": '"', "\u201f": '"', "\u2033": '"', "\u00ab": '"',
                         "\u00bb": '"'})
_ELLIPSIS = re.compile(r"\s*(?:\[\s*(?:\.\s*){3}\]|\[\s*\u2026\s*\]|\.\s*\.\s*\.|\u2026)\s*")
# dropped from folded text when a quote is compared: spacing, line-end breaks, hyphens, quotes
_SQUEEZE = str.maketrans("", "", f" {BREAK}{_HYPHENS}'\"")
SNIPPET_CHARS = 90  # characters shown either side of the first match on a page
MAX_TERMS = 12


def fold(text: str) -> tuple[str, list[int]]:
    """Text for matching (lower case, curly quotes straight, ligatures split, any run of
    spacing one space, line-end hyphenation joined with BREAK) and, for each of its
    characters, the index in `text` it came from."""
    out: list[str] = []
    where: list[int] = []
    at, end = 0, len(text)
    while at < end:
        char = text[at]
        if char in _HYPHENS and at > 0 and text[at - 1].isalnum():
            after = at + 1
            while after < end and text[after] in " \t\r\n":
                after += 1
            if "\n" in text[at + 1:after] and after < end and text[after].isalpha():
                out.append(BREAK)
                where.append(at)
                at = after
                continue
        if char.isspace():
            while at < end and text[at].isspace():
                at += 1
            if out and out[-1] != " ":
                out.append(" ")
                where.append(at - 1)
            continue
        if char != "\u00ad":  # a soft hyphen in the text itself is invisible: dropped
            for folded in unicodedata.normalize("NFKC", char.translate(_QUOTES)).casefold():
                out.append(folded)
                where.append(at)
        at += 1
    return "".join(out), where


def fold_text(text: str) -> str:
    return fold(text)[0]


# --- searching for words ----------------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class Query:
    """What was searched for: every term must be on the page (a "quoted phrase" is one term;
    a trailing * stands for any ending, as in the protocol's highlight terms)."""

    terms: tuple[str, ...]
    patterns: tuple[re.Pattern[str], ...]


def parse_query(words: str | Sequence[str]) -> Query:
    text = words if isinstance(words, str) else " ".join(_phrase(w) for w in words)
    try:
        parts = shlex.split(text.translate(_QUOTES).replace("'", "\\'"))
    except ValueError as exc:  # an unclosed quotation mark
        raise ReviewError(f"the search {text!r} has an unclosed quotation mark") from exc
    terms: list[str] = []
    for part in parts:
        term = " ".join(part.split())
        if term and re.search(r"[^\W_]", term) and term.casefold() not in (
                t.casefold() for t in terms):
            terms.append(term)
    if not terms:
        raise ReviewError("give at least one word to search for (a letter or a digit)")
    if len(terms) > MAX_TERMS:
        raise ReviewError(f"at most {MAX_TERMS} words or phrases in one search")
    return Query(tuple(terms), tuple(term_pattern(term) for term in terms))


def _phrase(word: str) -> str:
    """One word of a command line: with a space in it, it was quoted there, so a phrase."""
    bare = word.strip().translate(_QUOTES).strip('"').strip()
    return f'"{bare}"' if " " in bare else word


def term_pattern(term: str) -> re.Pattern[str]:
    """A term as a pattern over folded text: whole words, a line-end break allowed anywhere
    inside, a hyphen optional and a space also a hyphen (self-harm and self harm find
    selfharm, self-harm and self harm alike), * any ending."""
    prefix = term.endswith("*")
    folded = fold_text(term.rstrip("*").strip())
    parts: list[str] = []
    for index, char in enumerate(folded):
        if char in _HYPHENS:
            parts.append(f"[-{BREAK} ]?")
        elif char == " ":
            parts.append(f"[-{BREAK} ]")
        elif char != BREAK:
            parts.append(re.escape(char) + (f"{BREAK}?" if index < len(folded) - 1 else ""))
    body = "".join(parts)
    start = r"\b" if folded[:1].isalnum() else ""
    end = f"[\\w{BREAK}]*" if prefix else (r"\b" if folded[-1:].isalnum() else "")
    return re.compile(start + body + end)


def matches(folded: str, query: Query) -> bool:
    return all(pattern.search(folded) for pattern in query.patterns)


@dataclass(frozen=True, slots=True)
class Snippet:
    """Part of a page's text around the first match, every match in it marked by (start, end)
    offsets into text; `hits` counts the matches on the whole page."""

    text: str
    marks: tuple[tuple[int, int], ...]
    hits: int

    def marked(self, before: str = "**", after: str = "**") -> str:
        out, at = [], 0
        for start, end in self.marks:
            out.append(self.text[at:start] + before + self.text[start:end] + after)
            at = end
        return "".join(out) + self.text[at:]


def snippet(text: str, query: Query, width: int = SNIPPET_CHARS) -> Snippet | None:
    """The page text around its first match, spacing tidied, the terms marked; None if the
    page does not hold every term."""
    folded, where = fold(text)
    spans: list[tuple[int, int]] = []
    for pattern in query.patterns:
        found = [(where[m.start()], where[m.end() - 1] + 1)
                 for m in pattern.finditer(folded) if m.end() > m.start()]
        if not found:
            return None
        spans.extend(found)
    spans.sort()
    first = spans[0][0]
    start = max(0, first - width)
    stop = min(len(text), spans[0][1] + width)
    while start > 0 and not text[start - 1].isspace():  # whole words at the edges
        start -= 1
    while stop < len(text) and not text[stop].isspace():
        stop += 1
    shown, marks = _tidy(text, start, stop, [s for s in spans if s[0] >= start and s[1] <= stop])
    lead = "..." if start > 0 else ""
    tail = "..." if stop < len(text) else ""
    return Snippet(lead + shown + tail, tuple((a + len(lead), b + len(lead)) for a, b in marks),
                   len(spans))


def _tidy(text: str, start: int, stop: int,
          spans: list[tuple[int, int]]) -> tuple[str, list[tuple[int, int]]]:
    """text[start:stop] with every run of spacing one space, and the spans moved to match
    (overlapping spans merged)."""
    out: list[str] = []
    position: dict[int, int] = {}
    for index in range(start, stop):
        char = text[index]
        position[index] = len(out)
        if char.isspace():
            if out and out[-1] != " " and not _line_end_break(text, index):
                out.append(" ")
            continue
        out.append(char)
    position[stop] = len(out)
    merged: list[tuple[int, int]] = []
    for a, b in spans:
        a2, b2 = position[a], position[b]
        if merged and a2 <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], b2))
        else:
            merged.append((a2, b2))
    shown = "".join(out)
    stripped = len(shown) - len(shown.lstrip())
    return shown.strip(), [(max(0, a - stripped), b - stripped) for a, b in merged]


def _line_end_break(text: str, index: int) -> bool:
    """Whether the spacing at index follows a word hyphenated at a line end (shown joined)."""
    back = index
    while back > 0 and text[back - 1].isspace():
        back -= 1
    ahead = index
    while ahead < len(text) and text[ahead].isspace():
        ahead += 1
    return (back >= 2 and text[back - 1] in _HYPHENS and text[back - 2].isalnum()
            and "\n" in text[back:ahead] and ahead < len(text) and text[ahead].isalpha())


# --- locating a quote -------------------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class QuoteFound:
    """Where a quote is in a document: the page it starts on and ends on, and the start page
    of every other place it also appears (a short quote may be found more than once)."""

    page: int
    end_page: int
    also_on: tuple[int, ...] = ()

    @property
    def location(self) -> str:
        return f"p. {self.page}" if self.end_page == self.page else (
            f"pp. {self.page}-{self.end_page}")


def squeeze(folded: str) -> str:
    """Folded text without spacing, hyphens and quotation marks, so a quote copied across a
    line break, a hyphenated word or from a PDF with odd spacing still matches."""
    return folded.translate(_SQUEEZE)


def quote_fragments(quote: str) -> list[str]:
    """The parts of a quote between ellipses ("...", "…", "[...]"), each to be found in order."""
    return [part for part in _ELLIPSIS.split(quote or "") if squeeze(fold_text(part))]


def find_quote(folded_pages: Sequence[str], quote: str) -> QuoteFound | None:
    """Where `quote` is in the pages (page 1 first, each as fold_text gives it), or None if
    it is not there verbatim (up to case, spacing, line-end hyphenation, hyphens, quotation
    marks and elisions marked with an ellipsis). A quote may run over a page break."""
    fragments = [squeeze(fold_text(part)) for part in quote_fragments(quote)]
    if not fragments:
        raise ReviewError("the quote is empty")
    text_parts: list[str] = []
    page_of: list[int] = []
    for number, page in enumerate(folded_pages, start=1):
        skeleton = squeeze(page)
        text_parts.append(skeleton)
        page_of.extend([number] * len(skeleton))
    whole = "".join(text_parts)
    starts: list[tuple[int, int]] = []
    search_from = 0
    while True:
        begin = whole.find(fragments[0], search_from)
        if begin < 0:
            break
        at = begin + len(fragments[0])
        for fragment in fragments[1:]:
            found = whole.find(fragment, at)
            if found < 0:
                at = -1
                break
            at = found + len(fragment)
        if at < 0:
            break
        starts.append((begin, at))
        search_from = begin + 1
    if not starts:
        return None
    begin, stop = starts[0]
    others = tuple(sorted({page_of[b] for b, _ in starts[1:]} - {page_of[begin]}))
    return QuoteFound(page_of[begin], page_of[stop - 1], others)
