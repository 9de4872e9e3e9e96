"""Signed-in sessions, decided here rather than in a page, so every front end signs people in
and ends their sessions by the same rules.

A session starts from a password (checked against the Argon2 hash) or from a single sign-on
identity whose verified email is an active reviewer's. At every later page run it is checked
again: it ends after $REVIEW_SESSION_MINUTES without activity (default 60), when the account is
disabled, and, for a password session, when the password was changed after sign-in (the
credential stamp no longer matches); otherwise it goes on with the person as stored now, so a
change of role applies at their next click. Keeping the session (Streamlit's session state,
a cookie) is the front end's job; the clock is passed in, so the rules are testable.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any

from review import accounts
from review.accounts import Reviewer
from review.store import Store

SESSION_ENV = "REVIEW_SESSION_MINUTES"
DEFAULT_MINUTES = 60.0
PASSWORD = "password"
OIDC = "oidc"

IDLE = "You were signed out after {minutes:g} minutes without activity. Sign in again to go on."
DISABLED = "Your account has been disabled; ask a lead of the review."
PASSWORD_CHANGED = ("Your password was changed since you signed in, so every session of yours "
                    "ended. Sign in with the new password.")


@dataclass(frozen=True, slots=True)
class Session:
    """What a front end keeps between page runs of one signed-in person."""

    reviewer: Reviewer
    via: str | None  # PASSWORD, OIDC, or None (set up directly, as tests and scripts do)
    stamp: str | None  # the credential stamp at sign-in; only a password session is held to it
    last_seen: float  # seconds (time.time()) of the last page run


@dataclass(frozen=True, slots=True)
class Checked:
    """A session after its check: renewed, or ended with the reason to show the person."""

    session: Session | None
    ended: str | None = None
    provider_sign_out: bool = False  # an idle single sign-on session: forget the identity too


def parse_minutes(raw: str) -> float | None:
    """A positive, finite number of minutes, or None (for `review doctor` to report)."""
    try:
        value = float(raw)
    except ValueError:
        return None
    return value if 0 < value < float("inf") else None


def session_minutes(environ: Mapping[str, str] | None = None) -> float:
    """Idle minutes before a signed-in session ends ($REVIEW_SESSION_MINUTES; `review doctor`
    reports a value that is not a positive number, and the default applies meanwhile)."""
    raw = (os.environ if environ is None else environ).get(SESSION_ENV)
    minutes = None if raw is None else parse_minutes(raw)
    return DEFAULT_MINUTES if minutes is None else minutes


def password_sign_in(store: Store, name: str, password: str, *, now: float) -> Session | None:
    """A new session if the name and password match an active reviewer; None otherwise (with
    no hint which part was wrong). The stamp is of the very hash the password was checked
    against, so a reset landing during sign-in cannot leave the session with the new stamp."""
    found = accounts.authenticate_session(store, name, password)
    if found is None:
        return None
    person, stamp = found
    return Session(person, PASSWORD, stamp, now)


def reviewer_for_identity(store: Store,
                          identity: Mapping[str, Any]) -> tuple[Reviewer | None, str | None]:
    """The active reviewer whose email the provider vouched for, or why there is none."""
    email = str(identity.get("email") or "").strip()
    if not email:
        return None, "The sign-in provider did not give an email address, so no reviewer of " \
                     "this review can be matched."
    if identity.get("email_verified") is False:
        return None, f"The sign-in provider has not verified {email}; verify it there first."
    person = accounts.reviewer_by_email(store, email)
    if person is None:
        return None, (f"{email} is not the email of a reviewer of this review. Ask a lead to "
                      "add it to your account (Accounts page, or 'review users email NAME "
                      "EMAIL').")
    if not person.active:
        return None, f"The account for {email} is disabled; ask a lead of the review."
    return person, None


def identity_sign_in(store: Store, identity: Mapping[str, Any], *,
                     now: float) -> tuple[Session | None, str | None]:
    """A new session for a single sign-on identity, or why it signs nobody in. No password
    guards such a session, so it carries no stamp; disabling the account still ends it."""
    person, problem = reviewer_for_identity(store, identity)
    if person is None:
        return None, problem
    return Session(person, OIDC, "", now), None


def check_session(store: Store, session: Session, *, now: float,
                  minutes: float | None = None) -> Checked:
    """The session at a new page run: ended (idle too long, account disabled or gone, password
    changed since a password sign-in) or renewed with the person as stored now."""
    minutes = session_minutes() if minutes is None else minutes
    if now - session.last_seen > minutes * 60:
        return Checked(None, IDLE.format(minutes=minutes), provider_sign_out=session.via == OIDC)
    with store.read() as conn:
        fresh, stamp = accounts.session_person(store, conn, session.reviewer.id)
    if fresh is None or not fresh.active:
        return Checked(None, DISABLED)
    if session.via == PASSWORD and stamp != session.stamp:
        return Checked(None, PASSWORD_CHANGED)
    return Checked(replace(session, reviewer=fresh, last_seen=now))


def after_own_password_change(store: Store, session: Session) -> Session:
    """The session of someone who just set their own password goes on (their other sessions,
    still holding the old stamp, end at their next click)."""
    with store.read() as conn:
        _, stamp = accounts.session_person(store, conn, session.reviewer.id)
    return replace(session, stamp=stamp)
