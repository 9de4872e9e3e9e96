"""What the Screen page asks of the screening services, on SQLite and PostgreSQL: why a queue
is empty (review.screening.why), stepping through one's own votes (votes.adjacent_vote),
progress as voted of total (Item.voted), and each reviewer's own highlight terms
(review.screening.terms), private to them."""

from __future__ import annotations

from pathlib import Path

import pytest

from review.accounts import add_reviewer
from review.duplicates import run_dedupe
from review.errors import ReviewError
from review.importing import SourceInfo, import_files
from review.project import create_review
from review.protocol import Highlight
from review.screening import prioritise, terms, why
from review.screening.votes import adjacent_vote, cast_vote, next_item, undo_last
from tests.test_screening import PROTOCOL, audit_actions, build, ris


@pytest.fixture
def review(db_url: str, tmp_path: Path):
    store = build(db_url, tmp_path)
    yield store
    store.close()


def test_progress_is_voted_of_total_not_position(review) -> None:
    item = next_item(review, "Ana")
    assert (item.voted, item.total, item.waiting) == (0, 8, 8)
    for record in range(1, 8):
        cast_vote(review, "Ana", record, "exclude")
    item = next_item(review, "Ana")  # one record left: 7 of 8, not "8 of 8"
    assert (item.record_id, item.voted, item.total, item.waiting) == (8, 7, 8, 1)


def test_why_empty_before_import_and_before_dedupe(db_url: str, tmp_path: Path) -> None:
    store = create_review(PROTOCOL, db_url, actor="lead")
    add_reviewer(store, "Ana", actor="lead")
    empty = why.why_empty(store, "Ana")
    assert empty is not None and empty.kind == why.NO_RECORDS
    assert empty.message.startswith("No records yet")
    export = tmp_path / "search.ris"
    export.write_text(ris(), encoding="utf-8")
    import_files(store, [export], SourceInfo("PsycINFO (Ovid)", "database"), actor="lead")
    empty = why.why_empty(store, "Ana")  # imported with --no-dedupe, say
    assert empty is not None and empty.kind == why.NOT_DEDUPLICATED
    assert empty.undeduplicated == 8
    assert empty.message.startswith("8 record(s) imported but not yet deduplicated")
    assert "every record" not in empty.message  # not "every record has your vote"
    run_dedupe(store, actor="lead")
    assert why.why_empty(store, "Ana") is None  # now screenable
    store.close()


def test_why_empty_when_i_voted_on_everything_and_when_others_did(review) -> None:
    for record in range(1, 9):
        cast_vote(review, "Ana", record, "exclude")
    mine = why.why_empty(review, "Ana")
    assert mine is not None and mine.kind == why.ALL_VOTED and mine.voted == 8
    assert "you have voted on every record waiting here (8 vote(s)" in mine.message
    assert why.why_empty(review, "Ben") is None  # Ben still has all eight
    for record in range(1, 9):
        cast_vote(review, "Ben", record, "exclude" if record % 2 else "include")
    cleo = why.why_empty(review, "Cleo")  # the votes each record needs are in
    assert cleo is not None and cleo.kind == why.OTHERS_VOTED and cleo.voted == 0
    assert "you have not voted at this stage" in cleo.message
    for text in ("Ana", "Ben", "include", "conflict"):  # blind: nobody's votes, no conflicts
        assert text not in cleo.message


def test_why_empty_at_full_text_before_anything_is_included(review) -> None:
    empty = why.why_empty(review, "Ana", "full_text")
    assert empty is not None and empty.kind == why.NOT_REACHED
    assert empty.message == ("No record has reached full texts yet: records come here once "
                             "they are included at titles and abstracts.")


def test_why_empty_after_a_lead_stopped_the_stage(review) -> None:
    prioritise.stop_screening(review, by="Lead", note="enough")
    empty = why.why_empty(review, "Ana")
    assert empty is not None and empty.kind == why.STOPPED
    assert empty.message.startswith("A lead stopped screening at titles and abstracts on ")


def test_previous_and_next_walk_my_votes_in_the_order_cast(review) -> None:
    assert adjacent_vote(review, "Ana", None, -1) is None  # no votes yet
    for record in (3, 1, 5):
        cast_vote(review, "Ana", record, "exclude")
    cast_vote(review, "Ana", 3, "include")  # a change does not move it in the order
    cast_vote(review, "Ben", 2, "include")  # someone else's vote is not in Ana's walk
    assert adjacent_vote(review, "Ana", None, -1) == 5  # from the queue: the latest
    assert adjacent_vote(review, "Ana", 2, -1) == 5  # from a record she has not voted on
    assert adjacent_vote(review, "Ana", 5, -1) == 1
    assert adjacent_vote(review, "Ana", 1, -1) == 3
    assert adjacent_vote(review, "Ana", 3, -1) is None  # her first vote
    assert adjacent_vote(review, "Ana", 3, 1) == 1
    assert adjacent_vote(review, "Ana", 5, 1) is None  # after the latest: the queue
    assert adjacent_vote(review, "Ana", None, 1) is None
    assert undo_last(review, "Ana") == 3  # the most recently changed vote goes
    assert adjacent_vote(review, "Ana", None, -1) == 5
    with pytest.raises(ReviewError, match="one at a time"):
        adjacent_vote(review, "Ana", 1, 2)
    assert adjacent_vote(review, "Ana", 1, -1, "full_text") is None


def test_own_terms_are_kept_per_person_checked_and_audited(review) -> None:
    assert terms.my_terms(review, "Ana") == Highlight()
    kept = terms.set_my_terms(review, "Ana", ["  peer   mentoring ", "Peer mentoring",
                                              "forum*"], ["hospital"])
    assert kept == Highlight(("peer mentoring", "forum*"), ("hospital",))
    assert terms.my_terms(review, "Ana") == kept
    assert terms.my_terms(review, "Ben") == Highlight()
    terms.set_my_terms(review, "Ana", ["peer mentoring", "forum*"], ["hospital"])  # no change
    [logged] = audit_actions(review, "set highlight terms")
    assert logged["actor"] == "Ana" and logged["detail"]["exclude"] == ["hospital"]
    terms.set_my_terms(review, "Ana", [], [])
    assert terms.my_terms(review, "Ana") == Highlight()
    with pytest.raises(ReviewError, match="needs a letter or digit"):
        terms.set_my_terms(review, "Ana", ["***"], [])
    with pytest.raises(ReviewError, match="longer than 100"):
        terms.set_my_terms(review, "Ana", ["x" * 101], [])
    with pytest.raises(ReviewError, match="at most 200"):
        terms.set_my_terms(review, "Ana", [f"term{i}" for i in range(201)], [])
    assert terms.parse_terms("a, b; c\n\n A") == ("a", "b", "c")


def test_marks_join_the_protocols_terms_and_mine() -> None:
    marks = terms.Marks(Highlight(("peer",), ("hospital",)), Highlight(("Peer", "forum*"), ()))
    assert marks.include_regex is not None and marks.exclude_regex is not None
    assert [m.group(0) for m in marks.include_regex.finditer("peer forums and a peer")] == [
        "peer", "forums", "peer"]
    assert terms.Marks(Highlight(), Highlight()).any is False
    assert terms.Marks(Highlight(), Highlight()).include_regex is None
