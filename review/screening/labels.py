"""Labels: a reviewer's own tags on works ("RCT", "ask Sam", "check full text"), to find them
again and to filter by.

Blinding follows the rule notes follow (review.screening.votes, decisions_csv): a label is its
reviewer's alone while the work's votes are still coming in at the stage it was put at. Once
they are all in (the work is decided there, or in conflict, where a lead sees the votes and
notes anyway), a lead sees it too; another reviewer never does. The rule is decided here, in
the queries (`visible_to`), so the Screen page, the Records page's filters and the command line
cannot differ. Every add and remove is in the audit log.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from review.accounts import Reviewer
from review.errors import ReviewError
from review.project import review_protocol
from review.screening.state import CONFLICT, DECIDED, group_for_record
from review.screening.votes import screener, stage_of
from review.store import Store, utc_now
from review.store import schema as t
from review.store.records import audit

MAX_LENGTH = 60
RESOLVED = (DECIDED, CONFLICT)  # the work's votes are all in at the label's stage


@dataclass(frozen=True, slots=True)
class Label:
    label: str
    reviewer: str
    own: bool
    stage: str


def clean_label(text: str) -> str:
    """A label as stored: spaces collapsed, no control characters, at most 60 characters."""
    label = " ".join(str(text or "").split())
    if not label:
        raise ReviewError("a label needs some text")
    if any(unicodedata.category(c).startswith("C") for c in label):
        raise ReviewError(f"label {label!r} holds a control character")
    if len(label) > MAX_LENGTH:
        raise ReviewError(f"label {label[:20]!r}... is {len(label)} characters long; keep "
                          f"labels to {MAX_LENGTH}")
    return label


def visible_to(person: Reviewer) -> Any:
    """The SQL condition on `labels` rows this person may see: their own, and for a lead
    anyone's once the work's votes are in at the label's stage."""
    labels, state = t.labels, t.screening_state
    own = labels.c.reviewer_id == person.id
    if not person.is_lead:
        return own
    resolved = sa.exists(sa.select(state.c.group_id).where(
        state.c.group_id == labels.c.group_id, state.c.stage == labels.c.stage,
        state.c.state.in_(RESOLVED)))
    return sa.or_(own, resolved)


def _spelling(conn: Connection, person: Reviewer, label: str) -> str:
    """The spelling this reviewer already uses for the label (labels match ignoring case)."""
    labels = t.labels
    found = conn.execute(sa.select(labels.c.label).where(
        labels.c.reviewer_id == person.id,
        sa.func.lower(labels.c.label) == label.lower()).limit(1)).scalar()
    return str(found) if found is not None else label


def _groups_of(store: Store, conn: Connection, record_ids: Sequence[int]) -> list[int]:
    """The works (groups) these records stand for, in one query per 500 ids."""
    links = t.record_groups
    ids = sorted(set(record_ids))
    found: dict[int, int] = {}
    for start in range(0, len(ids), 500):
        found.update(conn.execute(sa.select(links.c.record_id, links.c.group_id).where(
            links.c.record_id.in_(ids[start:start + 500]))).all())
    for record_id in ids:
        if record_id not in found:
            group_for_record(store, conn, record_id)  # raises, saying why
    return sorted(set(found.values()))


def add_labels(store: Store, who: str | Reviewer, record_ids: Sequence[int], label: str, *,
               stage: str | None = None, conn: Connection | None = None) -> int:
    """Put the label on the works these records stand for; returns how many works newly got
    it (a work that has it already is left as it is). One audit entry for the whole set."""
    if conn is None:
        with store.write() as own:
            return add_labels(store, who, record_ids, label, stage=stage, conn=own)
    text = clean_label(label)
    protocol = review_protocol(store, conn)
    stage_id = stage_of(protocol, stage).id
    person = screener(store, conn, who)
    text = _spelling(conn, person, text)
    groups = _groups_of(store, conn, record_ids)
    labels = t.labels
    have = set()
    for start in range(0, len(groups), 500):
        have |= {g for (g,) in conn.execute(sa.select(labels.c.group_id).where(
            labels.c.reviewer_id == person.id, labels.c.label == text,
            labels.c.group_id.in_(groups[start:start + 500])))}
    new = [g for g in groups if g not in have]
    now = utc_now()
    if new:
        conn.execute(labels.insert(), [{"group_id": g, "reviewer_id": person.id, "label": text,
                                        "stage": stage_id, "created_at": now} for g in new])
        audit(store, conn, actor=person.name, action="add label", entity="label",
              entity_id=text, detail={"stage": stage_id, "groups": new})
    return len(new)


def add_label(store: Store, who: str | Reviewer, record_id: int, label: str, *,
              stage: str | None = None) -> bool:
    """Label one work; False when it had the label already."""
    return add_labels(store, who, [record_id], label, stage=stage) == 1


def remove_label(store: Store, who: str | Reviewer, record_id: int, label: str) -> bool:
    """Take one's own label off a work; False when it was not there. Only one's own."""
    labels = t.labels
    with store.write() as conn:
        person = screener(store, conn, who)
        group_id = group_for_record(store, conn, record_id)
        text = clean_label(label)
        row = conn.execute(sa.select(labels).where(
            labels.c.group_id == group_id, labels.c.reviewer_id == person.id,
            sa.func.lower(labels.c.label) == text.lower())).first()
        if row is None:
            return False
        conn.execute(labels.delete().where(labels.c.id == row.id))
        audit(store, conn, actor=person.name, action="remove label", entity="label",
              entity_id=row.label, detail={"stage": row.stage, "groups": [group_id],
                                           "record": record_id})
        return True


def labels_on(store: Store, who: str | Reviewer, record_id: int) -> list[Label]:
    """The labels on a work this person may see: their own first, then (for a lead) others'
    once the work's votes are in."""
    labels, reviewers = t.labels, t.reviewers
    with store.read() as conn:
        person = screener(store, conn, who)
        group_id = group_for_record(store, conn, record_id)
        rows = conn.execute(sa.select(labels.c.label, labels.c.stage, labels.c.reviewer_id,
                                      reviewers.c.name)
                            .join(reviewers, reviewers.c.id == labels.c.reviewer_id)
                            .where(labels.c.group_id == group_id, visible_to(person))
                            .order_by(labels.c.id)).all()
    found = [Label(r.label, r.name, r.reviewer_id == person.id, r.stage) for r in rows]
    return sorted(found, key=lambda lab: (not lab.own, lab.reviewer, lab.label.lower()))


def my_labels(store: Store, who: str | Reviewer, record_id: int) -> list[str]:
    """This person's own labels on the work."""
    return [lab.label for lab in labels_on(store, who, record_id) if lab.own]


def label_names(store: Store, who: str | Reviewer) -> list[str]:
    """Every label this person may filter by, each once, in alphabetical order: their own,
    and for a lead those others put on works whose votes are in."""
    labels = t.labels
    with store.read() as conn:
        person = screener(store, conn, who)
        names = [n for (n,) in conn.execute(sa.select(labels.c.label).distinct()
                                            .where(visible_to(person)))]
    seen: dict[str, str] = {}
    for name in sorted(names, key=str.lower):
        seen.setdefault(name.lower(), name)
    return list(seen.values())
