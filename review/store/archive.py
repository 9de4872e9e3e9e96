"""A whole review as one file, and reviews moved between databases.

`export_project` writes a zip of one review: a manifest (schema version, the review's slug and
title, row counts, sha256 of every part), one JSON-lines file per table, the stored PDFs as
files, and the protocol as text, so a review can be backed up, archived with the manuscript, or
opened on another machine. `import_project` restores it, and `copy_review` / `copy_reviews`
move reviews from one database to another (SQLite to a PostgreSQL team server, say). Both go
through the same row copying, every table in foreign-key order, in one transaction: a move
lands whole or not at all. The target is a new, empty database (the review becomes its first)
or a database of reviews (the review lands beside them, in a namespace of its own, under its
slug or `<slug>-2`, ...); a failure leaves it exactly as it was found: only what the run itself
created goes (see review/store/target.py). Tables are read from the schema itself, so tables
added by later migrations travel without changes here.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import zipfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from review import __version__
from review.errors import InputError, ReviewError, StoreError
from review.store import Store, check_slug, person_key, schema, slug_from, utc_now
from review.store.migrations import LATEST
from review.store.target import ReviewTarget, taken_slug

FORMAT = "review-project"
FORMAT_VERSION = 1
_BATCH = 1000
_BINARY = "__bytes__"


def _tables() -> list[sa.Table]:
    """Every table of the review in foreign-key order (parents first), as declared."""
    return list(schema.REVIEW_TABLES)


def _encode(value: Any) -> Any:
    if isinstance(value, bytes | bytearray | memoryview):
        return {_BINARY: base64.b64encode(bytes(value)).decode("ascii")}
    return value


def _decode(value: Any) -> Any:
    if isinstance(value, dict) and set(value) == {_BINARY}:
        return base64.b64decode(value[_BINARY])
    return value


def _rows(conn: Connection, table: sa.Table) -> Iterator[dict[str, Any]]:
    order = list(table.primary_key.columns) or list(table.columns)
    for row in conn.execute(sa.select(table).order_by(*order)).mappings():
        yield dict(row)


def export_project(store: Store, out: str | os.PathLike[str]) -> dict[str, Any]:
    """Write the store's review (its tables only, through the store's connections, whichever
    namespace they are in) to a zip file; returns the manifest, which names the review's slug
    and title. The file appears only when it is complete (written beside it, then renamed)."""
    out = Path(out)
    partial = out.with_name(out.name + ".partial")
    title, slug = _source_names(store)
    manifest: dict[str, Any] = {"format": FORMAT, "format_version": FORMAT_VERSION,
                                "review_version": __version__, "exported_at": utc_now(),
                                "schema_version": store.schema_version(), "tables": {},
                                "sha256": {}, "review_slug": slug, "review_title": title}
    with store.read() as conn, zipfile.ZipFile(partial, "w", zipfile.ZIP_DEFLATED) as archive:
        for table in _tables():
            lines, count = [], 0
            for row in _rows(conn, table):
                if table.name == "fulltext_files":
                    data = bytes(row.pop("data"))
                    name = f"files/{row['sha256']}.pdf"
                    archive.writestr(name, data)
                    manifest["sha256"][name] = hashlib.sha256(data).hexdigest()
                lines.append(json.dumps({k: _encode(v) for k, v in row.items()},
                                        ensure_ascii=False, sort_keys=True))
                count += 1
            body = ("\n".join(lines) + "\n" if lines else "").encode("utf-8")
            name = f"tables/{table.name}.jsonl"
            archive.writestr(name, body)
            manifest["sha256"][name] = hashlib.sha256(body).hexdigest()
            manifest["tables"][table.name] = count
        manifest["disabled_accounts"] = _disabled_accounts(conn)
        protocol = conn.execute(sa.select(schema.review.c.protocol_text)).scalar()
        if protocol is not None:
            archive.writestr("protocol.toml", protocol)
        archive.writestr("manifest.json", json.dumps(manifest, indent=2, sort_keys=True))
    partial.replace(out)
    return manifest


def _read_archive(path: Path) -> tuple[dict[str, Any], zipfile.ZipFile]:
    try:
        archive = zipfile.ZipFile(path)
    except (OSError, zipfile.BadZipFile) as exc:
        raise InputError(str(path), f"not a review project file ({exc})") from None
    try:
        manifest = json.loads(archive.read("manifest.json"))
    except (KeyError, ValueError):
        archive.close()
        raise InputError(str(path), "not a review project file (no valid manifest.json)") from None
    if manifest.get("format") != FORMAT or manifest.get("format_version") != FORMAT_VERSION:
        archive.close()
        raise InputError(str(path), f"unknown project format {manifest.get('format')!r} "
                         f"version {manifest.get('format_version')!r}")
    for name, digest in manifest.get("sha256", {}).items():
        try:
            data = archive.read(name)
        except KeyError:
            archive.close()
            raise InputError(str(path), f"{name} is missing from the archive") from None
        if hashlib.sha256(data).hexdigest() != digest:
            archive.close()
            raise InputError(str(path), f"{name} does not match its sha256: the file is damaged")
    return manifest, archive


def _stored_title(archive: zipfile.ZipFile, names: set[str]) -> str:
    """The title in the archive's review row: an archive written before the manifest named
    the review's slug and title lands under a slug made from it."""
    name = "tables/review.jsonl"
    if name in names:
        for line in archive.read(name).decode("utf-8").splitlines():
            try:
                title = json.loads(line).get("title")
            except (ValueError, AttributeError):
                break
            if isinstance(title, str):
                return title
    return ""


def _landing(slug: Any, title: str) -> str:
    """The slug a review asks for: its own if usable, else one made from its title."""
    if isinstance(slug, str):
        try:
            return check_slug(slug)
        except StoreError:
            pass
    return slug_from(title)


def import_project(path: str | os.PathLike[str], db: str | os.PathLike[str] | None,
                   progress: Callable[[str, int], None] | None = None,
                   review: str | None = None) -> Store:
    """The review of an exported project, restored into a new, empty database (its first
    review) or beside the reviews a database holds, under its slug (`<slug>-2`, ... if that is
    taken), or under `review` if given (refused if taken). A failed restore leaves the target
    exactly as it was found."""
    path = Path(path)
    manifest, archive = _read_archive(path)
    with archive:
        names = set(archive.namelist())
        stored = _stored_title(archive, names)
        title = manifest.get("review_title")
        title = title if isinstance(title, str) else stored
        slug = check_slug(review) if review is not None else _landing(
            manifest.get("review_slug"), stored)
        target = _new_target(db, manifest["schema_version"], str(path))
        if review is not None and review in target.taken():
            raise taken_slug(target.display, review, target.taken())
        with target.filling() as filling:
            slot = filling.add(slug, title, explicit=review is not None,
                               created_by=f"import-project {path.name}")
            conn = filling.conn
            tables = _tables()
            for table in tables:
                name = f"tables/{table.name}.jsonl"
                if name not in names:
                    continue
                rows = []
                for number, line in enumerate(archive.read(name).decode("utf-8")
                                              .splitlines(), start=1):
                    try:
                        row = {k: _decode(v) for k, v in json.loads(line).items()}
                    except ValueError as exc:
                        raise InputError(f"{path}:{name}", f"bad JSON ({exc})",
                                         line=number) from None
                    if table.name == "fulltext_files":
                        pdf = f"files/{row.get('sha256')}.pdf"
                        if pdf not in names:
                            raise InputError(f"{path}:{name}", f"{pdf} is missing from the "
                                             "archive", line=number)
                        row["data"] = archive.read(pdf)
                    rows.append(row)
                _write(conn, table, rows, f"{path}: {name}", target)
                if progress:
                    progress(table.name, len(rows))
            _reset_sequences(conn, tables, slot.namespace)
            disabled = manifest.get("disabled_accounts")
            _people_take_accounts(conn, f"import-project {path.name}",
                                  disabled if isinstance(disabled, list) else [])
    return target.open(slot)


def copy_review(source: Store, db: str | os.PathLike[str],
                progress: Callable[[str, int], None] | None = None) -> Store:
    """Copy every row of one review into another database, a new, empty one or one holding
    other reviews (it lands under its slug, `<slug>-2`, ... if that is taken); a failed copy
    leaves the target exactly as it was found."""
    return copy_reviews([source], db, progress)[0]


def copy_reviews(sources: list[Store], db: str | os.PathLike[str],
                 progress: Callable[[str, int], None] | None = None) -> list[Store]:
    """Copy several reviews (each a Store opened on one review, e.g. every review of a
    database) in one transaction: all land, or none and the target is as it was found. With
    more than one, the progress names each table as `slug: table`."""
    if not sources:
        raise StoreError("no review to copy: the source database lists none")
    origin = sources[0].display_url
    target = _new_target(db, sources[0].schema_version(), origin)
    slots = []
    with target.filling() as filling:
        for source in sources:
            title, slug = _source_names(source)
            slot = filling.add(slug, title, created_by=f"migrate from {origin}")
            slots.append(slot)
            tables = _tables()
            with source.read() as src:
                disabled = _disabled_accounts(src)
                for table in tables:
                    rows = list(_rows(src, table))
                    _write(filling.conn, table, rows,
                           f"{source.display_url}: {_named(source)}table {table.name}", target)
                    if progress:
                        label = table.name if len(sources) == 1 else f"{slot.slug}: {table.name}"
                        progress(label, len(rows))
            _reset_sequences(filling.conn, tables, slot.namespace)
            _people_take_accounts(filling.conn, f"migrate from {origin}", disabled)
    return [target.open(slot) for slot in slots]


def _disabled_accounts(conn: Connection) -> list[str]:
    """The review's people whose account on its server is disabled (`conn` on the review):
    a move or a restore must not sign them in again elsewhere. Server administration does not
    travel: it is the server's, not the review's."""
    people, accounts = schema.reviewers, schema.accounts
    keys = {person_key(name): name for name in conn.execute(sa.select(people.c.name)).scalars()}
    off = conn.execute(sa.select(accounts.c.name_key).where(accounts.c.active.is_(False)))
    return sorted(keys[key] for key in off.scalars() if key in keys)


def _people_take_accounts(conn: Connection, by: str, disabled: list[str]) -> None:
    """The people of a review just restored (`conn` on its tables) join the server's
    accounts: someone new gets an account made from their row (disabled if it was disabled
    where the review came from); someone who has one already takes its password and email
    into their row, as for anyone added to a second review (one password in every review;
    review/accounts.py). An email that is another person's on this server goes from both."""
    people, accounts = schema.reviewers, schema.accounts
    off = {person_key(name) for name in disabled if isinstance(name, str)}
    for row in conn.execute(sa.select(people.c.id, people.c.name, people.c.password_hash,
                                      people.c.email, people.c.created_at)).all():
        key = person_key(row.name)
        account = conn.execute(sa.select(accounts).where(accounts.c.name_key == key)).first()
        if account is not None:
            email = account.email
            if email is not None and conn.execute(sa.select(people.c.id).where(
                    people.c.email == email, people.c.id != row.id)).first() is not None:
                email = None  # another person of this review has it: not claimed here
            conn.execute(people.update().where(people.c.id == row.id).values(
                password_hash=account.password_hash, email=email))
            continue
        email = row.email
        if email is not None and conn.execute(sa.select(accounts.c.id).where(
                accounts.c.email == email)).first() is not None:
            email = None  # another person's on this server: not this one's
            conn.execute(people.update().where(people.c.id == row.id).values(email=None))
        conn.execute(accounts.insert().values(
            name=row.name, name_key=key, password_hash=row.password_hash, email=email,
            active=key not in off, admin=False, created_at=row.created_at or utc_now(),
            created_by=by))


def _source_names(source: Store) -> tuple[str, str]:
    """A source review's title and slug: as listed, or (a review its database does not list)
    made from its stored title."""
    if source.review is not None:
        return source.review.title, source.review.slug
    with source.read() as conn:
        title = conn.execute(sa.select(schema.review.c.title)).scalar() or ""
    return title, slug_from(title)


def _named(source: Store) -> str:
    return f"review {source.review.slug}, " if source.review is not None else ""


def _new_target(db: str | os.PathLike[str] | None, schema_version: int | None,
                origin: str) -> ReviewTarget:
    """Check the schema versions and the target before anything is written."""
    if schema_version is None or schema_version > LATEST:
        raise ReviewError(f"{origin} was written with schema {schema_version}; this version of "
                          f"review knows up to {LATEST}: upgrade review")
    if schema_version < LATEST:
        raise ReviewError(f"{origin} has schema {schema_version}, older than this version's "
                          f"{LATEST}: open it once with this version (which migrates it), "
                          "then export again")
    return ReviewTarget(db)


def _write(conn: Connection, table: sa.Table, rows: list[dict[str, Any]], origin: str,
           target: ReviewTarget) -> None:
    """Insert the rows, turning a database refusal into a message that says which rows broke
    what, and that nothing was kept."""
    try:
        _insert(conn, table, rows)
    except sa.exc.DBAPIError as exc:
        reason = str(exc.orig or exc).strip().splitlines()[0]
        raise StoreError(f"{origin}: the rows could not be written to table {table.name} "
                         f"({reason}); nothing was kept: {target.display} is as it was "
                         "before") from exc


def _insert(conn: Connection, table: sa.Table, rows: list[dict[str, Any]]) -> None:
    if not rows:
        return
    # a self-referencing column (duplicate_groups.merged_into) is filled in a second pass
    selfref = [c.name for c in table.columns
               for fk in c.foreign_keys if fk.column.table.name == table.name]
    first = [{k: (None if k in selfref else v) for k, v in r.items()} for r in rows]
    for start in range(0, len(first), _BATCH):
        conn.execute(table.insert(), first[start:start + _BATCH])
    key = list(table.primary_key.columns)
    for name in selfref:
        for row in rows:
            if row.get(name) is not None:
                conn.execute(table.update().where(*[c == row[c.name] for c in key])
                             .values({name: row[name]}))


def _reset_sequences(conn: Connection, tables: list[sa.Table], namespace: str | None) -> None:
    """PostgreSQL keeps id counters apart from the rows: move them past the copied ids (those
    of the review's own namespace, named in full: plain SQL is not translated)."""
    if conn.dialect.name != "postgresql":
        return
    for table in tables:
        key = list(table.primary_key.columns)
        if len(key) == 1 and isinstance(key[0].type, sa.Integer) and key[0].autoincrement:
            name = f'"{namespace}".{table.name}' if namespace else table.name
            conn.execute(sa.text(
                f"SELECT setval(pg_get_serial_sequence('{name}', '{key[0].name}'), "
                f"COALESCE((SELECT max({key[0].name}) FROM {name}), 0) + 1, false)"))


def table_contents(store: Store) -> dict[str, list[dict[str, Any]]]:
    """Every row of every table (bytes as is): what a round trip must keep exactly."""
    with store.read() as conn:
        return {t.name: list(_rows(conn, t)) for t in _tables()}
