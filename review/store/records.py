"""Queries over sources (imported files) and records."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from review.records import NORMALISED_FIELDS, Record, fold
from review.store import Store, utc_now
from review.store import schema as t

_CHUNK = 2000
PREVIOUS = "previous"  # the source kind of a previous version's included reports
PREVIOUS_STUDIES = "previous_studies"  # settings key: the studies the previous version included


def search_text(record: Record) -> str:
    """Folded text the records browser searches (accents off, lower case)."""
    parts = [record.title, " ".join(record.authors), record.journal, record.journal_abbrev,
             record.doi, record.pmid, " ".join(record.keywords),
             str(record.year) if record.year else None]
    return fold(" ".join(p for p in parts if p))


def record_row(record: Record, source_id: int, position: int) -> dict[str, Any]:
    row: dict[str, Any] = {name: getattr(record, name) for name in NORMALISED_FIELDS}
    row.update(source_id=source_id, position=position, source_line=record.line,
               raw=record.raw, search_text=search_text(record))
    return row


def row_record(row: sa.Row | dict[str, Any]) -> Record:
    """A stored record back as a Record (raw and normalised fields as imported)."""
    data = dict(row._mapping) if isinstance(row, sa.Row) else dict(row)
    kwargs: dict[str, Any] = {name: data.get(name) for name in NORMALISED_FIELDS}
    for name in ("authors", "issn", "isbn", "keywords"):
        kwargs[name] = list(kwargs[name] or [])
    return Record(raw=data["raw"], format=data.get("format", ""), line=data["source_line"],
                  **kwargs)


def insert_source(store: Store, conn: Connection, values: dict[str, Any]) -> int:
    sources = t.sources
    return conn.execute(sources.insert().values(**values).returning(sources.c.id)).scalar_one()


def insert_records(store: Store, conn: Connection, source_id: int,
                   records: Sequence[Record]) -> None:
    table = t.records
    batch: list[dict[str, Any]] = []
    for position, record in enumerate(records, start=1):
        batch.append(record_row(record, source_id, position))
        if len(batch) >= _CHUNK:
            conn.execute(table.insert(), batch)
            batch = []
    if batch:
        conn.execute(table.insert(), batch)


def audit(store: Store, conn: Connection, *, actor: str, action: str, entity: str,
          entity_id: str | None, detail: dict[str, Any]) -> None:
    """Append to the audit log (never updated or deleted)."""
    conn.execute(t.audit_log.insert().values(
        at=utc_now(), actor=actor, action=action, entity=entity, entity_id=entity_id,
        detail=detail))


def known_hashes(store: Store, conn: Connection, hashes: Iterable[str]) -> dict[str, dict]:
    sources = t.sources
    rows = conn.execute(sa.select(sources).where(sources.c.sha256.in_(list(hashes)))).mappings()
    return {row["sha256"]: dict(row) for row in rows}


def list_sources(store: Store) -> list[dict[str, Any]]:
    sources = t.sources
    with store.read() as conn:
        return [dict(r) for r in conn.execute(sa.select(sources).order_by(sources.c.id)).mappings()]


def source_counts(store: Store) -> list[dict[str, Any]]:
    """Records per source name and kind (several files may share one source name)."""
    sources = t.sources
    query = (sa.select(sources.c.name, sources.c.kind,
                       sa.func.count().label("files"),
                       sa.func.sum(sources.c.record_count).label("records"))
             .group_by(sources.c.name, sources.c.kind)
             .order_by(sources.c.kind, sources.c.name))
    with store.read() as conn:
        return [dict(r) for r in conn.execute(query).mappings()]


def _record_filter(store: Store, search: str | None, source_id: int | None) -> list[Any]:
    records = t.records
    where: list[Any] = []
    if source_id is not None:
        where.append(records.c.source_id == source_id)
    for word in fold(search or "").split():
        pattern = f"%{word.replace('%', '').replace('_', '')}%"
        where.append(sa.or_(records.c.search_text.like(pattern),
                            sa.func.lower(records.c.abstract).like(pattern)))
    return where


def list_records(store: Store, *, search: str | None = None, source_id: int | None = None,
                 limit: int | None = None, offset: int = 0,
                 columns: Sequence[str] | None = None) -> list[dict[str, Any]]:
    """Records with their source name, newest import last, filtered by words in title,
    authors, journal, DOI, keywords, year or abstract (all words must match)."""
    records, sources = t.records, t.sources
    wanted = [records.c[name] for name in (columns or [c.name for c in records.columns])]
    query = (sa.select(*wanted, sources.c.name.label("source"), sources.c.format)
             .join(sources, sources.c.id == records.c.source_id)
             .where(*_record_filter(store, search, source_id))
             .order_by(records.c.id).offset(offset))
    if limit is not None:
        query = query.limit(limit)
    with store.read() as conn:
        return [dict(r) for r in conn.execute(query).mappings()]


def count_records(store: Store, *, search: str | None = None,
                  source_id: int | None = None) -> int:
    records = t.records
    query = sa.select(sa.func.count()).select_from(records).where(
        *_record_filter(store, search, source_id))
    with store.read() as conn:
        return int(conn.execute(query).scalar_one())


def get_record(store: Store, record_id: int) -> dict[str, Any] | None:
    rows = list_records_by_id(store, [record_id])
    return rows[0] if rows else None


def list_records_by_id(store: Store, ids: Sequence[int]) -> list[dict[str, Any]]:
    records, sources = t.records, t.sources
    query = (sa.select(records, sources.c.name.label("source"), sources.c.kind,
                       sources.c.file_name, sources.c.format, sources.c.searched_on,
                       sources.c.imported_at)
             .join(sources, sources.c.id == records.c.source_id)
             .where(records.c.id.in_(list(ids))).order_by(records.c.id))
    with store.read() as conn:
        return [dict(r) for r in conn.execute(query).mappings()]


def all_records(store: Store) -> list[Record]:
    """Every stored record as a Record, in import order (for dedupe and exports)."""
    records, sources = t.records, t.sources
    query = (sa.select(records, sources.c.format)
             .join(sources, sources.c.id == records.c.source_id).order_by(records.c.id))
    with store.read() as conn:
        return [row_record(r) for r in conn.execute(query)]


def previous_groups(store: Store) -> sa.Select:
    """The duplicate groups holding a record of a previous version's included reports (source
    kind "previous"): reports already included, never screened again."""
    links, records, sources = t.record_groups, t.records, t.sources
    return (sa.select(links.c.group_id).distinct()
            .join(records, records.c.id == links.c.record_id)
            .join(sources, sources.c.id == records.c.source_id)
            .where(sources.c.kind == PREVIOUS))
