"""Who is signed in, kept in the Streamlit session: the glue between st.session_state,
st.user/st.login/st.logout and review.sessions, which decides who a password or a single
sign-on identity signs in and whether a session still stands at each run."""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from typing import Any

import streamlit as st

from review import accounts, sessions
from review.accounts import Reviewer
from review.store import Store

_KEY = "reviewer"
_SEEN = "reviewer-last-seen"
_VIA = "reviewer-via"
_STAMP = "reviewer-credential-stamp"
NOTICE = "sign-in-notice"


def _now() -> float:
    return time.time()


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


def _from_identity(store: Store) -> Reviewer | None:
    if st.session_state.get(_VIA) == "oidc-refused" or not oidc_providers():
        return None
    if not st.user.get("is_logged_in"):
        return None
    session, problem = sessions.identity_sign_in(store, st.user.to_dict(), now=_now())
    if session is None:
        st.session_state[NOTICE] = problem
        st.session_state[_VIA] = "oidc-refused"
        return None
    _start(session)
    return session.reviewer


# --- the session --------------------------------------------------------------------------

def _start(session: sessions.Session) -> None:
    sign_out()
    _keep(session)


def _keep(session: sessions.Session) -> None:
    st.session_state[_KEY] = session.reviewer
    st.session_state[_VIA] = session.via
    st.session_state[_SEEN] = session.last_seen
    st.session_state[_STAMP] = session.stamp


def _kept(now: float) -> sessions.Session | None:
    """The session as kept; a reviewer put in session state alone (as page tests do) counts
    as seen just now."""
    person: Reviewer | None = st.session_state.get(_KEY)
    if person is None:
        return None
    return sessions.Session(person, st.session_state.get(_VIA), st.session_state.get(_STAMP),
                            st.session_state.get(_SEEN, now))


def current_reviewer(store: Store) -> Reviewer | None:
    now = _now()
    session = _kept(now)
    if session is None:
        return _from_identity(store)
    checked = sessions.check_session(store, session, now=now)
    if checked.session is None:
        sign_out()
        st.session_state[NOTICE] = checked.ended
        if checked.provider_sign_out:
            st.logout()  # the identity cookie would sign this browser straight back in
        return None
    _keep(checked.session)
    return checked.session.reviewer


def keep_session(store: Store) -> None:
    """After the signed-in person set their own password: this session goes on."""
    session = _kept(_now())
    if session is not None:
        _keep(sessions.after_own_password_change(store, session))


def sign_in(store: Store, name: str, password: str) -> Reviewer | None:
    session = sessions.password_sign_in(store, name, password, now=_now())
    if session is None:
        return None
    _start(session)
    return session.reviewer


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

