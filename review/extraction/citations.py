"""References of the included studies and the excluded reports, in the Vancouver style (the
ICMJE's "Uniform requirements", as the National Library of Medicine's Citing Medicine sets it
out), written from a record's bibliographic fields.

Why Vancouver: the review's tables cite each study by its number ("Alder (2015) [3]"), and
Vancouver is the numbered style, the one medical and psychiatric journals (BJPsych Open among
them) ask for. Studies are numbered by first author then year, not in order of citation: the
evidence tables cite every study at once, so an alphabetical order is the one a reader can
search, as many reviews' tables of included studies do.

Decisions made here:

- Authors as stored ("Surname AB", records.normalise_author), separated by commas; the first
  six, then "et al." (the ICMJE rule). A corporate author as written. No author: the
  reference starts with the title.
- A journal article: Authors. Title. Journal abbreviation (else its full name).
  Year;Volume(Issue):pages. doi:... Page ranges are shortened as Citing Medicine does
  (351-363 becomes 351-63). Missing parts are left out, never invented.
- Anything else (a report, a thesis, a web page, a charity's guidance): Authors. Title.
  Publisher; Year. Available from: URL (or the doi).
- Titles end with one full stop (a title ending in ? or ! keeps its own mark).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

__all__ = ["first_author", "short_pages", "surname", "vancouver"]

MAX_AUTHORS = 6
_INITIALS = re.compile(r"[A-Z]{1,4}")


def surname(author: str) -> str:
    """The surname of a stored author ("van der Berg O" -> "van der Berg"); a corporate
    author whole."""
    parts = author.split()
    if len(parts) > 1 and _INITIALS.fullmatch(parts[-1]):
        return " ".join(parts[:-1])
    return author.strip()


def first_author(record: Mapping[str, Any]) -> str:
    """The first author's surname, else the title's first words (for ordering and names)."""
    authors = record.get("authors") or []
    if authors:
        return surname(str(authors[0]))
    return " ".join(str(record.get("title") or "Untitled").split()[:4])


def short_pages(start: str | None, end: str | None) -> str:
    """351, 363 -> "351-63"; e1234 stays whole; a missing end gives the start alone."""
    if not start:
        return ""
    if not end or end == start:
        return start
    if start.isdigit() and end.isdigit() and len(start) == len(end) and int(end) > int(start):
        same = 0
        while same < len(start) - 1 and start[same] == end[same]:
            same += 1
        return f"{start}-{end[same:]}"
    return f"{start}-{end}"


def _sentence(text: str) -> str:
    text = " ".join(text.split()).rstrip(" .")
    return text if text.endswith(("?", "!")) else f"{text}."


def _authors(authors: list[str]) -> str:
    shown = [" ".join(str(a).split()) for a in authors[:MAX_AUTHORS]]
    text = ", ".join(shown)
    if len(authors) > MAX_AUTHORS:
        text += ", et al"
    return _sentence(text)


def vancouver(record: Mapping[str, Any]) -> str:
    """One reference in the Vancouver style, from a record's normalised fields."""
    parts: list[str] = []
    authors = list(record.get("authors") or [])
    if authors:
        parts.append(_authors(authors))
    title = record.get("title")
    parts.append(_sentence(str(title)) if title else "[Untitled].")
    year = record.get("year")
    doi = record.get("doi")
    abbrev = record.get("journal_abbrev")  # NLM abbreviations carry no full stops
    journal = " ".join(str(abbrev).replace(".", " ").split()) if abbrev else record.get("journal")
    if journal:
        where = f"{year}" if year else ""
        if record.get("volume"):
            where += f";{record['volume']}"
            if record.get("issue"):
                where += f"({record['issue']})"
        pages = short_pages(record.get("pages_start"), record.get("pages_end"))
        if pages:
            where += f":{pages}"
        parts.append(f"{' '.join(str(journal).split()).rstrip('.')}." + (f" {where}." if where
                                                                          else ""))
        if doi:
            parts.append(f"doi:{doi}")
        return " ".join(parts)
    publisher = record.get("publisher")
    made = "; ".join(str(p) for p in (publisher, year) if p)
    if made:
        parts.append(f"{made}.")
    if record.get("url"):
        parts.append(f"Available from: {record['url']}")
    elif doi:
        parts.append(f"doi:{doi}")
    return " ".join(parts)
