"""The declared schema (review/store/schema.py) is exactly what the migrations build, on SQLite
and on PostgreSQL; and nothing in review/ finds a table by a name string."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from review.store import Store
from review.store import schema as t
from tests.conftest import ON_POSTGRES

ROOT = Path(__file__).resolve().parent.parent


def _kind(column_type: sa.types.TypeEngine) -> str:
    """A type class both dialects reflect reliably (PostgreSQL's DOUBLE PRECISION is a float,
    BYTEA a blob; SQLite keeps the declared name), with a string's length where it has one."""
    for cls, name in ((sa.Boolean, "boolean"), (sa.Integer, "integer"), (sa.Float, "float"),
                      (sa.JSON, "json"), (sa.LargeBinary, "blob"), (sa.DateTime, "datetime"),
                      (sa.Text, "text")):
        if isinstance(column_type, cls):
            return name
    if isinstance(column_type, sa.String):
        return f"string({column_type.length})"
    return f"unknown {column_type!r}"


def _server_default(text: str | None) -> str | None:
    """A SERIAL key's nextval() is how PostgreSQL makes an integer key; not a declared default."""
    return None if text is None or text.startswith("nextval(") else text


def _declared(table: sa.Table) -> dict[str, Any]:
    default = {c.name: c.server_default.arg if c.server_default is not None else None
               for c in table.columns}
    return {
        "columns": [(c.name, _kind(c.type), c.nullable, default[c.name]) for c in table.columns],
        "primary key": [c.name for c in table.primary_key.columns],
        "foreign keys": sorted((fk.parent.name, f"{fk.column.table.name}.{fk.column.name}")
                               for fk in table.foreign_keys),
        "unique": sorted(tuple(c.name for c in u.columns) for u in table.constraints
                         if isinstance(u, sa.UniqueConstraint)),
        "indexes": sorted((i.name, tuple(c.name for c in i.columns), bool(i.unique))
                          for i in table.indexes),
        "checks": sorted(c.name for c in table.constraints if isinstance(c, sa.CheckConstraint)),
    }


def _reflected(inspector: sa.Inspector, name: str, *, schema: str | None = None,
               prefix: str = "") -> dict[str, Any]:
    """As the database has the table; a later review's on PostgreSQL in its own schema, in an
    SQLite file under its prefix (which is taken off table, index and key names here)."""
    real = prefix + name

    def bare(text: str) -> str:
        return text.removeprefix(prefix)

    fks = []
    for fk in inspector.get_foreign_keys(real, schema=schema):
        for local, remote in zip(fk["constrained_columns"], fk["referred_columns"], strict=True):
            fks.append((local, f"{bare(fk['referred_table'])}.{remote}"))
    return {
        "columns": [(c["name"], _kind(c["type"]), c["nullable"], _server_default(c["default"]))
                    for c in inspector.get_columns(real, schema=schema)],
        "primary key": inspector.get_pk_constraint(real, schema=schema)["constrained_columns"],
        "foreign keys": sorted(fks),
        "unique": sorted(tuple(u["column_names"])
                         for u in inspector.get_unique_constraints(real, schema=schema)),
        # PostgreSQL also lists the index behind each unique constraint: that is the constraint
        "indexes": sorted((bare(i["name"]), tuple(i["column_names"]), bool(i["unique"]))
                          for i in inspector.get_indexes(real, schema=schema)
                          if "duplicates_constraint" not in i),
        "checks": sorted(c["name"] for c in inspector.get_check_constraints(real, schema=schema)),
    }


def differences(engine: sa.Engine, namespace: str | None = None) -> list[str]:
    """Every way the database differs from the declaration, each said from both sides. With a
    namespace: a later review's tables (review/store/namespaces.py) against the declared
    review tables."""
    inspector = sa.inspect(engine)
    tables = {table.name: table for table in t.metadata.tables.values()
              if namespace is None or table.schema != t.SERVER}
    schema, prefix = None, ""
    if namespace is not None and engine.dialect.name == "postgresql":
        schema = namespace
        found = set(inspector.get_table_names(schema=schema))
    elif namespace is not None:
        prefix = namespace + "_"
        found = {n.removeprefix(prefix) for n in inspector.get_table_names()
                 if n.startswith(prefix)}
    else:
        found = {n for n in inspector.get_table_names() if not re.match(r"review_\d+_", n)}
    declared = set(tables)
    problems = [f"table {n} is in the database but not declared" for n in sorted(found - declared)]
    problems += [f"table {n} is declared but not in the database" for n in sorted(declared - found)]
    for name in sorted(found & declared):
        want = _declared(tables[name])
        got = _reflected(inspector, name, schema=schema, prefix=prefix)
        problems += _column_differences(name, want.pop("columns"), got.pop("columns"))
        for aspect in want:
            if want[aspect] != got[aspect]:
                problems.append(f"{name} {aspect}: declared {want[aspect]}, "
                                f"database has {got[aspect]}")
    return problems


def _column_differences(table: str, want: list[tuple], got: list[tuple]) -> list[str]:
    """Per column, so a failure names the column (type, nullable, server default)."""
    declared, found = {c[0]: c[1:] for c in want}, {c[0]: c[1:] for c in got}
    problems = [f"{table}.{c} is in the database but not declared" for c in found
                if c not in declared]
    problems += [f"{table}.{c} is declared but not in the database" for c in declared
                 if c not in found]
    problems += [f"{table}.{c}: declared (type, nullable, default) {declared[c]}, "
                 f"database has {found[c]}" for c in declared if c in found
                 and declared[c] != found[c]]
    if not problems and list(declared) != list(found):
        problems.append(f"{table} column order: declared {list(declared)}, "
                        f"database has {list(found)}")
    return problems


@pytest.fixture(params=["sqlite", ON_POSTGRES])
def migrated(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Store]:
    """A fresh review database, built by the migrations alone."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'review.db'}"
    else:
        url = request.getfixturevalue("postgres").new_database()
    store = Store.create(url)
    yield store
    store.close()


def test_the_declared_schema_is_what_the_migrations_build(migrated: Store) -> None:
    assert differences(migrated.engine) == []


def test_every_table_and_column_is_compared(migrated: Store) -> None:
    """The comparison sees every declared table with columns and keys (not an empty match)."""
    inspector = sa.inspect(migrated.engine)
    assert set(inspector.get_table_names()) == {table.name for table in t.metadata.tables.values()}
    assert len(t.metadata.tables) >= 26  # every table of schema 8, schema_migrations included
    for table in t.metadata.tables.values():
        assert _reflected(inspector, table.name)["columns"], table.name
        assert _reflected(inspector, table.name)["primary key"], table.name


def test_a_later_review_has_every_declared_table_in_its_namespace(migrated: Store) -> None:
    """A second review's tables are made from the declaration, not the migrations: the same
    tables, columns, keys and indexes, in its namespace; the first review's are untouched."""
    second = Store.create(migrated.url, review="second", title="Second")
    try:
        assert second.review is not None and second.review.namespace == "review_2"
        assert differences(migrated.engine, "review_2") == []
        assert differences(migrated.engine) == []
    finally:
        second.close()


def test_a_column_a_migration_adds_is_caught(tmp_path: Path) -> None:
    """What a later migration would do without the declaration following it."""
    store = Store.create(tmp_path / "review.db")
    with store.write() as conn:
        conn.exec_driver_sql("ALTER TABLE records ADD COLUMN retracted TEXT")
        conn.exec_driver_sql("CREATE INDEX records_by_year ON records (year)")
        conn.exec_driver_sql("DROP INDEX records_by_doi")
        conn.exec_driver_sql("CREATE TABLE notes (id INTEGER PRIMARY KEY)")
    found = differences(store.engine)
    store.close()
    assert "records.retracted is in the database but not declared" in found
    assert any(p.startswith("records indexes:") and "records_by_year" in p for p in found), found
    assert any(p.startswith("records indexes:") and "records_by_doi" in p for p in found), found
    assert "table notes is in the database but not declared" in found


def test_a_changed_type_nullability_or_key_is_caught(tmp_path: Path) -> None:
    store = Store.create(tmp_path / "review.db")
    with store.write() as conn:
        conn.exec_driver_sql("DROP TABLE settings")
        conn.exec_driver_sql("CREATE TABLE settings (key VARCHAR(32) PRIMARY KEY, value JSON)")
    found = differences(store.engine)
    store.close()
    assert [p for p in found if p.startswith("settings")] == [
        "settings.key: declared (type, nullable, default) ('string(64)', False, None), "
        "database has ('string(32)', True, None)",
        "settings.value: declared (type, nullable, default) ('json', False, None), "
        "database has ('json', True, None)"]


# --- no table is looked up by a name string -----------------------------------------------

# a table by name: store.table("x"), md.tables["x"], sa.Table("x", ...) or reflecting the
# database (review/extraction/tables.py's own Table is an evidence table, not SQL)
_BY_NAME = re.compile(r"""\.table\(\s*["']|\.tables\s*\[|\b(?:sa|sqlalchemy)\.Table\(|"""
                      r"""\.reflect\(|\bstore\.tables\b""")
# SQL as text: only the store speaks it (engines, pragmas, sequences, triggers)
_RAW_SQL = re.compile(r"\b(?:sa|sqlalchemy)\.text\(|exec_driver_sql\(|"
                      r"from sqlalchemy import [^#]*\btext\b")
# the declaration and the frozen migrations, which spell out their own tables
_DECLARING = {"review/store/schema.py", "review/store/migrations.py"}


def _forbidden(name: str, line: str) -> bool:
    if name not in _DECLARING and _BY_NAME.search(line):
        return True
    return not name.startswith("review/store/") and bool(_RAW_SQL.search(line))


def test_no_module_looks_a_table_up_by_name() -> None:
    found = []
    for path in sorted((ROOT / "review").rglob("*.py")):
        name = path.relative_to(ROOT).as_posix()
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
            if _forbidden(name, line):
                found.append(f"{name}:{number}: {line.strip()}")
    assert found == [], ("use the declared tables (from review.store import schema as t; "
                         "t.records) instead of a name string or raw SQL:\n" + "\n".join(found))


def test_the_lookup_check_sees_what_it_forbids() -> None:
    service = "review/screening/votes.py"
    for line in ('table = store.table("records")', "t = store.tables", 'x = md.tables["decisions"]',
                 'sa.Table("records", md)', "md.reflect(store.engine)",
                 'conn.execute(sa.text("SELECT 1 FROM decisions"))',
                 'conn.exec_driver_sql("DELETE FROM decisions")',
                 "from sqlalchemy import select, text"):
        assert _forbidden(service, line), line
    for line in ("records = t.records", "r.table(data, 'screening', keys)", "built.tables",
                 'Table("themes", "Benefits, risks and mitigations", columns)',
                 'st.text(f"Signed in as {name}")'):
        assert not _forbidden(service, line), line
    assert _forbidden("review/store/archive.py", 'store.table("review")')
    assert not _forbidden("review/store/__init__.py", 'conn.exec_driver_sql("PRAGMA x")')
    assert not _forbidden("review/store/migrations.py", 'sa.Table("records", md)')


def test_the_store_offers_no_lookup_by_name() -> None:
    assert not hasattr(Store, "table") and not hasattr(Store, "tables")
