"""Import into a review, on SQLite and PostgreSQL: whole or nothing, bytes never twice, then
deduplicated (the one path `review import` and the Import page share)."""

from __future__ import annotations

from pathlib import Path

import pytest
import sqlalchemy as sa

from review.errors import InputError, ReviewError, StoreError
from review.importing import SourceInfo, import_and_deduplicate, import_files
from review.project import create_review, review_info, review_protocol
from review.store import records as store_records
from review.store import schema as t

GOOD = ("TY  - JOUR\nTI  - Peer support in a moderated forum\nAU  - Okafor, Ada\nPY  - 2012\n"
        "DO  - 10.5555/ps.1\nER  - \n\nTY  - JOUR\nTI  - Group support in a charity\n"
        "AU  - Lund, Per\nPY  - 2015\nER  - \n")
BROKEN = GOOD.replace("ER  - \n\nTY", "\nTY", 1)  # missing ER: must not merge two records


def _counts(store) -> tuple[int, int, int]:
    with store.read() as conn:
        def count(table: sa.Table) -> int:
            return conn.execute(sa.select(sa.func.count()).select_from(table)).scalar()
        return count(t.sources), count(t.records), count(t.audit_log)


@pytest.fixture
def review(db_url: str, protocol_path: Path):
    store = create_review(protocol_path, db_url, actor="lead")
    yield store
    store.close()


def test_init_stores_the_protocol(review, protocol_path: Path) -> None:
    info = review_info(review)
    assert info.title == review_protocol(review).title
    assert review_protocol(review).text == protocol_path.read_text(encoding="utf-8")


def test_import_counts_provenance_and_audit(review, tmp_path: Path) -> None:
    a, b = tmp_path / "a.ris", tmp_path / "b.ris"
    a.write_text(GOOD, encoding="utf-8")
    b.write_text(GOOD.replace("2015", "2016"), encoding="utf-8")
    done = import_files(review, [a, b], SourceInfo("PsycINFO (Ovid)", "database", "2025-01-31",
                                                   "peer AND support"), actor="lead")
    assert [(d.file_name, d.records) for d in done] == [("a.ris", 2), ("b.ris", 2)]
    assert _counts(review) == (2, 4, 3)  # 2 sources, 4 records, create + 2 imports audited
    sources = store_records.list_sources(review)
    assert sources[0]["searched_on"] == "2025-01-31"
    assert sources[0]["search_query"] == "peer AND support"
    assert sources[0]["imported_by"] == "lead"
    assert store_records.source_counts(review) == [
        {"name": "PsycINFO (Ovid)", "kind": "database", "files": 2, "records": 4}]
    rows = store_records.list_records(review, search="moderated forum")
    assert [r["title"] for r in rows] == ["Peer support in a moderated forum"] * 2
    record = store_records.get_record(review, rows[0]["id"])
    assert record["file_name"] == "a.ris" and record["source_line"] == 1
    assert record["raw"]["AU"] == ["Okafor, Ada"] and record["authors"] == ["Okafor A"]
    assert store_records.count_records(review, search="okafor 2012") == 2


def test_a_bad_file_imports_nothing(review, tmp_path: Path) -> None:
    good, bad = tmp_path / "good.ris", tmp_path / "bad.ris"
    good.write_text(GOOD, encoding="utf-8")
    bad.write_text(BROKEN, encoding="utf-8")
    before = _counts(review)
    with pytest.raises(InputError, match="bad.ris, line 7"):
        import_files(review, [good, bad], SourceInfo("Embase", "database"), actor="lead")
    assert _counts(review) == before


def test_same_bytes_are_refused(review, tmp_path: Path) -> None:
    a, copy = tmp_path / "a.ris", tmp_path / "copy.ris"
    a.write_text(GOOD, encoding="utf-8")
    copy.write_text(GOOD, encoding="utf-8")
    with pytest.raises(InputError, match="same bytes as"):
        import_files(review, [a, copy], SourceInfo("Embase", "database"), actor="lead")
    import_files(review, [a], SourceInfo("Embase", "database"), actor="lead")
    before = _counts(review)
    other = tmp_path / "other.ris"
    other.write_text(GOOD.replace("2012", "2013"), encoding="utf-8")
    with pytest.raises(StoreError, match="already imported as 'a.ris'"):
        import_files(review, [other, copy], SourceInfo("Scopus", "database"), actor="lead")
    assert _counts(review) == before


def test_failure_inside_the_transaction_rolls_back(review, tmp_path: Path, monkeypatch) -> None:
    a, b = tmp_path / "a.ris", tmp_path / "b.ris"
    a.write_text(GOOD, encoding="utf-8")
    b.write_text(GOOD.replace("2012", "2013"), encoding="utf-8")
    calls = {"n": 0}
    real = store_records.insert_records

    def failing(*args, **kwargs):
        calls["n"] += 1
        if calls["n"] == 2:
            raise RuntimeError("disk full")
        return real(*args, **kwargs)

    monkeypatch.setattr("review.importing.insert_records", failing)
    before = _counts(review)
    with pytest.raises(RuntimeError):
        import_files(review, [a, b], SourceInfo("Embase", "database"), actor="lead")
    assert _counts(review) == before


@pytest.mark.parametrize(("source", "message"), [
    (SourceInfo("", "database"), "source name is required"),
    (SourceInfo("X", "journal"), "unknown source kind 'journal'"),
    (SourceInfo("X", "database", "2025/01/01"), "not YYYY-MM-DD"),
    (SourceInfo("X", "database", "2025-02-30"), "not a real date"),
    (SourceInfo("X", "database", "2999-01-01"), "in the future"),
])
def test_source_validation(review, tmp_path: Path, source: SourceInfo, message: str) -> None:
    a = tmp_path / "a.ris"
    a.write_text(GOOD, encoding="utf-8")
    with pytest.raises(ReviewError, match=message):
        import_files(review, [a], source, actor="lead")


def test_every_shared_export_imports(review, exports) -> None:
    from tests.conftest import export_index

    rows = export_index()
    for row in rows:
        import_files(review, [exports / row["file"]],
                     SourceInfo(row["claimed_source"][:60], "database"), actor="ci")
    listed = {s["file_name"]: s["record_count"] for s in store_records.list_sources(review)}
    assert listed == {row["file"]: int(row["records"]) for row in rows}
    assert store_records.count_records(review) == sum(int(r["records"]) for r in rows)


def test_import_and_deduplicate_puts_the_new_records_into_screening(review,
                                                                    tmp_path: Path) -> None:
    from review.accounts import add_reviewer
    from review.screening.votes import queue_size
    from tests.test_duplicates import COPY_A, COPY_B, WEAK

    add_reviewer(review, "Ana", actor="lead")
    a = tmp_path / "a.ris"
    a.write_text(COPY_A, encoding="utf-8")
    read: list[str] = []
    outcome = import_and_deduplicate(
        review, [a, ("b.ris", COPY_B.encode()), ("w.ris", WEAK.encode())],
        SourceInfo("  PsycINFO   (Ovid) ", "database"), actor="lead", progress=read.append)
    assert read == [str(a), "b.ris", "w.ris"]
    assert outcome.source.name == "PsycINFO (Ovid)"
    assert [(f.file_name, f.records) for f in outcome.files] == [
        ("a.ris", 2), ("b.ris", 1), ("w.ris", 1)]
    assert outcome.records == 4
    summary = outcome.dedupe
    assert (summary.records, summary.groups, summary.duplicates) == (4, 3, 1)
    assert (summary.merged_pairs, summary.needs_review) == (1, 1)
    assert queue_size(review, "Ana") == 3


def test_import_without_dedupe_leaves_screening_to_review_dedupe(review, tmp_path: Path) -> None:
    from review.accounts import add_reviewer
    from review.duplicates import run_dedupe
    from review.screening.votes import queue_size
    from tests.test_duplicates import COPY_A, COPY_B

    add_reviewer(review, "Ana", actor="lead")
    outcome = import_and_deduplicate(review, [("a.ris", COPY_A.encode()),
                                              ("b.ris", COPY_B.encode())],
                                     SourceInfo("Embase", "database"), actor="lead",
                                     dedupe=False)
    assert outcome.dedupe is None and outcome.records == 3
    assert queue_size(review, "Ana") == 0
    assert run_dedupe(review, actor="lead").groups == 2
    assert queue_size(review, "Ana") == 2


def test_import_and_deduplicate_with_a_bad_file_changes_nothing(review, tmp_path: Path,
                                                               monkeypatch) -> None:
    def no_dedupe(*args, **kwargs):
        raise AssertionError("deduplication ran after a refused import")

    monkeypatch.setattr("review.duplicates.run_dedupe", no_dedupe)
    before = _counts(review)
    with pytest.raises(InputError, match="bad.ris, line 7"):
        import_and_deduplicate(review, [("good.ris", GOOD.encode()),
                                        ("bad.ris", BROKEN.encode())],
                               SourceInfo("Embase", "database"), actor="lead")
    with pytest.raises(InputError, match="missing.ris"):
        import_and_deduplicate(review, [tmp_path / "missing.ris"],
                               SourceInfo("Embase", "database"), actor="lead")
    assert _counts(review) == before


def test_a_failed_dedupe_still_reports_the_import_that_landed(review, db_url: str,
                                                             tmp_path: Path,
                                                             monkeypatch) -> None:
    """The import commits before the review is deduplicated: when the dedupe then fails, the
    caller hears that the records are in (a retry would be refused as already imported) and
    why the dedupe did not run, from the service and from `review import` alike."""
    from click.testing import CliRunner

    from review.cli.main import main

    def broken(*_args, **_kwargs):
        raise ReviewError("the engine could not run")

    monkeypatch.setattr("review.duplicates.run_dedupe", broken)
    outcome = import_and_deduplicate(review, [("a.ris", GOOD.encode())],
                                     SourceInfo("MEDLINE", "database"), actor="lead")
    assert (outcome.records, outcome.dedupe) == (2, None)
    assert outcome.dedupe_error == "the engine could not run"
    assert store_records.count_records(review) == 2
    export = tmp_path / "b.ris"
    export.write_text(GOOD.replace("ps.1", "ps.2").replace("2015", "2016"), encoding="utf-8")
    result = CliRunner().invoke(main, ["import", str(export), "--source", "Embase",
                                       "--db", db_url])
    assert result.exit_code == 1
    assert "Imported 2 records from 1 file(s) as source 'Embase'." in result.stdout
    assert "Deduplication failed: the engine could not run. The records are imported" in \
        result.stderr
    assert store_records.count_records(review) == 4
