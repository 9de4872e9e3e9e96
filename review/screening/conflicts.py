"""Conflicts and their resolution: the one place where other people's votes are shown, to a
lead or a designated third reviewer, and only for works whose votes already disagree.

A reviewer who voted in a conflict sees that conflict too (to discuss it: see discussion.py),
with their own vote only; they do not resolve it."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa

from review.accounts import AccessError, Reviewer
from review.errors import ReviewError
from review.project import lock_protocol, review_protocol
from review.screening.state import CONFLICT, EXCLUDE, INCLUDE, group_for_record, lock_group, refresh
from review.screening.votes import check_vote, screener, stage_of, state_row
from review.store import Store, utc_now
from review.store import schema as t
from review.store.records import audit


@dataclass(frozen=True, slots=True)
class Conflict:
    group_id: int
    record_id: int
    stage: str
    title: str | None
    year: int | None
    votes: list[dict[str, Any]] = field(default_factory=list)


def _resolver(person: Reviewer) -> None:
    if not person.can_resolve:
        raise AccessError(f"{person.name} is a reviewer; only a lead or a designated third "
                          "reviewer sees and resolves conflicts")


def conflicts(store: Store, by: str | Reviewer, stage: str | None = None,
              pair: tuple[str, str] | None = None) -> list[Conflict]:
    """Groups whose votes disagree, oldest stage first. A lead or a third reviewer gets every
    conflict with every vote; a reviewer gets the conflicts they voted in, with their own vote
    only. `pair` (two reviewers' names) keeps the conflicts both of them voted in."""
    protocol = review_protocol(store)
    state, decisions, groups, records, reviewers = (
        t.screening_state, t.decisions, t.duplicate_groups, t.records, t.reviewers)
    with store.read() as conn:
        person = screener(store, conn, by)
        query = (sa.select(state.c.group_id, state.c.stage, records.c.id.label("record_id"),
                           records.c.title, records.c.year)
                 .join(groups, groups.c.id == state.c.group_id)
                 .join(records, records.c.id == groups.c.kept_record_id)
                 .where(state.c.state == CONFLICT).order_by(state.c.stage, state.c.group_id))
        if stage is not None:
            query = query.where(state.c.stage == protocol.stage(stage).id)
        if not person.can_resolve:
            query = query.where(sa.exists(sa.select(decisions.c.id).where(
                decisions.c.group_id == state.c.group_id, decisions.c.stage == state.c.stage,
                decisions.c.reviewer_id == person.id)))
        found = conn.execute(query).all()
        votes: dict[tuple[int, str], list[dict[str, Any]]] = {}
        ids = [r.group_id for r in found]
        for start in range(0, len(ids), 500):
            for v in conn.execute(sa.select(decisions, reviewers.c.name.label("reviewer"))
                                  .join(reviewers, reviewers.c.id == decisions.c.reviewer_id)
                                  .where(decisions.c.group_id.in_(ids[start:start + 500]))
                                  .order_by(decisions.c.id)).mappings():
                votes.setdefault((v["group_id"], v["stage"]), []).append(dict(v))
        order = {s.id: i for i, s in enumerate(protocol.stages)}
        result = []
        for r in found:
            shown = votes.get((r.group_id, r.stage), [])
            if pair is not None and not set(pair) <= {v["reviewer"] for v in shown}:
                continue
            if not person.can_resolve:  # blinding: a reviewer sees their own vote only
                shown = [v for v in shown if v["reviewer_id"] == person.id]
            result.append(Conflict(r.group_id, r.record_id, r.stage, r.title, r.year, shown))
        return sorted(result, key=lambda c: (order.get(c.stage, 99), c.group_id))


def reviewer_pairs(found: list[Conflict]) -> list[tuple[str, str]]:
    """The pairs of reviewers who disagree in these conflicts (names in order), for a filter."""
    pairs: set[tuple[str, str]] = set()
    for conflict in found:
        names = sorted({v["reviewer"] for v in conflict.votes})
        pairs.update((a, b) for i, a in enumerate(names) for b in names[i + 1:])
    return sorted(pairs)


def resolve(store: Store, record_id: int, decision: str, *, by: str | Reviewer,
            stage: str | None = None, reason: str | None = None,
            note: str | None = None) -> dict[str, Any]:
    """Settle a conflict. An exclusion's reason is one from the protocol's list, at every stage
    (needed where the stage asks for one, optional elsewhere); an inclusion's `reason` says why
    in the resolver's words."""
    if decision not in (INCLUDE, EXCLUDE):
        raise ReviewError(f"a conflict is resolved as include or exclude, not {decision!r}")
    resolutions, decisions = t.resolutions, t.decisions
    with store.write() as conn:
        lock_protocol(store, conn)
        protocol = review_protocol(store, conn)
        person = screener(store, conn, by)
        _resolver(person)
        group_id = group_for_record(store, conn, record_id)
        lock_group(store, conn, group_id)
        stage_obj = stage_of(protocol, stage)
        if stage is None:
            for candidate in protocol.stages:
                row = state_row(store, conn, group_id, candidate.id)
                if row is not None and row.state == CONFLICT:
                    stage_obj = candidate
                    break
        row = state_row(store, conn, group_id, stage_obj.id)
        if row is None or row.state != CONFLICT:
            raise ReviewError(f"record {record_id} has no conflict at "
                              f"{stage_obj.label.lower()} to resolve")
        reason = (reason or "").strip() or None
        if decision == EXCLUDE:  # a reason from the protocol's list, at every stage
            reason, _ = check_vote(protocol, stage_obj, EXCLUDE, reason, None)
        voters = {r for (r,) in conn.execute(sa.select(decisions.c.reviewer_id).where(
            decisions.c.group_id == group_id, decisions.c.stage == stage_obj.id))}
        if not person.is_lead and person.id in voters:
            raise AccessError(f"{person.name} screened record {record_id}; a third reviewer "
                              "resolves only conflicts they did not vote in")
        values = {"group_id": group_id, "stage": stage_obj.id, "decision": decision,
                  "reason": reason, "note": (note or "").strip() or None}
        conn.execute(resolutions.insert().values(resolved_by=person.id, resolved_at=utc_now(),
                                                 **values))
        audit(store, conn, actor=person.name, action="resolve conflict", entity="group",
              entity_id=str(group_id), detail={"record": record_id, **values})
        refresh(store, conn, protocol, [group_id])
        return {"record_id": record_id, "resolved_by": person.name, **values}
