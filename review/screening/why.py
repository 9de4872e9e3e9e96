"""Why a reviewer's queue at a stage is empty, in words they can act on: the Screen and Full
text pages and `review queue` say it rather than a bare "nothing to do".

Blinding holds: the answer counts the reviewer's own votes and how many records stand where,
never whose votes they are or how anyone else voted."""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from review.accounts import Reviewer
from review.project import review_protocol
from review.protocol import Protocol, Stage
from review.screening.prioritise import stopped
from review.screening.state import NOT_RETRIEVED, OPEN, fulltext_stage
from review.screening.votes import screener, stage_of
from review.store import Store
from review.store import schema as t

__all__ = ["EmptyQueue", "why_empty"]

# what kind of empty it is (tests and pages branch on these, the message is for people)
NO_RECORDS, NOT_DEDUPLICATED, STOPPED, NOT_REACHED = ("no records", "not deduplicated",
                                                      "stopped", "not reached")
_DEDUPE = "`review dedupe`, or Find duplicates on the Duplicates page"
ALL_VOTED, OTHERS_VOTED, FULL_TEXTS = "all voted", "others voted", "waiting for full texts"


@dataclass(frozen=True, slots=True)
class EmptyQueue:
    kind: str
    message: str
    voted: int = 0  # the reviewer's own votes at the stage
    undeduplicated: int = 0  # imported records not yet in any duplicate group


def _count(conn: Connection, query: sa.Select) -> int:
    return int(conn.execute(query).scalar_one())


def why_empty(store: Store, reviewer: str | Reviewer, stage: str | None = None, *,
              protocol: Protocol | None = None) -> EmptyQueue | None:
    """Why nothing waits for this reviewer at the stage; None when something does."""
    protocol = protocol or review_protocol(store)
    stage_obj = stage_of(protocol, stage)
    with store.read() as conn:
        person = screener(store, conn, reviewer)
        return _why(store, conn, protocol, person, stage_obj)


def _why(store: Store, conn: Connection, protocol: Protocol, person: Reviewer,
         stage: Stage) -> EmptyQueue | None:
    state, decisions, records, links = (t.screening_state, t.decisions, t.records,
                                        t.record_groups)
    here = stage.label.lower()
    imported = _count(conn, sa.select(sa.func.count()).select_from(records))
    grouped = _count(conn, sa.select(sa.func.count()).select_from(links))
    loose = imported - grouped
    voted = _count(conn, sa.select(sa.func.count()).select_from(decisions).where(
        decisions.c.stage == stage.id, decisions.c.reviewer_id == person.id))
    open_here = _count(conn, sa.select(sa.func.count()).select_from(state).where(
        state.c.stage == stage.id, state.c.state == OPEN))
    mine_open = _count(conn, sa.select(sa.func.count()).select_from(decisions).join(
        state, sa.and_(state.c.group_id == decisions.c.group_id,
                       state.c.stage == decisions.c.stage)).where(
        decisions.c.stage == stage.id, decisions.c.reviewer_id == person.id,
        state.c.state == OPEN))
    stop = stopped(store, conn, stage.id)
    if open_here > mine_open and stop is None:
        return None
    also = (f" {loose:,} imported record(s) are not deduplicated yet: they reach screening "
            f"once a lead deduplicates ({_DEDUPE})." if loose and grouped else "")
    if imported == 0:
        return EmptyQueue(NO_RECORDS, "No records yet: a lead imports the searches' export "
                          "files (the Import page, or `review import`); they come here once "
                          "imported.")
    if grouped == 0:
        return EmptyQueue(NOT_DEDUPLICATED, f"{imported:,} record(s) imported but not yet "
                          f"deduplicated: a lead deduplicates them ({_DEDUPE}) and they come "
                          "here to be screened.",
                          undeduplicated=loose)
    if stop is not None:
        return EmptyQueue(STOPPED, f"A lead stopped screening at {here} on "
                          f"{stop['decided_at'][:10]}; no more votes are taken here.",
                          voted, loose)
    reached = _count(conn, sa.select(sa.func.count()).select_from(state).where(
        state.c.stage == stage.id))
    index = protocol.stages.index(stage)
    if reached == 0 and index > 0:
        before = protocol.stages[index - 1].label.lower()
        return EmptyQueue(NOT_REACHED, f"No record has reached {here} yet: records come here "
                          f"once they are included at {before}." + also, voted, loose)
    if stage == fulltext_stage(protocol):
        missing = _count(conn, sa.select(sa.func.count()).select_from(state).where(
            state.c.stage == stage.id, state.c.state == NOT_RETRIEVED))
        if missing and open_here == 0 and voted == 0:
            return EmptyQueue(FULL_TEXTS, f"Nothing is waiting for you at {here}: the "
                              f"{missing:,} report(s) here are marked not retrieved; they come "
                              "back once a full text is attached." + also, voted, loose)
    if voted == 0:
        return EmptyQueue(OTHERS_VOTED, f"Nothing is waiting for you at {here}: every record "
                          "here already has the votes it needs (you have not voted at this "
                          "stage)." + also, voted, loose)
    return EmptyQueue(ALL_VOTED, f"Nothing is waiting for you at {here}: you have voted on "
                      f"every record waiting here ({voted:,} vote(s) of yours at this stage; "
                      "My votes lists them)." + also, voted, loose)
