"""Screening services on SQLite and PostgreSQL: queues, votes, changes and undo, conflicts and
their resolution, the maybe policy, machine-checkable criteria, duplicate groups as the unit,
and blinding above all (nothing a plain reviewer calls returns another reviewer's vote).

The small reviews are built in code: a RIS export with a few distinct works, the example
protocol (or a variant of its text), four people. Other screening test files import the
helpers from here.
"""

from __future__ import annotations

import json
import re
from dataclasses import asdict
from pathlib import Path

import pytest
import sqlalchemy as sa

from review.accounts import AccessError, add_reviewer
from review.duplicates import decide_pair, list_pairs, run_dedupe, split_group
from review.errors import ReviewError
from review.importing import SourceInfo, import_files
from review.project import create_review
from review.screening import votes as screening
from review.screening.agreement import agreement, progress
from review.screening.conflicts import conflicts, resolve
from review.screening.decisions_csv import export_decisions
from review.screening.fulltext import attach_pdf
from review.screening.state import decide
from review.screening.votes import (
    cast_vote,
    item_for,
    my_votes,
    next_item,
    queue,
    queue_size,
    undo_last,
)
from review.store import Store
from review.store import schema as t

ROOT = Path(__file__).resolve().parent.parent
PROTOCOL = ROOT / "protocols" / "peer-support-self-harm.toml"
PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"

# Distinct works, so deduplication leaves one group per record (ids 1..n in this order).
WORKS = (
    ("Peer mentoring for young people in a voluntary organisation", 2016),
    ("Moderated online forums and help-seeking: a qualitative study", 2019),
    ("Group support run by a community charity", 2012),
    ("Hospital liaison services after emergency attendance", 2008),
    ("Family involvement in school wellbeing programmes", 2014),
    ("Volunteer listening lines: an evaluation", 1997),
    ("Shared lived experience in recovery colleges", 2021),
    ("Telephone befriending for isolated older adults", 2010),
)


def ris(works=WORKS) -> str:
    parts = []
    for i, (title, year) in enumerate(works, start=1):
        parts.append(f"TY  - JOUR\nTI  - {title}\nAU  - Author{i}, Alex\n"
                     + (f"PY  - {year}\n" if year else "")
                     + f"JO  - Journal of Example Studies {i}\nVL  - {i}\nSP  - {10 * i}\n"
                     f"AB  - An abstract about {title.lower()}.\nER  - \n")
    return "\n".join(parts)


def protocol_text(*, votes: int = 2, maybe: str = "include", automatic: bool = False,
                  stages: int = 2) -> str:
    text = PROTOCOL.read_text(encoding="utf-8")
    text = text.replace('maybe_policy = "include"', f'maybe_policy = "{maybe}"')
    text = re.sub(r"(?m)^votes_required = 2$", f"votes_required = {votes}", text)
    if automatic:
        text = text.replace("automatic = false", "automatic = true")
    if stages == 1:
        start = text.index("[[screening.stages]]\nid = \"full_text\"")
        end = text.index("# --- Eligibility criteria")
        text = text[:start] + text[end:]
        text = text.replace('stages = ["full_text"]', 'stages = ["title_abstract"]')
    return text


def build(db_url: str, tmp_path: Path, *, works=WORKS, extra: str | None = None,
          **protocol) -> Store:
    """A review with the works imported and deduplicated, and its people: Lead (lead), Ana and
    Ben (reviewers), Cleo (third reviewer who resolves conflicts)."""
    path = tmp_path / "protocol.toml"
    path.write_text(protocol_text(**protocol), encoding="utf-8")
    store = create_review(path, db_url, actor="lead")
    export = tmp_path / "search.ris"
    export.write_text(ris(works), encoding="utf-8")
    import_files(store, [export], SourceInfo("PsycINFO (Ovid)", "database", "2025-03-01"),
                 actor="lead")
    if extra:
        other = tmp_path / "other.ris"
        other.write_text(extra, encoding="utf-8")
        import_files(store, [other], SourceInfo("MEDLINE (Ovid)", "database", "2025-03-02"),
                     actor="lead")
    run_dedupe(store, actor="lead")
    add_reviewer(store, "Lead", role="lead", actor="lead")
    add_reviewer(store, "Ana", actor="lead")
    add_reviewer(store, "Ben", actor="lead")
    add_reviewer(store, "Cleo", resolver=True, actor="lead")
    return store


def state(store: Store, record_id: int, stage: str = "title_abstract") -> dict | None:
    with store.read() as conn:
        group = screening.group_for_record(store, conn, record_id)
        row = conn.execute(sa.select(t.screening_state).where(
            t.screening_state.c.group_id == group,
            t.screening_state.c.stage == stage)).mappings().first()
    return dict(row) if row else None


def audit_actions(store: Store, action: str) -> list[dict]:
    log = t.audit_log
    with store.read() as conn:
        return [dict(r) for r in conn.execute(sa.select(log).where(log.c.action == action)
                                              .order_by(log.c.id)).mappings()]


def both(store: Store, record_id: int, a: str, b: str, stage: str = "title_abstract",
         **kw) -> None:
    cast_vote(store, "Ana", record_id, a, stage=stage, **kw.get("ana", {}))
    cast_vote(store, "Ben", record_id, b, stage=stage, **kw.get("ben", {}))


@pytest.fixture
def review(db_url: str, tmp_path: Path):
    store = build(db_url, tmp_path)
    yield store
    store.close()


# --- stages and votes from the protocol ---------------------------------------------------


def test_two_agreeing_votes_decide_and_include_makes_a_report_sought(review) -> None:
    assert state(review, 1) == {**state(review, 1), "state": "open", "votes": 0}
    cast_vote(review, "Ana", 1, "include")
    assert state(review, 1)["state"] == "open" and state(review, 1)["votes"] == 1
    assert state(review, 1, "full_text") is None
    cast_vote(review, "Ben", 1, "include")
    decided = state(review, 1)
    assert (decided["state"], decided["outcome"], decided["decided_by"]) == (
        "decided", "include", "votes")
    assert state(review, 1, "full_text")["state"] == "open"
    both(review, 2, "exclude", "exclude")
    assert state(review, 2)["outcome"] == "exclude" and state(review, 2, "full_text") is None


@pytest.mark.parametrize("votes", [1, 3])
def test_votes_required_comes_from_the_protocol(db_url: str, tmp_path: Path, votes: int) -> None:
    store = build(db_url, tmp_path, votes=votes)
    for n, name in enumerate(["Ana", "Ben", "Cleo"][:votes], start=1):
        assert state(store, 1)["state"] == "open"
        cast_vote(store, name, 1, "include")
        assert state(store, 1)["votes"] == n
    assert state(store, 1)["state"] == "decided"
    if votes == 3:  # two agreeing votes of three leave it open, the third disagreeing: conflict
        cast_vote(store, "Ana", 2, "include")
        cast_vote(store, "Ben", 2, "include")
        assert state(store, 2)["state"] == "open"
        cast_vote(store, "Cleo", 2, "exclude")
        assert state(store, 2)["state"] == "conflict"
    store.close()


def test_default_stages_are_titles_then_full_texts(review) -> None:
    from review.project import review_protocol

    protocol = review_protocol(review)
    assert [s.id for s in protocol.stages] == ["title_abstract", "full_text"]
    assert [s.votes_required for s in protocol.stages] == [2, 2]
    with pytest.raises(ReviewError, match="no stage 'abstracts'"):
        cast_vote(review, "Ana", 1, "include", stage="abstracts")
    with pytest.raises(ReviewError, match="not at full texts"):
        cast_vote(review, "Ana", 1, "include", stage="full_text", note="read it")


# --- queues -----------------------------------------------------------------------------


def test_queue_holds_what_i_have_not_voted_on_and_still_needs_votes(review) -> None:
    everything = [r["record_id"] for r in queue(review, "Ana")]
    assert everything == list(range(1, 9)) and queue_size(review, "Ana") == 8
    cast_vote(review, "Ana", 1, "include")
    assert 1 not in [r["record_id"] for r in queue(review, "Ana")]
    assert 1 in [r["record_id"] for r in queue(review, "Ben")]
    both(review, 2, "include", "exclude")  # conflict: no longer needs votes
    both(review, 3, "include", "include")  # decided
    for name in ("Ana", "Ben", "Cleo"):
        ids = [r["record_id"] for r in queue(review, name)]
        assert 2 not in ids and 3 not in ids
        assert queue_size(review, name) == len(ids)
    assert 1 in [r["record_id"] for r in queue(review, "Cleo")]
    assert [r["record_id"] for r in queue(review, "Ben", limit=2)] == [1, 4]
    assert [r["record_id"] for r in queue(review, "Ana", "full_text")] == [3]


def test_waiting_counts_agree_with_the_queue_from_either_side(review) -> None:
    """The count of records waiting (progress and queue_size) is read from the reviewer's
    votes while they are fewer than the open records, and from the open records after: both
    agree with the queue itself."""
    def check() -> None:
        for name in ("Ana", "Ben", "Cleo"):
            waiting = len(queue(review, name))
            assert queue_size(review, name) == waiting
            item = next_item(review, name)
            if item is not None:
                assert item.total - item.voted == waiting
    check()
    cast_vote(review, "Ana", 1, "include")  # Ana: 1 vote, 8 open
    check()
    for record in range(2, 7):
        cast_vote(review, "Ana", record, "exclude")
    for record in range(1, 6):  # 1 a conflict, 2-5 decided: 3 open, Ana's 6 votes
        cast_vote(review, "Ben", record, "exclude")
    check()
    assert queue_size(review, "Ana") == 2 and next_item(review, "Ana").voted == 6


def test_next_item_walks_the_queue_with_position(review) -> None:
    item = next_item(review, "Ana")
    assert (item.record_id, item.position, item.total, item.my_vote) == (1, 1, 8, None)
    assert item.record["title"] == WORKS[0][0] and item.sources == ["PsycINFO (Ovid)"]
    cast_vote(review, "Ana", item.record_id, "exclude")
    item = next_item(review, "Ana")
    assert (item.record_id, item.position, item.total) == (2, 2, 8)
    for record in range(2, 9):
        cast_vote(review, "Ana", record, "include")
    assert next_item(review, "Ana") is None
    again = item_for(review, "Ana", 1)
    assert again.my_vote["decision"] == "exclude" and again.position == 8


def test_unknown_reviewer_and_record(review) -> None:
    with pytest.raises(ReviewError, match="no reviewer called 'Zed'"):
        next_item(review, "Zed")
    with pytest.raises(ReviewError, match="no record 99"):
        cast_vote(review, "Ana", 99, "include")
    with pytest.raises(ReviewError, match="no record 99"):
        item_for(review, "Ana", 99)


def test_inactive_reviewer_cannot_vote(review) -> None:
    reviewers = t.reviewers
    with review.write() as conn:
        conn.execute(reviewers.update().where(reviewers.c.name == "Ben").values(active=False))
    with pytest.raises(AccessError, match="no longer an active reviewer"):
        cast_vote(review, "Ben", 1, "include")


# --- what a vote is -----------------------------------------------------------------------


def test_vote_checks_decision_reason_and_criteria(review) -> None:
    with pytest.raises(ReviewError, match="unknown decision 'yes'"):
        cast_vote(review, "Ana", 1, "yes")
    with pytest.raises(ReviewError, match="goes with exclude only"):
        cast_vote(review, "Ana", 1, "include", reason="Clinical setting")
    with pytest.raises(ReviewError, match="unknown exclusion reason 'Too long'"):
        cast_vote(review, "Ana", 1, "exclude", reason="Too long")
    with pytest.raises(ReviewError, match="answer yes, no or unclear"):
        cast_vote(review, "Ana", 1, "include", criteria={"population": "maybe"})
    with pytest.raises(ReviewError, match="'language' is not asked at title_abstract"):
        cast_vote(review, "Ana", 1, "include", criteria={"language": "yes"})
    assert state(review, 1)["votes"] == 0
    row = cast_vote(review, "Ana", 1, "exclude", reason="  clinical SETTING ",
                    criteria={"setting": "no", "population": "unclear"})
    assert row["reason"] == "Clinical setting" and row["note"] is None
    assert row["criteria"] == {"setting": "no", "population": "unclear"}
    assert row["origin"] == "cli" and row["changes"] == 0


def test_full_text_exclusion_needs_a_reason_from_the_ordered_list(review) -> None:
    both(review, 1, "include", "include")
    attach_pdf(review, 1, PDF, "paper.pdf", actor="Lead")
    with pytest.raises(ReviewError, match="needs a reason from the protocol's list: Not about"):
        cast_vote(review, "Ana", 1, "exclude", stage="full_text")
    with pytest.raises(ReviewError, match="'language'"):
        cast_vote(review, "Ana", 1, "include", stage="full_text",
                  criteria={"language": "perhaps"})
    row = cast_vote(review, "Ana", 1, "exclude", stage="full_text", reason="Not peer support",
                    criteria={"language": "yes"})
    assert row["reason"] == "Not peer support"


# --- changing and undoing votes -------------------------------------------------------------


def test_change_own_vote_is_logged_until_resolved(review) -> None:
    cast_vote(review, "Ana", 1, "include", note="first look")
    changed = cast_vote(review, "Ana", 1, "exclude", note="second look")
    assert changed["changes"] == 1 and changed["decision"] == "exclude"
    log = audit_actions(review, "change vote")
    assert log[-1]["detail"]["before"]["decision"] == "include"
    assert log[-1]["detail"]["after"]["note"] == "second look"
    same = cast_vote(review, "Ana", 1, "exclude", note="second look")  # no change, no log
    assert same["changes"] == 1 and len(audit_actions(review, "change vote")) == 1
    cast_vote(review, "Ben", 1, "include")
    assert state(review, 1)["state"] == "conflict"
    cast_vote(review, "Ana", 1, "include")  # a vote in conflict may still change: now agreed
    assert state(review, 1)["outcome"] == "include"
    cast_vote(review, "Ana", 1, "exclude")
    resolve(review, 1, "exclude", by="Lead", reason="Clinical setting")
    with pytest.raises(ReviewError, match="can no longer change: its conflict has been resolved"):
        cast_vote(review, "Ana", 1, "include")
    with pytest.raises(ReviewError, match="can no longer be undone"):
        undo_last(review, "Ben")


def test_vote_fixed_once_the_next_stage_builds_on_it(review) -> None:
    both(review, 1, "include", "include")
    cast_vote(review, "Ben", 1, "exclude")  # nothing built on it yet: may change
    cast_vote(review, "Ben", 1, "include")
    attach_pdf(review, 1, PDF, "one.pdf", actor="Lead")
    with pytest.raises(ReviewError, match="full text has already been attached"):
        cast_vote(review, "Ben", 1, "exclude")
    both(review, 2, "include", "include")
    cast_vote(review, "Ana", 2, "include", stage="full_text", note="read the journal copy")
    with pytest.raises(ReviewError, match="already being screened at full texts"):
        cast_vote(review, "Ben", 2, "exclude")
    with pytest.raises(ReviewError, match="can no longer be undone"):
        undo_last(review, "Ben")


def test_undo_last_withdraws_my_latest_vote(review) -> None:
    assert undo_last(review, "Ana") is None
    cast_vote(review, "Ana", 1, "include")
    cast_vote(review, "Ana", 2, "exclude")
    cast_vote(review, "Ben", 2, "exclude")
    assert state(review, 2)["state"] == "decided"
    assert undo_last(review, "Ana") == 2
    assert state(review, 2)["state"] == "open" and state(review, 2)["votes"] == 1
    assert next_item(review, "Ana").record_id == 2
    assert [v["record_id"] for v in my_votes(review, "Ana")] == [1]
    log = audit_actions(review, "undo vote")
    assert log[-1]["actor"] == "Ana" and log[-1]["detail"]["decision"] == "exclude"
    assert undo_last(review, "Ana") == 1 and undo_last(review, "Ana") is None


def test_undo_after_include_removes_the_report_sought(review) -> None:
    both(review, 1, "include", "include")
    assert state(review, 1, "full_text") is not None
    assert undo_last(review, "Ben") == 1
    assert state(review, 1, "full_text") is None


# --- conflicts and resolution ---------------------------------------------------------------


def test_disagreement_is_a_conflict_a_lead_resolves_with_a_reason(review) -> None:
    both(review, 1, "include", "exclude")
    assert state(review, 1)["state"] == "conflict"
    found = conflicts(review, "Lead")
    assert [(c.record_id, c.stage) for c in found] == [(1, "title_abstract")]
    assert {v["reviewer"]: v["decision"] for v in found[0].votes} == {
        "Ana": "include", "Ben": "exclude"}
    with pytest.raises(ReviewError, match="include or exclude, not 'maybe'"):
        resolve(review, 1, "maybe", by="Lead")
    with pytest.raises(ReviewError, match="record 2 has no conflict"):
        resolve(review, 2, "include", by="Lead")
    result = resolve(review, 1, "include", by="Lead", reason="Setting is a charity",
                     note="checked the website")
    assert result["resolved_by"] == "Lead" and result["reason"] == "Setting is a charity"
    s = state(review, 1)
    assert (s["state"], s["outcome"], s["decided_by"], s["reason"]) == (
        "decided", "include", "resolution", "Setting is a charity")
    assert state(review, 1, "full_text")["state"] == "open"
    assert conflicts(review, "Lead") == []
    with pytest.raises(ReviewError, match="no conflict"):
        resolve(review, 1, "exclude", by="Lead")
    assert audit_actions(review, "resolve conflict")[0]["detail"]["reason"] == (
        "Setting is a charity")


def test_third_reviewer_resolves_only_conflicts_they_did_not_vote_in(review) -> None:
    both(review, 1, "include", "exclude")
    # a reviewer who voted sees the conflict with their own vote only, and cannot settle it
    [mine] = conflicts(review, "Ana")
    assert [v["reviewer"] for v in mine.votes] == ["Ana"]
    with pytest.raises(AccessError):
        resolve(review, 1, "include", by="Ana")
    assert [c.record_id for c in conflicts(review, "Cleo")] == [1]
    with pytest.raises(ReviewError, match="unknown exclusion reason 'Clinical service'"):
        resolve(review, 1, "exclude", by="Cleo", reason="Clinical service")
    resolve(review, 1, "exclude", by="Cleo", reason="clinical setting")
    # a conflict the third reviewer voted in: they may not settle it, a lead may
    cast_vote(review, "Cleo", 2, "include")
    cast_vote(review, "Ana", 2, "exclude")
    with pytest.raises(AccessError, match="Cleo screened record 2"):
        resolve(review, 2, "include", by="Cleo")
    cast_vote(review, "Lead", 3, "include")
    cast_vote(review, "Ana", 3, "exclude")
    resolve(review, 3, "include", by="Lead")  # a lead may resolve their own conflict
    assert state(review, 3)["decided_by"] == "resolution"


def test_full_text_resolution_to_exclude_needs_a_listed_reason(review) -> None:
    both(review, 1, "include", "include")
    attach_pdf(review, 1, PDF, "one.pdf", actor="Lead")
    both(review, 1, "include", "exclude", stage="full_text",
         ben={"reason": "Clinical setting"})
    with pytest.raises(ReviewError, match="needs a reason from the protocol's list"):
        resolve(review, 1, "exclude", by="Lead", stage="full_text")
    resolve(review, 1, "exclude", by="Lead", reason="clinical setting")
    s = state(review, 1, "full_text")
    assert (s["outcome"], s["reason"]) == ("exclude", "Clinical setting")


def test_different_exclusion_reasons_at_full_text_are_a_conflict(review) -> None:
    for record in (1, 2):
        both(review, record, "include", "include")
        attach_pdf(review, record, PDF, f"{record}.pdf", actor="Lead")
    both(review, 1, "exclude", "exclude", stage="full_text",
         ana={"reason": "Clinical setting"}, ben={"reason": "Not peer support"})
    assert state(review, 1, "full_text")["state"] == "conflict"
    both(review, 2, "exclude", "exclude", stage="full_text",
         ana={"reason": "Clinical setting"}, ben={"reason": "Clinical setting"})
    s = state(review, 2, "full_text")
    assert (s["state"], s["outcome"], s["reason"]) == ("decided", "exclude", "Clinical setting")
    # at titles and abstracts a reason is optional, and differing ones still agree
    both(review, 3, "exclude", "exclude", ana={"reason": "Clinical setting"})
    assert state(review, 3)["outcome"] == "exclude"


# --- the maybe policy -------------------------------------------------------------------------


@pytest.mark.parametrize(("policy", "votes", "expected"), [
    ("include", ("maybe", "include"), ("decided", "include")),
    ("include", ("maybe", "maybe"), ("decided", "include")),
    ("include", ("maybe", "exclude"), ("conflict", None)),
    ("exclude", ("maybe", "exclude"), ("decided", "exclude")),
    ("exclude", ("maybe", "include"), ("conflict", None)),
    ("conflict", ("maybe", "maybe"), ("conflict", None)),
    ("conflict", ("maybe", "include"), ("conflict", None)),
    ("conflict", ("include", "include"), ("decided", "include")),
])
def test_maybe_counts_as_the_protocol_says(db_url: str, tmp_path: Path, policy: str,
                                           votes: tuple[str, str], expected) -> None:
    store = build(db_url, tmp_path, maybe=policy)
    both(store, 1, *votes)
    s = state(store, 1)
    assert (s["state"], s["outcome"]) == expected
    store.close()


def test_decide_is_pure_and_follows_the_rules() -> None:
    from review.protocol import Stage

    ta = Stage("title_abstract", "Titles", 2, False)
    ft = Stage("full_text", "Full texts", 2, True)
    assert decide([("include", None)], ta, "include").state == "open"
    assert decide([("exclude", "A"), ("exclude", "B")], ft, "include").state == "conflict"
    assert decide([("exclude", "A"), ("exclude", "B")], ta, "include").outcome == "exclude"
    assert decide([("maybe", None)], Stage("s", "S", 1), "conflict").state == "conflict"
    # maybes counted as exclusions carry no reason: at full text a resolver must give one
    assert decide([("maybe", None), ("maybe", None)], ft, "exclude").state == "conflict"
    assert decide([("maybe", None), ("maybe", None)], ta, "exclude").outcome == "exclude"
    assert decide([("exclude", "A"), ("exclude", "A")], ft, "exclude").reason == "A"
    resolved = decide([("include", None), ("exclude", None)], ta, "include",
                      ("exclude", "why"))
    assert (resolved.state, resolved.decided_by, resolved.reason) == (
        "decided", "resolution", "why")


# --- machine-checkable criteria ---------------------------------------------------------------


def test_rule_criteria_suggest_with_a_reason_and_decide_nothing(review) -> None:
    item = item_for(review, "Ana", 6)  # published 1997
    [year] = item.suggestions
    assert (year.criterion, year.passed) == ("year", False)
    assert "1997" in year.reason
    assert item_for(review, "Ana", 1).suggestions[0].passed is True
    assert state(review, 6)["state"] == "open" and 6 in [r["record_id"]
                                                         for r in queue(review, "Ana")]
    assert progress(review, by="Lead")["stages"][0]["excluded_by_automation"] == 0


def test_automatic_criteria_exclude_before_screening(db_url: str, tmp_path: Path) -> None:
    store = build(db_url, tmp_path, automatic=True)
    s = state(store, 6)
    assert (s["state"], s["outcome"], s["decided_by"]) == ("decided", "exclude", "automation")
    assert "1997" in s["reason"] and "Published 2000 or later" in s["reason"]
    assert 6 not in [r["record_id"] for r in queue(store, "Ana")]
    with pytest.raises(ReviewError, match="excluded by the protocol's automatic rule"):
        cast_vote(store, "Ana", 6, "include")
    stages = progress(store, by="Lead")["stages"]
    assert stages[0]["excluded_by_automation"] == 1 and stages[0]["excluded"] == 0
    assert state(store, 1)["state"] == "open"
    both(store, 1, "include", "include")  # automation only at the first stage
    assert state(store, 1, "full_text")["state"] == "open"
    store.close()


OLD_COPY = ("TY  - RPRT\nTI  - Group support run by a community charity\nPY  - 1997\n"
            "PB  - Harbour Peer Support Trust\nER  - \n")


def test_automatic_criteria_judge_the_merged_record_the_screeners_see(db_url: str,
                                                                      tmp_path: Path) -> None:
    # record 3 gives no year; a second copy, joined by a person, says 1997
    works = tuple((t, None if i == 2 else y) for i, (t, y) in enumerate(WORKS))
    store = build(db_url, tmp_path, works=works, extra=OLD_COPY, automatic=True)
    assert state(store, 3)["state"] == "open"  # no year known: a person decides
    pair = next(p for p in list_pairs(store) if (p["record_a"], p["record_b"]) == (3, 9))
    decide_pair(store, pair["id"], "confirm", actor="Lead")
    s = state(store, 3)
    assert (s["state"], s["decided_by"]) == ("decided", "automation") and "1997" in s["reason"]
    item = item_for(store, "Lead", 3)
    assert item.record["year"] == 1997
    year_rule = [x for x in item.suggestions if "1997" in x.reason]
    assert year_rule and year_rule[0].passed is False  # the suggestion says the same
    store.close()


# --- the duplicate group is the unit ----------------------------------------------------------

COPY = ("TY  - JOUR\nT1  - PEER MENTORING FOR YOUNG PEOPLE IN A VOLUNTARY ORGANISATION.\n"
        "A1  - Author1 A\nY1  - 2016//\nJF  - Journal of Example Studies 1\nVL  - 1\n"
        "SP  - 10\nER  - \n")


def test_a_work_found_twice_is_screened_once(db_url: str, tmp_path: Path) -> None:
    store = build(db_url, tmp_path, extra=COPY)
    copy_id = 9
    item = item_for(store, "Ana", copy_id)
    assert item.record_ids == [1, copy_id] and item.record_id == 1
    assert item.sources == ["MEDLINE (Ovid)", "PsycINFO (Ovid)"]
    assert [r["record_id"] for r in queue(store, "Ana")] == list(range(1, 9))
    cast_vote(store, "Ana", copy_id, "include")
    cast_vote(store, "Ben", 1, "include")
    assert state(store, copy_id) == state(store, 1)
    assert state(store, 1)["outcome"] == "include"
    assert my_votes(store, "Ana")[0]["record_id"] == 1  # named by the group's shown record
    store.close()


WEAK = ("TY  - RPRT\nTI  - Group support run by a community charity\nPY  - 2012\n"
        "PB  - Harbour Peer Support Trust\nER  - \n")


def test_votes_follow_a_join_made_after_screening(db_url: str, tmp_path: Path) -> None:
    # the same title with little else to confirm it: a pair for a person, not merged
    store = build(db_url, tmp_path, extra=WEAK)
    cast_vote(store, "Ana", 3, "include", note="first copy")
    cast_vote(store, "Ben", 9, "include", note="second copy")
    cast_vote(store, "Ana", 9, "exclude")  # Ana voted on both copies: her later vote stands
    assert state(store, 3)["votes"] == 1 and state(store, 9)["votes"] == 2
    pairs = [p for p in list_pairs(store) if (p["record_a"], p["record_b"]) == (3, 9)]
    assert pairs and pairs[0]["status"] == "needs review"
    decide_pair(store, pairs[0]["id"], "confirm", actor="Lead")
    joined = state(store, 3)
    assert joined == state(store, 9)
    assert joined["votes"] == 2 and joined["state"] == "conflict"  # Ana exclude, Ben include
    names = {v["reviewer"]: v["decision"] for c in conflicts(store, "Lead") for v in c.votes}
    assert names == {"Ana": "exclude", "Ben": "include"}
    assert audit_actions(store, "vote superseded by join")
    # splitting again: the group that keeps its id keeps the votes, the other starts anew
    group = item_for(store, "Ana", 3).group_id
    split_group(store, group, actor="Lead")
    with store.read() as conn:
        groups = {r: screening.group_for_record(store, conn, r) for r in (3, 9)}
    keeper = 3 if groups[3] == group else 9
    other = 9 if keeper == 3 else 3
    assert state(store, keeper)["votes"] == 2
    assert state(store, other) == {**state(store, other), "state": "open", "votes": 0}
    assert other in [r["record_id"] for r in queue(store, "Ana")]
    store.close()


# --- blinding -------------------------------------------------------------------------------

SECRET = "ZEBRA-SECRET-7731"


def _text(value) -> str:
    if value is None:
        return ""
    if hasattr(value, "__dataclass_fields__"):
        value = asdict(value)
    return json.dumps(value, default=str)


def test_blinding_nothing_a_reviewer_calls_shows_another_reviewers_vote(review) -> None:
    """Ben votes with a unique marker in his note and a reason Ana never uses; every call Ana
    can make, on open, agreed and conflicting records, must not contain either."""
    both(review, 1, "include", "include")
    attach_pdf(review, 1, PDF, "one.pdf", actor="Lead")
    for record, ana, ben in ((1, "include", "exclude"), (2, "include", "exclude"),
                             (3, "exclude", "exclude"), (4, "include", "include")):
        stage = "full_text" if record == 1 else "title_abstract"
        ben_reason = "Unmoderated online forum" if ben == "exclude" else None
        cast_vote(review, "Ben", record, ben, stage=stage, reason=ben_reason,
                  note=f"{SECRET} on {record}", criteria={"setting": "no"})
        if record != 1:
            cast_vote(review, "Ana", record, ana, stage=stage,
                      reason="Clinical setting" if ana == "exclude" else None)
    cast_vote(review, "Ben", 5, "maybe", note=f"{SECRET} pending")  # open: Ana has not voted
    cast_vote(review, "Ana", 1, "include", stage="full_text")  # conflict at full text
    assert state(review, 1, "full_text")["state"] == "conflict"
    [ft] = my_votes(review, "Ana", "full_text")
    lead_view = _text(conflicts(review, "Lead"))
    outputs = []
    for stage in ("title_abstract", "full_text"):
        outputs += [next_item(review, "Ana", stage), queue(review, "Ana", stage),
                    my_votes(review, "Ana", stage), queue_size(review, "Ana", stage)]
        for record in range(1, 6):
            try:
                outputs.append(item_for(review, "Ana", record, stage))
            except ReviewError as exc:
                outputs.append(str(exc))
    outputs.append(my_votes(review, "Ana"))
    outputs.append(cast_vote(review, "Ana", 5, "include"))
    outputs.append(cast_vote(review, "Ana", 2, "include", note="changed my mind"))
    outputs.append(progress(review, by="Ana"))
    # the conflicts Ana voted in (to discuss them) carry her own vote only
    mine = conflicts(review, "Ana")
    assert {v["reviewer"] for c in mine for v in c.votes} == {"Ana"}
    outputs.append([asdict(c) for c in mine])
    for call in (lambda: agreement(review, by="Ana"),
                 lambda: export_decisions(review, by="Ana"),
                 lambda: export_decisions(review, by="Ana", include_pending=True),
                 lambda: resolve(review, 2, "include", by="Ana")):
        with pytest.raises(AccessError) as caught:
            call()
        outputs.append(str(caught.value))
    outputs.append(undo_last(review, "Ana"))
    outputs.append(undo_last(review, "Ana", "full_text"))
    # a vote that would land on an already complete record says so without saying how
    try:
        cast_vote(review, "Cleo", 3, "include")
    except ReviewError as exc:
        outputs.append(str(exc))
    text = "\n".join(_text(o) for o in outputs)
    assert SECRET not in text
    assert "Unmoderated online forum" not in text
    assert '"setting": "no"' not in text
    # waiting (open) and conflict look the same in a voter's own list (the Conflicts page and
    # its discussion tell a voter of a conflict once every vote is in, never how others voted)
    statuses = {v["record_id"]: v["status"] for v in my_votes(review, "Ana")}
    assert statuses[3] == "exclude (votes)"
    assert statuses[4] == "include (votes)"
    assert statuses[5] == "include (votes)" and 2 not in statuses  # 2 was undone
    assert (ft["record_id"], ft["status"]) == (1, "waiting")  # in conflict
    # and every vote is there for the people entitled to see it
    assert SECRET in lead_view and "Unmoderated online forum" in lead_view


def test_my_votes_shows_waiting_for_open_and_conflict_alike(review) -> None:
    cast_vote(review, "Ana", 1, "include")
    both(review, 2, "include", "exclude")
    rows = {v["record_id"]: v for v in my_votes(review, "Ana")}
    assert rows[1]["status"] == rows[2]["status"] == "waiting"
    assert set(rows[1]) == set(rows[2])  # no field tells a conflict from a wait
    assert all(r["reviewer"] == "Ana" for r in rows.values())


def test_a_join_keeps_resolutions_made_at_different_stages(db_url: str, tmp_path: Path) -> None:
    """Record 3's conflict was resolved at titles, record 9's at full text; joined, the work
    keeps both resolutions (one per stage), whichever group id survives."""
    store = build(db_url, tmp_path, extra=WEAK)
    both(store, 3, "include", "exclude")
    resolve(store, 3, "include", by="Lead", reason="charity setting")
    both(store, 9, "include", "include")
    attach_pdf(store, 9, PDF, "nine.pdf", actor="Lead")
    both(store, 9, "include", "exclude", stage="full_text", ben={"reason": "Clinical setting"})
    resolve(store, 9, "include", by="Lead", stage="full_text", reason="community group")
    [pair] = [p for p in list_pairs(store) if (p["record_a"], p["record_b"]) == (3, 9)]
    decide_pair(store, pair["id"], "confirm", actor="Lead")
    resolutions = t.resolutions
    with store.read() as conn:
        kept = {(r.stage, r.reason) for r in conn.execute(sa.select(resolutions))}
    assert kept == {("title_abstract", "charity setting"), ("full_text", "community group")}
    for stage in ("title_abstract", "full_text"):
        s = state(store, 3, stage)
        assert (s["state"], s["outcome"], s["decided_by"]) == ("decided", "include",
                                                               "resolution")
    store.close()


def test_my_votes_newest_first_and_limited(review) -> None:
    for record in (3, 1, 2):
        cast_vote(review, "Ana", record, "exclude")
    assert [v["record_id"] for v in my_votes(review, "Ana")] == [2, 1, 3]
    assert [v["record_id"] for v in my_votes(review, "Ana", limit=2)] == [2, 1]


# --- the counts kept with the state -------------------------------------------------------


def _counts_agree(store: Store) -> None:
    """screening_counts holds exactly what counting screening_state gives, stage by stage."""
    state, counts = t.screening_state, t.screening_counts
    with store.read() as conn:
        counted = {(s, st): n for s, st, n in conn.execute(
            sa.select(state.c.stage, state.c.state, sa.func.count())
            .group_by(state.c.stage, state.c.state))}
        kept = {(s, st): n for s, st, n in conn.execute(
            sa.select(counts.c.stage, counts.c.state, counts.c.n)) if n}
    assert kept == counted


def test_state_counts_follow_every_change_of_state(db_url: str, tmp_path: Path) -> None:
    """Votes, a conflict and its resolution, undo, a full text not retrieved, an automatic
    rule, a join after screening and a split again: the kept counts (what a reviewer's
    progress reads) always equal a count of the state rows."""
    from review.screening.fulltext import mark_not_retrieved
    from review.screening.state import state_counts

    store = build(db_url, tmp_path, extra=WEAK, automatic=True)
    _counts_agree(store)
    with store.read() as conn:
        assert state_counts(store, conn, "title_abstract") == {"open": 8, "decided": 1}
    cast_vote(store, "Ana", 3, "include", note="first copy")
    cast_vote(store, "Ben", 9, "include", note="second copy")
    cast_vote(store, "Ana", 9, "exclude")
    _counts_agree(store)
    both(store, 1, "include", "exclude")  # a conflict
    both(store, 2, "include", "include")  # decided, at full text now
    both(store, 4, "include", "include")
    _counts_agree(store)
    resolve(store, 1, "include", by="Lead")
    mark_not_retrieved(store, 4, "no copy", actor="Lead")
    cast_vote(store, "Ana", 5, "exclude")
    undo_last(store, "Ana")
    _counts_agree(store)
    pair = next(p for p in list_pairs(store) if (p["record_a"], p["record_b"]) == (3, 9))
    decide_pair(store, pair["id"], "confirm", actor="Lead")  # a group's rows go
    _counts_agree(store)
    split_group(store, item_for(store, "Ana", 3).group_id, actor="Lead")
    _counts_agree(store)
    with store.read() as conn:
        counts = state_counts(store, conn, "full_text")
    assert counts == {"open": 2, "not retrieved": 1}
    store.close()


def test_counts_seen_inside_a_write_include_its_own_changes(review) -> None:
    """Read in the transaction that changed the state, the counts already include the change
    (they are written when it commits)."""
    from review.screening.state import state_counts

    with review.write() as conn:
        cast_vote(review, "Ana", 1, "include", conn=conn)
        cast_vote(review, "Ben", 1, "include", conn=conn)
        assert state_counts(review, conn, "title_abstract") == {"open": 7, "decided": 1}
        assert state_counts(review, conn, "full_text") == {"open": 1}
    _counts_agree(review)
