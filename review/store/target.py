"""The database a restore or a move builds a new review in: refused unless it is empty, and on
any failure left exactly as it was found.

A team's other data may share the target (a table of the user's own in the SQLite file, other
applications' tables on the server), so nothing here ever decides what to remove by looking at
what the target holds:

- SQLite: the review is built in a private file beside the target (``NAME.XXXXXXXX.partial``,
  created exclusively, so it is ours) and moved into place only when complete. A failure removes
  that file and nothing else; the target path is never written unless the restore succeeded,
  and a file another program puts there meanwhile is never replaced.
- PostgreSQL: the schema and every row are written in one transaction, so a failure, an
  interruption or a lost connection rolls back exactly what this run created; tables another
  connection creates meanwhile are not part of that transaction and stay.
"""

from __future__ import annotations

import os
import secrets
import shutil
import sqlite3
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from review.errors import StoreError
from review.store import Store, _make_engine, resolve_url

_SQLITE_HEADER = b"SQLite format 3\x00"
_KINDS = ("table", "view", "sequence", "function", "type")
_SHOWN = 5  # names listed per kind in a refusal; the rest are counted

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
        return "already holds a review"
    parts = []
    for kind in _KINDS:
        names = sorted(name for k, name in found if k == kind)
        if names:
            shown = ", ".join(names[:_SHOWN])
            more = f" and {len(names) - _SHOWN} more" if len(names) > _SHOWN else ""
            parts.append(f"{len(names)} {kind}{'' if len(names) == 1 else 's'}: {shown}{more}")
    return "holds " + "; ".join(parts)


def _sqlite_names(path: Path) -> list[tuple[str, str]] | None:
    """Tables and views in an SQLite file, read without writing a byte (immutable: no lock, no
    journal); None when it cannot be read."""
    try:
        conn = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro&immutable=1", uri=True)
        try:
            rows = conn.execute("SELECT type, name FROM sqlite_master WHERE type IN "
                                "('table', 'view') AND name NOT LIKE 'sqlite_%'").fetchall()
        finally:
            conn.close()
    except sqlite3.Error:
        return None
    return [(kind, name) for kind, name in rows]


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
                         f"empty database, so nothing was written. {advice}")


class NewDatabase:
    """A target checked empty at once (SQLite) or at the start of the one transaction
    (PostgreSQL); `filling()` builds the review, `open()` opens it once built."""

    def __init__(self, db: str | os.PathLike[str] | None) -> None:
        self.url = resolve_url(db)
        url = sa.make_url(self.url)
        self.display = url.render_as_string(hide_password=True)
        backend = url.get_backend_name()
        self.path: Path | None = None
        self._existed = False
        if backend == "sqlite":
            if not url.database or url.database == ":memory:":
                raise StoreError(f"{self.display} is an in-memory database; give a file path")
            self.path = Path(url.database)
            self.display = str(self.path)
            self._existed = self.path.exists()
            _refuse(self.display, sqlite_holdings(self.path),
                    "Give a path that does not exist yet (or an empty file).")
        elif backend != "postgresql":
            raise StoreError(f"{self.display}: a review can be restored or moved into an SQLite "
                             "file or a PostgreSQL database, not into "
                             f"{backend} (where a failed restore could not be undone)")

    def filling(self) -> AbstractContextManager[Connection]:
        """One transaction over the new schema: the caller writes the rows; on any failure
        nothing of this run remains."""
        return self._filling_sqlite() if self.path is not None else self._filling_postgresql()

    def open(self) -> Store:
        return Store.open(self.url)

    @contextmanager
    def _filling_postgresql(self) -> Iterator[Connection]:
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
                yield conn
        finally:
            store.close()

    @contextmanager
    def _filling_sqlite(self) -> Iterator[Connection]:
        assert self.path is not None
        made: list[Path] = []
        partial: Path | None = None
        store: Store | None = None
        try:
            _make_parents(self.path.parent, made)
            partial = _claim_partial(self.path)
            store = Store.create(partial)
            with store.write() as conn:
                yield conn
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
