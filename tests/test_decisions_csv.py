"""Votes as CSV on SQLite and PostgreSQL: an import lands whole or not at all (a bad row is
named by its number and line, and the database is left as it was); an export is for a lead and
leaves out votes still blind unless asked."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest
import sqlalchemy as sa

from review.accounts import AccessError
from review.errors import InputError
from review.screening.decisions_csv import EXPORT_COLUMNS, export_decisions, import_decisions
from review.screening.votes import cast_vote, my_votes
from review.store import schema as t
from review.tabular import render
from tests.test_screening import PDF, audit_actions, both, build, state

GOOD = ("record,reviewer,stage,decision,reason,note\n"
        "1,Ana,title_abstract,include,,\n"
        "1,ben,title_abstract,Include,,looked at the abstract only\n"
        "2,Ana,title_abstract,exclude,clinical setting,\n"
        "2,Ben,title_abstract,exclude,,\n"
        "3,Ana,title_abstract,maybe,,\n")


@pytest.fixture
def review(db_url: str, tmp_path: Path):
    store = build(db_url, tmp_path)
    yield store
    store.close()


def _write(tmp_path: Path, text: str, name: str = "votes.csv") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def _snapshot(store) -> tuple:
    with store.read() as conn:
        return tuple(tuple(conn.execute(sa.select(table)).all())
                     for table in (t.decisions, t.screening_state, t.audit_log))


def test_import_adds_votes_and_is_idempotent(review, tmp_path: Path) -> None:
    path = _write(tmp_path, GOOD)
    assert import_decisions(path, review, actor="Lead") == 5
    assert state(review, 1)["outcome"] == "include"
    assert (state(review, 2)["outcome"], state(review, 2)["reason"]) == (
        "exclude", "Clinical setting")
    votes = {v["record_id"]: v for v in my_votes(review, "Ben")}
    assert votes[1]["note"] == "looked at the abstract only" and votes[1]["origin"] == "import"
    assert import_decisions(path, review, actor="Lead") == 0  # the same file again
    assert audit_actions(review, "import decisions")[-1]["detail"] == {"file": "votes.csv",
                                                                      "votes": 0}
    changed = _write(tmp_path, "record,reviewer,stage,decision\n3,Ana,title_abstract,include\n")
    assert import_decisions(changed, review, actor="Lead") == 1
    assert my_votes(review, "Ana")[0]["changes"] == 1


@pytest.mark.parametrize(("row", "message"), [
    ("99,Ana,title_abstract,include,,", "row 3: no record 99"),
    ("x1,Ana,title_abstract,include,,", "row 3: record 'x1' is not a record id"),
    ("4,Zed,title_abstract,include,,", "row 3: unknown reviewer 'Zed'"),
    ("4,Ana,abstracts,include,,", "row 3: no stage 'abstracts'"),
    ("4,Ana,title_abstract,exclude,Too old,", "row 3: unknown exclusion reason 'Too old'"),
    ("4,Ana,title_abstract,perhaps,,", "row 3: unknown decision 'perhaps'"),
    ("4,Ana,full_text,include,,", "row 3: record 4 is not at full texts"),
    ("4,Ana,title_abstract,include,,,extra", "row 3 has more fields than the header"),
])
def test_a_bad_row_rejects_the_whole_file(review, tmp_path: Path, row: str,
                                          message: str) -> None:
    cast_vote(review, "Ana", 5, "include")
    before = _snapshot(review)
    text = ("record,reviewer,stage,decision,reason,note\n1,Ana,title_abstract,include,,\n"
            "5,Ben,title_abstract,include,,\n" + row + "\n6,Ana,title_abstract,include,,\n")
    path = _write(tmp_path, text)
    with pytest.raises(InputError) as caught:
        import_decisions(path, review, actor="Lead")
    assert message in str(caught.value) and "votes.csv" in str(caught.value)
    assert caught.value.line == 4
    assert _snapshot(review) == before


def test_bad_files_are_named(review, tmp_path: Path) -> None:
    with pytest.raises(InputError, match="empty"):
        import_decisions(_write(tmp_path, ""), review, actor="Lead")
    with pytest.raises(InputError, match="missing column.*decision"):
        import_decisions(_write(tmp_path, "record,reviewer,stage\n1,Ana,title_abstract\n"),
                         review, actor="Lead")
    with pytest.raises(InputError, match="cannot read"):
        import_decisions(tmp_path / "nowhere.csv", review, actor="Lead")


def test_full_text_rows_follow_the_full_text_rules(review, tmp_path: Path) -> None:
    both(review, 1, "include", "include")
    path = _write(tmp_path, "record,reviewer,stage,decision,reason,note\n"
                            "1,Ana,full_text,exclude,,read it\n")
    with pytest.raises(InputError, match="row 1: excluding at full texts needs a reason"):
        import_decisions(path, review, actor="Lead")
    path = _write(tmp_path, "record,reviewer,stage,decision,reason,note\n"
                            "1,Ana,full_text,exclude,Clinical setting,\n")
    with pytest.raises(InputError, match="row 1: record 1: attach the full text"):
        import_decisions(path, review, actor="Lead")
    from review.screening.fulltext import attach_pdf

    attach_pdf(review, 1, PDF, "one.pdf", actor="Lead")
    assert import_decisions(path, review, actor="Lead") == 1


def test_export_is_for_a_lead_and_keeps_blind_votes_out(review, tmp_path: Path) -> None:
    both(review, 1, "include", "include")
    both(review, 2, "include", "exclude", ben={"note": "pending secret"})
    cast_vote(review, "Ana", 3, "exclude", note="waiting for Ben")
    for who in ("Ana", "Cleo", "Nobody"):
        with pytest.raises(AccessError, match="only a lead exports"):
            export_decisions(review, by=who)
    rows = export_decisions(review, by="Lead")
    assert sorted((r["record"], r["reviewer"]) for r in rows) == [
        (1, "Ana"), (1, "Ben"), (2, "Ana"), (2, "Ben")]
    assert {r["status"] for r in rows} == {"decided: include", "conflict"}
    pending = export_decisions(review, by="Lead", include_pending=True)
    assert [(r["record"], r["status"]) for r in pending if r["record"] == 3] == [(3, "open")]
    # the export reads back in: the same votes change nothing
    text = render(pending, EXPORT_COLUMNS, "csv")
    assert next(csv.reader(io.StringIO(text))) == list(EXPORT_COLUMNS)
    assert import_decisions(_write(tmp_path, text, "export.csv"), review, actor="Lead") == 0


def test_deactivated_people_neither_export_nor_get_votes_imported(review, tmp_path: Path) -> None:
    reviewers = t.reviewers
    with review.write() as conn:
        conn.execute(reviewers.update().where(reviewers.c.name.in_(["Lead", "Ben"]))
                     .values(active=False))
    with pytest.raises(AccessError, match="only a lead exports"):
        export_decisions(review, by="Lead")
    path = _write(tmp_path, "record,reviewer,stage,decision\n1,Ana,title_abstract,include\n"
                            "1,Ben,title_abstract,include\n")
    with pytest.raises(InputError, match="row 2: Ben is no longer an active reviewer"):
        import_decisions(path, review, actor="Lead")
    assert state(review, 1)["votes"] == 0
