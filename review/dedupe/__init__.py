"""Duplicate detection on plain records in memory: blocking -> pair scoring -> clustering -> merge.

No database here, so the batch command and a review's `review dedupe` share one code path.
People's decisions come in as confirmed and rejected pairs and always win over the rules.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass
from operator import attrgetter
from typing import Any

from review.dedupe.blocking import candidate_pairs
from review.dedupe.cluster import Clusters, join
from review.dedupe.compare import DUPLICATE, NOT_DUPLICATE, UNCERTAIN, PairResult, compare
from review.dedupe.keys import Keys, make_keys
from review.dedupe.merge import merge_group
from review.io import cycle_collector_paused
from review.records import Record

ENGINE_VERSION = "4"  # 4: one unlike title word on one DOI and one page place merges

__all__ = ["DUPLICATE", "ENGINE_VERSION", "NOT_DUPLICATE", "UNCERTAIN", "DedupeResult",
           "ScoredPair", "deduplicate", "merge_group"]


@dataclass(frozen=True, slots=True)
class ScoredPair:
    a: str
    b: str
    outcome: str  # what the rules say: duplicate, uncertain, not duplicate
    score: float
    reason: str
    evidence: dict[str, Any]
    merged: bool  # whether the two ended in one group


@dataclass(frozen=True, slots=True)
class DedupeResult:
    uids: list[str]
    group: list[int]  # group number per record, numbered in order of first appearance
    kept: list[bool]  # one True per group: the most complete record
    pairs: list[ScoredPair]  # every candidate pair, strongest first

    @property
    def groups(self) -> int:
        return len(set(self.group))

    def uncertain(self) -> list[ScoredPair]:
        return [p for p in self.pairs if p.outcome == UNCERTAIN and not p.merged]


def _ordered(a: str, b: str) -> tuple[str, str]:
    return (a, b) if a <= b else (b, a)


def deduplicate(records: Sequence[Record], uids: Sequence[str], *,
                confirmed: Collection[tuple[str, str]] = (),
                rejected: Collection[tuple[str, str]] = (),
                anchors: Sequence[object | None] | None = None,
                progress: Callable[[str, int, int], None] | None = None) -> DedupeResult:
    """Group duplicate records. `uids` name the records (unique); `confirmed` and `rejected`
    are pairs of uids decided by people; `anchors` are existing group labels per record."""
    if len(set(uids)) != len(uids):
        raise ValueError("record ids must be unique")
    with cycle_collector_paused():
        return _deduplicate(records, uids, confirmed=confirmed, rejected=rejected,
                            anchors=anchors, progress=progress)


def _deduplicate(records: Sequence[Record], uids: Sequence[str], *,
                 confirmed: Collection[tuple[str, str]],
                 rejected: Collection[tuple[str, str]],
                 anchors: Sequence[object | None] | None,
                 progress: Callable[[str, int, int], None] | None) -> DedupeResult:
    n = len(records)
    keys: list[Keys] = [make_keys(uid, record) for uid, record in zip(uids, records, strict=True)]
    index = {uid: i for i, uid in enumerate(uids)}
    if progress:
        progress("blocking", 0, n)
    pairs = candidate_pairs(keys)
    results: dict[tuple[int, int], PairResult] = {}
    total = len(pairs)
    for done, (i, j) in enumerate(pairs):  # order does not matter: each pair stands alone
        results[(i, j)] = compare(keys[i], keys[j])
        if progress and done % 5000 == 0:
            progress("comparing", done, total)
    if progress:
        progress("comparing", total, total)
    del pairs  # the results hold the same pairs: memory for what follows

    person_yes = {_pair(index, a, b) for a, b in confirmed if a in index and b in index}
    person_no = {_pair(index, a, b) for a, b in rejected if a in index and b in index}
    checked: dict[tuple[int, int], PairResult] = {}  # scored only to check a join

    def different(x: int, y: int) -> bool:
        key = (x, y) if x < y else (y, x)
        if key in person_no:
            return True
        if key in person_yes:
            return False
        result = results.get(key) or checked.get(key)
        if result is None:  # not a candidate pair: score it now, since it would join a group
            result = checked[key] = compare(keys[key[0]], keys[key[1]])
        return result.conflict

    def different_by_person(x: int, y: int) -> bool:
        return ((x, y) if x < y else (y, x)) in person_no

    automatic = sorted((p for p, r in results.items() if r.outcome == DUPLICATE
                        and p not in person_no),
                       key=lambda p: (-results[p].score, _ordered(uids[p[0]], uids[p[1]])))
    # people's joins first (only their own rejections can stop them), then the rules' joins
    edges = [(p, True) for p in sorted(person_yes, key=lambda p: _ordered(uids[p[0]], uids[p[1]]))]
    edges += [(p, False) for p in automatic]
    clusters = Clusters.singletons(n)
    blocked = join(clusters, edges, different=different, different_by_person=different_by_person,
                   anchors=anchors)
    del automatic, edges  # no longer needed: memory for what follows

    group, kept = _label(clusters, keys)
    blocked_set = set(blocked)
    scored = []
    checked.clear()  # scored only to check a join: not candidate pairs, not shown
    while results:  # each result dropped as its pair is made, so both are never held at once
        (i, j), r = results.popitem()
        outcome, reason = r.outcome, r.reason
        if (i, j) in blocked_set:
            outcome = UNCERTAIN
            reason = f"{r.reason}; not merged: it would join records judged different"
        a, b = uids[i], uids[j]
        if b < a:
            a, b = b, a
        scored.append(ScoredPair(a, b, outcome, r.score, reason, r.evidence,
                                 group[i] == group[j]))
    # strongest first, ties by the two ids: sorted one key at a time (each sort is stable),
    # which needs no key tuple per pair
    scored.sort(key=attrgetter("b"))
    scored.sort(key=attrgetter("a"))
    scored.sort(key=attrgetter("score"), reverse=True)
    return DedupeResult(list(uids), group, kept, scored)


def _pair(index: dict[str, int], a: str, b: str) -> tuple[int, int]:
    i, j = index[a], index[b]
    return (i, j) if i < j else (j, i)


def _label(clusters: Clusters, keys: list[Keys]) -> tuple[list[int], list[bool]]:
    """Group numbers in order of first appearance; the kept record is the most complete
    (ties: the smallest id, so the choice does not depend on input order)."""
    n = len(keys)
    group = [-1] * n
    kept = [False] * n
    number = 0
    for i in range(n):
        root = clusters.find(i)
        if group[i] != -1:
            continue
        members = clusters.members[root]
        for m in members:
            group[m] = number
        best = min(members, key=lambda m: (-keys[m].completeness, keys[m].uid))
        kept[best] = True
        number += 1
    return group, kept
