"""Signed-in sessions without Streamlit: password and single sign-on sign-in, idle expiry, a
disabled account, a password reset ending older sessions, and a role re-read at each run."""

from __future__ import annotations

from pathlib import Path

import pytest

from review import accounts
from review.project import create_review
from review.sessions import (
    OIDC,
    PASSWORD,
    Session,
    after_own_password_change,
    check_session,
    identity_sign_in,
    password_sign_in,
    reviewer_for_identity,
    session_minutes,
)

T0 = 1_000_000.0


@pytest.fixture
def store(db_url: str, protocol_path: Path):
    store = create_review(protocol_path, db_url, actor="setup")
    accounts.add_reviewer(store, "Lee", role="lead", password="lee-password", actor="setup")
    accounts.add_reviewer(store, "Ana", password="ana-password", email="ana@example.org",
                          actor="setup")
    yield store
    store.close()


def test_password_sign_in_matches_name_and_password_of_an_active_reviewer(store) -> None:
    session = password_sign_in(store, "  ana ", "ana-password", now=T0)
    assert session is not None
    assert (session.reviewer.name, session.via, session.last_seen) == ("Ana", PASSWORD, T0)
    assert session.stamp and "argon2" not in session.stamp  # a digest, never the hash
    assert password_sign_in(store, "Ana", "wrong-password", now=T0) is None
    assert password_sign_in(store, "Nobody", "ana-password", now=T0) is None
    accounts.set_active(store, "Ana", False, actor="Lee")
    assert password_sign_in(store, "Ana", "ana-password", now=T0) is None


def test_single_sign_on_needs_a_verified_email_of_an_active_reviewer(store) -> None:
    session, problem = identity_sign_in(
        store, {"email": "ANA@example.org ", "email_verified": True}, now=T0)
    assert problem is None and session is not None
    assert (session.reviewer.name, session.via, session.stamp) == ("Ana", OIDC, "")
    assert "did not give an email" in identity_sign_in(store, {"sub": "1"}, now=T0)[1]
    unverified = {"email": "ana@example.org", "email_verified": False}
    assert "has not verified ana@example.org" in reviewer_for_identity(store, unverified)[1]
    stranger = reviewer_for_identity(store, {"email": "eve@example.org"})
    assert stranger[0] is None and "not the email of a reviewer" in stranger[1]
    accounts.set_active(store, "Ana", False, actor="Lee")
    person, problem = reviewer_for_identity(store, {"email": "ana@example.org"})
    assert person is None and "disabled" in problem


def test_a_session_ends_after_the_idle_minutes_and_each_run_restarts_the_clock(store) -> None:
    session = password_sign_in(store, "Ana", "ana-password", now=T0)
    checked = check_session(store, session, now=T0 + 29 * 60, minutes=30)
    assert checked.ended is None and checked.session.last_seen == T0 + 29 * 60
    checked = check_session(store, checked.session, now=T0 + 58 * 60, minutes=30)
    assert checked.session is not None
    late = check_session(store, checked.session, now=T0 + 89 * 60, minutes=30)
    assert late.session is None and not late.provider_sign_out
    assert "signed out after 30 minutes without activity" in late.ended


def test_an_idle_single_sign_on_session_also_signs_out_of_the_provider(store) -> None:
    session, _ = identity_sign_in(store, {"email": "ana@example.org"}, now=T0)
    late = check_session(store, session, now=T0 + 61 * 60, minutes=60)
    assert late.session is None and late.provider_sign_out


def test_a_disabled_or_removed_account_ends_its_session(store) -> None:
    session = password_sign_in(store, "Ana", "ana-password", now=T0)
    accounts.set_active(store, "Ana", False, actor="Lee")
    checked = check_session(store, session, now=T0 + 1, minutes=60)
    assert checked.session is None and "disabled" in checked.ended
    ghost = Session(accounts.Reviewer(999, "Ghost", "reviewer", False, True), PASSWORD, "x", T0)
    assert "disabled" in check_session(store, ghost, now=T0, minutes=60).ended


def test_a_password_reset_ends_password_sessions_opened_before_it(store) -> None:
    older = password_sign_in(store, "Ana", "ana-password", now=T0)
    by_email, _ = identity_sign_in(store, {"email": "ana@example.org"}, now=T0)
    accounts.set_password(store, "Ana", "ana-new-password", actor="Lee")
    checked = check_session(store, older, now=T0 + 1, minutes=60)
    assert checked.session is None and "password was changed" in checked.ended
    assert check_session(store, by_email, now=T0 + 1, minutes=60).session is not None
    newer = password_sign_in(store, "Ana", "ana-new-password", now=T0 + 2)
    assert check_session(store, newer, now=T0 + 3, minutes=60).session is not None


def test_setting_ones_own_password_keeps_this_session_only(store) -> None:
    here = password_sign_in(store, "Lee", "lee-password", now=T0)
    elsewhere = password_sign_in(store, "Lee", "lee-password", now=T0)
    accounts.set_password(store, "Lee", "lee-new-password", actor=here.reviewer)
    here = after_own_password_change(store, here)
    assert check_session(store, here, now=T0 + 1, minutes=60).session is not None
    assert check_session(store, elsewhere, now=T0 + 1, minutes=60).session is None


def test_each_run_rereads_the_role(store) -> None:
    session = password_sign_in(store, "Ana", "ana-password", now=T0)
    accounts.set_role(store, "Ana", "observer", actor="Lee")
    checked = check_session(store, session, now=T0 + 1, minutes=60)
    assert checked.session.reviewer.is_observer and checked.session.via == PASSWORD


def test_a_session_set_up_without_a_sign_in_is_checked_by_account_alone(store) -> None:
    ana = accounts.get_reviewer(store, "Ana")
    checked = check_session(store, Session(ana, None, None, T0), now=T0, minutes=60)
    assert checked.session is not None and checked.session.reviewer == ana


def test_session_minutes_default_and_bad_values() -> None:
    assert session_minutes({}) == 60
    for bad in ("soon", "0", "-5", "nan", "inf"):
        assert session_minutes({"REVIEW_SESSION_MINUTES": bad}) == 60
    assert session_minutes({"REVIEW_SESSION_MINUTES": "7.5"}) == 7.5
