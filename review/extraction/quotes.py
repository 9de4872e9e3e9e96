"""Quotes checked against the study's PDFs when an extraction is saved: a quote found there
gets its page filled in when the location was left empty, a location whose page differs from
where the quote is gets a note, and a quote not in the PDFs verbatim is flagged, so a reviewer
never has to type page numbers or hunt for a typo by eye. Nothing is refused: a paraphrase, a
table or a figure may be meant; the reviewer decides. Each extract is checked on its own (a
theme may have several), and a check names the extract by its number in the list given."""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Sequence
from dataclasses import dataclass

from review.extraction.entries import Extract
from review.screening.pdftext import FOUND, NOT_FOUND, QuoteLocation, locate_in_reports
from review.store import Store

FILLED, MATCHES, DIFFERS, NOT_VERBATIM, UNCHECKED = (
    "filled", "matches", "differs", "not found verbatim", "unchecked")
_PAGE = re.compile(r"^\s*(?:p{1,2}\.?|pages?)?\s*(\d+)(?:\s*[-\u2013]\s*(\d+))?\b", re.I)


@dataclass(frozen=True, slots=True)
class QuoteCheck:
    theme_id: str
    index: int  # the extract's place in the list checked, from 0
    outcome: str  # filled, matches, differs, not found verbatim, unchecked (no PDF text)
    message: str
    location: str | None = None  # the page found (p. 5, pp. 5-6)
    theme_label: str = ""  # how the page names the quote (set by the caller)


def entered_pages(location: str) -> tuple[int, int] | None:
    """The pages a typed location names ("p. 4", "pp. 4-5", "page 4", "4"), or None when it
    names a section, table or figure instead."""
    found = _PAGE.match(location or "")
    if found is None:
        return None
    first = int(found.group(1))
    return first, int(found.group(2) or first)


def check_quotes(store: Store, record_ids: Sequence[int],
                 extracts: Sequence[Extract]) -> tuple[list[Extract], list[QuoteCheck]]:
    """The extracts as entered (the location may be empty). Returns them with the pages filled
    in where the location was empty and the quote was found, and a check per extract with a
    quote."""
    out = list(extracts)
    checks: list[QuoteCheck] = []
    for index, extract in enumerate(extracts):
        if not (extract.quote or "").strip() or not record_ids:
            continue
        found = locate_in_reports(store, extract.quote, record_ids)
        checks.append(_check(extract.theme_id, index, found, extract.location))
        if found.status == FOUND and not (extract.location or "").strip():
            out[index] = dataclasses.replace(extract, location=found.location or "")
    return out, checks


def _check(theme_id: str, index: int, found: QuoteLocation, location: str) -> QuoteCheck:
    if found.status == FOUND and found.found is not None:
        where = found.found
        if not (location or "").strip():
            return QuoteCheck(theme_id, index, FILLED, f"{found.message}; page filled in",
                              where.location)
        entered = entered_pages(location)
        if entered is None or (entered[0] <= where.end_page and where.page <= entered[1]):
            return QuoteCheck(theme_id, index, MATCHES, found.message, where.location)
        return QuoteCheck(theme_id, index, DIFFERS, f"{found.message}, not at "
                          f"{location.strip()!r} as entered", where.location)
    if found.status == NOT_FOUND:
        return QuoteCheck(theme_id, index, NOT_VERBATIM, found.message)
    return QuoteCheck(theme_id, index, UNCHECKED, found.message)
