"""One review of several out and back (issue 19, per-review operations), on a real SQLite file
and a real PostgreSQL server: export-project takes exactly one review and names it; a restore
or a move lands it beside the reviews a database holds, under its slug (`-2` if taken, or the
slug chosen), keeping every row; a restore that fails late leaves every review and table of the
target as it was; migrate --all moves every review; doctor checks each review by name."""

from __future__ import annotations

import hashlib
import json
import sqlite3
import zipfile
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from click.testing import CliRunner

from review.accounts import add_reviewer
from review.doctor import run_checks
from review.errors import StoreError
from review.reviews import list_reviews
from review.store import Store, resolve_url
from review.store import schema as t
from review.store.archive import copy_reviews, export_project, import_project, table_contents
from tests.conftest import HOSTILE
from tests.test_archive import break_late, small_review_at

ONE_RECORD = "TY  - JOUR\nTI  - Peer support groups online\nPY  - 2021\nER  - \n"
LATE = "screening_state"  # restored second to last (foreign-key order)


def _review(db: str, protocol_path: Path, folder: Path, slug: str, title: str,
            export: str = HOSTILE) -> Store:
    """A small review with records, a deduplication, two reviewers and their votes: rows in
    the late tables too."""
    return small_review_at(db, folder, slug=slug, title=title, export=export,
                           protocol=protocol_path)


def _other_database(db_url: str, tmp_path: Path, request: pytest.FixtureRequest,
                    name: str) -> str:
    """A second database of the same kind as db_url."""
    if db_url.startswith("postgresql"):
        return request.getfixturevalue("postgres").new_database()
    return str(tmp_path / f"{name}.db")


@pytest.fixture
def two_reviews(db_url: str, protocol_path: Path, tmp_path: Path) -> str:
    """A database of two reviews: alpha (the first, plain tables, two records) and beta (a
    namespace, one record)."""
    _review(db_url, protocol_path, tmp_path, "alpha", "Alpha review").close()
    _review(db_url, protocol_path, tmp_path, "beta", "Beta review", ONE_RECORD).close()
    return db_url


def _slugs(db: str) -> list[str]:
    return [s.slug for s in list_reviews(db)]


def _table_list(db: str) -> list[str]:
    """Every table of the database, in every schema (PostgreSQL) or under every prefix."""
    engine = sa.create_engine(resolve_url(db))
    try:
        inspector = sa.inspect(engine)
        if engine.dialect.name == "sqlite":
            return sorted(inspector.get_table_names())
        return sorted(f"{schema}.{name}" for schema in inspector.get_schema_names()
                      if schema != "information_schema" and not schema.startswith("pg_")
                      for name in inspector.get_table_names(schema=schema))
    finally:
        engine.dispose()


def _contents(db: str, slug: str) -> dict[str, list[dict[str, Any]]]:
    store = Store.open(db, review=slug)
    try:
        return table_contents(store)
    finally:
        store.close()


def test_one_review_of_two_goes_into_a_database_holding_another(
        two_reviews: str, protocol_path: Path, tmp_path: Path,
        request: pytest.FixtureRequest) -> None:
    beta = Store.open(two_reviews, review="beta")
    out = tmp_path / "beta.zip"
    manifest = export_project(beta, out)
    assert manifest["review_slug"] == "beta" and manifest["review_title"] == "Beta review"
    assert manifest["format"] == "review-project" and "sha256" in manifest  # kept keys
    source = table_contents(beta)
    beta.close()
    assert manifest["tables"]["records"] == 1  # beta's own record, none of alpha's two
    assert manifest["tables"] == {name: len(rows) for name, rows in source.items()}

    target = _other_database(two_reviews, tmp_path, request, "target")
    _review(target, protocol_path, tmp_path, "gamma", "Gamma review").close()
    gamma = _contents(target, "gamma")

    restored = import_project(out, target)
    assert restored.review is not None
    assert (restored.review.slug, restored.review.title) == ("beta", "Beta review")
    assert restored.review.namespace is not None  # beside gamma, in a namespace of its own
    assert table_contents(restored) == source
    # it goes on working: new rows get new ids (PostgreSQL: the namespace's sequences moved)
    person = add_reviewer(restored, "Sam", actor="test")
    assert person.id == max(r["id"] for r in source["reviewers"]) + 1
    restored.close()

    again = import_project(out, target)  # the slug is taken now
    assert again.review is not None and again.review.slug == "beta-2"
    assert table_contents(again) == source
    again.close()
    chosen = import_project(out, target, review="from-backup")
    assert chosen.review is not None and chosen.review.slug == "from-backup"
    assert table_contents(chosen) == source
    chosen.close()
    tables = _table_list(target)
    with pytest.raises(StoreError, match="already holds a review 'beta' .*choose another "
                                         "--review SLUG"):
        import_project(out, target, review="beta")
    with pytest.raises(StoreError, match="review slug 'Not A Slug' is not usable"):
        import_project(out, target, review="Not A Slug")
    assert _table_list(target) == tables

    alpha = Store.open(two_reviews, review="alpha")  # the first review: plain tables
    export_project(alpha, tmp_path / "alpha.zip")
    first = import_project(tmp_path / "alpha.zip", target)
    assert first.review is not None and first.review.slug == "alpha"
    assert table_contents(first) == table_contents(alpha)
    first.close()
    alpha.close()
    assert _slugs(target) == ["gamma", "beta", "beta-2", "from-backup", "alpha"]
    assert _contents(target, "gamma") == gamma  # untouched by every restore beside it


def test_into_a_new_database_a_review_is_its_first_under_its_slug(
        two_reviews: str, tmp_path: Path, request: pytest.FixtureRequest) -> None:
    beta = Store.open(two_reviews, review="beta")
    out = tmp_path / "beta.zip"
    export_project(beta, out)
    target = _other_database(two_reviews, tmp_path, request, "new")
    restored = import_project(out, target)
    assert restored.review is not None
    assert (restored.review.slug, restored.review.title, restored.review.namespace) == (
        "beta", "Beta review", None)
    assert table_contents(restored) == table_contents(beta)
    restored.close()
    assert _slugs(target) == ["beta"]

    # an archive from before the manifest named the review: a slug from its stored title
    old = tmp_path / "old.zip"
    with zipfile.ZipFile(out) as src, zipfile.ZipFile(old, "w") as dst:
        manifest = json.loads(src.read("manifest.json"))
        del manifest["review_slug"], manifest["review_title"]
        for name in src.namelist():
            if name != "manifest.json":
                dst.writestr(name, src.read(name))
        dst.writestr("manifest.json", json.dumps(manifest))
    beside = import_project(old, target)
    assert beside.review is not None
    assert (beside.review.slug, beside.review.title) == ("beta-review", "Beta review")
    assert table_contents(beside) == table_contents(beta)
    beside.close()
    beta.close()


def _broken(archive: Path, folder: Path) -> Path:
    """The archive with sha256 sums that are right but a row that breaks a constraint late in
    the restore (tests/test_archive.py)."""
    return break_late(archive, folder / "broken.zip")


def test_a_restore_that_fails_late_leaves_the_target_as_it_was(
        two_reviews: str, tmp_path: Path) -> None:
    alpha = Store.open(two_reviews, review="alpha")
    export_project(alpha, tmp_path / "alpha.zip")
    alpha.close()
    broken = _broken(tmp_path / "alpha.zip", tmp_path)
    before = {slug: _contents(two_reviews, slug) for slug in ("alpha", "beta")}
    tables = _table_list(two_reviews)
    for chosen in (None, "restored"):
        with pytest.raises(StoreError, match=rf"{LATE}\.jsonl: the rows could not be written "
                                             rf"to table {LATE} .*nothing was kept"):
            import_project(broken, two_reviews, review=chosen)
    assert _slugs(two_reviews) == ["alpha", "beta"]  # no registry row
    assert _table_list(two_reviews) == tables  # no half namespace
    assert {slug: _contents(two_reviews, slug) for slug in ("alpha", "beta")} == before
    if "://" not in two_reviews:
        assert not list(tmp_path.glob("*.partial"))


def test_a_review_a_restore_of_an_earlier_version_left_unlisted_is_listed(
        db_url: str, protocol_path: Path, tmp_path: Path) -> None:
    """An earlier version restored a review into a new database without listing it; one more
    restored beside it must not take its tables: it is listed under a slug from its title."""
    first = _review(db_url, protocol_path, tmp_path, "first", "First review")
    contents = table_contents(first)
    export_project(first, tmp_path / "first.zip")
    first.close()
    engine = sa.create_engine(resolve_url(db_url))
    with engine.begin() as conn:
        conn.exec_driver_sql("DELETE FROM reviews")
    engine.dispose()
    restored = import_project(tmp_path / "first.zip", db_url)
    assert restored.review is not None and restored.review.namespace is not None
    restored.close()
    assert _slugs(db_url) == ["first-review", "first"]
    assert _contents(db_url, "first-review") == contents == _contents(db_url, "first")


def _cli(*args: str) -> Any:
    from review.cli.main import main

    return CliRunner().invoke(main, list(args), catch_exceptions=False,
                              env={"REVIEW_USER": "lead", "REVIEW_SLUG": None})


def test_migrate_all_moves_every_review(two_reviews: str, tmp_path: Path,
                                        request: pytest.FixtureRequest) -> None:
    target = _other_database(two_reviews, tmp_path, request, "moved")
    result = _cli("migrate", "--all", "--to", target, "--db", two_reviews)
    assert result.exit_code == 0, result.output
    assert "'alpha', 'beta'" in result.output and "beta: records: 1 rows" in result.output
    assert _slugs(target) == ["alpha", "beta"]
    for slug in ("alpha", "beta"):
        assert _contents(target, slug) == _contents(two_reviews, slug)
    again = _cli("migrate", "--all", "--to", target, "--db", two_reviews)
    assert again.exit_code == 0, again.output
    assert _slugs(target) == ["alpha", "beta", "alpha-2", "beta-2"]
    one = _cli("migrate", "--to", target, "--db", two_reviews, "--review", "beta")
    assert one.exit_code == 0 and "'beta-3'" in one.output
    assert _contents(target, "beta-3") == _contents(two_reviews, "beta")
    both = _cli("migrate", "--all", "--review", "beta", "--to", target, "--db", two_reviews)
    assert both.exit_code == 2 and "either --review SLUG (one review) or --all" in both.output
    unchosen = _cli("migrate", "--to", target, "--db", two_reviews)
    assert unchosen.exit_code == 1 and "holds 2 reviews" in unchosen.output


def test_migrate_all_that_fails_late_copies_none(db_url: str, protocol_path: Path,
                                                 tmp_path: Path) -> None:
    """The second review's rows break a constraint (its file edited with foreign keys off):
    the first, copied already in the same transaction, goes too."""
    source = str(tmp_path / "edited.db")
    _review(source, protocol_path, tmp_path, "alpha", "Alpha review").close()
    _review(source, protocol_path, tmp_path, "beta", "Beta review", ONE_RECORD).close()
    edited = sqlite3.connect(source)
    with edited:
        edited.execute(f"UPDATE review_2_{LATE} SET group_id = 999999")
    edited.close()
    _review(db_url, protocol_path, tmp_path, "gamma", "Gamma review").close()
    gamma, tables = _contents(db_url, "gamma"), _table_list(db_url)
    result = _cli("migrate", "--all", "--to", db_url, "--db", source)
    assert result.exit_code == 1, result.output
    assert f"review beta, table {LATE}: the rows could not be written" in result.output
    assert _slugs(db_url) == ["gamma"] and _table_list(db_url) == tables
    assert _contents(db_url, "gamma") == gamma
    server = Store.open_database(source)
    with pytest.raises(StoreError, match="nothing was kept"):
        copy_reviews([server.with_review(s) for s in server.reviews()], str(tmp_path / "n.db"))
    server.close()
    assert not (tmp_path / "n.db").exists()


def test_cli_export_one_review_and_import_it_under_a_chosen_slug(
        two_reviews: str, tmp_path: Path, request: pytest.FixtureRequest) -> None:
    out = tmp_path / "beta.zip"
    refused = _cli("export-project", str(out), "--db", two_reviews)
    assert refused.exit_code == 1 and "holds 2 reviews" in refused.output
    done = _cli("export-project", str(out), "--db", two_reviews, "--review", "beta")
    assert done.exit_code == 0 and "review 'beta'" in done.output
    target = _other_database(two_reviews, tmp_path, request, "cli")
    first = _cli("import-project", str(out), "--db", target)
    assert first.exit_code == 0 and "as review 'beta'" in first.output
    chosen = _cli("import-project", str(out), "--db", target, "--review", "beta-copy")
    assert chosen.exit_code == 0 and "as review 'beta-copy'" in chosen.output
    taken = _cli("import-project", str(out), "--db", target, "--review", "beta")
    assert taken.exit_code == 1 and "already holds a review 'beta'" in taken.output
    assert _slugs(target) == ["beta", "beta-copy"]


def test_doctor_checks_every_review_by_name(two_reviews: str) -> None:
    checks = run_checks(two_reviews, secrets=[])
    [listed] = [c for c in checks if c.name == "reviews"]
    assert listed.ok and listed.detail == "2: alpha (Alpha review), beta (Beta review)"
    protocols = [(c.review, c.ok) for c in checks if c.name == "protocol loads"]
    assert protocols == [("alpha", True), ("beta", True)]
    store = Store.open(two_reviews, review="beta")
    with store.write() as conn:
        conn.execute(t.fulltext_files.insert().values(
            sha256="0" * 64, data=b"%PDF-1.4 changed", size_bytes=16,
            content_type="application/pdf", stored_at="2025-01-01T00:00:00Z"))
    store.close()
    pdfs = {c.review: c.ok for c in run_checks(two_reviews, secrets=[])
            if c.name == "stored PDFs intact"}
    assert pdfs == {"alpha": True, "beta": False}
    result = _cli("doctor", "--db", two_reviews)
    assert result.exit_code == 1
    assert "ok    [alpha] protocol loads: Peer support" in result.output
    assert "ok    [beta] protocol loads: Peer support" in result.output
    assert "FAIL  [beta] stored PDFs intact: damaged: 000000000000" in result.output
    only = _cli("doctor", "--db", two_reviews, "--review", "alpha")
    assert "[alpha] protocol loads" in only.output and "[beta]" not in only.output


def test_a_database_of_reviews_at_an_older_schema_is_refused_untouched(
        protocol_path: Path, tmp_path: Path) -> None:
    """Migrating the target first would change it even if the restore then failed: it is
    refused, byte for byte as it was, with what to do (SQLite; on PostgreSQL the same check
    runs before the transaction)."""
    from tests.conftest import migrate_up_to

    source = str(tmp_path / "source.db")
    _review(source, protocol_path, tmp_path, "beta", "Beta review", ONE_RECORD).close()
    old = tmp_path / "old.db"
    engine = sa.create_engine(f"sqlite:///{old}")
    with engine.begin() as conn:
        migrate_up_to(conn, 19)
    engine.dispose()
    digest = hashlib.sha256(old.read_bytes()).hexdigest()
    beta = Store.open(source)
    export_project(beta, tmp_path / "beta.zip")
    with pytest.raises(StoreError, match="holds reviews of schema 19, older than this "
                                         "version's .*open it once with this version"):
        import_project(tmp_path / "beta.zip", old)
    with pytest.raises(StoreError, match="holds reviews of schema 19"):
        copy_reviews([beta], str(old))
    beta.close()
    assert hashlib.sha256(old.read_bytes()).hexdigest() == digest
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith("old")) == ["old.db"]
