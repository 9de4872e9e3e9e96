"""CSV listings never hand a spreadsheet a formula: text starting with =, +, -, @, a tab or a
carriage return is quoted, numbers (and text that is just a number) are not, and our own
decisions import takes the quote off so an export reads back as it was. The one neutraliser
in review.tabular serves every CSV writer: listings, decisions, the Records page's download
(evidence tables, PRISMA and batch outputs are tested beside their writers)."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis.strategies import text as hypothesis_text

from review.screening.decisions_csv import EXPORT_COLUMNS, export_decisions, import_decisions
from review.screening.votes import cast_vote, my_votes
from review.tabular import RISKY_START, csv_value, is_risky, neutralise, render, restore
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


def test_numbers_written_as_text_stay_numbers_but_formulas_do_not() -> None:
    for text in ("-3", "+2.5", "-0.42", "-.5", "-1e-3", "+7E+2", "'-3"):
        assert neutralise(text) == text and restore(text) == text
    for text in ("-3+2", "-3 mg", "- 3", "+44 20 0000 0000", "-", "+", "-1e", "-٣", "-3\n=1"):
        assert neutralise(text) == "'" + text and restore(neutralise(text)) == text
    assert not is_risky("-3") and is_risky("-A1") and is_risky("''=x")


@given(hypothesis_text())
def test_neutralise_round_trips_and_leaves_nothing_a_spreadsheet_would_run(text: str) -> None:
    written = neutralise(text)
    assert restore(written) == text
    assert not written.startswith(RISKY_START) or not is_risky(written)


def test_csv_value_keeps_numbers_and_empties() -> None:
    assert [csv_value(v) for v in (None, -5, 2.5, True, "-5", "=1", ["=a", "b"])] == [
        "", -5, 2.5, True, "-5", "'=1", "'=a; b"]


def test_decisions_export_neutralises_every_dangerous_start_and_imports_back(
        db_url: str, tmp_path: Path) -> None:
    store = build(db_url, tmp_path)
    for i, start in enumerate(RISKY_START):
        cast_vote(store, ("Ana", "Ben")[i % 2], i // 2 + 1, "include",
                  note=f"{start}HYPERLINK(\"http://example.org\") {start}")
    notes = {(who, v["record_id"]): v["note"] for who in ("Ana", "Ben")
             for v in my_votes(store, who)}  # a note is stored stripped: a leading tab goes
    assert sorted(n[0] for n in notes.values()) == sorted("=+-@HH")
    text = render(export_decisions(store, by="Lead"), EXPORT_COLUMNS, "csv")
    written = {(r["reviewer"], int(r["record"])): r["note"]
               for r in csv.DictReader(io.StringIO(text, newline=""))}
    assert written == {key: neutralise(note) for key, note in notes.items()}
    assert sum(note.startswith("'") for note in written.values()) == 4
    path = tmp_path / "votes.csv"
    path.write_bytes(text.encode("utf-8"))
    assert import_decisions(path, store, actor="Lead") == 0
    for who in ("Ana", "Ben"):
        for vote in my_votes(store, who):
            assert vote["note"] == notes[(who, vote["record_id"])]
    store.close()


def test_records_page_csv_quotes_titles_from_an_export(tmp_path: Path,
                                                       protocol_path: Path) -> None:
    from review.duplicates import run_dedupe
    from review.importing import SourceInfo, import_files
    from review.project import create_review
    from review.screening.filters import Filter
    from review.screening.references import CSV_COLUMNS
    from review.ui.records_page import records_csv

    titles = ["=HYPERLINK(\"http://example.org\",\"x\")", "+1+1 peer support", "-2+3 groups",
              "@SUM(A1) forums", "Plain title"]
    export = tmp_path / "hostile.ris"
    export.write_text("".join(f"TY  - JOUR\nTI  - {t}\nPY  - 2020\nER  - \n\n" for t in titles),
                      encoding="utf-8")
    store = create_review(protocol_path, str(tmp_path / "review.db"), actor="lead")
    import_files(store, [export], SourceInfo("=Embase", "database"), actor="lead")
    run_dedupe(store, actor="lead")
    rows = list(csv.DictReader(io.StringIO(records_csv(store, None, Filter()), newline="")))
    assert list(rows[0]) == list(CSV_COLUMNS)
    assert [r["title"] for r in rows] == [neutralise(t) for t in titles]
    assert [r["title"][0] for r in rows[:4]] == ["'"] * 4 and rows[4]["title"] == "Plain title"
    assert {r["sources"] for r in rows} == {"'=Embase"} and rows[0]["year"] == "2020"
    assert len(list(csv.DictReader(io.StringIO(records_csv(store, None,
                                                           Filter(words="forums")))))) == 1
    store.close()
