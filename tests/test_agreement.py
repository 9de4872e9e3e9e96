"""Agreement and progress on SQLite and PostgreSQL: percent agreement and Cohen's kappa per
stage and per reviewer pair, on the reviewers' own votes (maybe counted by the protocol's
policy) before any resolution, with conflict counts; figures worked out by hand."""

from __future__ import annotations

from pathlib import Path

import pytest

from review.screening.agreement import agreement, cohen_kappa, progress
from review.screening.conflicts import resolve
from review.screening.votes import cast_vote
from tests.test_screening import both, build


def test_cohen_kappa_by_hand() -> None:
    # 10 items: both yes 4, both no 3, a yes/b no 2, a no/b yes 1
    pairs = [("y", "y")] * 4 + [("n", "n")] * 3 + [("y", "n")] * 2 + [("n", "y")]
    # observed 0.7; chance 0.6 * 0.5 + 0.4 * 0.5 = 0.5; kappa 0.4
    assert cohen_kappa(pairs) == pytest.approx(0.4)
    assert cohen_kappa([("y", "y"), ("n", "n")]) == pytest.approx(1.0)
    assert cohen_kappa([("y", "n"), ("n", "y")]) == pytest.approx(-1.0)
    assert cohen_kappa([("y", "y")] * 5) is None  # chance agreement 1: undefined
    assert cohen_kappa([]) is None


@pytest.fixture
def review(db_url: str, tmp_path: Path):
    store = build(db_url, tmp_path)
    for record, (ana, ben) in enumerate([("include", "include"), ("include", "exclude"),
                                         ("exclude", "exclude"), ("exclude", "exclude"),
                                         ("maybe", "include"), ("exclude", "include")],
                                        start=1):
        both(store, record, ana, ben)
    cast_vote(store, "Ana", 7, "include")
    cast_vote(store, "Cleo", 7, "include")
    yield store
    store.close()


def _rows(store, stage=None, by="Lead"):
    return {(a.stage, a.reviewer_a, a.reviewer_b): a for a in agreement(store, stage, by=by)}


def test_agreement_per_stage_and_pair(review) -> None:
    rows = _rows(review)
    pair = rows[("title_abstract", "Ana", "Ben")]
    # Ana i i e e i e, Ben i e e e i i (maybe counts as include): 4 of 6 agree
    assert (pair.records, pair.agreed, pair.conflicts) == (6, 4, 2)
    assert pair.percent == pytest.approx(400 / 6)
    assert pair.kappa == pytest.approx(1 / 3)  # chance 0.5
    solo = rows[("title_abstract", "Ana", "Cleo")]
    assert (solo.records, solo.agreed, solo.kappa) == (1, 1, None)
    pooled = rows[("title_abstract", None, None)]
    # first and second votes of 7 records: observed 5/7, chance 25/49
    assert (pooled.records, pooled.agreed, pooled.conflicts) == (7, 5, 2)
    assert pooled.kappa == pytest.approx(10 / 24)
    ft = rows[("full_text", None, None)]
    assert (ft.records, ft.percent, ft.kappa) == (0, None, None)
    assert pooled.as_row()["reviewers"] == "all" and pair.as_row()["reviewers"] == "Ana / Ben"
    assert list(_rows(review, "full_text")) == [("full_text", None, None)]


def test_resolution_does_not_change_agreement_but_counts_as_a_conflict(review) -> None:
    before = _rows(review)
    resolve(review, 2, "include", by="Lead")
    after = _rows(review)
    assert after == before
    # a vote changed before resolution counts as it stands now (the reviewer's own vote)
    cast_vote(review, "Ben", 6, "exclude")
    pair = _rows(review)[("title_abstract", "Ana", "Ben")]
    assert (pair.agreed, pair.conflicts) == (5, 1)


def test_maybe_under_the_conflict_policy_is_its_own_category(db_url: str,
                                                             tmp_path: Path) -> None:
    store = build(db_url, tmp_path, maybe="conflict")
    both(store, 1, "maybe", "maybe")
    both(store, 2, "include", "include")
    pair = _rows(store)[("title_abstract", "Ana", "Ben")]
    assert (pair.records, pair.agreed, pair.conflicts) == (2, 2, 1)
    assert pair.kappa == pytest.approx(1.0)
    store.close()


def test_records_still_waiting_for_votes_are_left_out(db_url: str, tmp_path: Path) -> None:
    """With three votes required, Ana's and Ben's votes on a record Cleo has not seen yet must
    not show in the figures Cleo can read: they would tell her whether they agreed."""
    store = build(db_url, tmp_path, votes=3)
    both(store, 1, "include", "exclude")
    assert ("title_abstract", "Ana", "Ben") not in _rows(store, by="Cleo")
    assert _rows(store, by="Cleo")[("title_abstract", None, None)].records == 0
    cast_vote(store, "Cleo", 1, "include")
    rows = _rows(store)
    assert rows[("title_abstract", "Ana", "Ben")].agreed == 0
    assert rows[("title_abstract", "Ana", "Cleo")].agreed == 1
    assert rows[("title_abstract", None, None)].conflicts == 1
    store.close()


def test_progress_counts_per_stage_and_reviewer(review) -> None:
    resolve(review, 2, "exclude", by="Lead")
    data = progress(review, by="Lead")
    ta, ft = data["stages"]
    assert ta == {"stage": "title_abstract", "label": "Titles and abstracts", "records": 8,
                  "pending": 1, "conflicts": 1, "included": 3, "excluded": 3,
                  "excluded_by_automation": 0, "resolved": 1, "not_retrieved": 0}
    assert (ft["records"], ft["pending"]) == (3, 3)
    people = {(r["reviewer"], r["stage"]): r for r in data["reviewers"]}
    assert (people[("Ana", "title_abstract")]["votes"],
            people[("Ana", "title_abstract")]["waiting"]) == (7, 1)
    assert (people[("Cleo", "title_abstract")]["votes"],
            people[("Cleo", "title_abstract")]["waiting"]) == (1, 1)
    assert people[("Ben", "full_text")] == {"reviewer": "Ben", "role": "reviewer",
                                            "stage": "full_text", "votes": 0, "waiting": 3,
                                            "of": 3}


def test_agreement_is_refused_to_a_plain_reviewer_and_open_to_an_observer(review) -> None:
    from review.accounts import AccessError, add_reviewer

    with pytest.raises(AccessError, match="agreement between reviewers is for leads"):
        agreement(review, by="Ana")
    add_reviewer(review, "Olu", role="observer", actor="Lead")
    assert _rows(review, by="Olu") == _rows(review, by="Lead") == _rows(review, by="Cleo")


def test_a_reviewer_gets_their_own_progress_only(review) -> None:
    from review.accounts import add_reviewer

    add_reviewer(review, "Olu", role="observer", actor="Lead")
    mine = progress(review, by="Ana")
    assert mine["scope"] == "own" and mine["stages"] == []
    assert {r["reviewer"] for r in mine["reviewers"]} == {"Ana"}
    whole = progress(review, by="Olu")
    assert whole["scope"] == "review" and len(whole["stages"]) == 2
    # observers vote on nothing, so they are not listed among the reviewers
    assert {r["reviewer"] for r in whole["reviewers"]} == {"Lead", "Ana", "Ben", "Cleo"}
    assert [r for r in whole["reviewers"] if r["reviewer"] == "Ana"] == mine["reviewers"]
