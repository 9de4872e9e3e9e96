"""BibTeX exports (Scopus, Zotero, Google Scholar) through bibtexparser.

bibtexparser sets aside an entry with a repeated field (Scopus repeats funding_details) as a
failed block; we take such an entry back with every value of the repeated field, and refuse
any block that really failed to parse, naming its line.
"""

from __future__ import annotations

import bibtexparser
from bibtexparser.model import DuplicateFieldKeyBlock, Entry
from pylatexenc.latex2text import LatexNodes2Text

from review.errors import InputError
from review.records import Candidates, Raw, Record, build_record

_LATEX = LatexNodes2Text()


def _plain(value: str) -> str:
    text = value.strip()
    if len(text) >= 2 and (text[0], text[-1]) in {("{", "}"), ('"', '"')}:
        text = text[1:-1]
    if "\\" in text or "{" in text or "$" in text:
        try:
            text = _LATEX.latex_to_text(text)
        except Exception:  # malformed LaTeX: keep the text without its braces
            text = text.replace("{", "").replace("}", "")
    return text


def parse_bibtex(text: str, file: str) -> list[Record]:
    library = bibtexparser.parse_string(text, parse_stack=[])
    entries: list[Entry] = list(library.entries)
    for block in library.failed_blocks:
        kept = block.ignore_error_block if isinstance(block, DuplicateFieldKeyBlock) else None
        if isinstance(kept, Entry):
            entries.append(kept)
        else:
            raise InputError(file, f"BibTeX entry cannot be parsed: {block.error}",
                             line=(block.start_line or 0) + 1)
    entries.sort(key=lambda e: e.start_line or 0)
    records = []
    for entry in entries:
        raw: Raw = {"ENTRYTYPE": [entry.entry_type], "ID": [entry.key]}
        for field in entry.fields:
            raw.setdefault(field.key.lower(), []).append(_plain(str(field.value)))
        records.append(build_record(raw, bibtex_candidates(raw), format="bibtex",
                                    line=(entry.start_line or 0) + 1))
    return records


def bibtex_candidates(raw: Raw) -> Candidates:
    get = raw.get
    authors = [a.strip() for value in get("author", []) for a in value.split(" and ")]
    pages = [p.replace("--", "-") for p in get("pages", [])]
    return {
        "title": get("title", []),
        "authors": authors,
        "year": get("year", []) + get("date", []),
        "journal": get("journal", []) + get("journaltitle", []) + get("booktitle", []),
        "journal_abbrev": get("abbrev_source_title", []) + get("shortjournal", []),
        "volume": get("volume", []),
        "issue": get("number", []) + get("issue", []),
        "pages_start": pages + get("art_number", []),
        "doi": get("doi", []) + get("url", []),
        "pmid": get("pmid", []) + get("pubmed_id", []),
        "issn": get("issn", []),
        "isbn": get("isbn", []),
        "abstract": get("abstract", []),
        "keywords": get("keywords", []) + get("author_keywords", []),
        "url": get("url", []),
        "language": get("language", []),
        "pub_type": get("document_type", []) + get("type", []) + get("ENTRYTYPE", []),
        "publisher": get("publisher", []) + get("institution", []) + get("school", []),
        "accession": get("eid", []) + get("pmid", []),
    }
