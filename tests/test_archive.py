"""Whole reviews out and back: export-project / import-project round trips exactly, and a
SQLite review moves to a real PostgreSQL server with every row."""

from __future__ import annotations

import hashlib
import json
import sqlite3
import zipfile
from pathlib import Path

import pytest
import sqlalchemy as sa
from click.testing import CliRunner

import review.store.archive as archive_module
from review.accounts import add_reviewer
from review.cli.main import main
from review.demo.build import build_demo
from review.duplicates import run_dedupe
from review.errors import InputError, ReviewError, StoreError
from review.importing import SourceInfo, import_files
from review.project import create_review
from review.screening.fulltext import attach_pdf, list_reports
from review.screening.votes import cast_vote
from review.store import Store, resolve_url
from review.store import schema as t
from review.store.archive import (
    _tables,
    copy_review,
    export_project,
    import_project,
    table_contents,
)
from tests.conftest import HOSTILE, ROOT

PDF = b"%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"


@pytest.fixture(scope="module")
def demo_review(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The demo review with a PDF attached and a vote changed, so every kind of row exists."""
    db = tmp_path_factory.mktemp("archive") / "demo.db"
    store = build_demo(db)
    report = next(r for r in list_reports(store) if r["status"] == "sought"
                  and r["assessment"] == "open")
    attach_pdf(store, report["record_id"], PDF, "paper.pdf", actor="Morgan")
    first = t.decisions
    with store.read() as conn:
        row = conn.execute(first.select().order_by(first.c.id).limit(1)).mappings().one()
    store.close()
    store = Store.open(db)
    groups = t.duplicate_groups
    with store.read() as conn:
        record = conn.execute(groups.select().where(groups.c.id == row["group_id"])
                              ).mappings().one()["kept_record_id"]
    try:
        cast_vote(store, "Priya", record, "maybe", note="changed for the archive test")
    except ReviewError:
        pass  # the record moved on; the review still has every kind of row
    store.close()
    return db


def test_round_trip_is_exact(db_url: str, demo_review: Path, tmp_path: Path) -> None:
    source = Store.open(demo_review)
    out = tmp_path / "review.zip"
    manifest = export_project(source, out)
    assert manifest["tables"]["records"] == 359
    assert manifest["tables"]["fulltext_files"] == 6  # the demo's five PDFs and paper.pdf
    assert manifest["tables"]["pdf_texts"] == 6
    restored = import_project(out, db_url)
    assert table_contents(restored) == table_contents(source)
    again = tmp_path / "again.zip"
    export_project(restored, again)
    with zipfile.ZipFile(out) as a, zipfile.ZipFile(again) as b:
        for name in a.namelist():
            if name != "manifest.json":
                assert a.read(name) == b.read(name), name
        assert "protocol.toml" in a.namelist() and any(n.startswith("files/")
                                                       for n in a.namelist())
    # the restored review goes on working: new rows get new ids (PostgreSQL sequences moved)
    person = add_reviewer(restored, "Sam", actor="test")
    assert person.id == max(r["id"] for r in table_contents(source)["reviewers"]) + 1


def test_sqlite_review_moves_to_postgresql(postgres, demo_review: Path) -> None:
    source = Store.open(demo_review)
    target_url = postgres.new_database()
    result = CliRunner().invoke(main, ["migrate", "--to", target_url, "--db", str(demo_review)])
    assert result.exit_code == 0, result.output
    assert table_contents(Store.open(target_url)) == table_contents(source)
    again = CliRunner().invoke(main, ["migrate", "--to", target_url, "--db", str(demo_review)])
    assert again.exit_code == 0, again.output  # a database of reviews takes one more beside
    assert source.review is not None
    twin = f"{source.review.slug}-2"
    assert f"'{twin}'" in again.output
    assert table_contents(Store.open(target_url, review=twin)) == table_contents(source)


def test_damaged_archive_is_refused_and_leaves_nothing(demo_review: Path, tmp_path: Path) -> None:
    out = tmp_path / "review.zip"
    export_project(Store.open(demo_review), out)
    damaged = tmp_path / "damaged.zip"
    with zipfile.ZipFile(out) as src, zipfile.ZipFile(damaged, "w") as dst:
        for name in src.namelist():
            data = src.read(name)
            if name == "tables/decisions.jsonl":
                data = data.replace(b'"exclude"', b'"include"', 1)
            dst.writestr(name, data)
    target = tmp_path / "restored.db"
    with pytest.raises(InputError, match="decisions.jsonl does not match its sha256"):
        import_project(damaged, target)
    assert not target.exists()
    not_zip = tmp_path / "notes.zip"
    not_zip.write_text("hello", encoding="utf-8")
    with pytest.raises(InputError, match="not a review project file"):
        import_project(not_zip, target)


def test_failed_import_removes_the_new_database(demo_review: Path, tmp_path: Path,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    out = tmp_path / "review.zip"
    export_project(Store.open(demo_review), out)
    import review.store.archive as archive

    calls = {"n": 0}
    real = archive._insert

    def failing(conn, table, rows):  # type: ignore[no-untyped-def]
        calls["n"] += 1
        if table.name == "decisions":
            raise RuntimeError("disk full")
        return real(conn, table, rows)

    monkeypatch.setattr(archive, "_insert", failing)
    target = tmp_path / "restored.db"
    with pytest.raises(RuntimeError, match="disk full"):
        import_project(out, target)
    assert calls["n"] > 1 and not target.exists()


def test_cli_export_import_and_audit(demo_review: Path, tmp_path: Path) -> None:
    runner = CliRunner()
    out = tmp_path / "r.zip"
    result = runner.invoke(main, ["export-project", str(out), "--db", str(demo_review)])
    assert result.exit_code == 0 and "Wrote" in result.output
    restored = tmp_path / "r.db"
    result = runner.invoke(main, ["import-project", str(out), "--db", str(restored)])
    assert result.exit_code == 0, result.output
    result = runner.invoke(main, ["audit", "--db", str(restored), "--action", "resolve conflict",
                                  "--format", "json"])
    assert result.exit_code == 0
    rows = json.loads(result.output)
    assert len(rows) == 2 and all(r["actor"] == "Morgan" for r in rows)


# --- a target is never touched beyond what the restore itself created -----------------------

FOREIGN = "CREATE TABLE user_notes (id INTEGER PRIMARY KEY, note TEXT NOT NULL)"
LATE = "screening_state"  # restored second to last (foreign-key order): its rows are broken


def small_review_at(db: str, folder: Path, *, slug: str | None = None,
                    title: str | None = None, export: str = HOSTILE,
                    protocol: Path = ROOT / "protocols" / "peer-support-self-harm.toml") -> Store:
    """A small review at `db` (beside others there, with a slug): records, a deduplication,
    two reviewers and their votes, so the late tables have rows too."""
    store = create_review(protocol, db, actor="lead", review=slug, title=title)
    path = folder / f"{slug or 'forum'}.ris"
    path.write_text(export, encoding="utf-8")
    import_files(store, [path], SourceInfo("CINAHL (EBSCO)", "database", "2025-02-01"),
                 actor="lead")
    run_dedupe(store, actor="lead")
    add_reviewer(store, "Ann", actor="lead")
    add_reviewer(store, "Ben", actor="lead")
    cast_vote(store, "Ann", 1, "include")
    cast_vote(store, "Ben", 1, "exclude")
    return store


@pytest.fixture(scope="module")
def small_review(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Two records, deduplicated, two reviewers' votes: rows in the late tables too."""
    folder = tmp_path_factory.mktemp("small")
    store = small_review_at(str(folder / "small.db"), folder)
    assert _tables()[-2].name == LATE and table_contents(store)[LATE]
    store.close()
    return folder / "small.db"


@pytest.fixture(scope="module")
def broken_archive(small_review: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An export whose sha256 sums are right but whose screening_state rows point at a duplicate
    group that does not exist: only the database finds out, late in the restore."""
    folder = tmp_path_factory.mktemp("broken")
    good = folder / "good.zip"
    export_project(Store.open(small_review), good)
    return break_late(good, folder / "broken.zip")


def break_late(good: Path, broken: Path) -> Path:
    """`good` with the last screening_state row pointing at a group that does not exist and
    the sha256 sums made right again, written to `broken`."""
    with zipfile.ZipFile(good) as src, zipfile.ZipFile(broken, "w") as dst:
        manifest = json.loads(src.read("manifest.json"))
        for name in src.namelist():
            data = src.read(name)
            if name == f"tables/{LATE}.jsonl":
                rows = [json.loads(line) for line in data.decode("utf-8").splitlines()]
                rows[-1]["group_id"] = 999_999
                data = "".join(json.dumps(r, sort_keys=True) + "\n" for r in rows).encode()
                manifest["sha256"][name] = hashlib.sha256(data).hexdigest()
            if name != "manifest.json":
                dst.writestr(name, data)
        dst.writestr("manifest.json", json.dumps(manifest, indent=2, sort_keys=True))
    return broken


def _engine(db_url: str) -> sa.Engine:
    return sa.create_engine(resolve_url(db_url))


def _add_foreign_table(db_url: str) -> None:
    """What another program does to the same database: its own table, with a row."""
    engine = _engine(db_url)
    with engine.begin() as conn:
        conn.exec_driver_sql(FOREIGN)
        conn.exec_driver_sql("INSERT INTO user_notes (id, note) VALUES (1, 'keep me')")
    engine.dispose()


def _contents(db_url: str) -> dict[str, list[str]]:
    """Every table and function the target holds now (SQLite: no file, nothing)."""
    if "://" not in db_url:
        if not Path(db_url).exists():
            return {}
        engine = _engine(db_url)
        with engine.connect() as conn:
            tables = sa.inspect(conn).get_table_names()
            notes = conn.exec_driver_sql("SELECT id, note FROM user_notes").all() \
                if "user_notes" in tables else []
        engine.dispose()
        return {"tables": tables, "notes": [tuple(r) for r in notes]}
    engine = _engine(db_url)
    with engine.connect() as conn:
        inspector = sa.inspect(conn)
        tables = inspector.get_table_names()
        found = {"tables": tables, "views": inspector.get_view_names(),
                 "functions": [r[0] for r in conn.exec_driver_sql(
                     "SELECT proname FROM pg_proc WHERE pronamespace = 'public'::regnamespace")],
                 "notes": [tuple(r) for r in conn.exec_driver_sql(
                     "SELECT id, note FROM user_notes")] if "user_notes" in tables else []}
    engine.dispose()
    return found


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_a_target_holding_anything_is_refused(db_url: str, small_review: Path,
                                              tmp_path: Path) -> None:
    _add_foreign_table(db_url)
    before = _contents(db_url)
    assert before["tables"] == ["user_notes"] and before["notes"] == [(1, "keep me")]
    digest = _sha256(Path(db_url)) if "://" not in db_url else None
    out = tmp_path / "small.zip"
    export_project(Store.open(small_review), out)
    with pytest.raises(StoreError, match=r"holds 1 table: user_notes.*new, empty database"):
        import_project(out, db_url)
    with pytest.raises(StoreError, match=r"holds 1 table: user_notes"):
        copy_review(Store.open(small_review), db_url)
    result = CliRunner().invoke(main, ["migrate", "--to", db_url, "--db", str(small_review)])
    assert result.exit_code == 1 and "holds 1 table: user_notes" in result.output
    assert _contents(db_url) == before
    if digest is not None:
        assert _sha256(Path(db_url)) == digest
        assert not list(tmp_path.glob("*.partial"))


def test_refusal_names_what_a_target_holds_and_hides_the_password(postgres,
                                                                  small_review: Path) -> None:
    url = postgres.new_database()
    engine = _engine(url)
    with engine.begin() as conn:
        conn.exec_driver_sql("CREATE TABLE user_notes (id SERIAL PRIMARY KEY, note TEXT)")
        conn.exec_driver_sql("CREATE VIEW recent_notes AS SELECT * FROM user_notes")
        conn.exec_driver_sql("CREATE FUNCTION note_count() RETURNS bigint LANGUAGE sql "
                             "AS 'SELECT count(*) FROM user_notes'")
    engine.dispose()
    with_password = url.replace("review@", "review:s3cret@")  # the test server trusts anyone
    with pytest.raises(StoreError) as refused:
        copy_review(Store.open(small_review), with_password)
    message = str(refused.value)
    assert "s3cret" not in message and "review:***@" in message
    assert ("holds 1 table: user_notes; 1 view: recent_notes; 1 sequence: user_notes_id_seq; "
            "1 function: note_count") in message


def test_a_file_that_is_not_a_database_is_refused_and_kept(small_review: Path,
                                                            tmp_path: Path) -> None:
    notes = tmp_path / "notes.txt"
    notes.write_text("my notes\n", encoding="utf-8")
    with pytest.raises(StoreError, match="is a file of 9 bytes that is not an SQLite database"):
        copy_review(Store.open(small_review), notes)
    assert notes.read_text(encoding="utf-8") == "my notes\n"
    with pytest.raises(StoreError, match="is a folder"):
        copy_review(Store.open(small_review), tmp_path)


def test_an_empty_file_is_a_fine_target(small_review: Path, tmp_path: Path) -> None:
    target = tmp_path / "made-by-mktemp.db"
    target.touch()
    source = Store.open(small_review)
    restored = copy_review(source, target)
    assert table_contents(restored) == table_contents(source)
    restored.close()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["made-by-mktemp.db"]


def test_a_failure_late_in_the_restore_removes_only_what_it_created(
        db_url: str, broken_archive: Path) -> None:
    with pytest.raises(StoreError, match=rf"{LATE}\.jsonl: the rows could not be written to "
                                         rf"table {LATE} .*nothing was kept") as failed:
        import_project(broken_archive, db_url)
    assert "foreign key" in str(failed.value).lower()
    assert not any(_contents(db_url).values())  # no file; on the server no table or function
    if "://" not in db_url:
        assert not list(Path(db_url).parent.glob(f"{Path(db_url).name}*"))
        deeper = Path(db_url).parent / "new" / "folders" / "r.db"
        with pytest.raises(StoreError, match="nothing was kept"):
            import_project(broken_archive, deeper)
        assert not (Path(db_url).parent / "new").exists()  # the folders it made went too


def test_a_failed_restore_leaves_an_empty_file_as_it_was(broken_archive: Path,
                                                         tmp_path: Path) -> None:
    target = tmp_path / "placeholder.db"
    target.touch()
    inode = target.stat().st_ino
    with pytest.raises(StoreError, match="nothing was kept"):
        import_project(broken_archive, target)
    assert target.stat().st_size == 0 and target.stat().st_ino == inode
    assert sorted(p.name for p in tmp_path.iterdir()) == ["placeholder.db"]


def test_a_target_whose_file_cannot_be_made_leaves_no_folder(broken_archive: Path,
                                                           tmp_path: Path) -> None:
    """The folders are made, then the file beside the target cannot be (its name is too long
    for the file system): the folders go again, and the message is a reviewer's."""
    target = tmp_path / "new" / "deeper" / ("r" * 245 + ".db")
    with pytest.raises(StoreError, match="could not be written .*nothing was kept"):
        import_project(broken_archive, target)
    assert not (tmp_path / "new").exists()


def test_what_another_program_creates_during_a_failed_restore_survives(
        db_url: str, broken_archive: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    real = archive_module._insert

    def meanwhile(conn, table, rows):  # type: ignore[no-untyped-def]
        if table.name == LATE:
            _add_foreign_table(db_url)  # another connection, committed at once
        return real(conn, table, rows)

    monkeypatch.setattr(archive_module, "_insert", meanwhile)
    with pytest.raises(StoreError, match="nothing was kept"):
        import_project(broken_archive, db_url)
    left = _contents(db_url)
    assert left["tables"] == ["user_notes"] and left["notes"] == [(1, "keep me")]
    assert not left.get("functions") and not left.get("views")


def test_a_file_made_at_the_target_during_a_restore_is_not_replaced(
        small_review: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    target = tmp_path / "restored.db"
    real = archive_module._insert

    def meanwhile(conn, table, rows):  # type: ignore[no-untyped-def]
        if table.name == LATE:
            _add_foreign_table(str(target))
        return real(conn, table, rows)

    monkeypatch.setattr(archive_module, "_insert", meanwhile)
    with pytest.raises(StoreError, match="created or written by another program"):
        copy_review(Store.open(small_review), target)
    assert _contents(str(target)) == {"tables": ["user_notes"], "notes": [(1, "keep me")]}
    assert sorted(p.name for p in tmp_path.iterdir()) == ["restored.db"]


def test_a_failed_migrate_leaves_nothing(db_url: str, small_review: Path,
                                         tmp_path: Path) -> None:
    """migrate --to from an SQLite review whose file was edited with foreign keys off: the
    target refuses the broken row late in the copy, and the copy is undone."""
    source = tmp_path / "edited.db"
    source.write_bytes(small_review.read_bytes())
    edited = sqlite3.connect(source)  # foreign keys are off unless asked for
    with edited:
        edited.execute(f"UPDATE {LATE} SET group_id = 999999 WHERE rowid = "
                       f"(SELECT max(rowid) FROM {LATE})")
    edited.close()
    result = CliRunner().invoke(main, ["migrate", "--to", db_url, "--db", str(source)])
    assert result.exit_code == 1, result.output
    assert f"table {LATE}: the rows could not be written" in result.output
    assert "nothing was kept" in result.output and "Traceback" not in result.output
    assert not any(_contents(db_url).values())


def test_cli_import_into_a_non_empty_file_leaves_it_byte_identical(small_review: Path,
                                                                   tmp_path: Path) -> None:
    out = tmp_path / "small.zip"
    assert CliRunner().invoke(main, ["export-project", str(out), "--db",
                                     str(small_review)]).exit_code == 0
    target = tmp_path / "mine.db"
    _add_foreign_table(str(target))
    digest = _sha256(target)
    result = CliRunner().invoke(main, ["import-project", str(out), "--db", str(target)])
    assert result.exit_code == 1
    assert f"{target} holds 1 table: user_notes" in result.output
    assert "new, empty database" in result.output
    assert _sha256(target) == digest
    assert sorted(p.name for p in tmp_path.iterdir()) == ["mine.db", "small.zip"]


@pytest.mark.parametrize("failure", ["interrupted", "bad JSON"])
def test_an_interrupted_or_unreadable_restore_leaves_nothing(
        failure: str, db_url: str, small_review: Path, tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    out = tmp_path / "small.zip"
    export_project(Store.open(small_review), out)
    if failure == "interrupted":
        real = archive_module._insert

        def interrupted(conn, table, rows):  # type: ignore[no-untyped-def]
            if table.name == LATE:
                raise KeyboardInterrupt
            return real(conn, table, rows)

        monkeypatch.setattr(archive_module, "_insert", interrupted)
        with pytest.raises(KeyboardInterrupt):
            import_project(out, db_url)
    else:
        bad = tmp_path / "bad.zip"
        with zipfile.ZipFile(out) as src, zipfile.ZipFile(bad, "w") as dst:
            manifest = json.loads(src.read("manifest.json"))
            for name in src.namelist():
                data = src.read(name) + (b"{not json\n" if name.endswith(f"{LATE}.jsonl")
                                         else b"")
                manifest["sha256"][name] = hashlib.sha256(data).hexdigest()
                if name != "manifest.json":
                    dst.writestr(name, data)
            del manifest["sha256"]["manifest.json"]
            dst.writestr("manifest.json", json.dumps(manifest))
        with pytest.raises(InputError, match=rf"{LATE}\.jsonl, line 3: bad JSON"):
            import_project(bad, db_url)
    assert not any(_contents(db_url).values())
    if "://" not in db_url:  # neither the file nor its private .partial file is left
        assert not list(Path(db_url).parent.glob(f"{Path(db_url).name}*"))


def test_a_review_can_go_into_an_empty_schema_beside_other_data(postgres,
                                                                small_review: Path) -> None:
    url = postgres.new_database()
    _add_foreign_table(url)
    engine = _engine(url)
    with engine.begin() as conn:
        conn.exec_driver_sql("CREATE SCHEMA team_review")
    engine.dispose()
    in_schema = url + "?options=-csearch_path%3Dteam_review"
    source = Store.open(small_review)
    restored = copy_review(source, in_schema)
    assert table_contents(restored) == table_contents(source)
    restored.close()
    assert _contents(url) == {"tables": ["user_notes"], "views": [], "functions": [],
                              "notes": [(1, "keep me")]}
    again = copy_review(source, in_schema)  # beside the first, in a namespace of its own
    assert again.review is not None and again.review.namespace is not None
    assert table_contents(again) == table_contents(source)
    again.close()
    missing = url + "?options=-csearch_path%3Dno_such_schema"
    with pytest.raises(StoreError, match="none of the schemas on the search_path exists"):
        copy_review(source, missing)
