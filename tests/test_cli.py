"""The command line: what scripts and users type, with plain errors and exit status 1."""

from __future__ import annotations

import csv
import io
import json
import re
from pathlib import Path

import pytest
from click.testing import CliRunner

from review.cli.main import main
from tests.test_importing import BROKEN, GOOD

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def run(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("REVIEW_DB", str(tmp_path / "cli.db"))
    monkeypatch.setenv("REVIEW_USER", "tester")
    runner = CliRunner()

    def invoke(*args: str, ok: bool = True):
        result = runner.invoke(main, [str(a) for a in args], catch_exceptions=False)
        if ok:
            assert result.exit_code == 0, result.output
        return result

    return invoke


@pytest.fixture
def files(tmp_path: Path) -> dict[str, Path]:
    good, bad = tmp_path / "good.ris", tmp_path / "bad.ris"
    good.write_text(GOOD, encoding="utf-8")
    bad.write_text(BROKEN, encoding="utf-8")
    return {"good": good, "bad": bad}


def test_init_import_sources_records(run, files, tmp_path: Path) -> None:
    protocol = ROOT / "protocols" / "peer-support-self-harm.toml"
    assert "Created review" in run("init", "--protocol", protocol).output
    query = tmp_path / "q.txt"
    query.write_text("peer support AND self-harm", encoding="utf-8")
    out = run("import", files["good"], "--source", "PsycINFO (Ovid)", "--kind", "database",
              "--searched", "2025-01-31", "--query-file", query).output
    assert "good.ris: 2 records (ris, utf-8)" in out
    assert "Imported 2 records from 1 file(s) as source 'PsycINFO (Ovid)'" in out
    assert "Deduplicated: 2 records in 2 groups, 0 duplicates removed" in out

    sources = json.loads(run("sources", "--format", "json").output)
    assert sources[0]["name"] == "PsycINFO (Ovid)" and sources[0]["record_count"] == 2
    assert sources[0]["searched_on"] == "2025-01-31" and sources[0]["imported_by"] == "tester"
    table = run("sources").output
    assert re.search(r"PsycINFO \(Ovid\)\s+database\s+good.ris", table)

    rows = list(csv.DictReader(io.StringIO(run("records", "--format", "csv").output)))
    assert [r["title"] for r in rows] == ["Peer support in a moderated forum",
                                          "Group support in a charity"]
    assert rows[0]["doi"] == "10.5555/ps.1" and rows[0]["authors"] == "Okafor A"
    found = json.loads(run("records", "--search", "charity", "--format", "json").output)
    assert [r["id"] for r in found] == [int(rows[1]["id"])]
    shown = json.loads(run("record", rows[0]["id"]).output)
    assert shown["file_name"] == "good.ris" and shown["raw"]["TI"] == [rows[0]["title"]]


def test_errors_are_plain_messages(run, files) -> None:
    result = run("sources", ok=False)
    assert result.exit_code == 1 and "no review at" in result.output
    assert "Traceback" not in result.output
    run("init", "--protocol", ROOT / "protocols" / "peer-support-self-harm.toml")
    result = run("import", files["good"], files["bad"], "--source", "Embase", ok=False)
    assert result.exit_code == 1
    assert "bad.ris, line 7" in result.output and "ER line is missing" in result.output
    assert json.loads(run("sources", "--format", "json").output) == []
    run("import", files["good"], "--source", "Embase")
    result = run("import", files["good"], "--source", "Embase", ok=False)
    assert "already imported" in result.output
    result = run("import", files["good"], "--source", "X", "--kind", "journal", ok=False)
    assert result.exit_code == 2 and "journal" in result.output


def test_import_deduplicates_unless_told_not_to(run, tmp_path: Path) -> None:
    from tests.test_duplicates import COPY_A, COPY_B, WEAK

    run("init", "--protocol", ROOT / "protocols" / "peer-support-self-harm.toml")
    paths = []
    for name, text in (("a.ris", COPY_A), ("b.ris", COPY_B), ("w.ris", WEAK)):
        paths.append(tmp_path / name)
        paths[-1].write_text(text, encoding="utf-8")
    out = run("import", paths[0], "--source", "PsycINFO (Ovid)").output
    assert "Deduplicated: 2 records in 2 groups, 0 duplicates removed" in out
    out = run("import", paths[1], paths[2], "--source", "MEDLINE (Ovid)").output
    assert ("Deduplicated: 4 records in 3 groups, 1 duplicates removed (1 pairs merged "
            "automatically), 1 pairs need a person ('review duplicates --uncertain')") in out
    assert "0 new groups" in run("dedupe").output  # the import did it already
    waiting = json.loads(run("duplicates", "--uncertain", "--format", "json").output)
    assert [(p["record_a"], p["record_b"]) for p in waiting] == [(2, 4)]


def test_every_command_is_documented_in_the_readme() -> None:
    import click

    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    ctx = click.Context(main)
    for name in main.list_commands(ctx):  # the lazily loaded commands too
        command = main.get_command(ctx, name)
        assert f"review {name}" in readme, f"README does not mention 'review {name}'"
        if isinstance(command, click.Group):
            for sub in command.commands:
                assert f"review {name} {sub}" in readme, f"README lacks 'review {name} {sub}'"


def test_dedupe_and_duplicates_commands(run, tmp_path: Path) -> None:
    from tests.test_duplicates import COPY_A, COPY_B, WEAK

    run("init", "--protocol", ROOT / "protocols" / "peer-support-self-harm.toml")
    for name, text in (("a.ris", COPY_A), ("b.ris", COPY_B), ("w.ris", WEAK)):
        path = tmp_path / name
        path.write_text(text, encoding="utf-8")
        out = run("import", path, "--source", name, "--no-dedupe").output
        assert "reach screening after 'review dedupe'" in out
    run("users", "add", "Ana", "--no-password")
    empty = run("queue", "--reviewer", "Ana", "--format", "json")
    assert json.loads(empty.stdout) == []  # the reason goes to stderr, JSON stays JSON
    assert "4 record(s) imported but not yet deduplicated: a lead deduplicates them " \
           "('review dedupe'" in empty.stderr
    out = run("dedupe").output
    assert "4 records in 3 groups: 1 duplicates removed, 1 pairs need a person" in out
    waiting = json.loads(run("duplicates", "--uncertain", "--format", "json").output)
    assert [(p["record_a"], p["record_b"], p["status"]) for p in waiting] == [
        (2, 4, "needs review")]
    assert "confirmed by tester" in run("duplicates", "confirm", str(waiting[0]["id"])).output
    groups = json.loads(run("duplicates", "--groups", "--format", "json").output)
    assert sorted(sorted(g["records"]) for g in groups) == [[1, 3], [2, 4]]
    split = run("duplicates", "split", str(groups[0]["group"])).output
    assert f"Group {groups[0]['group']} split into groups" in split
    assert "0 new groups" in run("dedupe").output
    result = run("duplicates", "reject", "999", ok=False)
    assert result.exit_code == 1 and "no duplicate pair 999" in result.output
