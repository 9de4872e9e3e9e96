"""A discussion thread per conflict: the reviewers who disagreed, the third reviewer and the
leads talk a disagreement through beside the record, and the thread stays with the work.

Who reads and writes a thread is decided here, in the queries' caller, never only in a page:
- a lead, always;
- the reviewers who voted on the work at that stage, and a third reviewer, once every vote the
  stage needs is in and the votes disagreed (the work is in conflict, or its conflict was
  resolved): before that, a thread would tell a reviewer how another one voted.
Every comment is written to the audit log with its text.
"""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from review.accounts import AccessError, Reviewer
from review.errors import ReviewError
from review.project import review_protocol
from review.protocol import Stage
from review.screening.state import BY_RESOLUTION, CONFLICT, group_for_record
from review.screening.votes import screener, stage_of, state_row
from review.store import Store, utc_now
from review.store import schema as t
from review.store.records import audit

MAX_COMMENT = 5000  # characters: a paragraph or a few, not a pasted full text


@dataclass(frozen=True, slots=True)
class Comment:
    id: int
    author: str
    body: str
    created_at: str


def _refusal(person: Reviewer, store: Store, conn: Connection, group_id: int,
             stage: Stage) -> str | None:
    """Why this person may not read the thread of this work at this stage (None: they may)."""
    if person.is_lead:
        return None
    decisions = t.decisions
    voters = {r for (r,) in conn.execute(sa.select(decisions.c.reviewer_id).where(
        decisions.c.group_id == group_id, decisions.c.stage == stage.id))}
    if person.id not in voters and not person.can_resolve:
        return (f"{person.name} did not vote on this record at {stage.label.lower()}; its "
                "discussion is for those who voted, the third reviewer and the leads")
    row = state_row(store, conn, group_id, stage.id)
    disagreed = row is not None and (row.state == CONFLICT or row.decided_by == BY_RESOLUTION)
    if len(voters) < stage.votes_required or not disagreed:
        return (f"this record has no conflict at {stage.label.lower()}; a discussion opens "
                "once every vote is in and the votes disagree")
    return None


def _where(store: Store, conn: Connection, by: str | Reviewer, record_id: int,
           stage: str | None) -> tuple[Reviewer, int, Stage]:
    protocol = review_protocol(store, conn)
    person = screener(store, conn, by)
    group_id = group_for_record(store, conn, record_id)
    stage_obj = stage_of(protocol, stage)
    refusal = _refusal(person, store, conn, group_id, stage_obj)
    if refusal is not None:
        raise AccessError(refusal)
    return person, group_id, stage_obj


def _comments(conn: Connection, group_id: int, stage_id: str) -> list[Comment]:
    comments, people = t.conflict_comments, t.reviewers
    rows = conn.execute(
        sa.select(comments.c.id, people.c.name, comments.c.body, comments.c.created_at)
        .join(people, people.c.id == comments.c.reviewer_id)
        .where(comments.c.group_id == group_id, comments.c.stage == stage_id)
        .order_by(comments.c.id)).all()
    return [Comment(r.id, r.name, r.body, r.created_at) for r in rows]


def may_read(store: Store, record_id: int, *, by: str | Reviewer,
             stage: str | None = None) -> bool:
    """Whether this person may read (and write in) this conflict's thread."""
    try:
        with store.read() as conn:
            _where(store, conn, by, record_id, stage)
    except AccessError:
        return False
    return True


def thread(store: Store, record_id: int, *, by: str | Reviewer,
           stage: str | None = None) -> list[Comment]:
    """The thread of a work's conflict at a stage, oldest first (AccessError for others)."""
    with store.read() as conn:
        _, group_id, stage_obj = _where(store, conn, by, record_id, stage)
        return _comments(conn, group_id, stage_obj.id)


def post(store: Store, record_id: int, text: str, *, by: str | Reviewer,
         stage: str | None = None) -> Comment:
    """Add a comment to the thread (same people as may read it); audited with its text."""
    body = (text or "").strip()
    if not body:
        raise ReviewError("write something to post")
    if len(body) > MAX_COMMENT:
        raise ReviewError(f"a comment holds at most {MAX_COMMENT} characters "
                          f"(this one has {len(body)})")
    comments = t.conflict_comments
    with store.write() as conn:
        person, group_id, stage_obj = _where(store, conn, by, record_id, stage)
        now = utc_now()
        new_id = conn.execute(comments.insert().values(
            group_id=group_id, stage=stage_obj.id, reviewer_id=person.id, body=body,
            created_at=now).returning(comments.c.id)).scalar_one()
        audit(store, conn, actor=person.name, action="conflict comment", entity="group",
              entity_id=str(group_id), detail={"record": record_id, "stage": stage_obj.id,
                                               "comment": new_id, "text": body})
        return Comment(new_id, person.name, body, now)


def thread_sizes(store: Store, group_stages: list[tuple[int, str]]) -> dict[tuple[int, str], int]:
    """How many comments each (group, stage) thread holds, for a list of conflicts the caller
    may already see (the conflicts service decides that)."""
    comments = t.conflict_comments
    wanted = set(group_stages)
    groups = sorted({g for g, _ in wanted})
    sizes: dict[tuple[int, str], int] = {}
    with store.read() as conn:
        for start in range(0, len(groups), 500):
            for group_id, stage_id, n in conn.execute(
                    sa.select(comments.c.group_id, comments.c.stage, sa.func.count())
                    .where(comments.c.group_id.in_(groups[start:start + 500]))
                    .group_by(comments.c.group_id, comments.c.stage)):
                if (group_id, stage_id) in wanted:
                    sizes[(group_id, stage_id)] = n
    return sizes
