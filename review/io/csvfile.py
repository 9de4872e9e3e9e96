"""CSV exports: Scopus, Embase, Google Scholar (Publish or Perish), Web of Science tab-delimited,
and the plain layout (record_id, author, year, title, journal, volume, number, pages, doi, isbn,
abstract) that ASySD and scripts use.

Columns are recognised by their header names, so one reader serves every layout; every column
is kept in the raw fields under its own header, so a script's record_id comes back unchanged.
"""

from __future__ import annotations

import csv
import io
import itertools
import re
from collections.abc import Iterable, Iterator

from review.errors import InputError
from review.records import Candidates, Raw, Record, build_record

# normalised field -> header names (lower case) in order of preference
COLUMNS: dict[str, tuple[str, ...]] = {
    "title": ("title", "article title", "document title", "ti", "primary title"),
    "authors": ("authors", "author", "author names", "author full names", "au", "creator"),
    "year": ("year", "publication year", "py", "pubyear", "date", "publication date"),
    "journal": ("journal", "source title", "source", "journal title", "publication title",
                "journal/book", "secondary title", "so", "publication"),
    "journal_abbrev": ("abbreviated source title", "journal abbreviation", "ji", "j9"),
    "volume": ("volume", "vl"),
    "issue": ("issue", "number", "is"),
    "pages_start": ("pages", "page start", "first page", "start page", "bp", "page", "art. no."),
    "pages_end": ("page end", "last page", "end page", "ep"),
    "doi": ("doi", "di", "link", "url"),
    "pmid": ("pmid", "pubmed id", "medline pmid", "pm"),
    "issn": ("issn", "sn", "eissn", "ei"),
    "isbn": ("isbn", "bn"),
    "abstract": ("abstract", "ab"),
    "keywords": ("keywords", "author keywords", "index keywords", "de", "id", "emtree terms"),
    "url": ("url", "link", "articleurl", "fulltexturl"),
    "language": ("language of original document", "language", "la"),
    "pub_type": ("document type", "publication type", "type", "dt", "item type"),
    "publisher": ("publisher", "pu"),
    "accession": ("eid", "embase accession id", "accession number", "ut", "ut (unique wos id)"),
}
_AUTHOR_SPLIT = re.compile(r"\s*;\s*|\s+and\s+")
# 'Wilson L.N., Gardner J.D.' (older Scopus, ASySD): commas between authors, none inside
_COMMA_AUTHORS = re.compile(r"[^,;]+ [A-Z][A-Z.\- ]*(?:, [^,;]+ [A-Z][A-Z.\- ]*)+")


# 'Adeli K.Lewis G. F.' (EndNote exports of ASySD sets): authors run together after initials
_RUN_TOGETHER = re.compile(r"(?<=[A-Z]\.)(?=[A-Z][a-z])")


def _split_authors(value: str) -> list[str]:
    if _COMMA_AUTHORS.fullmatch(value.strip()):
        return value.split(", ")
    parts = [a for a in _AUTHOR_SPLIT.split(value) if a.strip()]
    if len(parts) == 1 and _RUN_TOGETHER.search(value):
        return [a for a in _RUN_TOGETHER.split(value) if a.strip()]
    return parts


def _sniff_delimiter(first_line: str) -> str:
    counts = {d: first_line.count(d) for d in (",", "\t", ";")}
    return max(counts, key=lambda d: counts[d])


def looks_like_csv(lines: list[str]) -> bool:
    """A header row naming a title column, in a comma, tab or semicolon separated file."""
    header = next((line for line in lines if line.strip()), "")
    delimiter = _sniff_delimiter(header)
    try:
        names = next(csv.reader([header], delimiter=delimiter))
    except csv.Error:
        return False
    lowered = {n.strip().lower() for n in names}
    return len(names) >= 2 and bool(lowered & set(COLUMNS["title"]))


def parse_csv(text: str | Iterable[str], file: str) -> list[Record]:
    """Records of a CSV export: its whole text, or its lines with their endings as written
    (`StreamedText.lines_with_endings`, which never holds the whole text)."""
    lines: Iterator[str] = iter(io.StringIO(text, newline="") if isinstance(text, str) else text)
    skipped: list[str] = []
    for line in lines:  # the first line with content tells the delimiter
        skipped.append(line)
        if line.strip():
            break
    first = skipped[-1].rstrip("\r\n") if skipped else ""
    reader = csv.reader(itertools.chain(skipped, lines), delimiter=_sniff_delimiter(first),
                        strict=True)
    header: list[str] | None = None
    columns: list[tuple[str, list[int]]] = []
    width = 0
    records: list[Record] = []
    try:
        for row in reader:
            if not any(cell.strip() for cell in row):
                continue
            if header is None:
                header = [h.strip() for h in row]
                _check_header(header, file, reader.line_num)
                columns = _field_columns(header)
                width = len(header)
                continue
            if len(row) > width:
                raise InputError(file, f"{len(row)} fields where the header has {width}: "
                                       "a stray delimiter or quote?", line=reader.line_num)
            if len(row) < width:  # a short row leaves its trailing columns empty
                row += [""] * (width - len(row))
            # every column kept, empty or not and in header order, so a batch run can write
            # the rows back unchanged
            raw: Raw = {name: [cell] for name, cell in zip(header, row, strict=True)}
            start = reader.line_num - row_newlines(row)
            found = {fieldname: [row[i] for i in where] for fieldname, where in columns}
            records.append(build_record(raw, _candidates(found), format="csv", line=start))
    except csv.Error as exc:
        raise InputError(file, f"CSV cannot be parsed ({exc}); an unclosed quote?",
                         line=reader.line_num) from None
    return records


def _field_columns(header: list[str]) -> list[tuple[str, list[int]]]:
    """For each normalised field, the positions of its columns in order of preference: worked
    out once per file, not once per row. Where names repeat (only blank ones can), the last
    column counts, as in a row's raw fields."""
    position = {name.lower(): i for i, name in enumerate(header)}
    return [(fieldname, [position[name] for name in names if name in position])
            for fieldname, names in COLUMNS.items()]


def row_newlines(row: list[str]) -> int:
    """Line breaks inside the row's quoted cells (CRLF, CR or LF), so its first line is known."""
    return sum(cell.count("\n") + cell.count("\r") - cell.count("\r\n") if "\r" in cell
               else cell.count("\n") for cell in row)


def _check_header(header: list[str], file: str, line: int) -> None:
    lowered = [h.lower() for h in header]
    if not set(lowered) & set(COLUMNS["title"]):
        raise InputError(file, "CSV header has no title column (expected one of: "
                               + ", ".join(COLUMNS["title"]) + ")", line=line)
    seen = set()
    for name in lowered:
        if name in seen and name:
            raise InputError(file, f"CSV header repeats the column {name!r}", line=line)
        seen.add(name)


def csv_candidates(raw: Raw) -> Candidates:
    by_lower = {name.lower(): values for name, values in raw.items()}
    return _candidates({fieldname: [v for name in names for v in by_lower.get(name, [])]
                        for fieldname, names in COLUMNS.items()})


_SCOPUS_AUTHOR_ID = re.compile(r"\s*\(\d+\)$")
_KEYWORD_SPLIT = re.compile(r"\s*;\s*")


def _candidates(found: dict[str, list[str]]) -> Candidates:
    """The values found under each field's columns, authors and keywords split apart."""
    authors = [a for v in found["authors"][:1] for a in _split_authors(v)]
    found["authors"] = [_SCOPUS_AUTHOR_ID.sub("", a) if ")" in a else a
                        for a in authors]  # Scopus author ids
    found["keywords"] = [k for v in found["keywords"]
                         for k in (_KEYWORD_SPLIT.split(v) if ";" in v else (v,)) if k]
    return found
