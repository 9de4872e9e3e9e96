"""The database a restore or a move writes reviews into: a new, empty one, or a database of
reviews (each review lands beside those it holds, in a namespace of its own); anything else is
refused. On any failure the target is left exactly as it was found.

A team's other data may share the target (a table of the user's own in the SQLite file, other
applications' tables on the server, other reviews), so nothing here ever decides what to remove
by looking at what the target holds:

- A new SQLite file: the review is built in a private file beside the target
  (``NAME.XXXXXXXX.partial``, created exclusively, so it is ours) and moved into place only when
  complete. A failure removes that file and nothing else; the target path is never written
  unless the restore succeeded, and a file another program puts there meanwhile is never
  replaced.
- PostgreSQL, and a database of reviews on either: the schema (or the new review's namespace),
  its listing and every row are written in one transaction, so a failure, an interruption or a
  lost connection rolls back exactly what this run created; what another connection creates
  meanwhile is not part of that transaction and stays.
"""

from __future__ import annotations

import os
import secrets
import shutil
import sqlite3
from collections.abc import Collection, Iterator
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from review.errors import StoreError
from review.store import (
    ReviewSlot,
    Store,
    _make_engine,
    check_slug,
    register_review,
    resolve_url,
    schema,
    slug_from,
)
from review.store.migrations import LATEST
from review.store.namespaces import translate_map

_SQLITE_HEADER = b"SQLite format 3\x00"
_KINDS = ("table", "view", "sequence", "function", "type")
_SHOWN = 5  # names listed per kind in a refusal; the rest are counted
HOLDS_REVIEW = "already holds a review"  # what a database of reviews holds, in a refusal

# What a PostgreSQL schema holds, leaving out members of installed extensions (pg_stat_statements
# and the like put views and functions in public: they are the server's, not data, and a restore
# never touches them).
_PG_HOLDINGS = sa.text("""
WITH target AS (SELECT oid FROM pg_namespace WHERE nspname = current_schema())
SELECT CASE WHEN c.relkind IN ('r', 'p', 'f') THEN 'table'
            WHEN c.relkind IN ('v', 'm') THEN 'view'
            WHEN c.relkind = 'S' THEN 'sequence' ELSE 'type' END AS kind, c.relname AS name
FROM pg_class c
WHERE c.relnamespace = (SELECT oid FROM target) AND c.relkind IN ('r', 'p', 'f', 'v', 'm', 'S', 'c')
  AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_class'::regclass
                  AND d.objid = c.oid AND d.deptype = 'e')
UNION ALL
SELECT 'function', p.proname FROM pg_proc p
WHERE p.pronamespace = (SELECT oid FROM target)
  AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_proc'::regclass
                  AND d.objid = p.oid AND d.deptype = 'e')
UNION ALL
SELECT 'type', t.typname FROM pg_type t
WHERE t.typnamespace = (SELECT oid FROM target) AND t.typtype IN ('e', 'd', 'r')
  AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_type'::regclass
                  AND d.objid = t.oid AND d.deptype = 'e')
ORDER BY 1, 2
""")


def _describe(found: list[tuple[str, str]]) -> str | None:
    """'holds 1 table: user_notes; 2 views: a, b', or None for nothing."""
    if not found:
        return None
    if any(kind == "table" and name == "schema_migrations" for kind, name in found):
        return HOLDS_REVIEW
    parts = []
    for kind in _KINDS:
        names = sorted(name for k, name in found if k == kind)
        if names:
            shown = ", ".join(names[:_SHOWN])
            more = f" and {len(names) - _SHOWN} more" if len(names) > _SHOWN else ""
            parts.append(f"{len(names)} {kind}{'' if len(names) == 1 else 's'}: {shown}{more}")
    return "holds " + "; ".join(parts)


def _sqlite_names(path: Path) -> list[tuple[str, str]] | None:
    """Tables and views in an SQLite file, read without writing a byte; None when it cannot be
    read. With a write-ahead log beside it (a database in use: the app running on it), read
    through the log, where its newest tables may still be; else immutable (no lock, no
    journal)."""
    modes = ["mode=ro&immutable=1"]
    if Path(f"{path}-wal").is_file():
        modes.insert(0, "mode=ro")
    for mode in modes:
        try:
            conn = sqlite3.connect(f"{path.resolve().as_uri()}?{mode}", uri=True)
            try:
                rows = conn.execute("SELECT type, name FROM sqlite_master WHERE type IN "
                                    "('table', 'view') AND name NOT LIKE 'sqlite_%'").fetchall()
            finally:
                conn.close()
        except sqlite3.Error:
            continue
        return [(kind, name) for kind, name in rows]
    return None


def _sqlite_reviews(path: Path) -> tuple[int | None, list[str]]:
    """An SQLite review database's schema version and review slugs, read only."""
    try:
        conn = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)
        try:
            version = conn.execute("SELECT max(version) FROM schema_migrations").fetchone()[0]
            listed = conn.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND "
                                  "name = 'reviews'").fetchone()
            slugs = [row[0] for row in conn.execute(
                "SELECT slug FROM reviews ORDER BY id")] if listed else []
        finally:
            conn.close()
    except sqlite3.Error as exc:
        raise StoreError(f"{path} could not be read ({exc}); nothing was written") from None
    return version, slugs


def sqlite_holdings(path: Path) -> str | None:
    """What an SQLite target holds, in words, or None if it is missing or an empty file."""
    if path.is_dir():
        return "is a folder, not a file"
    wal = Path(f"{path}-wal")
    wal_size = wal.stat().st_size if wal.is_file() else 0
    if not path.exists():
        return (f"does not exist, but its write-ahead log {wal.name} holds {wal_size} bytes"
                if wal_size else None)
    size = path.stat().st_size
    if size == 0:
        return f"is empty, but its write-ahead log {wal.name} holds {wal_size} bytes" \
            if wal_size else None
    with open(path, "rb") as handle:
        header = handle.read(len(_SQLITE_HEADER))
    if header != _SQLITE_HEADER:
        return f"is a file of {size} bytes that is not an SQLite database"
    found = _sqlite_names(path)
    if found is None:
        return f"is an SQLite database of {size} bytes that could not be read"
    return _describe(found) or (f"is an SQLite database of {size} bytes" +
                                (f" with a write-ahead log of {wal_size} bytes" if wal_size
                                 else ""))


def postgresql_holdings(conn: Connection) -> str | None:
    """What the connection's current schema holds, in words, or None if it is empty."""
    if conn.execute(sa.text("SELECT current_schema()")).scalar() is None:
        raise StoreError("no schema to create the review in: none of the schemas on the "
                         "search_path exists; create one (CREATE SCHEMA) or fix search_path")
    return _describe([(kind, name) for kind, name in conn.execute(_PG_HOLDINGS)])


def _refuse(where: str, holdings: str | None, advice: str) -> None:
    if holdings:
        raise StoreError(f"{where} {holdings}; a review is restored or moved only into a new, "
                         "empty database or into a database of reviews (beside the reviews it "
                         f"holds), so nothing was written. {advice}")


def unused_slug(slug: str, taken: Collection[str]) -> str:
    """The slug itself if free, else the first of `<slug>-2`, `<slug>-3`, ... that is (cut
    short where needed to stay a usable slug)."""
    if slug not in taken:
        return slug
    number = 2
    while True:
        suffix = f"-{number}"
        candidate = slug[:48 - len(suffix)].rstrip("-") + suffix
        if candidate not in taken:
            return candidate
        number += 1


def _registered(conn: Connection) -> list[ReviewSlot]:
    rows = conn.execute(sa.select(schema.reviews.c.id, schema.reviews.c.slug,
                                  schema.reviews.c.title, schema.reviews.c.namespace)
                        .order_by(schema.reviews.c.id))
    return [ReviewSlot(id=r.id, slug=r.slug, title=r.title, namespace=r.namespace) for r in rows]


class Filling:
    """The one transaction a restore or a move writes in. `add` registers one more review and
    points the connection at its tables; the caller then writes its rows through `conn`."""

    def __init__(self, conn: Connection, display: str) -> None:
        self.conn = conn
        self.display = display

    def add(self, slug: str, title: str, *, explicit: bool = False,
            created_by: str = "review") -> ReviewSlot:
        """The review's place: the plain tables if the database holds no review yet, else a
        namespace of its own. Its slug, unless `explicit`, gives way to `<slug>-2`, ... when
        taken. A first review restored by an earlier version, which did not list it, is listed
        now (as migration 20 would have), so the new one cannot take its tables."""
        conn = self.conn
        conn.execution_options(schema_translate_map=translate_map(None))
        held = _registered(conn)
        if not held:
            first = conn.execute(sa.select(schema.review.c.title, schema.review.c.created_at)
                                 ).first()
            if first is not None:
                unlisted = ReviewSlot(id=1, slug=slug_from(first.title), title=first.title,
                                      namespace=None)
                conn.execute(schema.reviews.insert().values(
                    id=1, slug=unlisted.slug, title=unlisted.title, namespace=None,
                    created_at=first.created_at, created_by="listed by a restore"))
                held = [unlisted]
        taken = [r.slug for r in held]
        if explicit:
            check_slug(slug)
            if slug in taken:
                raise taken_slug(self.display, slug, taken)
        else:
            slug = unused_slug(slug, taken)
        try:
            return register_review(conn, slug, title, created_by=created_by,
                                   after=max((r.id for r in held), default=None))
        except sa.exc.DBAPIError as exc:
            reason = str(exc.orig or exc).strip().splitlines()[0]
            raise StoreError(f"could not create the tables of review '{slug}' in "
                             f"{self.display} ({reason}); nothing was kept") from exc


def taken_slug(display: str, slug: str, taken: Collection[str]) -> StoreError:
    return StoreError(f"{display} already holds a review '{slug}' (its reviews: "
                      f"{', '.join(taken)}); choose another --review SLUG")


class ReviewTarget:
    """The database a restore or a move writes into, checked before a byte is written: a new,
    empty one (the first review takes the plain tables), or a database of reviews at this
    version's schema (each review lands beside those it holds, in a namespace of its own).
    Anything else (a database holding other tables only, a file that is not a database) is
    refused. `filling()` is one transaction; `open(slot)` opens a review once it is built."""

    def __init__(self, db: str | os.PathLike[str] | None) -> None:
        self.url = resolve_url(db)
        url = sa.make_url(self.url)
        self.display = url.render_as_string(hide_password=True)
        backend = url.get_backend_name()
        self.path: Path | None = None
        self._existed = False
        self.beside = False
        if backend == "sqlite":
            if not url.database or url.database == ":memory:":
                raise StoreError(f"{self.display} is an in-memory database; give a file path")
            self.path = Path(url.database)
            self.display = str(self.path)
            self._existed = self.path.exists()
            holdings = sqlite_holdings(self.path)
            self.beside = holdings == HOLDS_REVIEW
            if not self.beside:
                _refuse(self.display, holdings,
                        "Give a path that does not exist yet (or an empty file).")
        elif backend == "postgresql":
            self.beside = self._postgresql_holds_reviews()
        else:
            raise StoreError(f"{self.display}: a review can be restored or moved into an SQLite "
                             "file or a PostgreSQL database, not into "
                             f"{backend} (where a failed restore could not be undone)")
        self._taken: list[str] = self._check_reviews() if self.beside else []

    def _postgresql_holds_reviews(self) -> bool:
        store = Store(_make_engine(self.url), self.url)
        try:
            with store.read() as conn:
                return postgresql_holdings(conn) == HOLDS_REVIEW
        finally:
            store.close()

    def _check_reviews(self) -> list[str]:
        """A database of reviews takes one more only at this version's schema: migrating it
        here would change it even if the restore then failed. Returns the slugs it holds.
        Read without writing a byte (an SQLite file is opened read-only)."""
        version, slugs = (_sqlite_reviews(self.path) if self.path is not None
                          else self._postgresql_reviews())
        if version is None or version < LATEST:
            raise StoreError(
                f"{self.display} holds reviews of schema {version}, older than this "
                f"version's {LATEST}: open it once with this version (e.g. 'review reviews "
                "list --db ...'), which migrates it, then run again; nothing was written")
        if version > LATEST:
            raise StoreError(f"{self.display} was written by a newer version of review "
                             f"(schema {version}, this one knows {LATEST}); upgrade review")
        return slugs

    def _postgresql_reviews(self) -> tuple[int | None, list[str]]:
        store = Store(_make_engine(self.url), self.url)
        try:
            version = store.schema_version()
            if version is None or version != LATEST:
                return version, []
            with store.read() as conn:
                return version, [r.slug for r in _registered(conn)]
        finally:
            store.close()

    def taken(self) -> list[str]:
        """The slugs the target's reviews had when it was checked (none for a new database)."""
        return list(self._taken)

    def filling(self) -> AbstractContextManager[Filling]:
        """One transaction: the caller adds reviews and writes their rows; on any failure
        nothing of this run remains."""
        if self.beside:
            return self._filling_beside()
        return self._filling_sqlite() if self.path is not None else self._filling_postgresql()

    def open(self, slot: ReviewSlot) -> Store:
        return Store.open(self.url, review=slot.slug)

    @contextmanager
    def _filling_beside(self) -> Iterator[Filling]:
        store = Store(_make_engine(self.url), self.url)
        try:
            with store.write() as conn:
                if self.path is None and postgresql_holdings(conn) != HOLDS_REVIEW:
                    raise StoreError(f"{self.display} no longer holds reviews (changed during "
                                     "the restore); nothing was written")
                yield Filling(conn, self.display)
        finally:
            store.close()

    @contextmanager
    def _filling_postgresql(self) -> Iterator[Filling]:
        store = Store(_make_engine(self.url), self.url)
        try:
            with store.write() as conn:
                _refuse(self.display, postgresql_holdings(conn),
                        "Create one (e.g. createdb review_restored), or point the URL at an "
                        "empty schema (?options=-csearch_path%3Dname).")
                try:
                    store.create_schema(conn)
                except sa.exc.DBAPIError as exc:
                    reason = str(exc.orig or exc).strip().splitlines()[0]
                    raise StoreError(f"could not create the review's tables in {self.display} "
                                     f"({reason}); nothing was kept") from exc
                yield Filling(conn, self.display)
        finally:
            store.close()

    @contextmanager
    def _filling_sqlite(self) -> Iterator[Filling]:
        assert self.path is not None
        made: list[Path] = []
        partial: Path | None = None
        store: Store | None = None
        try:
            _make_parents(self.path.parent, made)
            partial = _claim_partial(self.path)
            url = resolve_url(partial)
            store = Store(_make_engine(url), url)
            store.migrate()
            with store.write() as conn:
                yield Filling(conn, self.display)
            _fold_wal(store)
            store.close()
            self._move_into_place(partial)
        except BaseException as exc:
            if store is not None:
                store.close()
            for suffix in ("", "-wal", "-shm", "-journal") if partial else ():
                Path(f"{partial}{suffix}").unlink(missing_ok=True)
            for folder in reversed(made):
                try:
                    folder.rmdir()
                except OSError:
                    pass  # something else was put there meanwhile: it stays
            if isinstance(exc, OSError) and store is None:  # no folder or file could be made
                raise StoreError(f"{self.path} could not be written ({exc.strerror or exc}); "
                                 "nothing was kept") from exc
            raise

    def _move_into_place(self, partial: Path) -> None:
        """The complete review takes the target's name, unless someone wrote there meanwhile."""
        assert self.path is not None
        taken = StoreError(f"{self.path} was created or written by another program during the "
                           "restore; it was left as it is and the restored review discarded. "
                           "Run again with a new path.")
        if self._existed:
            if not self.path.is_file() or self.path.stat().st_size:
                raise taken
            shutil.copymode(self.path, partial)
            os.replace(partial, self.path)
            return
        try:
            os.link(partial, self.path)  # fails, rather than replaces, if the name is taken
        except FileExistsError:
            raise taken from None
        except OSError:  # a filesystem without hard links
            if self.path.exists():
                raise taken from None
            os.replace(partial, self.path)
            return
        partial.unlink()


def _fold_wal(store: Store) -> None:
    """Checkpoint the write-ahead log into the file and end WAL mode, so the file alone holds
    the review when it is renamed (the target's first opening turns WAL on again)."""
    raw = store.engine.raw_connection()  # outside SQLAlchemy's automatic BEGIN
    try:
        cursor = raw.cursor()
        mode = cursor.execute("PRAGMA journal_mode=DELETE").fetchone()[0]
        cursor.close()
    finally:
        raw.close()
    if str(mode).lower() != "delete":
        raise StoreError(f"could not finish the new review file (journal mode {mode}); is "
                         "another program reading it?")


def _make_parents(folder: Path, made: list[Path]) -> None:
    """Create missing folders, adding each to `made` (outermost first) as soon as it exists, so
    a failure part-way can still remove them."""
    missing = []
    while not folder.exists():
        missing.append(folder)
        folder = folder.parent
    for path in reversed(missing):
        try:
            path.mkdir()
        except FileExistsError:
            continue
        made.append(path)


def _claim_partial(target: Path) -> Path:
    """A new file beside the target that no one else has: O_EXCL fails if the name is taken."""
    while True:
        partial = target.with_name(f"{target.name}.{secrets.token_hex(4)}.partial")
        try:
            os.close(os.open(partial, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o666))
        except FileExistsError:
            continue
        return partial
