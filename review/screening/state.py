"""Where each duplicate group stands at each screening stage, kept in `screening_state` so a
reviewer's next record is one indexed query even at 50,000 records.

The state is derived, never typed: it is recomputed from the votes, resolutions, full-text status
and the protocol's automatic rules whenever one of them changes (in the same transaction), and
`sync_groups` recomputes it after deduplication moves records between groups. A group has a row
at the first stage as soon as it exists, and a row at each later stage once the stage before
included it; a group holding a report of the review's previous version (an updated review) has
no row at any stage: it was included there and is never screened again.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from review.dedupe.merge import merge_group
from review.errors import ReviewError
from review.project import lock_protocol
from review.protocol import Protocol, Stage
from review.records import Record
from review.store import Store, at_commit, utc_now
from review.store import schema as t
from review.store.records import audit, previous_groups, row_record

INCLUDE, EXCLUDE, MAYBE = "include", "exclude", "maybe"
DECISIONS = (INCLUDE, EXCLUDE, MAYBE)
OPEN, CONFLICT, DECIDED, NOT_RETRIEVED = "open", "conflict", "decided", "not retrieved"
BY_VOTES, BY_RESOLUTION, BY_AUTOMATION = "votes", "resolution", "automation"
_CHUNK = 500


@dataclass(frozen=True, slots=True)
class State:
    state: str
    outcome: str | None = None
    decided_by: str | None = None
    reason: str | None = None
    votes: int = 0


def effective(decision: str, maybe_policy: str) -> str:
    """What a vote counts as: under the default policy a "maybe" goes on like an include."""
    if decision == MAYBE and maybe_policy in (INCLUDE, EXCLUDE):
        return maybe_policy
    return decision


def fulltext_stage(protocol: Protocol) -> Stage | None:
    """The stage that assesses reports (full texts): id "full_text", else the last of several."""
    for stage in protocol.stages:
        if stage.id == "full_text":
            return stage
    return protocol.stages[-1] if len(protocol.stages) > 1 else None


def group_for_record(store: Store, conn: Connection, record_id: int) -> int:
    """The group a record id stands for (screening is per work, named by any of its records)."""
    links = t.record_groups
    found = conn.execute(sa.select(links.c.group_id).where(links.c.record_id == record_id)).first()
    if found is not None:
        return found.group_id
    exists = conn.execute(sa.select(t.records.c.id).where(
        t.records.c.id == record_id)).first()
    if exists is None:
        raise ReviewError(f"no record {record_id}; 'review records' lists the ids")
    raise ReviewError(f"record {record_id} is not deduplicated yet: run 'review dedupe' first")


def decide(votes: Sequence[tuple[str, str | None]], stage: Stage, maybe_policy: str,
           resolution: tuple[str, str | None] | None = None) -> State:
    """The state that votes (decision, reason) and a resolution give at one stage.

    All required votes must agree for a decision. Under maybe_policy "conflict" any maybe is a
    disagreement. Where the stage asks for exclusion reasons, two exclusions with different
    reasons are a conflict too, as in Covidence: PRISMA counts each report under one reason; so
    is an exclusion that only maybes make (maybe_policy "exclude"): a maybe carries no reason,
    and the resolver gives one.
    """
    if resolution is not None:
        return State(DECIDED, resolution[0], BY_RESOLUTION, resolution[1], len(votes))
    if len(votes) < stage.votes_required:
        return State(OPEN, votes=len(votes))
    counted = [effective(d, maybe_policy) for d, _ in votes]
    if MAYBE in counted or len(set(counted)) > 1:
        return State(CONFLICT, votes=len(votes))
    outcome = counted[0]
    reason = None
    if outcome == EXCLUDE:
        reasons = {r for _, r in votes}
        if stage.exclusion_reason_required and (len(reasons) > 1 or None in reasons):
            return State(CONFLICT, votes=len(votes))
        reason = sorted(r for r in reasons if r)[0] if any(reasons) else None
    return State(DECIDED, outcome, BY_VOTES, reason, len(votes))


def automation(protocol: Protocol, record: dict[str, Any]) -> str | None:
    """The reason an automatic criterion excludes this record before screening, if one does."""
    first = protocol.stages[0].id
    for criterion in protocol.criteria:
        if criterion.automatic and criterion.rule is not None and first in criterion.stages:
            result = criterion.rule.evaluate(record)
            if result.passed is False:
                return f"{criterion.label}: {result.reason}"
    return None


def merged_records(store: Store, conn: Connection, group_ids: Sequence[int]) -> dict[int, Record]:
    """Each group's merged record (the kept copy, gaps filled from the others): what screeners
    see, what rule suggestions read, and what automatic criteria judge, so all three agree."""
    records, links, groups = t.records, t.record_groups, t.duplicate_groups
    members: dict[int, list[Any]] = defaultdict(list)
    kept: dict[int, int] = {}
    for row in conn.execute(sa.select(records, links.c.group_id.label("member_of"),
                                      groups.c.kept_record_id.label("kept_id"))
                            .join(links, links.c.record_id == records.c.id)
                            .join(groups, groups.c.id == links.c.group_id)
                            .where(links.c.group_id.in_(list(group_ids)))
                            .order_by(records.c.id)):
        members[row.member_of].append(row)
        kept[row.member_of] = row.kept_id
    return {g: merge_group([row_record(r) for r in rows], [r.id for r in rows].index(kept[g]))
            for g, rows in members.items()}


def lock_group(store: Store, conn: Connection, group_id: int) -> None:
    """Hold the group until this transaction ends, before reading what a refresh builds on.

    PostgreSQL runs writers side by side: without this, two reviewers voting on one record at
    once each count only their own vote, and the record stays open with both votes in and no
    one left to vote. SQLite already serialises writers (BEGIN IMMEDIATE) and ignores it."""
    groups = t.duplicate_groups
    conn.execute(sa.select(groups.c.id).where(groups.c.id == group_id).with_for_update())


def live_groups(store: Store, conn: Connection) -> list[int]:
    """The groups that are screened: every group but those holding a report of the review's
    previous version (already included there, never screened again)."""
    links = t.record_groups
    return [g for (g,) in conn.execute(
        sa.select(links.c.group_id).distinct()
        .where(links.c.group_id.not_in(previous_groups(store)))
        .order_by(links.c.group_id))]


# --- how many works are in each state at each stage (screening_counts) ----------------------
# Every write to screening_state is here, and each one's change to the counts goes with it:
# kept until the transaction's end and written then, in one order (see review.store.at_commit).

_COUNTS = "screening_counts"


class _CountChanges:
    """The transaction's changes to screening_counts, written just before it commits."""

    def __init__(self) -> None:
        self.changes: Counter[tuple[str, str]] = Counter()

    def __call__(self, conn: Connection) -> None:
        _write_counts(conn, self.changes)
        self.changes.clear()


def _count(conn: Connection, changes: Mapping[tuple[str, str], int]) -> None:
    """Note changes to the counts: (stage, state) -> works in (+) or out (-)."""
    changes = {key: n for key, n in changes.items() if n}
    if not changes:
        return
    work = at_commit(conn)
    if work is None:
        _write_counts(conn, changes)
        return
    pending = work.get(_COUNTS)
    if not isinstance(pending, _CountChanges):
        pending = work[_COUNTS] = _CountChanges()
    pending.changes.update(changes)


def _write_counts(conn: Connection, changes: Mapping[tuple[str, str], int]) -> None:
    counts = t.screening_counts
    add: dict[str, Any] = {}
    for (stage, state), n in sorted(changes.items()):
        if not n:
            continue
        row = {"stage": stage, "state": state, "n": n}
        keys = [counts.c.stage, counts.c.state]
        if conn.dialect.name == "postgresql":
            from sqlalchemy.dialects import postgresql  # start-up: only on PostgreSQL

            on_pg = postgresql.insert(counts).values(row)
            add = {"n": counts.c.n + on_pg.excluded.n}
            conn.execute(on_pg.on_conflict_do_update(index_elements=keys, set_=add))
        else:
            from sqlalchemy.dialects import sqlite  # start-up: the dialect's own module

            on_sqlite = sqlite.insert(counts).values(row)
            add = {"n": counts.c.n + on_sqlite.excluded.n}
            conn.execute(on_sqlite.on_conflict_do_update(index_elements=keys, set_=add))


def state_counts(store: Store, conn: Connection, stage: str) -> dict[str, int]:
    """How many works are in each state at the stage (open, conflict, decided, not retrieved):
    one indexed read, whatever the review's size, including this transaction's own changes."""
    counts = t.screening_counts
    found = {state: int(n) for state, n in conn.execute(
        sa.select(counts.c.state, counts.c.n).where(counts.c.stage == stage))}
    work = at_commit(conn)
    pending = work.get(_COUNTS) if work is not None else None
    if isinstance(pending, _CountChanges):
        for (at, state), n in pending.changes.items():
            if at == stage:
                found[state] = found.get(state, 0) + n
    return {state: n for state, n in found.items() if n}


def count_drift(store: Store, conn: Connection) -> dict[tuple[str, str], tuple[int, int]]:
    """Where screening_counts differs from a count of screening_state: (stage, state) ->
    (kept, counted). Empty when they agree, as they do unless something wrote the state rows
    around this module (`review doctor` checks, and recounts)."""
    counts, state_t = t.screening_counts, t.screening_state
    counted = {(stage, state): int(n) for stage, state, n in conn.execute(
        sa.select(state_t.c.stage, state_t.c.state, sa.func.count())
        .group_by(state_t.c.stage, state_t.c.state))}
    kept = {(stage, state): int(n) for stage, state, n in conn.execute(
        sa.select(counts.c.stage, counts.c.state, counts.c.n)) if n}
    return {key: (kept.get(key, 0), counted.get(key, 0))
            for key in sorted(set(kept) | set(counted)) if kept.get(key) != counted.get(key)}


def recount(store: Store, conn: Connection) -> None:
    """Count screening_state afresh into screening_counts (after rows were written around
    this module, as a benchmark's set-up does)."""
    counts, state_t = t.screening_counts, t.screening_state
    # votes hold the review row shared until they commit (their counts are written last, in
    # order): holding it exclusively, no vote is half-way while the counts are replaced, so
    # none waits on a deleted count row or inserts one the recount inserts again
    lock_protocol(store, conn, exclusive=True)
    work = at_commit(conn)
    if work is not None:
        work.pop(_COUNTS, None)
    conn.execute(counts.delete())
    conn.execute(counts.insert().from_select(
        ["stage", "state", "n"],
        sa.select(state_t.c.stage, state_t.c.state, sa.func.count())
        .group_by(state_t.c.stage, state_t.c.state)))


def refresh(store: Store, conn: Connection, protocol: Protocol, group_ids: Iterable[int]) -> None:
    """Recompute the state rows of these groups at every stage, writing only what changed."""
    ids = sorted(set(group_ids))
    for start in range(0, len(ids), _CHUNK):
        _refresh_chunk(store, conn, protocol, ids[start:start + _CHUNK])


def _refresh_chunk(store: Store, conn: Connection, protocol: Protocol, ids: list[int]) -> None:
    decisions, resolutions, state_t = t.decisions, t.resolutions, t.screening_state
    fulltexts = t.fulltexts
    votes: dict[tuple[int, str], list[tuple[str, str | None]]] = defaultdict(list)
    for row in conn.execute(sa.select(decisions.c.group_id, decisions.c.stage,
                                      decisions.c.decision, decisions.c.reason)
                            .where(decisions.c.group_id.in_(ids)).order_by(decisions.c.id)):
        votes[(row.group_id, row.stage)].append((row.decision, row.reason))
    resolved = {(r.group_id, r.stage): (r.decision, r.reason) for r in conn.execute(
        sa.select(resolutions).where(resolutions.c.group_id.in_(ids)))}
    not_retrieved = {g for (g,) in conn.execute(sa.select(fulltexts.c.group_id).where(
        fulltexts.c.group_id.in_(ids), fulltexts.c.status == NOT_RETRIEVED))}
    auto: dict[int, str | None] = {}
    if any(c.automatic for c in protocol.criteria):
        for group_id, merged in merged_records(store, conn, ids).items():
            auto[group_id] = automation(protocol, merged.normalised())
    bulk = t.automation_exclusions  # a lead's bulk exclusion by a rule (review.screening.bulk)
    for excluded in conn.execute(sa.select(bulk.c.group_id, bulk.c.reason).where(
            bulk.c.group_id.in_(ids), bulk.c.stage == protocol.stages[0].id)):
        auto[excluded.group_id] = auto.get(excluded.group_id) or excluded.reason
    existing = {(r.group_id, r.stage): r for r in conn.execute(
        sa.select(state_t).where(state_t.c.group_id.in_(ids)))}
    report_stage = fulltext_stage(protocol)
    previous = {g for (g,) in conn.execute(
        previous_groups(store).where(t.record_groups.c.group_id.in_(ids)))}
    now = utc_now()
    changes: Counter[tuple[str, str]] = Counter()
    for group_id in ids:
        eligible = group_id not in previous  # a previous version's report: no stage at all
        for index, stage in enumerate(protocol.stages):
            key = (group_id, stage.id)
            if not eligible:
                if key in existing:
                    conn.execute(state_t.delete().where(state_t.c.group_id == group_id,
                                                        state_t.c.stage == stage.id))
                    changes[(stage.id, existing[key].state)] -= 1
                continue
            found = votes.get(key, [])
            if key in resolved:
                new = decide(found, stage, protocol.maybe_policy, resolved[key])
            elif index == 0 and auto.get(group_id):
                new = State(DECIDED, EXCLUDE, BY_AUTOMATION, auto[group_id], len(found))
            elif stage is report_stage and group_id in not_retrieved:
                new = State(NOT_RETRIEVED, votes=len(found))
            else:
                new = decide(found, stage, protocol.maybe_policy)
            old = existing.get(key)
            values = {"state": new.state, "outcome": new.outcome, "decided_by": new.decided_by,
                      "reason": new.reason, "votes": new.votes}
            if old is None:
                conn.execute(state_t.insert().values(group_id=group_id, stage=stage.id,
                                                     updated_at=now, **values))
                changes[(stage.id, new.state)] += 1
            elif any(getattr(old, k) != v for k, v in values.items()):
                conn.execute(state_t.update().where(state_t.c.group_id == group_id,
                                                    state_t.c.stage == stage.id)
                             .values(updated_at=now, **values))
                changes[(stage.id, old.state)] -= 1
                changes[(stage.id, new.state)] += 1
            eligible = new.state == DECIDED and new.outcome == INCLUDE
    _count(conn, changes)


def _final_group(merged_into: dict[int, int | None], group_id: int) -> int:
    seen = set()
    while merged_into.get(group_id) is not None and group_id not in seen:
        seen.add(group_id)
        group_id = merged_into[group_id]  # type: ignore[assignment]
    return group_id


def sync_groups(store: Store, conn: Connection, protocol: Protocol, *, actor: str,
                only: Iterable[int] | None = None) -> None:
    """After deduplication changed groups: votes, resolutions and full texts of a group that a
    person joined into another follow it there (the audit log keeps where they were), a bulk
    exclusion on a joined work is judged again (`_judge_exclusions`), state rows of groups that
    no longer exist go, and the affected groups are recomputed."""
    groups, resolutions = t.duplicate_groups, t.resolutions
    fulltexts, state_t = t.fulltexts, t.screening_state
    merged_into = dict(conn.execute(sa.select(groups.c.id, groups.c.merged_into)
                                    .where(groups.c.merged_into.is_not(None))).all())
    touched: set[int] = set()
    for old in sorted(merged_into):
        target = _final_group(merged_into, old)
        moved = _move_votes(store, conn, old, target, actor=actor)
        # resolutions are one per stage, a full text one per group: a row moves unless the
        # target already has its own for that stage (or its own full text), which stands
        for row in conn.execute(sa.select(resolutions).where(resolutions.c.group_id == old)
                                ).all():
            clash = conn.execute(sa.select(resolutions.c.id).where(
                resolutions.c.group_id == target, resolutions.c.stage == row.stage)).first()
            change = resolutions.update().values(group_id=target) if clash is None \
                else resolutions.delete()
            conn.execute(change.where(resolutions.c.id == row.id))
            if clash is not None:
                audit(store, conn, actor=actor, action="resolution superseded by join",
                      entity="group", entity_id=str(old), detail={
                          "to_group": target, "stage": row.stage, "decision": row.decision,
                          "reason": row.reason, "resolved_by": row.resolved_by})
            moved = True
        if conn.execute(sa.select(fulltexts.c.group_id).where(fulltexts.c.group_id == old)
                        ).first() is not None:
            clash = conn.execute(sa.select(fulltexts.c.group_id).where(
                fulltexts.c.group_id == target)).first()
            change = fulltexts.update().values(group_id=target) if clash is None \
                else fulltexts.delete()
            conn.execute(change.where(fulltexts.c.group_id == old))
            moved = True
        moved = _move_marks(store, conn, old, target) or moved
        # a conflict's discussion follows the work too (threads are kept whole, never merged
        # away: a comment is what a person wrote)
        comments = t.conflict_comments
        conn.execute(comments.update().where(comments.c.group_id == old)
                     .values(group_id=target))
        if moved:
            touched.add(target)
    touched |= _judge_exclusions(store, conn, protocol, {
        _final_group(merged_into, old) for old in merged_into}, actor=actor)
    live = set(live_groups(store, conn))
    dead = [g for (g,) in conn.execute(sa.select(state_t.c.group_id).distinct())
            if g not in live]
    gone: Counter[tuple[str, str]] = Counter()
    for start in range(0, len(dead), _CHUNK):
        chunk = state_t.c.group_id.in_(dead[start:start + _CHUNK])
        for stage_id, state, n in conn.execute(
                sa.select(state_t.c.stage, state_t.c.state, sa.func.count()).where(chunk)
                .group_by(state_t.c.stage, state_t.c.state)):
            gone[(stage_id, state)] -= n
        conn.execute(state_t.delete().where(chunk))
    _count(conn, gone)
    wanted = live if only is None else (set(only) & live)
    refresh(store, conn, protocol, wanted | (touched & live))


def _move_marks(store: Store, conn: Connection, old: int, target: int) -> bool:
    """Labels and a bulk exclusion by a rule follow a joined group; a label its reviewer
    already put on the target, or a second exclusion, is not kept twice."""
    labels, bulk = t.labels, t.automation_exclusions
    moved = False
    for row in conn.execute(sa.select(labels).where(labels.c.group_id == old)).all():
        clash = conn.execute(sa.select(labels.c.id).where(
            labels.c.group_id == target, labels.c.reviewer_id == row.reviewer_id,
            labels.c.label == row.label)).first()
        change = labels.update().values(group_id=target) if clash is None else labels.delete()
        conn.execute(change.where(labels.c.id == row.id))
        moved = True
    if conn.execute(sa.select(bulk.c.group_id).where(bulk.c.group_id == old)).first():
        clash = conn.execute(sa.select(bulk.c.group_id).where(bulk.c.group_id == target)).first()
        change = bulk.update().values(group_id=target) if clash is None else bulk.delete()
        conn.execute(change.where(bulk.c.group_id == old))
        moved = True
    return moved


def _judge_exclusions(store: Store, conn: Connection, protocol: Protocol, targets: set[int],
                      *, actor: str) -> set[int]:
    """A bulk exclusion by a rule on a group that others joined is judged again, since the work
    is now more than the record the lead excluded: it goes if anyone has voted on the joined
    work at any stage, or a conflict there was resolved (a bulk exclusion never goes across
    people's decisions), and otherwise stands only if the rule still excludes the merged
    record. Each exclusion that goes is audited with the reason; returns the groups changed."""
    bulk, decisions, resolutions = t.automation_exclusions, t.decisions, t.resolutions
    wanted = sorted(targets)
    rows: list[Any] = []
    for start in range(0, len(wanted), _CHUNK):
        rows += conn.execute(sa.select(bulk).where(
            bulk.c.group_id.in_(wanted[start:start + _CHUNK]))).all()
    if not rows:
        return set()
    ids = [r.group_id for r in rows]
    judged: dict[int, list[str]] = defaultdict(list)  # group: what people decided there
    for group_id, stage, n in conn.execute(
            sa.select(decisions.c.group_id, decisions.c.stage, sa.func.count())
            .where(decisions.c.group_id.in_(ids))
            .group_by(decisions.c.group_id, decisions.c.stage)):
        judged[group_id].append(f"{n} vote(s) at {_stage_label(protocol, stage)}")
    for group_id, stage in conn.execute(sa.select(resolutions.c.group_id, resolutions.c.stage)
                                        .where(resolutions.c.group_id.in_(ids))):
        judged[group_id].append(f"a resolution at {_stage_label(protocol, stage)}")
    rules = {c.id: c for c in protocol.criteria if c.rule is not None}
    unjudged = [r.group_id for r in rows if r.group_id not in judged and r.criterion in rules]
    merged = merged_records(store, conn, unjudged) if unjudged else {}
    changed: set[int] = set()
    for row in rows:
        detail = {"criterion": row.criterion, "reason": row.reason,
                  "excluded_by": row.excluded_by, "excluded_at": row.excluded_at}
        if row.group_id in judged:
            why = ("the joined work has " + ", ".join(sorted(judged[row.group_id]))
                   + "; a bulk exclusion never goes across people's decisions")
        elif row.group_id in merged:
            criterion = rules[row.criterion]
            result = criterion.rule.evaluate(  # type: ignore[union-attr]
                merged[row.group_id].normalised())
            if result.passed is False:
                reason = f"{criterion.label}: {result.reason}"
                if reason != row.reason:  # the same rule, read on the joined work's record
                    conn.execute(bulk.update().where(bulk.c.group_id == row.group_id)
                                 .values(reason=reason))
                    audit(store, conn, actor=actor, action="bulk exclusion judged again "
                          "after join", entity="group", entity_id=str(row.group_id),
                          detail={**detail, "now": reason})
                    changed.add(row.group_id)
                continue
            why = ("the rule no longer excludes the joined work's merged record ("
                   + ("it passes it" if result.passed else "it cannot tell") + ")")
        else:
            continue  # the criterion is no longer a rule of the protocol: nothing to judge by
        conn.execute(bulk.delete().where(bulk.c.group_id == row.group_id))
        audit(store, conn, actor=actor, action="bulk exclusion dropped by join",
              entity="group", entity_id=str(row.group_id), detail={**detail, "why": why})
        changed.add(row.group_id)
    return changed


def _stage_label(protocol: Protocol, stage_id: str) -> str:
    for stage in protocol.stages:
        if stage.id == stage_id:
            return stage.label.lower()
    return stage_id


def _move_votes(store: Store, conn: Connection, old: int, target: int, *, actor: str) -> bool:
    """Move one joined group's votes to the group it joined; where a reviewer voted on both at
    one stage, their later vote stands and the earlier one is kept in the audit log."""
    decisions = t.decisions
    rows = conn.execute(sa.select(decisions).where(decisions.c.group_id == old)).all()
    for row in rows:
        clash = conn.execute(sa.select(decisions).where(
            decisions.c.group_id == target, decisions.c.stage == row.stage,
            decisions.c.reviewer_id == row.reviewer_id)).first()
        detail = {"from_group": old, "to_group": target, "stage": row.stage,
                  "reviewer_id": row.reviewer_id, "decision": row.decision,
                  "reason": row.reason, "note": row.note}
        if clash is not None and clash.updated_at >= row.updated_at:
            conn.execute(decisions.delete().where(decisions.c.id == row.id))
            audit(store, conn, actor=actor, action="vote superseded by join", entity="decision",
                  entity_id=str(row.id), detail=detail)
            continue
        if clash is not None:
            conn.execute(decisions.delete().where(decisions.c.id == clash.id))
            audit(store, conn, actor=actor, action="vote superseded by join", entity="decision",
                  entity_id=str(clash.id), detail={**detail, "decision": clash.decision})
        conn.execute(decisions.update().where(decisions.c.id == row.id).values(group_id=target))
        audit(store, conn, actor=actor, action="vote moved by join", entity="decision",
              entity_id=str(row.id), detail=detail)
    return bool(rows)
