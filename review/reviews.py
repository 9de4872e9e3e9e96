"""The reviews one database holds: what `review reviews list` and the app's picker show."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import sqlalchemy as sa

from review.accounts import add_reviewer
from review.errors import ReviewError
from review.project import create_review
from review.store import Store
from review.store import schema as t


@dataclass(frozen=True, slots=True)
class ReviewSummary:
    slug: str
    title: str
    records: int
    people: int
    stages: dict[str, dict[str, int]]  # stage -> state -> works (open, conflict, decided, ...)

    def row(self) -> dict[str, object]:
        """One flat row: a column per stage with its works by state ("decided 12, open 3")."""
        flat: dict[str, object] = {"slug": self.slug, "title": self.title,
                                   "records": self.records, "people": self.people}
        for stage, states in self.stages.items():
            flat[stage] = ", ".join(f"{state} {n}" for state, n in sorted(states.items()))
        return flat


def summarise(store: Store) -> ReviewSummary:
    """One review's counts, read in one snapshot: records imported, people with an active
    account, and the works at each screening stage by state."""
    with store.read() as conn:
        records = conn.execute(sa.select(sa.func.count()).select_from(t.records)).scalar() or 0
        people = conn.execute(sa.select(sa.func.count()).select_from(t.reviewers).where(
            t.reviewers.c.active.is_(True))).scalar() or 0
        stages: dict[str, dict[str, int]] = {}
        for row in conn.execute(sa.select(t.screening_counts).where(t.screening_counts.c.n > 0)
                                .order_by(t.screening_counts.c.stage,
                                          t.screening_counts.c.state)):
            stages.setdefault(row.stage, {})[row.state] = row.n
    slot = store.review
    return ReviewSummary(slug=slot.slug if slot else "", title=slot.title if slot else "",
                         records=records, people=people, stages=stages)


def list_reviews(db: str | os.PathLike[str] | None = None) -> list[ReviewSummary]:
    """Every review of the database, in the order they were made."""
    server = Store.open_database(db)
    try:
        return summaries(server)
    finally:
        server.close()


def summaries(server: Store) -> list[ReviewSummary]:
    """As list_reviews, on a store already open (any review of the database: its engine)."""
    return [summarise(server.with_review(slot)) for slot in server.reviews()]


def create_with_lead(protocol_path: str | Path, db: str | os.PathLike[str] | None,
                     *, slug: str, lead: str, title: str | None = None,
                     password: str | None = None, actor: str) -> ReviewSummary:
    """A server administrator's new review with its first lead (an account of the server, or
    a new one with `password`). If the lead cannot be added the review stays, empty, and the
    error says how to add them."""
    made = create_review(protocol_path, db, actor=actor, review=slug, title=title)
    try:
        add_reviewer(made, lead, role="lead", password=password, actor=actor)
        return summarise(made)
    except ReviewError as exc:
        raise ReviewError(f"the review '{slug}' was created, but its first lead was not added "
                          f"({exc}); add them with: review users add NAME --role lead "
                          f"--review {slug}") from None
    finally:
        made.close()
