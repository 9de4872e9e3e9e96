"""Signed-in sessions without Streamlit: password and single sign-on sign-in, idle expiry, a
disabled account, a password reset ending older sessions, and a role re-read at each run; the
stored sessions behind the cookie (hash-only storage, the one-time hand-over code, the
signature, sign-out in every tab, idle across tabs, sessions ended by account changes)."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest
import sqlalchemy as sa

from review import accounts
from review.audit_trail import audit_rows
from review.project import create_review
from review.sessions import (
    GRANT_SECONDS,
    OIDC,
    PASSWORD,
    Session,
    after_own_password_change,
    check_session,
    cookie_token,
    end_by_cookie,
    end_session,
    identity_sign_in,
    password_sign_in,
    redeem,
    resume,
    reviewer_for_identity,
    session_minutes,
    start_session,
)
from review.store import schema as t

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


# --- stored sessions: the table, the hand-over code, the signed cookie ----------------------

def _stored(store, name: str = "Ana", password: str = "ana-password", *, now: float = T0,
            binding: str | None = None) -> tuple[Session, str]:
    """A password sign-in recorded in the sessions table, and the browser's cookie value."""
    session, code = start_session(store, password_sign_in(store, name, password, now=now),
                                  binding=binding)
    cookie = redeem(store, code, now=now + 1, binding=binding)
    assert cookie is not None
    return session, cookie


def _rows(store) -> list:
    with store.read() as conn:
        return conn.execute(sa.select(t.sessions).order_by(t.sessions.c.id)).all()


def _audited(store, action: str) -> list[dict]:
    return [row["detail"] for row in audit_rows(store, action=action)]


def test_a_stored_session_is_found_again_by_its_cookie_and_keeps_only_hashes(store) -> None:
    session, cookie = _stored(store)
    assert session.id is not None
    checked = resume(store, cookie, now=T0 + 60, minutes=60)  # a reload, another tab
    assert checked.session.reviewer.name == "Ana" and checked.session.id == session.id
    token = cookie.split(".")[0]
    [row] = _rows(store)
    assert row.token_hash == hashlib.sha256(token.encode()).hexdigest()
    stored = " ".join(str(value) for value in row)
    assert token not in stored and cookie not in stored  # the raw id is nowhere in the table
    assert row.grant_hash is None and row.ended_at is None
    assert _audited(store, "start session") == [{"reviewer": "Ana", "via": "password"}]


def test_a_forged_or_unknown_cookie_signs_nobody_in(store) -> None:
    _, cookie = _stored(store)
    token, signature = cookie.split(".")
    forged = f"{token}.{signature[:-2]}{'AA' if signature[-2:] != 'AA' else 'BB'}"
    for value in (forged, token, f"{'x' * 43}.{signature}", "", None, "..."):
        checked = resume(store, value, now=T0 + 2, minutes=60)
        assert checked.session is None and checked.ended is None, value
    assert cookie_token(store, cookie) == token


def test_the_signing_key_is_the_reviews_own_or_review_secret(store, monkeypatch) -> None:
    _, cookie = _stored(store)
    assert resume(store, cookie, now=T0 + 2, minutes=60).session is not None
    kept = accounts.get_setting(store, "session_signing_key")
    assert len(bytes.fromhex(kept)) == 32
    monkeypatch.setenv("REVIEW_SECRET", "a long shared secret for every app process")
    assert resume(store, cookie, now=T0 + 2, minutes=60).session is None  # another key
    _, signed = _stored(store, now=T0 + 3)
    assert resume(store, signed, now=T0 + 4, minutes=60).session is not None


def test_a_hand_over_code_works_once_in_time_and_in_the_browser_it_was_made_for(store) -> None:
    person = password_sign_in(store, "Ana", "ana-password", now=T0)
    _, code = start_session(store, person, binding="browser-xsrf-token")
    assert redeem(store, code, now=T0 + 1, binding="another-browser") is None  # used up too
    assert redeem(store, code, now=T0 + 1, binding="browser-xsrf-token") is None
    _, code = start_session(store, person, binding="browser-xsrf-token")
    assert redeem(store, code, now=T0 + GRANT_SECONDS + 1, binding="browser-xsrf-token") is None
    _, code = start_session(store, person, binding="browser-xsrf-token")
    assert redeem(store, "not-" + code, now=T0 + 1, binding="browser-xsrf-token") is None
    assert redeem(store, "", now=T0 + 1) is None
    cookie = redeem(store, code, now=T0 + 1, binding="browser-xsrf-token")
    assert cookie is not None and redeem(store, code, now=T0 + 2,
                                         binding="browser-xsrf-token") is None
    assert {row.grant_hash for row in _rows(store)} == {None}


def test_sign_out_ends_the_session_in_every_tab(store) -> None:
    session, cookie = _stored(store)
    tab = resume(store, cookie, now=T0 + 5, minutes=60).session
    assert end_session(store, session.id, actor="Ana", now=T0 + 10)
    assert not end_session(store, session.id, actor="Ana", now=T0 + 11)  # once
    for checked in (check_session(store, tab, now=T0 + 12, minutes=60),
                    resume(store, cookie, now=T0 + 12, minutes=60)):
        assert checked.session is None and "You signed out" in checked.ended
    assert _audited(store, "end session") == [{"reason": "signed out"}]
    _, other = _stored(store, now=T0 + 20)
    assert end_by_cookie(store, other, now=T0 + 21)  # the sign-out route, by cookie alone
    assert not end_by_cookie(store, other + "x", now=T0 + 21)


def test_idle_is_counted_from_the_last_use_in_any_tab(store) -> None:
    session, cookie = _stored(store)
    first = resume(store, cookie, now=T0 + 25 * 60, minutes=30).session  # recorded: T0+25min
    assert first is not None
    second = resume(store, cookie, now=T0 + 50 * 60, minutes=30)  # another tab, 25 min later
    assert second.session is not None
    late = check_session(store, second.session, now=T0 + 81 * 60, minutes=30)
    assert late.session is None and "30 minutes without activity" in late.ended
    assert _rows(store)[0].end_reason == "idle"
    again = resume(store, cookie, now=T0 + 82 * 60, minutes=30)
    assert again.session is None and "ended" in again.ended


def test_disabling_a_new_password_a_role_or_email_change_end_every_session(store) -> None:
    lee, _ = _stored(store, "Lee", "lee-password")  # the lead's own session goes on throughout
    for change, says in (
            (lambda: accounts.set_active(store, "Ana", False, actor="Lee"), "disabled"),
            (lambda: accounts.set_password(store, "Ana", "ana-new-password", actor="Lee"),
             "password was changed"),
            (lambda: accounts.set_role(store, "Ana", "observer", actor="Lee"),
             "role in this review was changed"),
            (lambda: accounts.set_email(store, "Ana", "ana@example.net", actor="Lee"),
             "email address in this review was changed")):
        accounts.set_email(store, "Ana", "ana@example.org", actor="Lee")
        accounts.set_active(store, "Ana", True, actor="Lee")
        accounts.set_password(store, "Ana", "ana-password", actor="Lee")
        accounts.set_role(store, "Ana", "reviewer", actor="Lee")
        by_password, cookie = _stored(store)
        by_email, _ = identity_sign_in(store, {"email": "ana@example.org"}, now=T0)
        by_email, _ = start_session(store, by_email)
        change()
        for session in (by_password, by_email):
            checked = check_session(store, session, now=T0 + 2, minutes=60)
            assert checked.session is None and says in checked.ended, checked
        assert says in resume(store, cookie, now=T0 + 2, minutes=60).ended
        assert check_session(store, lee, now=T0 + 2, minutes=60).session is not None
        assert _audited(store, "end sessions")[-1]["sessions"] == [by_password.id, by_email.id]
    # changing nothing that matters (the same role or email again) ends nothing
    accounts.set_role(store, "Ana", "observer", actor="Lee")
    kept, _ = _stored(store)
    accounts.set_role(store, "Ana", "observer", actor="Lee")
    accounts.set_email(store, "Ana", "ana@example.net", actor="Lee")
    assert check_session(store, kept, now=T0 + 2, minutes=60).session is not None


def test_setting_ones_own_password_keeps_this_stored_session_only(store) -> None:
    here, _ = _stored(store, "Lee", "lee-password")
    elsewhere, cookie = _stored(store, "Lee", "lee-password")
    accounts.set_password(store, "Lee", "lee-new-password", actor=here.reviewer,
                          keep_session=here.id)
    here = after_own_password_change(store, here)
    assert check_session(store, here, now=T0 + 1, minutes=60).session is not None
    assert check_session(store, elsewhere, now=T0 + 1, minutes=60).session is None
    assert resume(store, cookie, now=T0 + 1, minutes=60).session is None
