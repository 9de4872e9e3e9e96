"""A conflict's discussion thread on SQLite and PostgreSQL: who may read and write it (those
who voted, once every vote is in and they disagree; the third reviewer; the leads), that it
is audited, and that it follows the work when duplicates join."""

from __future__ import annotations

from pathlib import Path

import pytest

from review.accounts import AccessError, add_reviewer
from review.errors import ReviewError
from review.screening import discussion
from review.screening.conflicts import conflicts, resolve, reviewer_pairs
from review.screening.votes import cast_vote
from tests.test_screening import audit_actions, build


@pytest.fixture
def review(db_url: str, tmp_path: Path):
    store = build(db_url, tmp_path)
    add_reviewer(store, "Dev", actor="lead")  # a reviewer with no part in record 1
    yield store
    store.close()


def test_thread_opens_only_once_both_votes_are_in_and_disagree(review) -> None:
    cast_vote(review, "Ana", 1, "include")
    # one vote in: nobody but a lead reads or writes the thread
    for person in ("Ana", "Ben", "Cleo"):
        assert not discussion.may_read(review, 1, by=person)
        with pytest.raises(AccessError):
            discussion.post(review, 1, "is this peer support?", by=person)
    assert discussion.may_read(review, 1, by="Lead")
    cast_vote(review, "Ben", 1, "exclude", note="private note")
    for person in ("Ana", "Ben", "Cleo", "Lead"):
        assert discussion.may_read(review, 1, by=person), person
    for person in ("Dev",):  # a reviewer who did not vote on it
        assert not discussion.may_read(review, 1, by=person)
        with pytest.raises(AccessError, match="Dev did not vote on this record"):
            discussion.thread(review, 1, by=person)
    discussion.post(review, 1, "The leaders are trained volunteers.", by="Ana")
    discussion.post(review, 1, "  Then it fits: I misread the setting.  ", by="Ben")
    discussion.post(review, 1, "Agreed <b>include</b>", by="Lead")
    thread = discussion.thread(review, 1, by="Cleo")
    assert [(c.author, c.body) for c in thread] == [
        ("Ana", "The leaders are trained volunteers."),
        ("Ben", "Then it fits: I misread the setting."),
        ("Lead", "Agreed <b>include</b>")]
    logged = audit_actions(review, "conflict comment")
    assert [(e["actor"], e["detail"]["text"], e["detail"]["record"]) for e in logged] == [
        ("Ana", "The leaders are trained volunteers.", 1),
        ("Ben", "Then it fits: I misread the setting.", 1),
        ("Lead", "Agreed <b>include</b>", 1)]
    # resolved: the thread stays readable by the same people
    resolve(review, 1, "include", by="Cleo")
    assert len(discussion.thread(review, 1, by="Ana")) == 3
    assert not discussion.may_read(review, 1, by="Dev")


def test_agreed_votes_open_no_thread_and_empty_comments_are_refused(review) -> None:
    cast_vote(review, "Ana", 2, "include")
    cast_vote(review, "Ben", 2, "include")
    with pytest.raises(AccessError, match="has no conflict at titles and abstracts"):
        discussion.post(review, 2, "we agree", by="Ana")
    cast_vote(review, "Ana", 3, "include")
    cast_vote(review, "Ben", 3, "exclude")
    with pytest.raises(ReviewError, match="write something"):
        discussion.post(review, 3, "   ", by="Ana")
    with pytest.raises(ReviewError, match="at most 5000 characters"):
        discussion.post(review, 3, "x" * 5001, by="Ana")
    # an observer screens nothing and reads no thread
    add_reviewer(review, "Olu", role="observer", actor="lead")
    with pytest.raises(AccessError):
        discussion.thread(review, 3, by="Olu")


def test_a_thread_is_per_stage(review) -> None:
    from review.screening.fulltext import attach_pdf
    from tests.test_screening import PDF, both

    both(review, 1, "include", "include")
    attach_pdf(review, 1, PDF, "one.pdf", actor="Lead")
    both(review, 1, "include", "exclude", stage="full_text", ben={"reason": "Clinical setting"})
    discussion.post(review, 1, "The service is run by a hospital", by="Ben", stage="full_text")
    assert [c.body for c in discussion.thread(review, 1, by="Ana", stage="full_text")] == [
        "The service is run by a hospital"]
    # titles and abstracts agreed: no thread there for a voter
    assert not discussion.may_read(review, 1, by="Ana", stage="title_abstract")
    sizes = discussion.thread_sizes(review, [(c.group_id, c.stage)
                                             for c in conflicts(review, "Lead")])
    assert list(sizes.values()) == [1]


def test_conflict_filters_by_stage_and_reviewer_pair(review) -> None:
    cast_vote(review, "Ana", 1, "include")
    cast_vote(review, "Ben", 1, "exclude")
    cast_vote(review, "Ana", 2, "include")
    cast_vote(review, "Dev", 2, "exclude")
    found = conflicts(review, "Lead")
    assert reviewer_pairs(found) == [("Ana", "Ben"), ("Ana", "Dev")]
    assert [c.record_id for c in conflicts(review, "Lead", pair=("Ana", "Dev"))] == [2]
    assert [c.record_id for c in conflicts(review, "Lead", pair=("Dev", "Ana"))] == [2]
    assert [c.record_id for c in conflicts(review, "Lead", stage="title_abstract")] == [1, 2]
    assert conflicts(review, "Lead", stage="full_text") == []
    # a reviewer sees their own conflicts, with their own vote only
    assert [c.record_id for c in conflicts(review, "Dev")] == [2]
    assert [c.record_id for c in conflicts(review, "Ben")] == [1]
    assert [[v["reviewer"] for v in c.votes] for c in conflicts(review, "Ana")] == [["Ana"],
                                                                                   ["Ana"]]


def test_an_exclusion_reason_comes_from_the_list_at_every_stage(review) -> None:
    cast_vote(review, "Ana", 1, "include")
    cast_vote(review, "Ben", 1, "exclude")
    with pytest.raises(ReviewError, match="unknown exclusion reason 'off topic'"):
        resolve(review, 1, "exclude", by="Lead", reason="off topic")
    result = resolve(review, 1, "exclude", by="Lead", reason="not PEER support")
    assert result["reason"] == "Not peer support"
    cast_vote(review, "Ana", 2, "include")
    cast_vote(review, "Ben", 2, "exclude")
    assert resolve(review, 2, "exclude", by="Lead")["reason"] is None  # optional here


def test_a_thread_follows_its_work_when_a_person_joins_duplicates(db_url: str,
                                                                  tmp_path: Path) -> None:
    from review.duplicates import decide_pair, list_pairs
    from tests.test_screening import OLD_COPY

    store = build(db_url, tmp_path, extra=OLD_COPY)
    pair = next(p for p in list_pairs(store) if (p["record_a"], p["record_b"]) == (3, 9))
    for record in (3, 9):
        cast_vote(store, "Ana", record, "include")
        cast_vote(store, "Ben", record, "exclude")
        discussion.post(store, record, f"about record {record}", by="Ana")
    decide_pair(store, pair["id"], "confirm", actor="Lead")
    # one work now, one thread with both comments, named by either record
    for record in (3, 9):
        assert sorted(c.body for c in discussion.thread(store, record, by="Lead")) == [
            "about record 3", "about record 9"]
    store.close()


def test_review_discuss_on_the_command_line(tmp_path: Path, monkeypatch) -> None:
    import json

    from click.testing import CliRunner

    from review.cli.main import main

    db = str(tmp_path / "review.db")
    store = build(db, tmp_path)
    cast_vote(store, "Ana", 1, "include")
    cast_vote(store, "Ben", 1, "exclude")
    store.close()
    monkeypatch.delenv("REVIEW_USER", raising=False)

    def run(*args: str, code: int = 0):  # noqa: ANN202
        result = CliRunner().invoke(main, [*args, "--db", db])
        assert result.exit_code == code, result.output
        return result.output

    run("discuss", "1", "--as", "Ana", "--post", "The forum has moderators.")
    out = run("discuss", "1", "--as", "Lead", "--post", "Then include.", "--format", "json")
    assert [(c["by"], c["comment"]) for c in json.loads(out)] == [
        ("Ana", "The forum has moderators."), ("Lead", "Then include.")]
    assert "The forum has moderators." in run("discuss", "1", "--as", "Ben")
    refused = run("discuss", "1", "--as", "Cleo", "--stage", "full_text", code=1)
    assert "has no conflict at full texts" in refused
    assert "Ana did not vote on this record" in run("discuss", "2", "--as", "Ana", code=1)
