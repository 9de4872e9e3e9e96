"""Who is signed in: the Reviewer kept in the Streamlit session, checked against the review on
every run (a disabled account, or one whose role changed, is treated as it is now at its next
click), ended after $REVIEW_SESSION_MINUTES idle (default 60) or by a new password for the
account, and optionally started from an OpenID Connect identity (Streamlit's st.login) whose
email is a reviewer's."""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Mapping
from typing import Any

import streamlit as st

from review import accounts
from review.accounts import Reviewer
from review.store import Store

_KEY = "reviewer"
_SEEN = "reviewer-last-seen"
_VIA = "reviewer-via"
_STAMP = "reviewer-credential-stamp"
NOTICE = "sign-in-notice"
SESSION_ENV = "REVIEW_SESSION_MINUTES"
DEFAULT_MINUTES = 60.0


def _now() -> float:
    return time.time()


def session_minutes() -> float:
    """Idle minutes before a signed-in session ends ($REVIEW_SESSION_MINUTES; `review doctor`
    reports a value that is not a positive number, and the default applies meanwhile)."""
    try:
        value = float(os.environ.get(SESSION_ENV, DEFAULT_MINUTES))
    except ValueError:
        return DEFAULT_MINUTES
    return value if value > 0 else DEFAULT_MINUTES


# --- OpenID Connect -----------------------------------------------------------------------

def providers_in(auth: Mapping[str, Any] | None) -> list[tuple[str | None, str]]:
    """The sign-in providers an [auth] section configures: (name for st.login, label). An
    unnamed provider has its settings in [auth] itself; named ones in [auth.NAME]."""
    if not isinstance(auth, Mapping):
        return []
    found: list[tuple[str | None, str]] = []
    if "client_id" in auth:
        found.append((None, "single sign-on"))
    for name, value in auth.items():
        if isinstance(value, Mapping) and "client_id" in value:
            found.append((str(name), str(name).replace("-", " ").title()))
    return found


def oidc_providers() -> list[tuple[str | None, str]]:
    """Providers from .streamlit/secrets.toml; none when there is no file or no [auth]."""
    try:
        return providers_in(st.secrets.get("auth"))
    except FileNotFoundError:  # no secrets.toml (Streamlit's error is a FileNotFoundError)
        return []


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


def _from_identity(store: Store) -> Reviewer | None:
    if st.session_state.get(_VIA) == "oidc-refused" or not oidc_providers():
        return None
    if not st.user.get("is_logged_in"):
        return None
    person, problem = reviewer_for_identity(store, st.user.to_dict())
    if person is None:
        st.session_state[NOTICE] = problem
        st.session_state[_VIA] = "oidc-refused"
        return None
    _start(person, "", via="oidc")  # a password does not guard this session: no stamp
    return person


# --- the session --------------------------------------------------------------------------

def _start(person: Reviewer, stamp: str, *, via: str) -> None:
    sign_out()
    st.session_state[_KEY] = person
    st.session_state[_VIA] = via
    st.session_state[_SEEN] = _now()
    st.session_state[_STAMP] = stamp


def current_reviewer(store: Store) -> Reviewer | None:
    person: Reviewer | None = st.session_state.get(_KEY)
    if person is None:
        return _from_identity(store)
    now = _now()
    minutes = session_minutes()
    if now - st.session_state.get(_SEEN, now) > minutes * 60:
        via = st.session_state.get(_VIA)
        sign_out()
        st.session_state[NOTICE] = (f"You were signed out after {minutes:g} minutes without "
                                    "activity. Sign in again to go on.")
        if via == "oidc":
            st.logout()  # the identity cookie would sign this browser straight back in
        return None
    with store.read() as conn:
        fresh, stamp = accounts.session_person(store, conn, person.id)
    if fresh is None or not fresh.active:
        sign_out()
        st.session_state[NOTICE] = "Your account has been disabled; ask a lead of the review."
        return None
    if st.session_state.get(_VIA) == "password" and stamp != st.session_state.get(_STAMP):
        sign_out()
        st.session_state[NOTICE] = ("Your password was changed since you signed in, so every "
                                    "session of yours ended. Sign in with the new password.")
        return None
    st.session_state[_KEY] = fresh
    st.session_state[_SEEN] = now
    return fresh


def keep_session(store: Store) -> None:
    """After the signed-in person set their own password: this session goes on."""
    with store.read() as conn:
        _, st.session_state[_STAMP] = accounts.session_person(store, conn,
                                                              st.session_state[_KEY].id)


def sign_in(store: Store, name: str, password: str) -> Reviewer | None:
    found = accounts.authenticate_session(store, name, password)
    if found is None:
        return None
    _start(*found, via="password")
    return found[0]


def signed_in_via() -> str | None:
    return st.session_state.get(_VIA)


def sign_out() -> None:
    """Forget the person and every form value of theirs; keep the open review."""
    for key in list(st.session_state):
        if key != "store":
            del st.session_state[key]


def everyone(person: Reviewer) -> bool:
    return True


# who may see a page: the services' own predicates, so the menu and the checks agree
screeners, leads, readers = accounts.screens, accounts.is_lead, accounts.reads_reports


def resolvers(person: Reviewer) -> bool:
    return person.can_resolve


def store() -> Store:
    return st.session_state["store"]


def signed_in(allowed: Callable[[Reviewer], bool] | None = None,
              refusal: str = "This page is for the review's leads.") -> Reviewer:
    """The signed-in reviewer, or stop the page: pages guard themselves, not just the menu.
    Without `allowed`, a page is for those who screen (an observer is refused)."""
    person: Reviewer | None = st.session_state.get(_KEY)
    if person is None:
        st.warning("Sign in first.")
        st.stop()
    if allowed is None and person.is_observer:
        allowed, refusal = screeners, "Observers follow the review on the Progress page."
    if allowed is not None and not allowed(person):
        st.error(f"{refusal} You are signed in as {person.name}, {person.with_article()}.")
        st.stop()
    return person

