"""Agreement between reviewers and screening progress.

Agreement is computed on the reviewers' own votes, never on resolutions: for every record two
reviewers both voted on at a stage (once it has all the votes it needs), their votes as counted
under the protocol's maybe policy (by default a maybe counts as an include, since it goes on to
full text). Per stage the pooled figure takes, for every record with two or more votes, its
first two votes. Cohen's kappa is undefined when chance agreement is 1 (both reviewers used one
category only); it is then None.

Who may see what is decided here, not in the pages: agreement and stage totals are for leads,
third reviewers and observers. A plain reviewer's progress holds their own counts only: with
few records, a stage's conflict count or a pair's agreement tells how the other one voted.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from itertools import combinations
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from review.accounts import AccessError, Reviewer, find_reviewer, reviewer_now
from review.errors import ReviewError
from review.project import review_protocol
from review.screening.state import (
    BY_AUTOMATION,
    BY_RESOLUTION,
    CONFLICT,
    DECIDED,
    NOT_RETRIEVED,
    OPEN,
    effective,
)
from review.store import Store
from review.store import schema as t


def _viewer(store: Store, conn: Connection, who: str | Reviewer) -> Reviewer:
    """The person asking, as stored now (a session's copy may predate a change of role)."""
    found = (reviewer_now(store, conn, who) if isinstance(who, Reviewer)
             else find_reviewer(store, conn, who))
    name = who.name if isinstance(who, Reviewer) else who
    if found is None:
        raise ReviewError(f"no reviewer called {name!r} in this review")
    if not found.active:
        raise AccessError(f"{found.name} is no longer an active reviewer of this review")
    return found


def cohen_kappa(pairs: Sequence[tuple[str, str]]) -> float | None:
    """Cohen's kappa of two raters' labels, one (a, b) pair per item."""
    n = len(pairs)
    if n == 0:
        return None
    observed = sum(1 for a, b in pairs if a == b) / n
    first, second = Counter(a for a, _ in pairs), Counter(b for _, b in pairs)
    chance = sum(first[c] * second[c] for c in set(first) | set(second)) / (n * n)
    if chance >= 1.0:
        return None
    return (observed - chance) / (1.0 - chance)


@dataclass(frozen=True, slots=True)
class Agreement:
    stage: str
    reviewer_a: str | None  # None: every reviewer pooled
    reviewer_b: str | None
    records: int
    agreed: int
    percent: float | None
    kappa: float | None
    conflicts: int  # records these votes sent to a person (open or resolved)

    def as_row(self) -> dict[str, Any]:
        row = asdict(self)
        row["reviewers"] = ("all" if self.reviewer_a is None
                            else f"{self.reviewer_a} / {self.reviewer_b}")
        return row


def agreement(store: Store, stage: str | None = None, *,
              by: str | Reviewer | None) -> list[Agreement]:
    """Per stage: the pooled figure, then one row per pair of reviewers who share records.
    For a lead, a third reviewer or an observer; `by` is whoever asks (None: the command
    line, as for the PRISMA counts and the evidence tables)."""
    protocol = review_protocol(store)
    decisions, reviewers, state, resolutions = (t.decisions, t.reviewers,
                                                t.screening_state, t.resolutions)
    stages = [protocol.stage(stage)] if stage else list(protocol.stages)
    with store.read() as conn:
        person = _viewer(store, conn, by) if by is not None else None
        if person is not None and not person.sees_whole_review:
            raise AccessError(f"{person.name} is a reviewer; agreement between reviewers is for "
                              "leads, third reviewers and observers (it would tell a reviewer "
                              "how the others voted)")
        names = dict(conn.execute(sa.select(reviewers.c.id, reviewers.c.name)).all())
        rows = conn.execute(sa.select(decisions.c.group_id, decisions.c.stage,
                                      decisions.c.reviewer_id, decisions.c.decision)
                            .order_by(decisions.c.created_at, decisions.c.id)).all()
        # a record still waiting for votes is left out: with three votes required, two
        # reviewers' agreement on it would tell the third what they voted
        complete = {(g, s) for g, s in conn.execute(
            sa.select(state.c.group_id, state.c.stage).where(state.c.state != OPEN))}
        conflicted = {(g, s) for g, s in conn.execute(
            sa.select(state.c.group_id, state.c.stage).where(state.c.state == CONFLICT))}
        conflicted |= {(g, s) for g, s in conn.execute(
            sa.select(resolutions.c.group_id, resolutions.c.stage))}
    votes: dict[tuple[str, int], list[tuple[int, str]]] = defaultdict(list)
    for row in rows:
        votes[(row.stage, row.group_id)].append(
            (row.reviewer_id, effective(row.decision, protocol.maybe_policy)))
    result = []
    for st in stages:
        pooled, pairs = [], defaultdict(list)
        pooled_conflicts = 0
        pair_conflicts: Counter[tuple[int, int]] = Counter()
        for (stage_id, group_id), cast in votes.items():
            if stage_id != st.id or len(cast) < 2 or (group_id, st.id) not in complete:
                continue
            in_conflict = (group_id, st.id) in conflicted
            pooled.append((cast[0][1], cast[1][1]))
            pooled_conflicts += in_conflict
            for (ra, da), (rb, db) in combinations(sorted(cast), 2):
                pairs[(ra, rb)].append((da, db))
                pair_conflicts[(ra, rb)] += in_conflict
        result.append(_figure(st.id, None, None, pooled, pooled_conflicts))
        for (ra, rb), labels in sorted(pairs.items(), key=lambda kv: (names[kv[0][0]],
                                                                       names[kv[0][1]])):
            result.append(_figure(st.id, names[ra], names[rb], labels, pair_conflicts[(ra, rb)]))
    return result


def _figure(stage: str, a: str | None, b: str | None, labels: list[tuple[str, str]],
            conflicts: int) -> Agreement:
    agreed = sum(1 for x, y in labels if x == y)
    percent = 100.0 * agreed / len(labels) if labels else None
    return Agreement(stage, a, b, len(labels), agreed, percent, cohen_kappa(labels), conflicts)


def _role(row: Any) -> str:
    """A person's role as every page names it (a reviewer who resolves: "third reviewer")."""
    return "third reviewer" if row.role == "reviewer" and row.resolver else str(row.role)


def progress(store: Store, *, by: str | Reviewer) -> dict[str, Any]:
    """Where screening stands: per stage the records in each state, per reviewer their votes
    and what is left in their queue. A plain reviewer gets their own rows only and no stage
    totals ("scope": "own"); everyone else the whole review ("scope": "review")."""
    protocol = review_protocol(store)
    state, decisions, reviewers = t.screening_state, t.decisions, t.reviewers
    with store.read() as conn:
        viewer = _viewer(store, conn, by)
        whole = viewer.sees_whole_review
        counts = conn.execute(sa.select(state.c.stage, state.c.state, state.c.outcome,
                                        state.c.decided_by, sa.func.count())
                              .group_by(state.c.stage, state.c.state, state.c.outcome,
                                        state.c.decided_by)).all()
        cast = dict(((r.stage, r.reviewer_id), r.n) for r in conn.execute(
            sa.select(decisions.c.stage, decisions.c.reviewer_id,
                      sa.func.count().label("n")).group_by(decisions.c.stage,
                                                           decisions.c.reviewer_id)))
        people = [p for p in conn.execute(sa.select(reviewers).order_by(reviewers.c.id))
                  if p.role != "observer" and (whole or p.id == viewer.id)]
        waiting: dict[tuple[str, int], int] = {}
        for st in protocol.stages:
            for person in people:
                mine = sa.select(decisions.c.id).where(
                    decisions.c.stage == st.id, decisions.c.reviewer_id == person.id,
                    decisions.c.group_id == state.c.group_id)
                waiting[(st.id, person.id)] = conn.execute(
                    sa.select(sa.func.count()).select_from(state).where(
                        state.c.stage == st.id, state.c.state == OPEN, ~sa.exists(mine))
                ).scalar_one()
    stages = []
    for st in protocol.stages:
        row = {"stage": st.id, "label": st.label, "records": 0, "pending": 0, "conflicts": 0,
               "included": 0, "excluded": 0, "excluded_by_automation": 0, "resolved": 0,
               "not_retrieved": 0}
        for stage_id, st_state, outcome, by, n in counts:
            if stage_id != st.id:
                continue
            row["records"] += n
            if st_state == OPEN:
                row["pending"] += n
            elif st_state == CONFLICT:
                row["conflicts"] += n
            elif st_state == NOT_RETRIEVED:
                row["not_retrieved"] += n
            elif st_state == DECIDED:
                if by == BY_AUTOMATION:
                    row["excluded_by_automation"] += n
                else:
                    row["included" if outcome == "include" else "excluded"] += n
                if by == BY_RESOLUTION:
                    row["resolved"] += n
        if whole:
            stages.append(row)
    people_rows = []
    for person in people:
        for st in protocol.stages:
            done = cast.get((st.id, person.id), 0)
            left = waiting[(st.id, person.id)]
            people_rows.append({"reviewer": person.name, "role": _role(person),
                                "stage": st.id,
                                "votes": done, "waiting": left, "of": done + left})
    return {"scope": "review" if whole else "own", "stages": stages, "reviewers": people_rows}
