"""The demo's sample exports: reproducible from their script, and every record imports."""

from __future__ import annotations

import csv
import hashlib
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from review.cli.main import main
from review.demo.build import build_demo, sample_manifest
from review.demo.files import demo_files
from review.errors import ReviewError
from review.records import clean_title
from review.store import records as store_records

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = ROOT / "sample_refs"


def _digest(folder: Path, names: list[str]) -> dict[str, str]:
    return {n: hashlib.sha256((folder / n).read_bytes()).hexdigest() for n in names}


def test_script_reproduces_the_committed_files(tmp_path: Path) -> None:
    names = [row["file"] for row in sample_manifest()] + ["manifest.csv", "truth.csv"]
    subprocess.run([sys.executable, str(SAMPLES / "make_samples.py"), str(tmp_path)],
                   check=True, capture_output=True)
    assert _digest(tmp_path, names) == _digest(SAMPLES, names)


def test_demo_imports_every_sample_record(tmp_path: Path) -> None:
    store = build_demo(tmp_path / "demo.db")
    manifest = sample_manifest()
    counts = {s["file_name"]: s["record_count"] for s in store_records.list_sources(store)}
    assert counts == {row["file"]: int(row["records"]) for row in manifest}
    assert sum(counts.values()) >= 300
    kinds = {s["name"]: s["kind"] for s in store_records.list_sources(store)}
    assert kinds["Grey literature (organisation websites)"] == "organisation"

    with open(SAMPLES / "truth.csv", encoding="utf-8", newline="") as handle:
        truth = {(r["file"], int(r["position"])): r for r in csv.DictReader(handle)}
    rows = store_records.list_records(store)
    files = {s["id"]: s["file_name"] for s in store_records.list_sources(store)}
    assert len(rows) == len(truth)
    for row in rows:
        expected = truth[(files[row["source_id"]], row["position"])]
        assert row["title"] == clean_title(expected["title"]), (row["id"], expected)
    from review.duplicates import summary

    works = {r["work_id"] for r in truth.values()}
    assert summary(store).groups == len(works)  # deduplicated exactly as the ground truth says
    # rebuilding starts from scratch; opening again keeps what is there
    assert store_records.count_records(build_demo(tmp_path / "demo.db")) == len(rows)
    assert store_records.count_records(build_demo(tmp_path / "demo.db", rebuild=True)) == len(rows)


def test_demo_from_an_older_version_is_built_anew(tmp_path: Path) -> None:
    """A demo database without its accounts (made before screening existed) would open on a
    sign-in page nobody can use; `review demo` builds it again instead."""
    from review.accounts import list_reviewers
    from review.project import create_review

    db = tmp_path / "demo.db"
    create_review(demo_files().protocol, db, actor="x").close()
    store = build_demo(db)
    assert [r.name for r in list_reviewers(store)] == ["Morgan", "Priya", "Tom", "Jordan"]
    store.close()
    again = build_demo(db)  # a current demo is opened as it is, votes kept
    assert len(list_reviewers(again)) == 4
    again.close()


def test_a_clone_uses_its_own_folders() -> None:
    """Not a built copy (review/demo/data/ of a wheel), which could be stale in a clone."""
    files = demo_files()
    assert files.samples == SAMPLES
    assert files.protocol == ROOT / "protocols" / "peer-support-self-harm.toml"


def test_without_the_samples_the_demo_says_what_to_pass(tmp_path: Path,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    """An installation with neither the clone's folders nor the wheel's copies."""
    from review.demo import files

    monkeypatch.setattr(files, "_CHECKOUT", tmp_path)
    with pytest.raises(ReviewError, match="--samples DIR --protocol FILE"):
        files.demo_files()


def test_demo_command_checks_the_folders_it_is_given(tmp_path: Path) -> None:
    runner = CliRunner()
    protocol = ROOT / "protocols" / "peer-support-self-harm.toml"
    empty = tmp_path / "empty"
    empty.mkdir()
    result = runner.invoke(main, ["demo", "--db", str(tmp_path / "a.db"), "--samples", str(empty),
                                  "--protocol", str(protocol)])
    assert result.exit_code == 1
    assert f"{empty} has no manifest.csv" in result.output
    assert not (tmp_path / "a.db").exists()  # checked before anything is built

    partial = tmp_path / "partial"
    partial.mkdir()
    shutil.copy(SAMPLES / "manifest.csv", partial / "manifest.csv")
    shutil.copy(SAMPLES / "pubmed.nbib", partial / "pubmed.nbib")
    result = runner.invoke(main, ["demo", "--db", str(tmp_path / "b.db"), "--samples",
                                  str(partial), "--protocol", str(protocol)])
    assert result.exit_code == 1
    assert "lacks ovid_medline.ris, ebsco_psycinfo.ris" in result.output
    assert "truth.csv" in result.output

    (partial / "manifest.csv").write_text("name,source\npubmed.nbib,PubMed\n", encoding="utf-8")
    result = runner.invoke(main, ["demo", "--db", str(tmp_path / "c.db"), "--samples",
                                  str(partial), "--protocol", str(protocol)])
    assert result.exit_code == 1
    assert "the header lacks file, kind" in result.output
