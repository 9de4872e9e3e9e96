"""A review's database: engines, transactions and migrations, SQLite by default, any SQLAlchemy
URL. The tables are declared in review/store/schema.py; services write SQLAlchemy Core against
those objects, never naming a table by a string.

SQLite runs in WAL mode with a busy timeout, and every write transaction starts with
BEGIN IMMEDIATE, so two reviewers' sessions writing at once queue for the lock instead of
failing half-way; reads never block writes.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from review.errors import StoreError
from review.store.migrations import LATEST, MIGRATIONS
from review.store.schema import schema_migrations

DEFAULT_DB = "review.db"
_AT_COMMIT = "review_at_commit"


def at_commit(conn: Connection) -> dict[str, Callable[[Connection], None]] | None:
    """The work a write transaction (Store.write) runs last, just before it commits, by name:
    a service puts a callable there once and adds to what it holds (the screening counts keep
    their changes so; review.screening.state). Run last, a transaction takes the locks such
    work needs after every other lock it takes, always in the same order, so on PostgreSQL two
    writers cannot wait on each other through it. None outside Store.write: do the work now."""
    found: dict[str, Callable[[Connection], None]] | None = conn.info.get(_AT_COMMIT)
    return found


def utc_now() -> str:
    """Times are ISO-8601 UTC text, identical on SQLite and PostgreSQL."""
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def resolve_url(db: str | os.PathLike[str] | None = None) -> str:
    """A path or URL from --db, else $REVIEW_DB, else ./review.db; plain PostgreSQL URLs get
    the psycopg 3 driver."""
    value = str(db) if db else os.environ.get("REVIEW_DB") or DEFAULT_DB
    if "://" not in value:
        return f"sqlite:///{Path(value).expanduser().resolve()}"
    if value.startswith(("postgresql://", "postgres://")):
        return "postgresql+psycopg://" + value.split("://", 1)[1]
    return value


def _make_engine(url: str) -> Engine:
    if url.startswith("sqlite"):
        engine = sa.create_engine(url, connect_args={"timeout": 60})

        @sa.event.listens_for(engine, "connect")
        def _sqlite_connect(dbapi_conn, _record) -> None:  # type: ignore[no-untyped-def]
            dbapi_conn.isolation_level = None  # we issue BEGIN ourselves
            cursor = dbapi_conn.cursor()
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute("PRAGMA busy_timeout=60000")
            cursor.execute("PRAGMA synchronous=NORMAL")
            cursor.close()

        @sa.event.listens_for(engine, "begin")
        def _sqlite_begin(conn: Connection) -> None:
            immediate = conn.get_execution_options().get("review_write", False)
            conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")

        return engine
    return sa.create_engine(url, pool_pre_ping=True)


def _apply(conn: Connection, version: int, name: str,
           step: Callable[[Connection], None]) -> bool:
    """Run one migration unless it is recorded as done; True if it ran."""
    table = schema_migrations
    if conn.execute(sa.select(table.c.version).where(table.c.version == version)).first():
        return False
    step(conn)
    conn.execute(table.insert().values(version=version, name=name, applied_at=utc_now()))
    return True


class Store:
    """A review's database: `Store.create` makes a new review, `Store.open` opens one."""

    def __init__(self, engine: Engine, url: str) -> None:
        self.engine = engine
        self.url = url

    # --- opening ---------------------------------------------------------------------------

    @classmethod
    def create(cls, db: str | os.PathLike[str] | None = None) -> Store:
        """Create the schema for a new review; refuse a database that already holds one."""
        url = resolve_url(db)
        if url.startswith("sqlite:///"):
            Path(url.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
        store = cls(_make_engine(url), url)
        if store.schema_version() is not None:
            store.close()
            raise StoreError(f"{store.display_url} already holds a review; "
                             "choose another --db or delete it first")
        store.migrate()
        return store

    @classmethod
    def open(cls, db: str | os.PathLike[str] | None = None) -> Store:
        """Open an existing review, bringing its schema up to date."""
        url = resolve_url(db)
        if url.startswith("sqlite:///") and not Path(url.removeprefix("sqlite:///")).exists():
            raise StoreError(f"no review at {url.removeprefix('sqlite:///')}: run "
                             "'review init --protocol FILE --db PATH' first, or pass --db")
        store = cls(_make_engine(url), url)
        if store.schema_version() is None:
            store.close()
            raise StoreError(f"{store.display_url} is not a review database "
                             "(no schema_migrations table); run 'review init' first")
        store.migrate()
        return store

    @property
    def display_url(self) -> str:
        return self.engine.url.render_as_string(hide_password=True)

    def close(self) -> None:
        self.engine.dispose()

    # --- transactions ----------------------------------------------------------------------

    @contextmanager
    def write(self) -> Iterator[Connection]:
        """One write transaction: everything inside lands together or not at all. Work that
        services leave for its end (`at_commit`) runs last, just before the commit."""
        with self.engine.connect() as conn:
            conn.execution_options(review_write=True)
            with conn.begin():
                conn.info[_AT_COMMIT] = {}
                try:
                    yield conn
                    for work in list(conn.info[_AT_COMMIT].values()):
                        work(conn)
                finally:
                    conn.info.pop(_AT_COMMIT, None)

    @contextmanager
    def read(self) -> Iterator[Connection]:
        """A consistent read: one snapshot for the whole transaction, so counts and rows agree
        while others write. SQLite's read transaction is one snapshot already; PostgreSQL's
        default (read committed) takes a new snapshot per statement, so a count read after a
        reviewer's vote committed would disagree with the one read before it: reads there run
        repeatable read, read only (a read-only transaction never fails to serialise)."""
        with self.engine.connect() as conn:
            if self.engine.dialect.name == "postgresql":
                conn.execution_options(isolation_level="REPEATABLE READ",
                                       postgresql_readonly=True)
            with conn.begin():
                yield conn

    # --- schema ----------------------------------------------------------------------------

    def schema_version(self) -> int | None:
        if not sa.inspect(self.engine).has_table(schema_migrations.name):
            return None
        with self.read() as conn:
            return conn.execute(sa.select(sa.func.max(schema_migrations.c.version))).scalar()

    def migrate(self) -> list[int]:
        """Apply pending migrations in order, each in its own transaction; return those applied."""
        with self.write() as conn:
            schema_migrations.create(conn, checkfirst=True)
        applied: list[int] = []
        for version, name, step in MIGRATIONS:
            with self.write() as conn:
                if _apply(conn, version, name, step):
                    applied.append(version)
        current = self.schema_version()
        if current is not None and current > LATEST:
            raise StoreError(f"{self.display_url} was written by a newer version of review "
                             f"(schema {current}, this one knows {LATEST}); upgrade review")
        return applied

    def create_schema(self, conn: Connection) -> None:
        """Every migration inside the caller's transaction, for an empty database: a restore
        onto a shared server lands its schema with its rows, or rolls back leaving nothing."""
        schema_migrations.create(conn)
        for version, name, step in MIGRATIONS:
            _apply(conn, version, name, step)

    def probe_write(self) -> str | None:
        """Prove that a write transaction goes through (a temporary table made and dropped,
        nothing of the review touched); on SQLite, also say the journal mode, which must be WAL
        for reviewers writing at once."""
        with self.write() as conn:
            conn.exec_driver_sql("CREATE TEMPORARY TABLE review_write_probe (x INTEGER)")
            conn.exec_driver_sql("DROP TABLE review_write_probe")
            if self.engine.dialect.name == "sqlite":
                return str(conn.exec_driver_sql("PRAGMA journal_mode").scalar())
        return None
