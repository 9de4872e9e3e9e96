"""A review's database: engines, transactions and migrations, SQLite by default, any SQLAlchemy
URL. The tables are declared in review/store/schema.py; services write SQLAlchemy Core against
those objects, never naming a table by a string.

SQLite runs in WAL mode with a busy timeout, and every write transaction starts with
BEGIN IMMEDIATE, so two reviewers' sessions writing at once queue for the lock instead of
failing half-way; reads never block writes.
"""

from __future__ import annotations

import os
import re
import unicodedata
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from review.errors import ReviewChoiceError, StoreError
from review.store.migrations import LATEST, MIGRATIONS
from review.store.namespaces import (
    create_namespace,
    flatten_sqlite,
    namespace_for,
    translate_map,
)
from review.store.schema import reviews, schema_migrations

DEFAULT_DB = "review.db"
_AT_COMMIT = "review_at_commit"
SLUG_PATTERN = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,46}[a-z0-9])?$")

CHOSEN_REVIEW: ContextVar[str | None] = ContextVar("review_chosen", default=None)
"""The review a caller chose for every Store.open that names none (the command line's
--review, for the one command it runs); else $REVIEW_SLUG, else the database's only review."""


@dataclass(frozen=True, slots=True)
class ReviewSlot:
    """One review of a database: its slug, title and where its tables are (namespace None:
    the first review's plain-named tables)."""
    id: int
    slug: str
    title: str
    namespace: str | None


def register_review(conn: Connection, slug: str, title: str, *, created_by: str,
                    after: int | None) -> ReviewSlot:
    """List a new review and make its place, in the caller's transaction, leaving `conn`
    pointed at its tables: the plain tables for a database's first review (`after` None),
    else a namespace of its own, numbered after the highest review id `after`."""
    if after is None:
        slot = ReviewSlot(id=1, slug=slug, title=title, namespace=None)
    else:
        slot = ReviewSlot(id=after + 1, slug=slug, title=title,
                          namespace=namespace_for(after + 1))
    conn.execute(reviews.insert().values(
        id=slot.id, slug=slot.slug, title=title, namespace=slot.namespace,
        created_at=utc_now(), created_by=created_by))
    conn.execution_options(schema_translate_map=translate_map(slot.namespace))
    if slot.namespace is not None:
        create_namespace(conn, slot.namespace)
    return slot


def slug_from(title: str) -> str:
    """A slug made from a title: lower-case words joined by hyphens."""
    plain = unicodedata.normalize("NFKD", title).encode("ascii", "ignore").decode().lower()
    slug = ""
    for word in re.findall(r"[a-z0-9]+", plain):
        if len(slug) + len(word) + 1 > 48:
            slug = slug or word[:48]
            break
        slug = f"{slug}-{word}" if slug else word
    return slug or "review"


def person_key(name: str) -> str:
    """What makes two names one person's: case and spacing ignored, in any alphabet (an
    account's `name_key`; accounts are matched on it in every review of the server)."""
    return " ".join(name.split()).casefold()


def check_slug(slug: str) -> str:
    if not SLUG_PATTERN.match(slug):
        raise StoreError(f"review slug {slug!r} is not usable: lower-case letters, digits and "
                         "hyphens, 1 to 48 characters, starting and ending with a letter or "
                         "digit (e.g. peer-support-2026)")
    return slug


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

        @sa.event.listens_for(engine, "before_cursor_execute", retval=True)
        def _sqlite_namespaces(_conn, _cursor, statement, parameters, _context,  # type: ignore[no-untyped-def]
                               _many):
            return flatten_sqlite(statement), parameters

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
    """A database and one of its reviews: `Store.create` makes a review (in a new database or
    beside the reviews a database holds), `Store.open` opens one. Every connection it hands out
    reads and writes that review's tables only (review/store/namespaces.py)."""

    def __init__(self, engine: Engine, url: str, review: ReviewSlot | None = None) -> None:
        self.engine = engine
        self.url = url
        self.review = review
        self._map = translate_map(review.namespace if review is not None else None)

    # --- opening ---------------------------------------------------------------------------

    @classmethod
    def create(cls, db: str | os.PathLike[str] | None = None, *, review: str | None = None,
               title: str = "", created_by: str = "review",
               fill: Callable[[Store, Connection], None] | None = None) -> Store:
        """A new review: the first of a new (or empty) database, or, given a slug not yet
        taken, one more beside the reviews a database holds. `fill` writes the review's first
        rows in the same transaction that registers it, so a failure leaves no half review."""
        url = resolve_url(db)
        if url.startswith("sqlite:///"):
            Path(url.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
        server = cls(_make_engine(url), url)
        slug = check_slug(review) if review is not None else slug_from(title)
        fresh = server.schema_version() is None
        if not fresh:
            held = [r.slug for r in server.reviews()] if server._has_reviews() else []
            if review is None:
                server.close()
                raise StoreError(f"{server.display_url} already holds a review "
                                 f"({', '.join(held) or 'unlisted'}); choose another --db, "
                                 "or add one more review to it with --review SLUG")
            if slug in held:
                server.close()
                raise StoreError(f"{server.display_url} already holds a review '{slug}'; "
                                 "choose another --review SLUG")
        server.migrate()
        if not server._has_reviews():  # migrations cut short (tests of older schemas)
            with server.write() as conn:
                if fill is not None:
                    fill(server, conn)
            return server
        with server.write() as conn:
            listed = [] if fresh else server.reviews(conn)
            slot = register_review(conn, slug, title, created_by=created_by,
                                   after=max((r.id for r in listed), default=None))
            store = cls(server.engine, url, slot)
            if fill is not None:
                fill(store, conn)
        return store

    @classmethod
    def open(cls, db: str | os.PathLike[str] | None = None, review: str | None = None) -> Store:
        """Open a review, bringing the database's schema up to date. Which review: `review`,
        else CHOSEN_REVIEW, else $REVIEW_SLUG, else the database's only one."""
        server = cls.open_database(db)
        try:
            return server.review_named(review)
        except StoreError:
            server.close()
            raise

    def review_named(self, review: str | None = None) -> Store:
        """One review of this database, on this store's engine (one connection pool for all
        the reviews a process serves): `review`, else CHOSEN_REVIEW, else $REVIEW_SLUG, else
        the database's only one."""
        slug = review or CHOSEN_REVIEW.get() or os.environ.get("REVIEW_SLUG") or None
        slot = self.choose(slug)
        return self.with_review(slot) if slot is not None else self

    @classmethod
    def open_database(cls, db: str | os.PathLike[str] | None = None) -> Store:
        """The database as a whole, its schema brought up to date, no review chosen: for what
        spans its reviews (listing them, checking them all). Open a review with
        `with_review` before reading or writing one."""
        url = resolve_url(db)
        if url.startswith("sqlite:///") and not Path(url.removeprefix("sqlite:///")).exists():
            raise StoreError(f"no review at {url.removeprefix('sqlite:///')}: run "
                             "'review init --protocol FILE --db PATH' first, or pass --db")
        server = cls(_make_engine(url), url)
        if server.schema_version() is None:
            server.close()
            raise StoreError(f"{server.display_url} is not a review database "
                             "(no schema_migrations table); run 'review init' first")
        server.migrate()
        return server

    def choose(self, slug: str | None) -> ReviewSlot | None:
        """The review named, or the only one; None for a database whose first review is still
        being made (no review registered yet)."""
        held = self.reviews()
        if slug is not None:
            for slot in held:
                if slot.slug == slug:
                    return slot
            listed = ", ".join(r.slug for r in held) or "none"
            raise ReviewChoiceError(f"{self.display_url} holds no review '{slug}'; its reviews: "
                             f"{listed} (see 'review reviews list')")
        if len(held) > 1:
            raise ReviewChoiceError(f"{self.display_url} holds {len(held)} reviews: "
                             f"{', '.join(r.slug for r in held)}; choose one with "
                             "--review SLUG (or $REVIEW_SLUG)")
        return held[0] if held else None

    def reviews(self, conn: Connection | None = None) -> list[ReviewSlot]:
        """Every review the database holds, in the order they were made."""
        if conn is None:
            with self.read() as own:
                return self.reviews(own)
        rows = conn.execute(sa.select(reviews.c.id, reviews.c.slug, reviews.c.title,
                                      reviews.c.namespace).order_by(reviews.c.id))
        return [ReviewSlot(id=r.id, slug=r.slug, title=r.title, namespace=r.namespace)
                for r in rows]

    def bind(self, conn: Connection) -> Connection:
        """Point an open connection at this review's tables: a change that spans reviews (a
        person's password, in every review they are in) stays one transaction."""
        return conn.execution_options(schema_translate_map=self._map)

    def with_review(self, slot: ReviewSlot) -> Store:
        """Another review of the same database, on the same engine (its connection pool)."""
        return Store(self.engine, self.url, slot)

    def _has_reviews(self) -> bool:
        return sa.inspect(self.engine).has_table(reviews.name)

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
            conn.execution_options(review_write=True, schema_translate_map=self._map)
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
            conn.execution_options(schema_translate_map=self._map)
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
        """Apply pending migrations in order, each in its own transaction; return those applied.

        Migrations 1 to 20 build the first review's tables under their plain names and the
        server's own tables; a later review's namespace is made at the latest declaration
        (review/store/namespaces.py). So a migration after 20 that changes a review's tables
        must make the change in every namespace the `reviews` table lists, too."""
        server = Store(self.engine, self.url)  # migrations name plain tables: no translation
        with server.write() as conn:
            schema_migrations.create(conn, checkfirst=True)
        applied: list[int] = []
        for version, name, step in MIGRATIONS:
            with server.write() as conn:
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
