"""The screening commands through Click's test runner: each command, its --format json, plain
one-line errors with exit status 1, and a decisions import that rejects a bad row by number
and leaves the database as it was."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest
import sqlalchemy as sa
from click.testing import CliRunner

from review.cli.main import main
from review.store import Store
from review.store import schema as t
from tests.test_screening import PDF, SECRET, build, state


@pytest.fixture
def db(tmp_path: Path) -> str:
    path = tmp_path / "review.db"
    build(str(path), tmp_path).close()
    return str(path)


@pytest.fixture
def run(db: str, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("REVIEW_USER", "Lead")
    runner = CliRunner()

    def invoke(*args, ok: bool = True, input: str | None = None):
        result = runner.invoke(main, [str(a) for a in args] + ["--db", db], input=input,
                               catch_exceptions=False)
        if ok:
            assert result.exit_code == 0, result.output
        else:
            assert result.exit_code == 1, result.output
        return result

    return invoke


def _json(result):
    return json.loads(result.output)


def test_reviewers_add_and_list(run) -> None:
    out = run("reviewers", "add", "Dana", "--password-stdin", input="dana-password\n")
    assert "Added Dana (reviewer)." in out.output
    run("reviewers", "add", "Eli", "--role", "lead", "--no-password")
    rows = _json(run("reviewers", "list", "--format", "json"))
    assert [(r["name"], r["role"]) for r in rows][-2:] == [("Dana", "reviewer"), ("Eli", "lead")]
    bad = run("reviewers", "add", "dana", "--no-password", ok=False)
    assert "already a reviewer called 'dana'" in bad.output and "Traceback" not in bad.output


def test_ids_from_records_work_for_votes_queue_and_votes(run) -> None:
    records = _json(run("records", "--format", "json"))
    first = records[0]["id"]
    queue = _json(run("queue", "--reviewer", "Ana", "--format", "json"))
    assert [r["record_id"] for r in queue] == [r["id"] for r in records]
    out = run("vote", first, "--decision", "exclude", "--reviewer", "Ana",
              "--reason", "Clinical setting", "--criterion", "setting=no",
              "--note", SECRET)
    assert f"Ana: exclude on record {first} at title_abstract." in out.output
    out = run("vote", first, "--decision", "include", "--reviewer", "Ana")
    assert "(change 1)" in out.output
    queue = _json(run("queue", "--reviewer", "Ana", "--format", "json"))
    assert first not in [r["record_id"] for r in queue]
    assert SECRET not in run("queue", "--reviewer", "Ben", "--format", "json").output
    mine = _json(run("votes", "--reviewer", "Ana", "--format", "json"))
    assert [(v["record_id"], v["decision"], v["status"]) for v in mine] == [
        (first, "include", "waiting")]
    csv_rows = list(csv.DictReader(io.StringIO(run("queue", "--reviewer", "Ben", "--stage",
                                                   "title_abstract", "--format",
                                                   "csv").output)))
    assert len(csv_rows) == 8 and set(csv_rows[0]) == {"record_id", "stage", "year",
                                                       "authors", "title"}
    table = run("queue", "--reviewer", "Ben", "--limit", "2").output
    assert table.splitlines()[0].split() == ["record_id", "stage", "year", "authors", "title"]
    assert len(table.splitlines()) == 4
    out = run("undo", "--reviewer", "Ana")
    assert f"Withdrew Ana's vote on record {first}." in out.output
    assert "Nothing to undo." in run("undo", "--reviewer", "Ana").output


def test_plain_errors(run) -> None:
    out = run("vote", 99, "--decision", "include", "--reviewer", "Ana", ok=False)
    assert out.output.strip() == "Error: no record 99; 'review records' lists the ids"
    out = run("queue", "--reviewer", "Zed", ok=False)
    assert "no reviewer called 'Zed'" in out.output
    out = run("queue", "--reviewer", "Ana", "--stage", "abstracts", ok=False)
    assert "no stage 'abstracts'" in out.output
    out = run("vote", 1, "--decision", "include", "--reviewer", "Ana", "--criterion",
              "population=perhaps", ok=False)
    assert "criterion 'population': answer yes, no or unclear" in out.output
    result = CliRunner().invoke(main, ["vote", "1", "--decision", "include", "--reviewer",
                                       "Ana", "--criterion", "population"])
    assert result.exit_code == 2 and "CRITERION=yes|no|unclear" in result.output


def test_conflicts_resolve_agreement_progress(run) -> None:
    for record, ana, ben in ((1, "include", "exclude"), (2, "include", "include"),
                             (3, "exclude", "exclude")):
        run("vote", record, "--decision", ana, "--reviewer", "Ana")
        run("vote", record, "--decision", ben, "--reviewer", "Ben", "--note", SECRET)
    out = run("conflicts", "--as", "Ana")  # a voter sees the conflict with their own vote
    assert "Ana: include" in out.output and "Ben" not in out.output
    assert SECRET not in out.output
    [conflict] = _json(run("conflicts", "--as", "Cleo", "--format", "json"))
    assert conflict["record_id"] == 1 and conflict["votes"] == "Ana: include; Ben: exclude"
    assert {d["reviewer"]: d["note"] for d in conflict["detail"]} == {"Ana": None,
                                                                      "Ben": SECRET}
    assert "Ana: include; Ben: exclude" in run("conflicts", "--as", "Lead").output
    out = CliRunner().invoke(main, ["resolve", "1", "--decision", "maybe", "--by", "Lead"])
    assert out.exit_code == 2 and "'maybe' is not one of 'include', 'exclude'" in out.output
    out = run("resolve", 1, "--decision", "include", "--by", "Ana", ok=False)
    assert "only a lead" in out.output
    out = run("resolve", 1, "--decision", "include", "--by", "Cleo", "--reason",
              "Setting is a charity")
    assert "Record 1 at title_abstract: include (resolved by Cleo)." in out.output
    assert _json(run("conflicts", "--as", "Lead", "--format", "json")) == []
    rows = _json(run("agreement", "--format", "json"))
    pooled = next(r for r in rows if r["stage"] == "title_abstract" and r["reviewers"] == "all")
    assert (pooled["records"], pooled["agreed"], pooled["conflicts"]) == (3, 2, 1)
    assert pooled["kappa"] == pytest.approx(0.4)  # Ana i i e, Ben e i e
    table = run("agreement", "--stage", "title_abstract").output
    assert "Ana / Ben" in table and "66.7" in table and "0.400" in table
    assert "n/a" in run("agreement", "--stage", "full_text").output
    data = _json(run("progress", "--format", "json"))
    ta = data["stages"][0]
    assert (ta["included"], ta["excluded"], ta["resolved"], ta["pending"]) == (2, 1, 1, 5)
    text = run("progress").output
    assert "title_abstract" in text and "Ana" in text
    assert run("progress", "--format", "csv").output.startswith("stage,records,pending")


def test_decisions_import_all_or_nothing_and_export(run, db: str, tmp_path: Path) -> None:
    bad = tmp_path / "bad.csv"
    bad.write_text("record,reviewer,stage,decision,reason,note\n"
                   "1,Ana,title_abstract,include,,\n"
                   "2,Ana,title_abstract,exclude,Not a reason,\n", encoding="utf-8")
    out = run("decisions", "import", bad, ok=False)
    assert "bad.csv" in out.output and "row 2" in out.output and "line 3" in out.output
    assert "Not a reason" in out.output
    store = Store.open(db)
    with store.read() as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(
            t.decisions)).scalar_one() == 0
    store.close()
    good = tmp_path / "good.csv"
    good.write_text("record,reviewer,stage,decision,reason,note\n"
                    "1,Ana,title_abstract,include,,\n1,Ben,title_abstract,include,,\n"
                    "2,Ana,title_abstract,exclude,Clinical setting,\n", encoding="utf-8")
    assert "good.csv: 3 vote(s) added or changed." in run("decisions", "import", good).output
    out = run("decisions", "export", "--by", "Ana", ok=False)
    assert "only a lead exports" in out.output
    rows = list(csv.DictReader(io.StringIO(run("decisions", "export", "--by", "Lead").output)))
    assert [(r["record"], r["reviewer"], r["status"]) for r in rows] == [
        ("1", "Ana", "decided: include"), ("1", "Ben", "decided: include")]
    pending = _json(run("decisions", "export", "--by", "Lead", "--include-pending",
                        "--format", "json"))
    assert len(pending) == 3 and pending[2]["reason"] == "Clinical setting"
    target = tmp_path / "out.csv"
    assert "Wrote 2 vote(s)" in run("decisions", "export", "--by", "Lead", "-o", target).output
    assert target.read_text(encoding="utf-8").startswith("record,group,reviewer")


def test_fulltext_commands(run, db: str, tmp_path: Path) -> None:
    for record in (1, 2):
        for name in ("Ana", "Ben"):
            run("vote", record, "--decision", "include", "--reviewer", name)
    pdf = tmp_path / "Report one.pdf"
    pdf.write_bytes(PDF)
    out = run("fulltext", "attach", 1, pdf)
    assert "Report one.pdf attached (sha256" in out.output
    run("fulltext", "not-retrieved", 2, "--reason", "No copy in any library")
    reports = _json(run("fulltext", "list", "--format", "json"))
    assert [(r["record_id"], r["status"]) for r in reports] == [(1, "retrieved"),
                                                                (2, "not retrieved")]
    assert len(_json(run("fulltext", "list", "--status", "retrieved", "--format", "json"))) == 1
    copy = tmp_path / "copy.pdf"
    run("fulltext", "get", 1, "-o", copy)
    assert copy.read_bytes() == PDF
    out = run("vote", 1, "--decision", "exclude", "--stage", "full_text", "--reviewer", "Ana",
              ok=False)
    assert "needs a reason from the protocol's list" in out.output
    run("vote", 1, "--decision", "exclude", "--stage", "full_text", "--reviewer", "Ana",
        "--reason", "Not peer support")
    queue = _json(run("queue", "--reviewer", "Ben", "--stage", "full_text", "--format", "json"))
    assert [r["record_id"] for r in queue] == [1]
    store = Store.open(db)
    assert state(store, 2, "full_text")["state"] == "not retrieved"
    store.close()
