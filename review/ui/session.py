"""Who is signed in: the Reviewer kept in the Streamlit session, checked against the review
on every run (a deactivated account is signed out at its next click)."""

from __future__ import annotations

from collections.abc import Callable

import streamlit as st

from review import accounts
from review.accounts import Reviewer
from review.store import Store

_KEY = "reviewer"


def current_reviewer(store: Store) -> Reviewer | None:
    person: Reviewer | None = st.session_state.get(_KEY)
    if person is None:
        return None
    with store.read() as conn:
        fresh = accounts.find_reviewer(store, conn, person.name)
    if fresh is None or not fresh.active or fresh.id != person.id:
        sign_out()
        return None
    st.session_state[_KEY] = fresh
    return fresh


def sign_in(store: Store, name: str, password: str) -> Reviewer | None:
    person = accounts.authenticate(store, name, password)
    if person is not None:
        sign_out()
        st.session_state[_KEY] = person
    return person


def sign_out() -> None:
    """Forget the person and every form value of theirs; keep the open review."""
    for key in list(st.session_state):
        if key != "store":
            del st.session_state[key]


def everyone(person: Reviewer) -> bool:
    return True


def leads(person: Reviewer) -> bool:
    return person.is_lead


def resolvers(person: Reviewer) -> bool:
    return person.can_resolve


def store() -> Store:
    return st.session_state["store"]


def signed_in(allowed: Callable[[Reviewer], bool] | None = None,
              refusal: str = "This page is for the review's leads.") -> Reviewer:
    """The signed-in reviewer, or stop the page: pages guard themselves, not just the menu."""
    person: Reviewer | None = st.session_state.get(_KEY)
    if person is None:
        st.warning("Sign in first.")
        st.stop()
    if allowed is not None and not allowed(person):
        st.error(f"{refusal} You are signed in as {person.name}, a reviewer.")
        st.stop()
    return person
