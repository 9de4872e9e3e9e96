"""Dual blind screening: each reviewer's queue, votes and undo (conflicts and their
resolution are in review.screening.conflicts).

The unit is the duplicate group (a work, however many databases found it); people name it by
any of its record ids. Blinding is enforced here, in the queries: every function a reviewer
calls takes that reviewer and returns only their own votes. Other people's votes come back only
from review.screening.conflicts, which needs a lead or a designated third reviewer, and only for
groups whose votes already disagree.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from review.accounts import Reviewer, acting_reviewer
from review.errors import ReviewError
from review.project import lock_protocol, review_protocol
from review.protocol import Protocol, Stage
from review.screening.fulltext import fulltext_status
from review.screening.prioritise import order_for, stopped
from review.screening.state import (
    BY_AUTOMATION,
    BY_RESOLUTION,
    DECIDED,
    DECISIONS,
    EXCLUDE,
    INCLUDE,
    MAYBE,
    NOT_RETRIEVED,
    OPEN,
    fulltext_stage,
    group_for_record,
    lock_group,
    merged_records,
    refresh,
    state_counts,
)
from review.store import Store, utc_now
from review.store import schema as t
from review.store.records import audit

__all__ = ["ANSWERS", "DECISIONS", "EXCLUDE", "INCLUDE", "MAYBE", "Item", "Suggestion",
           "adjacent_vote", "cast_vote", "check_vote", "group_for_record", "my_votes",
           "next_item", "queue_size", "screener", "stage_of", "state_row", "undo_last"]

ANSWERS = ("yes", "no", "unclear")


@dataclass(frozen=True, slots=True)
class Suggestion:
    """A machine-checkable criterion's verdict on the record: shown, never deciding."""

    criterion: str
    label: str
    passed: bool | None
    reason: str


@dataclass(frozen=True, slots=True)
class Item:
    """One work as a reviewer sees it: the merged record of its group, and their own vote."""

    group_id: int
    record_id: int
    stage: str
    record: dict[str, Any]
    record_ids: list[int]
    sources: list[str]
    suggestions: list[Suggestion]
    position: int  # n of total: this is the reviewer's n-th record at this stage
    total: int  # the reviewer's votes at the stage and the records still waiting for them
    my_vote: dict[str, Any] | None = None
    fulltext: dict[str, Any] | None = None
    run_id: int | None = None  # the ranking run that placed it (None: random or import order)
    rank: int | None = None  # its position in that run (1 = most likely relevant)
    voted: int = 0  # the reviewer's own votes at the stage: progress is voted of total

    @property
    def waiting(self) -> int:
        """Records still waiting for this reviewer's vote, this one included if unvoted."""
        return self.total - self.voted


def stage_of(protocol: Protocol, stage: str | None) -> Stage:
    return protocol.stages[0] if stage is None else protocol.stage(stage)


def screener(store: Store, conn: Connection, who: str | Reviewer) -> Reviewer:
    return acting_reviewer(store, conn, who,
                           observer_refusal="observers follow its progress and do not screen")


def _queue_query(store: Store, reviewer_id: int, stage_id: str) -> sa.Select:
    state, decisions = t.screening_state, t.decisions
    mine = sa.select(decisions.c.id).where(decisions.c.stage == stage_id,
                                          decisions.c.reviewer_id == reviewer_id,
                                          decisions.c.group_id == state.c.group_id)
    return sa.select(state.c.group_id).where(state.c.stage == stage_id, state.c.state == OPEN,
                                             ~sa.exists(mine))


def _counts(store: Store, conn: Connection, reviewer_id: int, stage_id: str) -> tuple[int, int]:
    """This reviewer's votes at the stage, and how many records wait for them: the open ones
    less those they voted on. The open ones are one row of screening_counts (kept with the
    state), where counting them meant reading every open record's index entry on every vote
    (the part of showing the next record that grew with the review: 10 ms at 50,000 records).
    Their votes on open records are counted from the smaller side: their votes, each looked up
    among the open records, early in a review; the open records, each looked up among their
    votes, once they have voted on more records than are still open (SQLite without
    statistics would always start from the open records)."""
    state, decisions = t.screening_state, t.decisions
    still_open = state_counts(store, conn, stage_id).get(OPEN, 0)
    mine = int(conn.execute(sa.select(sa.func.count()).select_from(decisions).where(
        decisions.c.stage == stage_id, decisions.c.reviewer_id == reviewer_id)).scalar_one())
    if mine == 0:
        return 0, still_open
    if mine <= still_open:
        is_open = sa.select(state.c.group_id).where(
            state.c.group_id == decisions.c.group_id, state.c.stage == decisions.c.stage,
            state.c.state == OPEN)
        voted_open = sa.select(sa.func.count()).select_from(decisions).where(
            decisions.c.stage == stage_id, decisions.c.reviewer_id == reviewer_id,
            sa.exists(is_open))
    else:
        voted_open = sa.select(sa.func.count()).select_from(state).join(
            decisions, sa.and_(decisions.c.group_id == state.c.group_id,
                               decisions.c.stage == state.c.stage)).where(
            state.c.stage == stage_id, state.c.state == OPEN,
            decisions.c.reviewer_id == reviewer_id)
    return mine, still_open - int(conn.execute(voted_open).scalar_one())


def _waiting(store: Store, conn: Connection, reviewer_id: int, stage_id: str) -> int:
    """How many records wait for this reviewer (see _counts)."""
    return _counts(store, conn, reviewer_id, stage_id)[1]


def queue_size(store: Store, reviewer: str | Reviewer, stage: str | None = None) -> int:
    protocol = review_protocol(store)
    with store.read() as conn:
        person = screener(store, conn, reviewer)
        return _waiting(store, conn, person.id, stage_of(protocol, stage).id)


def _ordered_queue(store: Store, conn: Connection, protocol: Protocol, reviewer_id: int,
                   stage_id: str) -> tuple[sa.Select, Any]:
    """The reviewer's queue in screening order: by the latest ranking where the protocol
    turns ranking on (review.screening.prioritise), else by group id. Empty once a lead stopped the
    stage."""
    state = t.screening_state
    query = _queue_query(store, reviewer_id, stage_id)
    if stopped(store, conn, stage_id):
        return query.where(sa.false()), None
    terms, join, run = order_for(store, conn, protocol, stage_id, state.c.group_id)
    if join is not None:
        query = query.outerjoin(*join).add_columns(join[0].c.position.label("rank"))
    return query.order_by(*terms), run


def queue(store: Store, reviewer: str | Reviewer, stage: str | None = None, *,
          limit: int | None = None) -> list[dict[str, Any]]:
    """The records waiting for this reviewer's vote, in order, without anyone else's votes."""
    protocol = review_protocol(store)
    stage_obj = stage_of(protocol, stage)
    groups, records = t.duplicate_groups, t.records
    with store.read() as conn:
        person = screener(store, conn, reviewer)
        ordered, _ = _ordered_queue(store, conn, protocol, person.id, stage_obj.id)
        if limit is not None:
            ordered = ordered.limit(limit)
        waiting = [r.group_id for r in conn.execute(ordered)]
        rows = {r["group_id"]: dict(r) for start in range(0, len(waiting), 500)
                for r in conn.execute(
                    sa.select(groups.c.id.label("group_id"), records.c.id.label("record_id"),
                              records.c.year, records.c.title, records.c.authors)
                    .join(records, records.c.id == groups.c.kept_record_id)
                    .where(groups.c.id.in_(waiting[start:start + 500]))).mappings()}
        return [{"stage": stage_obj.id, **rows[g]} for g in waiting]


def _suggestions(protocol: Protocol, stage: Stage, record: Mapping[str, Any]) -> list[Suggestion]:
    found = []
    for criterion in protocol.criteria_for(stage.id):
        if criterion.rule is not None:
            result = criterion.rule.evaluate(record)
            found.append(Suggestion(criterion.id, criterion.label, result.passed, result.reason))
    return found


def _item(store: Store, conn: Connection, protocol: Protocol, person: Reviewer, stage: Stage,
          group_id: int) -> Item:
    links, records, sources = t.record_groups, t.records, t.sources
    rows = conn.execute(sa.select(records.c.id, sources.c.name.label("source"))
                        .join(sources, sources.c.id == records.c.source_id)
                        .join(links, links.c.record_id == records.c.id)
                        .where(links.c.group_id == group_id).order_by(records.c.id)).all()
    kept_id = conn.execute(sa.select(t.duplicate_groups.c.kept_record_id).where(
        t.duplicate_groups.c.id == group_id)).scalar_one()
    ids = [r.id for r in rows]
    merged = merged_records(store, conn, [group_id])[group_id]
    record = merged.normalised()
    record["pages"] = merged.pages
    done, waiting = _counts(store, conn, person.id, stage.id)
    mine = _my_vote(store, conn, person.id, stage.id, group_id)
    fulltext = None
    if stage == fulltext_stage(protocol):
        fulltext = fulltext_status(store, conn, group_id)
    position = done + (0 if mine else 1)
    return Item(group_id=group_id, record_id=kept_id, stage=stage.id, record=record,
                record_ids=ids, sources=sorted({r.source for r in rows}),
                suggestions=_suggestions(protocol, stage, record), position=position,
                total=done + waiting, my_vote=mine, fulltext=fulltext, voted=done)


def _my_vote(store: Store, conn: Connection, reviewer_id: int, stage_id: str,
             group_id: int) -> dict[str, Any] | None:
    decisions = t.decisions
    row = conn.execute(sa.select(decisions).where(
        decisions.c.group_id == group_id, decisions.c.stage == stage_id,
        decisions.c.reviewer_id == reviewer_id)).mappings().first()
    return dict(row) if row else None


def next_item(store: Store, reviewer: str | Reviewer, stage: str | None = None, *,
              protocol: Protocol | None = None) -> Item | None:
    """The reviewer's next record at the stage, or None when their queue is empty."""
    protocol = protocol or review_protocol(store)
    stage_obj = stage_of(protocol, stage)
    with store.read() as conn:
        person = screener(store, conn, reviewer)
        ordered, run = _ordered_queue(store, conn, protocol, person.id, stage_obj.id)
        first = conn.execute(ordered.limit(1)).first()
        if first is None:
            return None
        item = _item(store, conn, protocol, person, stage_obj, first.group_id)
    if not protocol.ranking.enabled or stage_obj != protocol.stages[0]:
        return item
    rank = getattr(first, "rank", None)
    shown = t.screening_shown
    with store.write() as conn:  # which model run placed the record, for the audit of ranking
        last = conn.execute(sa.select(shown.c.group_id, shown.c.run_id).where(
            shown.c.reviewer_id == person.id, shown.c.stage == stage_obj.id)
            .order_by(shown.c.id.desc()).limit(1)).first()
        if last is None or tuple(last) != (item.group_id, run.id if run else None):
            conn.execute(shown.insert().values(
                group_id=item.group_id, stage=stage_obj.id, reviewer_id=person.id,
                run_id=run.id if run else None, position=rank, shown_at=utc_now()))
    return replace(item, run_id=run.id if run else None, rank=rank)


def item_for(store: Store, reviewer: str | Reviewer, record_id: int, stage: str | None = None,
             *, protocol: Protocol | None = None) -> Item:
    """One record as this reviewer sees it (their own vote only), e.g. to change a vote."""
    protocol = protocol or review_protocol(store)
    stage_obj = stage_of(protocol, stage)
    with store.read() as conn:
        person = screener(store, conn, reviewer)
        return _item(store, conn, protocol, person, stage_obj,
                     group_for_record(store, conn, record_id))


def adjacent_vote(store: Store, reviewer: str | Reviewer, record_id: int | None, step: int,
                  stage: str | None = None) -> int | None:
    """Walk through this reviewer's own votes at the stage, in the order they were first cast:
    the record (its kept id) of the vote before (step -1) or after (step +1) their vote on
    record_id. From a record they have not voted on (record_id None, or the queue's next
    record) the step back is their latest vote. None: no vote that way (after the latest vote
    comes the queue again)."""
    if step not in (-1, 1):
        raise ReviewError("step through votes one at a time: -1 or +1")
    protocol = review_protocol(store)
    stage_obj = stage_of(protocol, stage)
    decisions, groups = t.decisions, t.duplicate_groups
    with store.read() as conn:
        person = screener(store, conn, reviewer)
        mine = sa.select(decisions.c.id, groups.c.kept_record_id).join(
            groups, groups.c.id == decisions.c.group_id).where(
            decisions.c.stage == stage_obj.id, decisions.c.reviewer_id == person.id)
        here = None
        if record_id is not None:
            group_id = group_for_record(store, conn, record_id)
            here = conn.execute(sa.select(decisions.c.id).where(
                decisions.c.group_id == group_id, decisions.c.stage == stage_obj.id,
                decisions.c.reviewer_id == person.id)).scalar()
        if here is None:
            if step > 0:
                return None
            found = conn.execute(mine.order_by(decisions.c.id.desc()).limit(1)).first()
        elif step < 0:
            found = conn.execute(mine.where(decisions.c.id < here)
                                 .order_by(decisions.c.id.desc()).limit(1)).first()
        else:
            found = conn.execute(mine.where(decisions.c.id > here)
                                 .order_by(decisions.c.id).limit(1)).first()
        return None if found is None else int(found.kept_record_id)


def check_vote(protocol: Protocol, stage: Stage, decision: str, reason: str | None,
                criteria: Mapping[str, str] | None) -> tuple[str | None, dict[str, str]]:
    if decision not in DECISIONS:
        raise ReviewError(f"unknown decision {decision!r}; use include, exclude or maybe")
    reason = (reason or "").strip() or None
    if reason is not None:
        if decision != EXCLUDE:
            raise ReviewError("an exclusion reason goes with exclude only; use the note instead")
        canonical = {r.casefold(): r for r in protocol.exclusion_reasons}
        if reason.casefold() not in canonical:
            raise ReviewError(f"unknown exclusion reason {reason!r}; the protocol's reasons are: "
                              + "; ".join(protocol.exclusion_reasons))
        reason = canonical[reason.casefold()]
    elif decision == EXCLUDE and stage.exclusion_reason_required:
        raise ReviewError(f"excluding at {stage.label.lower()} needs a reason from the "
                          "protocol's list: " + "; ".join(protocol.exclusion_reasons))
    answers: dict[str, str] = {}
    known = {c.id for c in protocol.criteria_for(stage.id)}
    for key, value in (criteria or {}).items():
        if key not in known:
            raise ReviewError(f"criterion {key!r} is not asked at {stage.id}; criteria there: "
                              + ", ".join(sorted(known)))
        if value not in ANSWERS:
            raise ReviewError(f"criterion {key!r}: answer yes, no or unclear (got {value!r})")
        answers[key] = value
    return reason, answers


def state_row(store: Store, conn: Connection, group_id: int, stage_id: str) -> Any:
    state = t.screening_state
    return conn.execute(sa.select(state).where(state.c.group_id == group_id,
                                               state.c.stage == stage_id)).first()


def _moved_on(store: Store, conn: Connection, protocol: Protocol, group_id: int,
              stage: Stage) -> str | None:
    """Why a vote at this stage can no longer change: what was built on its outcome."""
    row = state_row(store, conn, group_id, stage.id)
    if row is not None and row.decided_by == BY_RESOLUTION:
        return "its conflict has been resolved"
    index = protocol.stages.index(stage)
    if index + 1 < len(protocol.stages):
        later = protocol.stages[index + 1]
        decisions = t.decisions
        if conn.execute(sa.select(decisions.c.id).where(decisions.c.group_id == group_id,
                                                        decisions.c.stage == later.id)).first():
            return f"it is already being screened at {later.label.lower()}"
        if later == fulltext_stage(protocol):
            fulltexts = t.fulltexts
            if conn.execute(sa.select(fulltexts.c.group_id).where(
                    fulltexts.c.group_id == group_id)).first():
                return "its full text has already been attached or marked not retrieved"
    return None


def cast_vote(store: Store, reviewer: str | Reviewer, record_id: int, decision: str, *,
              stage: str | None = None, reason: str | None = None,
              criteria: Mapping[str, str] | None = None, note: str | None = None,
              origin: str = "cli", conn: Connection | None = None,
              protocol: Protocol | None = None) -> dict[str, Any]:
    """Record (or change) this reviewer's vote on the work that record_id belongs to.

    Committed before it returns. A reviewer may change their vote until the record is resolved
    or has moved on to the next stage; every change is in the audit log. The protocol is read
    in the vote's own transaction, under lock_protocol; `protocol` is for a caller that passes
    its own `conn` and read it so (a decisions import).
    """
    if conn is None:
        with store.write() as own:
            lock_protocol(store, own)
            return cast_vote(store, reviewer, record_id, decision, stage=stage, reason=reason,
                             criteria=criteria, note=note, origin=origin, conn=own,
                             protocol=review_protocol(store, own))
    protocol = protocol or review_protocol(store, conn)
    stage_obj = stage_of(protocol, stage)
    reason, answers = check_vote(protocol, stage_obj, decision, reason, criteria)
    note = (note or "").strip() or None
    person = screener(store, conn, reviewer)
    group_id = group_for_record(store, conn, record_id)
    lock_group(store, conn, group_id)
    row = state_row(store, conn, group_id, stage_obj.id)
    if row is None:
        raise ReviewError(f"record {record_id} is not at {stage_obj.label.lower()}: "
                          "it has not been included at the stage before")
    if row.decided_by == BY_AUTOMATION:
        raise ReviewError(f"record {record_id} was excluded by the protocol's automatic rule "
                          f"({row.reason}); it is not screened by people")
    stop = stopped(store, conn, stage_obj.id)
    if stop is not None:
        raise ReviewError(f"screening at {stage_obj.label.lower()} was stopped by a lead on "
                          f"{stop['decided_at'][:10]}; no more votes are taken there")
    if row.state == NOT_RETRIEVED:
        raise ReviewError(f"record {record_id}'s full text is marked not retrieved; attach it "
                          "before assessing it")
    report = fulltext_stage(protocol)
    if stage_obj == report and note is None:
        status = fulltext_status(store, conn, group_id)
        if status is None or status["status"] != "retrieved":
            raise ReviewError(f"record {record_id}: attach the full text (PDF) before assessing "
                              "it, or add a note saying how you read it")
    decisions = t.decisions
    mine = _my_vote(store, conn, person.id, stage_obj.id, group_id)
    now = utc_now()
    values = {"decision": decision, "reason": reason, "criteria": answers, "note": note}
    if mine is None:
        if row.state != OPEN:
            raise ReviewError(f"record {record_id} already has the votes it needs at "
                              f"{stage_obj.label.lower()}")
        vote_id = conn.execute(decisions.insert().values(
            group_id=group_id, stage=stage_obj.id, reviewer_id=person.id, created_at=now,
            updated_at=now, changes=0, origin=origin, **values)
            .returning(decisions.c.id)).scalar_one()
        audit(store, conn, actor=person.name, action="vote", entity="decision",
              entity_id=str(vote_id), detail={"group": group_id, "stage": stage_obj.id,
                                              "record": record_id, **values})
    else:
        vote_id = mine["id"]
        if all(mine[k] == v for k, v in values.items()):
            return _vote_result(store, conn, vote_id, record_id)
        why = _moved_on(store, conn, protocol, group_id, stage_obj)
        if why:
            raise ReviewError(f"your vote on record {record_id} can no longer change: {why}")
        conn.execute(decisions.update().where(decisions.c.id == vote_id).values(
            updated_at=now, changes=mine["changes"] + 1, **values))
        audit(store, conn, actor=person.name, action="change vote", entity="decision",
              entity_id=str(vote_id), detail={
                  "group": group_id, "stage": stage_obj.id, "record": record_id,
                  "before": {k: mine[k] for k in values}, "after": values})
    refresh(store, conn, protocol, [group_id])
    return _vote_result(store, conn, vote_id, record_id)


def _vote_result(store: Store, conn: Connection, vote_id: int, record_id: int) -> dict[str, Any]:
    decisions = t.decisions
    row = dict(conn.execute(sa.select(decisions).where(decisions.c.id == vote_id))
               .mappings().one())
    return {**row, "record_id": record_id}


def undo_last(store: Store, reviewer: str | Reviewer, stage: str | None = None) -> int | None:
    """Withdraw this reviewer's most recent vote at the stage; returns its record id (so the
    record can be shown again), or None when there is nothing to undo."""
    decisions, groups = t.decisions, t.duplicate_groups
    with store.write() as conn:
        lock_protocol(store, conn)
        protocol = review_protocol(store, conn)
        stage_obj = stage_of(protocol, stage)
        person = screener(store, conn, reviewer)
        last = conn.execute(sa.select(decisions, groups.c.kept_record_id)
                            .join(groups, groups.c.id == decisions.c.group_id)
                            .where(decisions.c.stage == stage_obj.id,
                                   decisions.c.reviewer_id == person.id)
                            .order_by(decisions.c.updated_at.desc(), decisions.c.id.desc())
                            .limit(1)).first()
        if last is None:
            return None
        lock_group(store, conn, last.group_id)
        why = _moved_on(store, conn, protocol, last.group_id, stage_obj)
        if why:
            raise ReviewError(f"your last vote (record {last.kept_record_id}) can no longer be "
                              f"undone: {why}")
        conn.execute(decisions.delete().where(decisions.c.id == last.id))
        audit(store, conn, actor=person.name, action="undo vote", entity="decision",
              entity_id=str(last.id), detail={"group": last.group_id, "stage": stage_obj.id,
                                              "decision": last.decision, "reason": last.reason,
                                              "note": last.note})
        refresh(store, conn, protocol, [last.group_id])
        return int(last.kept_record_id)


def my_votes(store: Store, reviewer: str | Reviewer, stage: str | None = None, *,
             limit: int | None = None, offset: int = 0) -> list[dict[str, Any]]:
    """This reviewer's own votes, newest first, with where each record now stands. A record
    waiting for others or in conflict shows as "waiting": a reviewer never learns another's
    vote, not even by a conflict showing up."""
    protocol = review_protocol(store)
    decisions, groups, records, state = (t.decisions, t.duplicate_groups, t.records,
                                         t.screening_state)
    with store.read() as conn:
        person = screener(store, conn, reviewer)
        query = (sa.select(decisions, records.c.id.label("record_id"), records.c.title,
                           records.c.year, state.c.state, state.c.outcome, state.c.decided_by)
                 .join(groups, groups.c.id == decisions.c.group_id)
                 .join(records, records.c.id == groups.c.kept_record_id)
                 .outerjoin(state, sa.and_(state.c.group_id == decisions.c.group_id,
                                           state.c.stage == decisions.c.stage))
                 .where(decisions.c.reviewer_id == person.id)
                 .order_by(decisions.c.updated_at.desc(), decisions.c.id.desc()))
        if stage is not None:
            query = query.where(decisions.c.stage == protocol.stage(stage).id)
        if limit is not None:
            query = query.limit(limit)
        if offset:
            query = query.offset(offset)
        rows = []
        for r in conn.execute(query).mappings():
            row = dict(r)
            decided = row.pop("state") == DECIDED
            outcome, by = row.pop("outcome"), row.pop("decided_by")
            row["status"] = f"{outcome} ({by})" if decided else "waiting"
            row["reviewer"] = person.name
            rows.append(row)
        return rows
