"""Where each review of a database keeps its tables.

A database holds one or more reviews. The first review of a database keeps the tables the
numbered migrations build, under their plain names, so a database made by an earlier version
is its first review as it stands, every row in place. Every later review gets a namespace of
its own, `review_<id>`, holding the same tables as declared in review/store/schema.py: on
PostgreSQL a schema of that name; in an SQLite file, which has no schemas, the same tables with
the namespace as a prefix (`review_2_records`).

Services never see any of this. They write SQLAlchemy Core against the declared tables; the
store's connections carry a schema translation (SQLAlchemy's `schema_translate_map`) that
points the review's tables at its namespace and the server's own tables (declared with
schema `SERVER`) at the database's default schema. On SQLite one more step turns the
translated `review_2.records` into `review_2_records` (`flatten_sqlite`). So one review's
statements cannot reach another's rows: isolation holds by construction, not by a filter each
query must remember, and every index of a review is its own.
"""

from __future__ import annotations

import re

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from review.store import schema
from review.store.schema import SERVER

_NAMESPACE = re.compile(r"\b(review_\d+)\.")
_DDL_REFERENCE = re.compile(r"\bREFERENCES (\w+)")
_DDL_INDEX = re.compile(r"^(\s*CREATE (?:UNIQUE )?INDEX (?:IF NOT EXISTS )?)(review_\d+)\.(\w+) "
                        r"ON (\w+)")
_DDL_TABLE = re.compile(r"^\s*CREATE TABLE (review_\d+)\.")


def namespace_for(review_id: int) -> str:
    return f"review_{review_id}"


def translate_map(namespace: str | None) -> dict[str | None, str | None]:
    """The schema translation a review's connections carry. Always the same keys: SQLAlchemy
    caches a statement compiled under one set of keys and refuses it under another."""
    return {None: namespace, SERVER: None}


def flatten_sqlite(statement: str) -> str:
    """SQLite has no schemas inside one file: `review_2.records` becomes `review_2_records`.
    DDL needs two more changes SQLite's dialect cannot make through a schema: an index's table
    and a foreign key's target are written without one, so they get the prefix here."""
    if "review_" not in statement or not _NAMESPACE.search(statement):
        return statement
    table = _DDL_TABLE.match(statement)
    if table is not None:
        prefix = table.group(1) + "_"
        statement = _DDL_REFERENCE.sub(lambda m: f"REFERENCES {prefix}{m.group(1)}", statement)
    index = _DDL_INDEX.match(statement)
    if index is not None:
        head, namespace, name, on = index.groups()
        statement = (f"{head}{namespace}_{name} ON {namespace}_{on}"
                     + statement[index.end():])
    return _NAMESPACE.sub(r"\1_", statement)


def review_tables() -> list[sa.Table]:
    """The tables a review's namespace holds: every declared table but the server's own."""
    return [table for table in schema.metadata.sorted_tables if table.schema != SERVER]


def create_namespace(conn: Connection, namespace: str) -> None:
    """A new review's tables, as declared, in its own namespace; with the append-only audit
    log's triggers, which the declaration cannot carry. `conn` carries the namespace's
    translation already."""
    if conn.dialect.name == "postgresql":
        conn.exec_driver_sql(f'CREATE SCHEMA "{namespace}"')
    schema.metadata.create_all(conn, tables=review_tables(), checkfirst=False)
    _append_only_audit_log(conn, namespace)


def drop_namespace(conn: Connection, namespace: str) -> None:
    """Every table of a review's namespace, for a review removed or a creation undone."""
    if conn.dialect.name == "postgresql":
        conn.exec_driver_sql(f'DROP SCHEMA "{namespace}" CASCADE')
        return
    for table in reversed(review_tables()):
        conn.exec_driver_sql(f'DROP TABLE IF EXISTS "{namespace}_{table.name}"')


REFUSE = "the audit log is append-only: its rows are never changed or deleted"  # migration 8's


def _append_only_audit_log(conn: Connection, namespace: str) -> None:
    """As migration 8 does for the first review, for this namespace's audit log."""
    if conn.dialect.name == "sqlite":
        for event in ("UPDATE", "DELETE"):
            conn.exec_driver_sql(
                f"CREATE TRIGGER {namespace}_audit_log_no_{event.lower()} BEFORE {event} "
                f"ON {namespace}_audit_log BEGIN SELECT RAISE(ABORT, '{REFUSE}'); END")
        return
    conn.execute(sa.text(  # text(): the driver would take its % for a placeholder
        "CREATE OR REPLACE FUNCTION audit_log_append_only() RETURNS trigger "
        f"LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION '{REFUSE} (% refused)', TG_OP; END $$"))
    conn.execute(sa.text(
        f'CREATE TRIGGER audit_log_no_change BEFORE UPDATE OR DELETE ON "{namespace}".audit_log '
        "FOR EACH ROW EXECUTE FUNCTION audit_log_append_only()"))
    conn.execute(sa.text(
        f'CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON "{namespace}".audit_log '
        "FOR EACH STATEMENT EXECUTE FUNCTION audit_log_append_only()"))
