"""A review as a whole: created from a protocol, which is stored inside the database so the
review carries the exact criteria it was screened against."""

from __future__ import annotations

import os
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from review.errors import StoreError
from review.protocol import Protocol, load_protocol, parse_protocol
from review.store import Store, utc_now
from review.store import schema as t
from review.store.records import audit


@dataclass(frozen=True, slots=True)
class ReviewInfo:
    title: str
    protocol_file: str
    protocol_sha256: str
    created_at: str
    database: str


def create_review(protocol_path: str | Path, db: str | os.PathLike[str] | None = None, *,
                  actor: str, review: str | None = None, title: str | None = None) -> Store:
    """Validate the protocol first, so a bad protocol leaves no database behind. `review` is
    the new review's slug (default: made from the title); a database holding reviews takes
    one more only under a slug of its own. `title` defaults to the protocol's."""
    protocol = load_protocol(protocol_path)
    name = title.strip() if title and title.strip() else protocol.title

    def first_rows(store: Store, conn: Connection) -> None:
        conn.execute(t.review.insert().values(
            id=1, title=name, protocol_file=Path(protocol_path).name,
            protocol_text=protocol.text, protocol_sha256=protocol.sha256,
            created_at=utc_now()))
        audit(store, conn, actor=actor, action="create review", entity="review", entity_id="1",
              detail={"protocol": Path(protocol_path).name, "sha256": protocol.sha256,
                      "slug": store.review.slug if store.review else None})

    return Store.create(db, review=review, title=name, created_by=actor, fill=first_rows)


def review_info(store: Store) -> ReviewInfo:
    with store.read() as conn:
        row = conn.execute(sa.select(t.review)).mappings().first()
    if row is None:
        raise StoreError(f"{store.display_url} has no review row; was 'review init' interrupted?")
    return ReviewInfo(title=row["title"], protocol_file=row["protocol_file"],
                      protocol_sha256=row["protocol_sha256"], created_at=row["created_at"],
                      database=store.display_url)


def lock_protocol(store: Store, conn: Connection, *, exclusive: bool = False) -> None:
    """Votes and resolutions hold the review row shared while they judge by the protocol, an
    amendment holds it exclusively: on PostgreSQL no vote is judged by a text being replaced.
    (SQLite runs one writer at a time anyway; SQLAlchemy leaves the clause out there.)"""
    review = t.review
    conn.execute(sa.select(review.c.id).with_for_update(read=not exclusive))


def review_protocol(store: Store, conn: Connection | None = None) -> Protocol:
    """The protocol as stored with the review (not the file on disk, which may have moved on).
    Parsed once per stored text: screening asks for it on every vote."""
    if conn is None:
        with store.read() as own:
            return review_protocol(store, own)
    row = conn.execute(sa.select(t.review.c.protocol_text,
                                 t.review.c.protocol_file)).first()
    if row is None:
        raise StoreError(f"{store.display_url} has no protocol stored")
    return _parsed(row.protocol_text, row.protocol_file)


@lru_cache(maxsize=16)
def _parsed(text: str, file: str) -> Protocol:
    return parse_protocol(text, file=file)
