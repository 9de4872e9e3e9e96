"""`review doctor` on real databases: a healthy review passes, each problem fails its check."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner

from review.accounts import add_reviewer, put_setting
from review.cli.main import main
from review.doctor import run_checks
from review.project import create_review
from review.store import schema as t


def _by_name(db: str) -> dict[str, bool]:
    return {c.name: c.ok for c in run_checks(db)}


def test_healthy_review_passes_and_problems_fail(db_url: str, protocol_path: Path) -> None:
    store = create_review(protocol_path, db_url, actor="lead")
    checks = _by_name(db_url)
    assert checks["database reachable"] and checks["migrations current"]
    assert checks["database writable"] and checks["protocol loads"]
    assert checks["a lead can sign in"] is False  # nobody can sign in yet
    add_reviewer(store, "Lee", role="lead", password="long-enough", actor="lead")
    assert all(_by_name(db_url).values())

    put_setting(store, "demo_accounts", [{"name": "Lee", "password": "long-enough"}])
    assert _by_name(db_url)["no demo passwords shown"] is False
    with store.write() as conn:
        conn.execute(t.settings.delete())
        conn.execute(t.fulltext_files.insert().values(
            sha256="0" * 64, data=b"%PDF-1.4 changed", size_bytes=16,
            content_type="application/pdf", stored_at="2025-01-01T00:00:00Z"))
    assert _by_name(db_url)["stored PDFs intact"] is False
    with store.write() as conn:
        conn.execute(t.fulltext_files.delete())
        conn.execute(t.reviewers.update().values(password_hash="plain"))
    checks = _by_name(db_url)
    assert checks["passwords hashed with Argon2"] is False
    store.close()


def test_screening_counts_that_drifted_are_reported_and_recounted(db_url: str,
                                                                 protocol_path: Path) -> None:
    """The counts a reviewer's progress reads are kept with the screening state; rows written
    around the services make them differ, and the doctor says so and counts them afresh."""
    store = create_review(protocol_path, db_url, actor="lead")
    assert _by_name(db_url)["screening counts agree"]
    with store.write() as conn:
        conn.execute(t.screening_counts.insert().values(stage="title_abstract", state="open",
                                                        n=3))
    [check] = [c for c in run_checks(db_url) if c.name == "screening counts agree"]
    assert not check.ok and "title_abstract open: 3 kept, 0 counted" in check.detail
    assert _by_name(db_url)["screening counts agree"]  # recounted
    store.close()


def test_cli_exit_status(tmp_path: Path, protocol_path: Path) -> None:
    db = tmp_path / "r.db"
    store = create_review(protocol_path, db, actor="lead")
    add_reviewer(store, "Lee", role="lead", password="long-enough", actor="lead")
    result = CliRunner().invoke(main, ["doctor", "--db", str(db)])
    assert result.exit_code == 0 and "FAIL" not in result.output
    store.close()
    missing = CliRunner().invoke(main, ["doctor", "--db", str(tmp_path / "none.db")])
    assert missing.exit_code == 1 and "FAIL  database reachable" in missing.output
