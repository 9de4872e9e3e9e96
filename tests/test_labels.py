"""Labels on SQLite and PostgreSQL: a reviewer's own, private while the work's votes are still
coming in (as notes are), a lead's to see once they are in, never another reviewer's; audited;
following a work when deduplication joins it into another."""

from __future__ import annotations

from pathlib import Path

import pytest

from review.accounts import AccessError
from review.errors import ReviewError
from review.screening.labels import (
    add_label,
    add_labels,
    clean_label,
    label_names,
    labels_on,
    my_labels,
    remove_label,
)
from review.screening.votes import cast_vote
from tests.test_screening import audit_actions, both, build


@pytest.fixture
def review(db_url: str, tmp_path: Path):
    store = build(db_url, tmp_path)
    yield store
    store.close()


def seen(store, who: str, record_id: int) -> list[tuple[str, str]]:  # noqa: ANN001
    return [(lab.label, lab.reviewer) for lab in labels_on(store, who, record_id)]


def test_a_label_is_its_reviewers_alone_until_the_votes_are_in(review) -> None:
    assert add_label(review, "Ana", 1, "  RCT  ") is True
    assert add_label(review, "Ana", 1, "rct") is False  # the same label, case ignored
    assert add_label(review, "Ana", 1, "ask Sam") is True
    assert my_labels(review, "Ana", 1) == ["ask Sam", "RCT"]
    assert label_names(review, "Ana") == ["ask Sam", "RCT"]
    for other in ("Ben", "Cleo", "Lead"):  # no one else, not even a lead or third reviewer
        assert seen(review, other, 1) == []
        assert label_names(review, other) == []
    cast_vote(review, "Ana", 1, "include")
    assert seen(review, "Lead", 1) == []  # one vote of two: still blind
    cast_vote(review, "Ben", 1, "include")
    assert seen(review, "Lead", 1) == [("ask Sam", "Ana"), ("RCT", "Ana")]
    assert label_names(review, "Lead") == ["ask Sam", "RCT"]
    assert seen(review, "Ben", 1) == [] and seen(review, "Cleo", 1) == []
    assert [lab.own for lab in labels_on(review, "Lead", 1)] == [False, False]


def test_a_conflict_shows_labels_to_a_lead_as_it_shows_the_notes(review) -> None:
    add_label(review, "Ben", 2, "unsure")
    both(review, 2, "include", "exclude")
    assert seen(review, "Lead", 2) == [("unsure", "Ben")]
    assert seen(review, "Ana", 2) == []


def test_labels_are_per_stage_of_putting_them(review) -> None:
    both(review, 1, "include", "include")
    add_label(review, "Ana", 1, "check dose", stage="full_text")
    assert seen(review, "Lead", 1) == []  # decided at titles, open at full text
    assert my_labels(review, "Ana", 1) == ["check dose"]


def test_removing_takes_only_ones_own_and_everything_is_audited(review) -> None:
    add_label(review, "Ana", 1, "RCT")
    add_label(review, "Ben", 1, "RCT")
    assert remove_label(review, "Ben", 1, "rct") is True
    assert remove_label(review, "Ben", 1, "RCT") is False
    assert my_labels(review, "Ana", 1) == ["RCT"]
    added, removed = audit_actions(review, "add label"), audit_actions(review, "remove label")
    assert [(a["actor"], a["entity_id"]) for a in added] == [("Ana", "RCT"), ("Ben", "RCT")]
    assert [(a["actor"], a["detail"]["record"]) for a in removed] == [("Ben", 1)]


def test_bad_labels_and_people_are_refused(review) -> None:
    with pytest.raises(ReviewError, match="needs some text"):
        add_label(review, "Ana", 1, "   ")
    with pytest.raises(ReviewError, match="keep labels to 60"):
        add_label(review, "Ana", 1, "x" * 61)
    with pytest.raises(ReviewError, match="control character"):
        clean_label("a\x00b")
    with pytest.raises(ReviewError, match="no record 99"):
        add_label(review, "Ana", 99, "RCT")
    from review.accounts import add_reviewer

    add_reviewer(review, "Olu", role="observer", actor="lead")
    with pytest.raises(AccessError, match="observers"):
        add_label(review, "Olu", 1, "RCT")
    assert add_labels(review, "Ana", [1, 2, 3], "batch") == 3
    assert add_labels(review, "Ana", [1, 2, 3, 4], "Batch") == 1  # her spelling is kept
    assert my_labels(review, "Ana", 4) == ["batch"]


def test_labels_follow_a_work_that_a_join_merges(db_url: str, tmp_path: Path) -> None:
    from review.duplicates import decide_pair, list_pairs

    copy = ("TY  - JOUR\nTI  - Peer mentoring for young people in a voluntary organisation\n"
            "AU  - Author1, Alex\nPY  - 2016\nJO  - Journal of Example Studies 1\nVL  - 1\n"
            "ER  - \n")
    store = build(db_url, tmp_path, extra=copy)
    pairs = [p for p in list_pairs(store) if p["status"] == "needs review"]
    if not pairs:  # merged automatically: the label sits on the one work already
        add_label(store, "Ana", 9, "RCT")
        assert my_labels(store, "Ana", 1) == ["RCT"]
        store.close()
        return
    pair = pairs[0]
    add_label(store, "Ana", pair["record_b"], "RCT")
    add_label(store, "Ana", pair["record_a"], "rct")
    decide_pair(store, pair["id"], "confirm", actor="lead")
    assert my_labels(store, "Ana", pair["record_a"]) == ["RCT"]
    store.close()
