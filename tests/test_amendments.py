"""Amending the stored protocol during a review, on SQLite and PostgreSQL: only a lead, only
when nothing recorded is stranded, both texts audited, screening state recomputed."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from review.accounts import AccessError, get_reviewer
from review.amendments import amend_protocol
from review.cli.main import main
from review.duplicates import decide_pair, list_pairs
from review.errors import ProtocolError, ReviewError
from review.project import review_info, review_protocol
from review.screening.conflicts import resolve
from review.screening.votes import cast_vote, queue_size
from review.store import Store
from tests.test_screening import WEAK, audit_actions, both, build, protocol_text, state

NEW_REASON = '    "Not primary research",\n'


def _amended(tmp_path: Path, text: str, name: str = "amended.toml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def _with_reason(text: str) -> str:
    assert NEW_REASON in text
    return text.replace(NEW_REASON, NEW_REASON + '    "Duplicate publication (amended)",\n')


def test_a_lead_adds_an_exclusion_reason_and_the_log_keeps_both_texts(db_url: str,
                                                                       tmp_path: Path) -> None:
    store = build(db_url, tmp_path)
    before = review_protocol(store)
    path = _amended(tmp_path, _with_reason(before.text))
    amended = amend_protocol(store, path, by=get_reviewer(store, "Lead"), note="PROSPERO v2")
    assert "Duplicate publication (amended)" in review_protocol(store).exclusion_reasons
    assert review_info(store).protocol_sha256 == amended.sha256 != before.sha256
    logged = audit_actions(store, "amend protocol")
    assert len(logged) == 1 and logged[0]["actor"] == "Lead"
    detail = logged[0]["detail"]
    assert detail["before"] == before.text and detail["after"] == amended.text
    assert detail["note"] == "PROSPERO v2"
    assert any("Duplicate publication (amended)" in line for line in detail["diff"])
    cast_vote(store, "Ana", 1, "include")  # screening goes on under the amended protocol
    cast_vote(store, "Ben", 1, "include")
    cast_vote(store, "Ana", 1, "exclude", stage="full_text",
              reason="Duplicate publication (amended)", note="Read the published article")
    store.close()


def test_only_a_lead_amends(db_url: str, tmp_path: Path) -> None:
    store = build(db_url, tmp_path)
    path = _amended(tmp_path, _with_reason(review_protocol(store).text))
    for who in ("Ana", get_reviewer(store, "Cleo"), "Nobody"):
        with pytest.raises(AccessError):
            amend_protocol(store, path, by=who, note="tidying up")
    assert audit_actions(store, "amend protocol") == []
    store.close()


def test_what_recorded_data_stands_on_cannot_go(db_url: str, tmp_path: Path) -> None:
    store = build(db_url, tmp_path)
    both(store, 1, "include", "include")
    cast_vote(store, "Ana", 1, "exclude", stage="full_text", reason="Not primary research",
              note="Read the published article")
    text = review_protocol(store).text
    sha = review_info(store).protocol_sha256
    without_reason = _amended(tmp_path, text.replace(NEW_REASON, ""), "a.toml")
    with pytest.raises(ReviewError, match=r"reasons already given.*Not primary research"):
        amend_protocol(store, without_reason, by="Lead", note="shorter list")
    renamed = text.replace('"full_text"', '"full_texts"')  # the stage and its criteria
    assert renamed != text
    with pytest.raises(ReviewError, match="the stages must stay"):
        amend_protocol(store, _amended(tmp_path, renamed, "b.toml"), by="Lead", note="rename")
    with pytest.raises(ReviewError, match="already stored"):
        amend_protocol(store, _amended(tmp_path, text, "c.toml"), by="Lead", note="same")
    with pytest.raises(ReviewError, match="say why"):
        amend_protocol(store, _amended(tmp_path, _with_reason(text), "d.toml"), by="Lead",
                       note=" ")
    broken = _amended(tmp_path, text.replace("[screening]", "[screening", 1), "e.toml")
    with pytest.raises(ProtocolError, match=r"e\.toml.*line"):
        amend_protocol(store, broken, by="Lead", note="typo")
    assert review_info(store).protocol_sha256 == sha  # nothing changed
    store.close()


def test_the_screening_state_follows_the_amended_rules(db_url: str, tmp_path: Path) -> None:
    store = build(db_url, tmp_path)
    cast_vote(store, "Ana", 2, "include")
    assert state(store, 2)["state"] == "open"  # waiting for a second vote
    single = _amended(tmp_path, protocol_text(votes=1))
    amend_protocol(store, single, by="Lead", note="one screener from now on, as registered")
    assert (state(store, 2)["state"], state(store, 2)["outcome"]) == ("decided", "include")
    store.close()


def test_an_amendment_after_a_join_and_a_free_text_resolution(db_url: str,
                                                              tmp_path: Path) -> None:
    store = build(db_url, tmp_path, extra=WEAK)
    pair = next(p for p in list_pairs(store) if (p["record_a"], p["record_b"]) == (3, 9))
    decide_pair(store, pair["id"], "confirm", actor="Lead")  # a group is merged away
    both(store, 1, "include", "exclude")
    resolve(store, 1, "include", by="Lead", reason="Setting is a charity")  # own words
    waiting = queue_size(store, "Ana")
    amend_protocol(store, _amended(tmp_path, _with_reason(review_protocol(store).text)),
                   by="Lead", note="a reason added")
    assert queue_size(store, "Ana") == waiting  # no merged-away group came back
    store.close()


def test_an_amendment_that_would_strand_later_votes_is_refused(db_url: str,
                                                               tmp_path: Path) -> None:
    store = build(db_url, tmp_path)
    both(store, 6, "include", "include")  # published 1997
    cast_vote(store, "Ana", 6, "include", stage="full_text", note="Read the published article")
    sha = review_info(store).protocol_sha256
    automatic = _amended(tmp_path, protocol_text(automatic=True))
    with pytest.raises(ReviewError, match=r"record 6 \(votes at full_text\)"):
        amend_protocol(store, automatic, by="Lead", note="exclude pre-2000 automatically")
    assert review_info(store).protocol_sha256 == sha
    assert state(store, 6, "full_text")["state"] == "open"  # rolled back with it
    store.close()


def test_an_amendment_records_the_states_it_changed(db_url: str, tmp_path: Path) -> None:
    store = build(db_url, tmp_path)
    amend_protocol(store, _amended(tmp_path, protocol_text(automatic=True)), by="Lead",
                   note="exclude pre-2000 automatically")
    assert state(store, 6)["decided_by"] == "automation"
    detail = audit_actions(store, "amend protocol")[0]["detail"]
    assert detail["states_changed"] >= 1
    assert any(c["stage"] == "title_abstract" and c["after"][0] == "decided"
               for c in detail["changes"])
    store.close()


def test_cli_shows_and_amends_the_protocol(tmp_path: Path) -> None:
    db = tmp_path / "review.db"
    build(str(db), tmp_path).close()
    runner = CliRunner()
    shown = runner.invoke(main, ["protocol", "show", "--db", str(db)])
    assert shown.exit_code == 0 and shown.output.startswith("# ")  # the sha line, then the text
    text = shown.output.split("\n", 1)[1]
    path = _amended(tmp_path, _with_reason(text))
    refused = runner.invoke(main, ["protocol", "amend", str(path), "--by", "Ana", "--note", "x",
                                   "--db", str(db)])
    assert refused.exit_code == 1 and "only a lead amends" in refused.output
    done = runner.invoke(main, ["protocol", "amend", str(path), "--by", "Lead", "--note",
                                "added a reason", "--db", str(db)])
    assert done.exit_code == 0 and "Protocol amended" in done.output
    store = Store.open(db)
    assert "Duplicate publication (amended)" in review_protocol(store).exclusion_reasons
    store.close()
