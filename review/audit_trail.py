"""The audit log as people read it: every change, who made it and when, with its details
(before and after where something changed). Append-only: nothing here writes."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from review.store import Store
from review.store import schema as t


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
