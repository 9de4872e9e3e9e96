"""Finding the work in this review that a row of another tool's export stands for.

By DOI, then PubMed id, else by the dedupe engine's own pair comparison (title, authors, year,
venue): the same rules that decide two database records are one work decide that a Rayyan or
Covidence row is one of ours, so an import never matches more loosely than deduplication
merges. The answer is a work (a duplicate group), named by its kept record; a row whose
evidence points at two works, or only uncertainly at one, is ambiguous and left to a person.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from review.dedupe.blocking import block_keys
from review.dedupe.compare import DUPLICATE, UNCERTAIN, compare
from review.dedupe.keys import Keys, make_keys
from review.records import Record
from review.store import Store
from review.store import schema as t

MATCHED, AMBIGUOUS, UNMATCHED = "matched", "ambiguous", "unmatched"


@dataclass(frozen=True, slots=True)
class Candidate:
    record_id: int  # the group's kept record: what people call the work by
    group_id: int
    reason: str


@dataclass(frozen=True, slots=True)
class Match:
    status: str  # matched, ambiguous, unmatched
    how: str = ""  # doi, pmid, title (matched); why not (otherwise)
    candidates: list[Candidate] = field(default_factory=list)

    @property
    def group_id(self) -> int:
        return self.candidates[0].group_id

    @property
    def record_id(self) -> int:
        return self.candidates[0].record_id


class Matcher:
    """The review's deduplicated records, indexed once for matching many rows."""

    def __init__(self, store: Store, conn: Connection) -> None:
        records, links, groups = t.records, t.record_groups, t.duplicate_groups
        query = (sa.select(records.c.id, records.c.doi, records.c.pmid, records.c.title,
                           records.c.authors, records.c.year, records.c.journal,
                           records.c.volume, records.c.issue, records.c.pages_start,
                           records.c.pages_end, records.c.isbn, records.c.pub_type,
                           links.c.group_id, groups.c.kept_record_id)
                 .join(links, links.c.record_id == records.c.id)
                 .join(groups, groups.c.id == links.c.group_id)
                 .order_by(records.c.id))
        waiting = conn.execute(sa.select(sa.func.count()).select_from(records).where(
            ~sa.exists(sa.select(links.c.record_id).where(links.c.record_id == records.c.id)))
        ).scalar_one()
        # records imported with --no-dedupe are in no work yet, so nothing can match them
        self.not_deduplicated = int(waiting)
        self.keys: list[Keys] = []
        self.group: list[int] = []
        self.kept: dict[int, int] = {}
        self.by_doi: dict[str, list[int]] = defaultdict(list)
        self.by_pmid: dict[str, list[int]] = defaultdict(list)
        self.blocks: dict[tuple[str, ...], list[int]] = defaultdict(list)
        for row in conn.execute(query):
            record = Record(raw={}, doi=row.doi, pmid=row.pmid, title=row.title,
                            authors=list(row.authors or []), year=row.year, journal=row.journal,
                            volume=row.volume, issue=row.issue, pages_start=row.pages_start,
                            pages_end=row.pages_end, isbn=list(row.isbn or []),
                            pub_type=row.pub_type)
            index = len(self.keys)
            keys = make_keys(str(row.id), record)
            self.keys.append(keys)
            self.group.append(row.group_id)
            self.kept[row.group_id] = row.kept_record_id
            if keys.doi:
                self.by_doi[keys.doi].append(index)
            if keys.pmid:
                self.by_pmid[keys.pmid].append(index)
            for key in block_keys(keys):
                if key[0] not in ("doi", "pmid"):
                    self.blocks[key].append(index)

    def match(self, record: Record) -> Match:
        keys = make_keys("row", record)
        for name, index in (("doi", self.by_doi), ("pmid", self.by_pmid)):
            value = getattr(keys, name)
            hits = index.get(value, []) if value else []
            if hits:
                return self._by_identifier(name, value, keys, hits)
        return self._by_comparison(keys)

    def _candidate(self, index: int, reason: str) -> Candidate:
        group = self.group[index]
        return Candidate(self.kept[group], group, reason)

    def _by_identifier(self, name: str, value: str, keys: Keys, hits: list[int]) -> Match:
        """Same DOI or PubMed id: one work, unless the comparison finds the two cannot be one
        (a DOI shared in error, a correction notice carrying its article's DOI)."""
        label = "DOI" if name == "doi" else "PubMed id"
        agreeing: dict[int, Candidate] = {}
        refused: dict[int, Candidate] = {}
        for index in hits:
            result = compare(keys, self.keys[index])
            group = self.group[index]
            if result.conflict and result.outcome != DUPLICATE:
                refused.setdefault(group, self._candidate(
                    index, f"same {label} {value} but {result.reason}"))
            else:
                agreeing.setdefault(group, self._candidate(index, f"same {label} {value}"))
        if len(agreeing) == 1:
            return Match(MATCHED, name, list(agreeing.values()))
        if agreeing:
            return Match(AMBIGUOUS, f"its {label} is on {len(agreeing)} different works",
                         list(agreeing.values()))
        return Match(AMBIGUOUS, f"its {label} matches, but the record differs",
                     list(refused.values()))

    def _by_comparison(self, keys: Keys) -> Match:
        seen: set[int] = set()
        duplicates: dict[int, Candidate] = {}
        uncertain: dict[int, Candidate] = {}
        for key in block_keys(keys):
            for index in self.blocks.get(key, ()):
                if index in seen:
                    continue
                seen.add(index)
                result = compare(keys, self.keys[index])
                group = self.group[index]
                if result.outcome == DUPLICATE:
                    duplicates.setdefault(group, self._candidate(index, result.reason))
                elif result.outcome == UNCERTAIN:
                    uncertain.setdefault(group, self._candidate(index, result.reason))
        if len(duplicates) == 1:
            return Match(MATCHED, "title", list(duplicates.values()))
        if duplicates:
            return Match(AMBIGUOUS, f"it matches {len(duplicates)} different works",
                         list(duplicates.values()))
        if uncertain:
            return Match(AMBIGUOUS, "it may be this work, but too little agrees to be sure",
                         list(uncertain.values()))
        why = "no work in this review has its DOI, PubMed id or title"
        if self.not_deduplicated:
            why += (f" ({self.not_deduplicated} record(s) are not deduplicated yet: run "
                    "'review dedupe' first)")
        return Match(UNMATCHED, why)
