"""Blocking: candidate pairs from shared keys, so cost grows with the records, not their square.

Each record goes into a handful of blocks (DOI, PMID, the start and the end of its title, first
author with year, year with volume and page, journal with volume and page). Only records that
share a block are compared. A block too large to compare in full (a common surname in a busy
year) is compared by sorted neighbourhood: records sorted by title, each against its next few.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence

from review.dedupe.keys import Keys

FULL_BLOCK = 60  # compare every pair up to this block size
WINDOW = 8  # neighbours compared in larger blocks
_TITLE_CHARS = 28


def block_keys(k: Keys) -> Iterable[tuple[str, ...]]:
    if k.doi:
        yield ("doi", k.doi)
    if k.pmid:
        yield ("pmid", k.pmid)
    if len(k.title_key) >= 12:
        yield ("title-start", k.title_key[:_TITLE_CHARS])
        yield ("title-end", k.title_key[-_TITLE_CHARS:])
    if k.surnames and k.year:
        yield ("author-year", k.surnames[0], str(k.year))
    if k.page and k.volume:
        if k.year:
            yield ("year-volume-page", str(k.year), k.volume, k.page)
        if k.journal_words:
            yield ("journal-volume-page", k.journal_words[0][:4], k.volume, k.page)
    for isbn in sorted(k.isbns):
        yield ("isbn", isbn)


def candidate_pairs(keys: Sequence[Keys]) -> set[tuple[int, int]]:
    """Index pairs (i < j) of records sharing at least one block."""
    blocks: dict[tuple[str, ...], list[int]] = defaultdict(list)
    for index, k in enumerate(keys):
        for key in block_keys(k):
            blocks[key].append(index)
    pairs: set[tuple[int, int]] = set()
    for members in blocks.values():
        if len(members) < 2:
            continue
        if len(members) <= FULL_BLOCK:
            for a in range(len(members)):
                for b in range(a + 1, len(members)):
                    i, j = members[a], members[b]
                    pairs.add((i, j) if i < j else (j, i))
            continue
        ordered = sorted(members, key=lambda i: (keys[i].title_key, keys[i].uid))
        for a, i in enumerate(ordered):
            for j in ordered[a + 1: a + 1 + WINDOW]:
                pairs.add((i, j) if i < j else (j, i))
    return pairs
