"""Clustering duplicate pairs into groups without chaining unrelated records.

Pairs join groups strongest first, and two groups join only if no record of one is known to
be a different work from any record of the other (a rule refusal or a person's rejection):
A~B and B~C never pull C in with A when A and C are different works. A join that such a
conflict blocks is left to a person. Records already in different groups of a review (anchors)
are never joined automatically either, since people may have screened those groups.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field

Pair = tuple[int, int]


@dataclass
class Clusters:
    parent: list[int]
    members: dict[int, list[int]] = field(default_factory=dict)

    @classmethod
    def singletons(cls, n: int) -> Clusters:
        return cls(parent=list(range(n)), members={i: [i] for i in range(n)})

    def find(self, i: int) -> int:
        root = i
        while self.parent[root] != root:
            root = self.parent[root]
        while self.parent[i] != root:  # path compression
            self.parent[i], i = root, self.parent[i]
        return root

    def union(self, a: int, b: int) -> None:
        ra, rb = self.find(a), self.find(b)
        if ra == rb:
            return
        if len(self.members[ra]) < len(self.members[rb]):
            ra, rb = rb, ra
        self.parent[rb] = ra
        self.members[ra].extend(self.members.pop(rb))


def join(clusters: Clusters, edges: Iterable[tuple[Pair, bool]], *,
         different: Callable[[int, int], bool],
         different_by_person: Callable[[int, int], bool],
         anchors: Sequence[object | None] | None = None) -> list[Pair]:
    """Join edges in the order given; `edges` yields ((i, j), by_person).

    A person's edge is stopped only by a person's rejection (`different_by_person`); a rule's
    edge by any known difference (`different`) and by anchors. Returns the rules' edges that
    could not be joined, for a person to review.
    """
    blocked: list[Pair] = []
    for (i, j), by_person in edges:
        ri, rj = clusters.find(i), clusters.find(j)
        if ri == rj:
            continue
        left, right = clusters.members[ri], clusters.members[rj]
        if not by_person and anchors is not None:
            left_anchors = {anchors[x] for x in left} - {None}
            right_anchors = {anchors[y] for y in right} - {None}
            if left_anchors and right_anchors and left_anchors != right_anchors:
                blocked.append((i, j))
                continue
        check = different_by_person if by_person else different
        if any(check(x, y) for x in left for y in right):
            if not by_person:
                blocked.append((i, j))
            continue
        clusters.union(i, j)
    return blocked
