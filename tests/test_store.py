"""Storage on a real SQLite file and a real PostgreSQL server."""

from __future__ import annotations

from pathlib import Path

import pytest
import sqlalchemy as sa

from review.errors import StoreError
from review.store import Store, resolve_url
from review.store import schema as t
from review.store.migrations import LATEST, MIGRATIONS
from review.store.records import audit
from tests.conftest import PostgresServer


def test_create_records_every_migration(db_url: str) -> None:
    store = Store.create(db_url)
    with store.read() as conn:
        done = t.schema_migrations
        rows = conn.execute(sa.select(done.c.version, done.c.name).order_by(done.c.version)).all()
    assert [tuple(r) for r in rows] == [(v, name) for v, name, _ in MIGRATIONS]
    assert store.schema_version() == LATEST
    assert {"review", "sources", "records", "audit_log"} <= set(
        sa.inspect(store.engine).get_table_names())
    store.close()


def test_the_audit_log_is_append_only_in_the_database(db_url: str) -> None:
    store = Store.create(db_url)
    log = t.audit_log
    with store.write() as conn:
        audit(store, conn, actor="Lee", action="test", entity="review", entity_id=None,
              detail={"before": 1, "after": 2})
    for change in (log.update().values(actor="someone else"), log.delete()):
        with pytest.raises(sa.exc.DBAPIError, match="append-only"), store.write() as conn:
            conn.execute(change)
    if store.engine.dialect.name == "postgresql":
        with pytest.raises(sa.exc.DBAPIError, match="append-only"), store.write() as conn:
            conn.execute(sa.text("TRUNCATE audit_log"))
    with store.read() as conn:
        rows = conn.execute(sa.select(log.c.actor, log.c.action).order_by(log.c.id)).all()
    assert [tuple(r) for r in rows][-1] == ("Lee", "test")
    with store.write() as conn:  # appending still works
        audit(store, conn, actor="Lee", action="test again", entity="review", entity_id=None,
              detail={})
    store.close()


def test_open_is_idempotent_and_create_refuses_an_existing_review(db_url: str) -> None:
    Store.create(db_url).close()
    again = Store.open(db_url)
    assert again.migrate() == []
    again.close()
    with pytest.raises(StoreError, match="already holds a review"):
        Store.create(db_url)


def test_open_refuses_a_missing_file_and_a_non_review_database(tmp_path: Path) -> None:
    with pytest.raises(StoreError, match="no review at"):
        Store.open(tmp_path / "nothing.db")
    other = tmp_path / "other.db"
    engine = sa.create_engine(f"sqlite:///{other}")
    with engine.begin() as conn:
        conn.exec_driver_sql("CREATE TABLE t (x INTEGER)")
    engine.dispose()
    with pytest.raises(StoreError, match="not a review database"):
        Store.open(other)


def test_write_transaction_rolls_back_whole(db_url: str) -> None:
    store = Store.create(db_url)
    audit = t.audit_log
    with pytest.raises(RuntimeError):
        with store.write() as conn:
            conn.execute(audit.insert().values(at="x", actor="a", action="b", entity="c",
                                               detail={}))
            raise RuntimeError("boom")
    with store.read() as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(audit)).scalar() == 0
    store.close()


def _audit_row(conn: sa.Connection) -> None:
    conn.execute(t.audit_log.insert().values(at="x", actor="a", action="b", entity="c",
                                             detail={}))


def test_a_read_sees_one_snapshot_while_others_write(db_url: str) -> None:
    """Counts read one after another in a read agree, even when a vote commits between them
    (on PostgreSQL, read committed would see it half-way: a queue found empty, then a record
    counted as waiting)."""
    store = Store.create(db_url)
    count = sa.select(sa.func.count()).select_from(t.audit_log)
    with store.read() as conn:
        before = conn.execute(count).scalar_one()
        with store.write() as other:
            _audit_row(other)
        assert conn.execute(count).scalar_one() == before
    with store.read() as conn:
        assert conn.execute(count).scalar_one() == before + 1
    store.close()


def test_a_read_cannot_write_on_postgres(postgres: PostgresServer) -> None:
    """A write belongs in store.write(); on PostgreSQL a read is read only and says so."""
    store = Store.create(postgres.new_database())
    with pytest.raises(sa.exc.DBAPIError, match="read-only transaction"):
        with store.read() as conn:
            _audit_row(conn)
    store.close()


def test_sqlite_uses_wal(tmp_path: Path) -> None:
    store = Store.create(tmp_path / "r.db")
    with store.read() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
    store.close()


def test_resolve_url(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    assert resolve_url(tmp_path / "a.db") == f"sqlite:///{tmp_path / 'a.db'}"
    assert resolve_url("postgresql://u@h/db") == "postgresql+psycopg://u@h/db"
    assert resolve_url("sqlite:///x.db") == "sqlite:///x.db"
    monkeypatch.setenv("REVIEW_DB", str(tmp_path / "env.db"))
    assert resolve_url(None) == f"sqlite:///{tmp_path / 'env.db'}"
