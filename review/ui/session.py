"""Who is signed in: the glue between the session cookie (read from st.context.cookies),
st.session_state, st.user/st.login/st.logout and review.sessions, which decides who a password
or a single sign-on identity signs in and whether a session still stands at each run.

A sign-in records the session in the database and keeps it in this Streamlit session, then
sends the browser once through the sign-in route (review/ui/web.py) for its HttpOnly cookie,
so a reload, another tab or the back button (a new Streamlit session) finds it again."""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from typing import Any

import streamlit as st
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg
from streamlit.runtime.scriptrunner import get_script_run_ctx

from review import accounts, sessions
from review.accounts import Reviewer
from review.store import Store
from review.ui import web

_KEY = "reviewer"
_SEEN = "reviewer-last-seen"
_VIA = "reviewer-via"
_STAMP = "reviewer-credential-stamp"
_ID = "reviewer-session-id"
_DEAD = "session-cookie-ended"
_HANDOVER = "session-handover"  # where the browser goes next: the cookie's sign-in/out route
NOTICE = "sign-in-notice"
SIGNED_OUT = "signed-out"  # _VIA after Sign out: the provider's identity signs nobody back in


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
    if st.session_state.get(_VIA) in ("oidc-refused", SIGNED_OUT) or not oidc_providers():
        return None
    if not st.user.get("is_logged_in"):
        return None
    session, problem = sessions.identity_sign_in(store, st.user.to_dict(), now=_now())
    if session is None:
        st.session_state[NOTICE] = problem
        st.session_state[_VIA] = "oidc-refused"
        return None
    _start(store, session)
    return session.reviewer


# --- the session --------------------------------------------------------------------------

def _start(store: Store, session: sessions.Session) -> None:
    """Record the new session, keep it here, and send the browser for its cookie next."""
    sign_out()
    binding = web.xsrf_binding(_cookie(web.XSRF_COOKIE))
    started, code = sessions.start_session(store, session, binding=binding)
    _keep(started)
    st.session_state[_HANDOVER] = web.start_url(code, _slug(store))


def _slug(store: Store) -> str | None:
    """The review's slug, which the cookie routes take and send the browser back with, when
    the database holds several (with one, the app's plain address is the review's)."""
    if store.review is None or len(store.reviews()) < 2:
        return None
    return store.review.slug


def _keep(session: sessions.Session) -> None:
    st.session_state[_KEY] = session.reviewer
    st.session_state[_VIA] = session.via
    st.session_state[_SEEN] = session.last_seen
    st.session_state[_STAMP] = session.stamp
    st.session_state[_ID] = session.id


def _kept(now: float) -> sessions.Session | None:
    """The session as kept; a reviewer put in session state alone (as page tests do) counts
    as seen just now."""
    person: Reviewer | None = st.session_state.get(_KEY)
    if person is None:
        return None
    return sessions.Session(person, st.session_state.get(_VIA), st.session_state.get(_STAMP),
                            st.session_state.get(_SEEN, now), st.session_state.get(_ID))


def _cookie(name: str) -> str | None:
    """A cookie the page was opened with (None outside a browser's request, as in AppTest)."""
    value = st.context.cookies.get(name)
    return value if isinstance(value, str) and value else None


def _ended(checked: sessions.Checked) -> None:
    sign_out()
    st.session_state[NOTICE] = checked.ended
    # the cookie this page came with is of an ended session: not read again (nor its notice)
    st.session_state[_DEAD] = _cookie(sessions.cookie_name(store()))
    if checked.provider_sign_out:
        st.logout()  # the identity cookie would sign this browser straight back in


def _from_cookie(store: Store, now: float) -> Reviewer | None:
    """The session the browser's cookie carries (a reload, another tab, the back button). The
    cookies are those the page was opened with, so after Sign out here they are not read."""
    value = _cookie(sessions.cookie_name(store))
    if not value or value == st.session_state.get(_DEAD) or signed_in_via() == SIGNED_OUT:
        return None
    checked = sessions.resume(store, value, now=now)
    if checked.session is None:
        if checked.ended:
            _ended(checked)
        return None
    _keep(checked.session)
    return checked.session.reviewer


def _from_other_review(store: Store, now: float) -> Reviewer | None:
    """Signed in to another review of the server (its cookie): signed in here too, as the
    same account, through the cookie route like any sign-in."""
    if signed_in_via() == SIGNED_OUT:
        return None
    cookies = {name: value for name, value in st.context.cookies.items()
               if isinstance(value, str) and name.startswith(sessions.COOKIE)}
    if not cookies:
        return None
    session = sessions.carry_over(store, cookies, now=now)
    if session is None:
        return None
    _start(store, session)
    return session.reviewer


def current_reviewer(store: Store) -> Reviewer | None:
    now = _now()
    session = _kept(now)
    if session is None:
        return _from_cookie(store, now) or _from_other_review(store, now) or \
            _from_identity(store)
    checked = sessions.check_session(store, session, now=now)
    if checked.session is None:
        _ended(checked)
        return None
    _keep(checked.session)
    return checked.session.reviewer


def current_session_id() -> int | None:
    """The stored session of this page (None for one set up directly, as page tests do)."""
    return st.session_state.get(_ID)


def keep_session(store: Store) -> None:
    """After the signed-in person set their own password: this session goes on."""
    session = _kept(_now())
    if session is not None:
        _keep(sessions.after_own_password_change(store, session))


def sign_in(store: Store, name: str, password: str) -> Reviewer | None:
    session = sessions.password_sign_in(store, name, password, now=_now())
    if session is None:
        return None
    _start(store, session)
    return session.reviewer


def end_this_session(store: Store) -> None:
    """Sign out: end the stored session, forget the person here, and send the browser to
    clear its cookie (and, after a single sign-on, on to sign out of the provider)."""
    session = _kept(_now())
    via = signed_in_via()
    if session is not None and session.id is not None:
        sessions.end_session(store, session.id, actor=session.reviewer.name, now=_now())
    sign_out()
    st.session_state[_VIA] = SIGNED_OUT
    st.session_state[_HANDOVER] = web.end_url(provider=via == sessions.OIDC, review=_slug(store))


def hand_over() -> bool:
    """Send the browser to the cookie's route if a sign-in or sign-out asked for it; True
    when it was sent (the page then draws no more). Done in a run that ends by itself: a
    rerun would drop the redirect queued."""
    url = st.session_state.pop(_HANDOVER, None)
    if not url:
        return False
    context = get_script_run_ctx()
    if context is None:
        return False
    message = ForwardMsg()
    message.auth_redirect.url = url  # what st.login and st.logout send: the browser goes there
    context.enqueue(message)
    return True


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

