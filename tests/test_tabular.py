"""CSV listings never hand a spreadsheet a formula: text starting with =, +, -, @, a tab or a
carriage return is quoted, numbers are not, and our own decisions import takes the quote off so
an export reads back as it was."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest

from review.screening.decisions_csv import EXPORT_COLUMNS, export_decisions, import_decisions
from review.screening.votes import cast_vote, my_votes
from review.tabular import neutralise, render, restore
from tests.test_screening import build

RISKY = ["=HYPERLINK(\"http://example.org\",\"x\")", "+1+1", "-2+3", "@SUM(A1)", "\tx", "\rx",
         "'=already quoted", "''+twice"]


def test_risky_text_is_quoted_and_restored_exactly() -> None:
    for text in RISKY:
        assert neutralise(text).startswith("'") and restore(neutralise(text)) == text
    for text in ("plain", "a = b", "", "'plain quote", "O'Brien"):
        assert neutralise(text) == text and restore(text) == text


def test_csv_render_quotes_text_but_not_numbers() -> None:
    rows = [{"title": t, "year": -5, "score": 1.5} for t in RISKY]
    out = list(csv.reader(io.StringIO(render(rows, ("title", "year", "score"), "csv"),
                                      newline="")))
    assert out[0] == ["title", "year", "score"]
    assert [r[0] for r in out[1:]] == ["'" + t for t in RISKY]
    assert {r[1] for r in out[1:]} == {"-5"}
    # the table and JSON forms show the text as it is
    assert render(rows[:1], ("title",), "json").count("=HYPERLINK") == 1
    assert "'=" not in render(rows[:1], ("title",), "table")


def test_decisions_export_is_inert_and_imports_back_unchanged(db_url: str,
                                                              tmp_path: Path) -> None:
    store = build(db_url, tmp_path)
    cast_vote(store, "Ana", 1, "include", note="=cmd|' /C calc'!A0")
    cast_vote(store, "Ben", 1, "include", note="@risky but harmless")
    text = render(export_decisions(store, by="Lead"), EXPORT_COLUMNS, "csv")
    notes = [r["note"] for r in csv.DictReader(io.StringIO(text))]
    assert notes == ["'=cmd|' /C calc'!A0", "'@risky but harmless"]
    path = tmp_path / "votes.csv"
    path.write_text(text, encoding="utf-8")
    assert import_decisions(path, store, actor="Lead") == 0  # the same votes: nothing changes
    assert my_votes(store, "Ana")[0]["note"] == "=cmd|' /C calc'!A0"
    store.close()


@pytest.mark.parametrize("fmt", ["csv"])
def test_cli_csv_listings_go_through_the_same_quoting(fmt: str, tmp_path: Path) -> None:
    from click.testing import CliRunner

    from review.cli.main import main

    db = tmp_path / "review.db"
    build(str(db), tmp_path).close()
    runner = CliRunner()
    result = runner.invoke(main, ["vote", "2", "--decision", "include", "--reviewer", "Ana",
                                  "--note", "+44 20 0000 0000", "--db", str(db)])
    assert result.exit_code == 0, result.output
    result = runner.invoke(main, ["votes", "--reviewer", "Ana", "--format", fmt, "--db",
                                  str(db)])
    [row] = list(csv.DictReader(io.StringIO(result.output)))
    assert row["note"] == "'+44 20 0000 0000" and row["record_id"] == "2"
