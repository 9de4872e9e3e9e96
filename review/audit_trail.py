"""The audit log as people read it: every change, who made it and when, with its details
(before and after where something changed). Append-only: nothing here writes."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

import sqlalchemy as sa

from review.errors import ReviewError
from review.store import Store
from review.store import schema as t

T = TypeVar("T")


def audit_rows(store: Store, *, action: str | None = None, actor: str | None = None,
               since: str | None = None, limit: int | None = None) -> list[dict[str, Any]]:
    """Log entries oldest first, optionally filtered by action, actor and time (ISO-8601)."""
    log = t.audit_log
    query = sa.select(log).order_by(log.c.id)
    if action:
        query = query.where(log.c.action == action)
    if actor:
        query = query.where(log.c.actor == actor)
    if since:
        query = query.where(log.c.at >= since)
    if limit:
        query = query.limit(limit)
    with store.read() as conn:
        return [dict(r) for r in conn.execute(query).mappings()]


def change_marker(store: Store) -> tuple[int, int]:
    """Where the review's history stands: how many changes it has and the newest one's id.
    Every write is audited and the log is append-only, so the marker moves with any change
    that commits (the count too when one with a lower id commits after a higher one)."""
    log = t.audit_log
    with store.read() as conn:
        count, newest = conn.execute(sa.select(sa.func.count(), sa.func.max(log.c.id))).one()
    return int(count), int(newest or 0)


def from_one_state(store: Store, build: Callable[[], T], what: str, *, tries: int = 4) -> T:
    """build() made from one state of the review: for figures that several transactions
    compute (each service opens its own), rebuilt while the review changed under it (a
    reviewer's vote or exclusion committing in between); after `tries` a clear error."""
    for _ in range(tries):
        before = change_marker(store)
        built = build()
        if change_marker(store) == before:
            return built
    raise ReviewError(f"the review kept changing while {what} was made ({tries} tries); "
                      "try again when fewer people are working")
