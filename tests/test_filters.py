"""Filters and bulk actions on SQLite and PostgreSQL: each filter dimension, blinding (one's own
decision only; a reviewer cannot tell a conflict from a pending record; labels as the labels
service shows them), bulk labelling, and a lead's bulk exclusion by a protocol rule, recorded as
automation, counted by PRISMA, never across anyone's vote."""

from __future__ import annotations

from pathlib import Path

import pytest

from review.accounts import AccessError
from review.errors import ReviewError
from review.prisma.counts import compute
from review.screening import filters
from review.screening.bulk import exclude_selection, label_selection, lift_exclusion
from review.screening.filters import Filter
from review.screening.labels import add_label, my_labels
from review.screening.votes import cast_vote, queue_size
from tests.test_screening import WORKS, audit_actions, both, build, state

OLD = (("Lay counsellors in 1990s crisis lines", 1995),
       ("A telephone helpline audit", 1992),
       ("Undated leaflet on peer groups", None))


@pytest.fixture
def review(db_url: str, tmp_path: Path):
    store = build(db_url, tmp_path, works=WORKS + OLD)
    yield store
    store.close()


def ids(store, who, **kw) -> list[int]:  # noqa: ANN001, ANN003
    return [r["record_id"] for r in filters.rows(store, who, Filter(**kw))]


def test_each_filter_dimension(review, tmp_path: Path) -> None:
    assert ids(review, "Ana") == list(range(1, 12))
    assert filters.count(review, "Ana", Filter()) == 11
    # years: a range, either end open; an undated work is in no range
    assert ids(review, "Ana", year_from=2014, year_to=2019) == [1, 2, 5]
    assert ids(review, "Ana", year_to=1999) == [6, 9, 10]
    assert ids(review, "Ana", year_from=2020) == [7]
    # words: all of them, in title or abstract, accents and case ignored
    assert ids(review, "Ana", words="TELEPHONE") == [8, 10]
    assert ids(review, "Ana", words="telephone older") == [8]
    assert ids(review, "Ana", words="an abstract about hospital") == [4]
    # states and one's own decision at the stage
    both(review, 1, "include", "include")
    both(review, 2, "exclude", "exclude")
    cast_vote(review, "Ana", 3, "maybe")
    assert ids(review, "Ana", state="included") == [1]
    assert ids(review, "Ana", state="excluded") == [2]
    assert ids(review, "Ana", state="pending") == [3, *range(4, 12)]
    assert ids(review, "Ana", mine="maybe") == [3]
    assert ids(review, "Ana", mine="include") == [1]
    assert ids(review, "Ana", mine="none") == list(range(4, 12))
    assert ids(review, "Cleo", mine="none") == list(range(1, 12))
    # stage: full text holds what titles and abstracts included
    assert ids(review, "Ana", stage="full_text") == [1]
    assert ids(review, "Ana", stage="full_text", state="pending") == [1]
    # labels: one's own, case ignored
    add_label(review, "Ana", 4, "RCT")
    add_label(review, "Ben", 5, "rct")
    assert ids(review, "Ana", label="rct") == [4] and ids(review, "Ben", label="RCT") == [5]
    # source: any record of the work from that source
    extra = tmp_path / "more.ris"
    extra.write_text("TY  - JOUR\nTI  - Online mutual aid groups\nPY  - 2022\nER  - \n",
                     encoding="utf-8")
    from review.importing import SourceInfo, import_and_deduplicate

    import_and_deduplicate(review, [extra], SourceInfo("Embase", "database"), actor="lead")
    assert ids(review, "Ana", source="Embase") == [12]
    assert len(ids(review, "Ana", source="PsycINFO (Ovid)")) == 11
    assert filters.sources(review) == ["PsycINFO (Ovid)", "Embase"]
    # every dimension at once
    assert ids(review, "Ana", source="PsycINFO (Ovid)", year_from=2000, words="abstract",
               mine="none", state="pending", label="RCT") == [4]


def test_filters_keep_votes_blind(review) -> None:
    both(review, 1, "include", "exclude")  # a conflict
    rows = {r["record_id"]: r for r in filters.rows(review, "Ana", Filter())}
    assert rows[1]["state"] == "pending" and rows[1]["my_decision"] == "include"
    assert set(rows[1]) >= {"labels", "my_decision", "state"}
    assert "Ben" not in str(rows[1])
    assert ids(review, "Ana", state="pending")[0] == 1  # a conflict is pending to her
    with pytest.raises(AccessError, match="only a lead or a third reviewer filters by conflict"):
        ids(review, "Ana", state="conflict")
    assert ids(review, "Lead", state="conflict") == [1] == ids(review, "Cleo", state="conflict")
    assert 1 not in ids(review, "Lead", state="pending")
    lead_rows = {r["record_id"]: r for r in filters.rows(review, "Lead", Filter())}
    assert lead_rows[1]["state"] == "conflict" and lead_rows[1]["my_decision"] == ""
    # her decision filter is hers: Ben's exclude is invisible to her
    assert ids(review, "Ana", mine="exclude") == []
    assert ids(review, "Ben", mine="exclude") == [1]
    # a label shows in a lead's filter only once the work's votes are in
    add_label(review, "Ana", 1, "mixed")
    add_label(review, "Ana", 4, "mixed")
    assert ids(review, "Lead", label="mixed") == [1]
    assert ids(review, "Ben", label="mixed") == []
    assert filters.rows(review, "Lead", Filter(label="mixed"))[0]["labels"] == ["mixed (Ana)"]


def test_bad_filters_are_refused_plainly(review) -> None:
    with pytest.raises(ReviewError, match="unknown state 'done'"):
        ids(review, "Ana", state="done")
    with pytest.raises(ReviewError, match="year range 2020-2010 is empty"):
        ids(review, "Ana", year_from=2020, year_to=2010)
    with pytest.raises(ReviewError, match="no stage 'abstracts'"):
        ids(review, "Ana", stage="abstracts")
    with pytest.raises(ReviewError, match="unknown decision 'yes'"):
        ids(review, "Ana", mine="yes")


def test_bulk_labelling_of_a_filtered_set(review) -> None:
    assert label_selection(review, "Ana", Filter(year_to=1999), "old") == 3
    assert label_selection(review, "Ana", Filter(year_to=2000), "OLD") == 0
    assert [my_labels(review, "Ana", r) for r in (6, 9, 10, 11)] == [["old"]] * 3 + [[]]
    assert ids(review, "Ana", label="old") == [6, 9, 10]
    assert ids(review, "Ben", label="old") == []
    [entry] = audit_actions(review, "add label")
    assert entry["actor"] == "Ana" and len(entry["detail"]["groups"]) == 3


def test_bulk_exclusion_by_a_rule_is_automation_and_skips_voted_works(review) -> None:
    cast_vote(review, "Ben", 9, "include")  # someone voted: left out whatever the rule says
    chosen = Filter(year_to=1999)
    with pytest.raises(AccessError, match="only a lead excludes records in bulk"):
        exclude_selection(review, "Ana", chosen, "year")
    with pytest.raises(ReviewError, match="no rule 'population'.*the protocol's rules there: "
                                          "year"):
        exclude_selection(review, "Lead", chosen, "population")
    with pytest.raises(ReviewError, match="made at titles and abstracts"):
        exclude_selection(review, "Lead", Filter(stage="full_text"), "year")
    preview = exclude_selection(review, "Lead", chosen, "year", dry_run=True)
    assert (preview.selected, preview.excluded, preview.voted) == (3, [6, 10], 1)
    assert state(review, 6)["state"] == "open"  # a dry run changes nothing
    before = compute(review)
    everything = exclude_selection(review, "Lead", Filter(), "year")
    assert everything.excluded == [6, 10]
    assert (everything.voted, everything.kept_by_rule, everything.decided) == (1, 8, 0)
    assert "1 left out because someone has voted on them" in everything.summary()
    row = state(review, 6)
    assert (row["state"], row["outcome"], row["decided_by"]) == ("decided", "exclude",
                                                                 "automation")
    assert row["reason"].startswith("Published 2000 or later: ")
    assert state(review, 9)["state"] == "open"
    after = compute(review)
    assert after.excluded_automatic == before.excluded_automatic + 2
    assert after.records_screened == before.records_screened - 2
    assert queue_size(review, "Ana") == 11 - 2
    with pytest.raises(ReviewError, match="excluded by the protocol's automatic rule"):
        cast_vote(review, "Ana", 6, "include")
    again = exclude_selection(review, "Lead", chosen, "year")
    assert (again.excluded, again.decided, again.voted) == ([], 2, 1)
    assert ids(review, "Lead", state="excluded") == [6, 10]
    assert [r["by_automation"] for r in filters.rows(review, "Lead", Filter(state="excluded"))
            ] == [True, True]
    [entry] = audit_actions(review, "bulk exclude by rule")
    assert entry["detail"]["records"] == [6, 10] and entry["detail"]["rule"] == "year >= 2000"
    # a lead takes one back: it is screened again
    assert lift_exclusion(review, "Lead", 6) is True
    assert lift_exclusion(review, "Lead", 6) is False
    assert state(review, 6)["state"] == "open" and compute(review).excluded_automatic == \
        before.excluded_automatic + 1
    with pytest.raises(AccessError):
        lift_exclusion(review, "Ben", 10)


# --- a bulk exclusion when a person joins duplicate groups -----------------------------------

CHARITY = "Group support run by a community charity"  # record 3 (2012) in WORKS


def _copy(year: int) -> str:
    return f"TY  - RPRT\nTI  - {CHARITY}\nPY  - {year}\nPB  - Harbour Peer Support Trust\nER  - \n"


def _join(store, a: int, b: int) -> None:  # noqa: ANN001
    from review.duplicates import decide_pair, list_pairs

    [pair] = [p for p in list_pairs(store) if (p["record_a"], p["record_b"]) == (a, b)]
    decide_pair(store, pair["id"], "confirm", actor="Lead")


def test_a_join_drops_a_bulk_exclusion_when_the_joined_work_has_votes(db_url: str,
                                                                      tmp_path: Path) -> None:
    """Record 3 says 1997 and is excluded in bulk; its copy 9 from another database says 2012,
    was included by two reviewers and passed at full text. Joined, the votes stand: the work
    is not "excluded by automation", and its full-text state is kept."""
    from review.screening.fulltext import attach_pdf
    from tests.test_screening import PDF, WORKS

    works = tuple((title, 1997 if title == CHARITY else year) for title, year in WORKS)
    store = build(db_url, tmp_path, works=works, extra=_copy(2012))
    before = compute(store)
    done = exclude_selection(store, "Lead", Filter(words="community charity"), "year")
    assert done.excluded == [3]
    both(store, 9, "include", "include")
    attach_pdf(store, 9, PDF, "nine.pdf", actor="Lead")
    both(store, 9, "include", "include", stage="full_text")
    _join(store, 3, 9)
    for stage in ("title_abstract", "full_text"):
        row = state(store, 3, stage)
        assert (row["state"], row["outcome"], row["decided_by"]) == ("decided", "include",
                                                                     "votes")
    after = compute(store)
    assert after.excluded_automatic == before.excluded_automatic
    assert after.dbr_included_reports == before.dbr_included_reports + 1
    [entry] = audit_actions(store, "bulk exclusion dropped by join")
    assert entry["detail"]["criterion"] == "year"
    assert "2 vote(s) at titles and abstracts" in entry["detail"]["why"]
    assert "2 vote(s) at full text" in entry["detail"]["why"]
    store.close()


def test_a_join_without_votes_judges_the_bulk_exclusion_again(db_url: str,
                                                              tmp_path: Path) -> None:
    """No votes on either copy: the exclusion stands only if the rule still excludes the
    joined work's merged record (the most complete copy, its gaps filled by the others)."""
    store = build(db_url, tmp_path, extra=_copy(1997))  # record 3 says 2012 and is kept
    done = exclude_selection(store, "Lead", Filter(words="community charity"), "year")
    assert done.excluded == [9] and state(store, 3)["state"] == "open"
    _join(store, 3, 9)
    row = state(store, 3)
    assert (row["state"], row["votes"]) == ("open", 0)  # 2012 passes the rule: screened
    [entry] = audit_actions(store, "bulk exclusion dropped by join")
    assert "the rule no longer excludes" in entry["detail"]["why"]
    assert 3 in ids(store, "Ana", state="pending")
    store.close()


def test_a_join_without_votes_keeps_a_bulk_exclusion_the_rule_still_makes(
        db_url: str, tmp_path: Path) -> None:
    works = tuple((title, 1997 if title == CHARITY else year) for title, year in WORKS)
    store = build(db_url, tmp_path, works=works, extra=_copy(1995))
    before = compute(store)
    assert exclude_selection(store, "Lead", Filter(words="community charity"), "year"
                             ).excluded == [3, 9]
    _join(store, 3, 9)
    row = state(store, 9)
    assert (row["state"], row["decided_by"]) == ("decided", "automation")
    assert "1997" in row["reason"]  # the kept copy's year
    assert compute(store).excluded_automatic == before.excluded_automatic + 1
    assert not audit_actions(store, "bulk exclusion dropped by join")
    store.close()
