"""Duplicates inside a review, on SQLite and PostgreSQL: stable groups, idempotent runs, and
people's decisions that survive every later run."""

from __future__ import annotations

from pathlib import Path

import pytest
import sqlalchemy as sa

from review.duplicates import (
    CONFIRMED,
    MERGED,
    NEEDS_REVIEW,
    REJECTED,
    decide_pair,
    group_of,
    list_groups,
    list_pairs,
    run_dedupe,
    split_group,
)
from review.errors import ReviewError
from review.importing import SourceInfo, import_files
from review.project import create_review

COPY_A = ("TY  - JOUR\nTI  - Peer support in moderated online forums: a qualitative study\n"
          "AU  - Okafor, Ada\nAU  - Lund, Per\nPY  - 2019\nJO  - Crisis\nVL  - 40\nIS  - 2\n"
          "SP  - 101\nEP  - 110\nDO  - 10.5555/crisis.2019.101\nER  - \n\n"
          "TY  - JOUR\nTI  - Volunteer-led groups in a self-injury charity\nAU  - Hale, Ruth\n"
          "PY  - 2015\nJO  - Health & Social Care in the Community\nVL  - 23\nSP  - 50\nEP  - 58\n"
          "ER  - \n")
COPY_B = ("TY  - JOUR\nT1  - PEER SUPPORT IN MODERATED ONLINE FORUMS: A QUALITATIVE STUDY.\n"
          "A1  - Okafor A\nA1  - Lund P\nY1  - 2019//\nJF  - Crisis\nVL  - 40\nIS  - 2\n"
          "SP  - 101-10\nER  - \n")
# arrives later: a third copy of the first work, and one new work
LATER = ("TY  - JOUR\nTI  - Peer support in moderated online forums - a qualitative study\n"
         "AU  - Okafor, A.\nAU  - Lund, P.\nPY  - 2019\nJO  - Crisis\nVL  - 40\nSP  - 101\n"
         "ER  - \n\nTY  - JOUR\nTI  - One-to-one peer mentoring in a community organisation\n"
         "AU  - Brandt, Cai\nPY  - 2021\nJO  - BJPsych Open\nVL  - 7\nSP  - e12\nER  - \n")
# a weak pair: same title, nothing else to confirm it
WEAK = ("TY  - RPRT\nTI  - Volunteer-led groups in a self-injury charity\nPY  - 2015\n"
        "PB  - Harbour Peer Support Trust\nER  - \n")


def _import(store, tmp_path: Path, name: str, text: str, source: str) -> None:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    import_files(store, [path], SourceInfo(source, "database"), actor="lead")


@pytest.fixture
def review(db_url: str, protocol_path: Path, tmp_path: Path):
    store = create_review(protocol_path, db_url, actor="lead")
    _import(store, tmp_path, "a.ris", COPY_A, "PsycINFO (Ovid)")
    _import(store, tmp_path, "b.ris", COPY_B, "MEDLINE (Ovid)")
    yield store
    store.close()


def _groups(store) -> list[list[int]]:
    return sorted(sorted(g["records"]) for g in list_groups(store, min_size=1))


def test_run_groups_copies_and_is_idempotent(review) -> None:
    summary = run_dedupe(review, actor="lead")
    assert (summary.records, summary.groups, summary.duplicates) == (3, 2, 1)
    assert _groups(review) == [[1, 3], [2]]
    merged = list_pairs(review, status=MERGED)
    assert [(p["record_a"], p["record_b"]) for p in merged] == [(1, 3)]
    assert merged[0]["evidence"]["title"] == 100.0 and "title" in merged[0]["reason"]
    again = run_dedupe(review, actor="lead")
    assert again.new_groups == 0 and _groups(review) == [[1, 3], [2]]
    with review.read() as conn:
        runs = conn.execute(sa.text("SELECT count(*) FROM audit_log WHERE action = 'dedupe'"))
        assert runs.scalar() == 2


def test_new_records_join_existing_groups_and_ids_stay(review, tmp_path: Path) -> None:
    run_dedupe(review, actor="lead")
    before = group_of(review, [1, 2, 3])
    _import(review, tmp_path, "later.ris", LATER, "Embase")
    summary = run_dedupe(review, actor="lead")
    after = group_of(review, [1, 2, 3, 4, 5])
    assert {k: after[k] for k in before} == before  # nobody moved
    assert after[4] == after[1]  # the third copy joins the first work's group
    assert after[5] not in before.values() and summary.new_groups == 1


def test_confirm_reject_and_split_are_kept_by_later_runs(review, tmp_path: Path) -> None:
    _import(review, tmp_path, "weak.ris", WEAK, "Grey literature")
    run_dedupe(review, actor="lead")
    waiting = list_pairs(review, status=NEEDS_REVIEW)
    assert [(p["record_a"], p["record_b"]) for p in waiting] == [(2, 4)]

    row = decide_pair(review, waiting[0]["id"], "confirm", actor="ana")
    assert row["status"] == CONFIRMED and row["decided_by"] == "ana"
    assert group_of(review, [2, 4])[2] == group_of(review, [2, 4])[4]
    run_dedupe(review, actor="lead")
    assert group_of(review, [2, 4])[2] == group_of(review, [2, 4])[4]

    decide_pair(review, waiting[0]["id"], "reject", actor="ben")
    groups = group_of(review, [2, 4])
    assert groups[2] != groups[4]
    run_dedupe(review, actor="lead")
    assert group_of(review, [2, 4]) == groups

    merged_group = group_of(review, [1])[1]
    new_groups = split_group(review, merged_group, actor="ana")
    assert len(new_groups) == 2 and merged_group in new_groups
    run_dedupe(review, actor="lead")
    assert group_of(review, [1, 3])[1] != group_of(review, [1, 3])[3]
    pair = [p for p in list_pairs(review) if (p["record_a"], p["record_b"]) == (1, 3)][0]
    assert pair["status"] == REJECTED and pair["decided_by"] == "ana"
    with review.read() as conn:
        actions = [a for (a,) in conn.execute(sa.text(
            "SELECT action FROM audit_log ORDER BY id"))]
    assert "duplicate pair confirmed" in actions and "split duplicate group" in actions


def test_bad_decisions_are_plain_errors(review) -> None:
    run_dedupe(review, actor="lead")
    with pytest.raises(ReviewError, match="no duplicate pair 999"):
        decide_pair(review, 999, "confirm", actor="ana")
    with pytest.raises(ReviewError, match="unknown decision"):
        decide_pair(review, 1, "maybe", actor="ana")
    single = group_of(review, [2])[2]
    with pytest.raises(ReviewError, match="nothing to split"):
        split_group(review, single, actor="ana")
