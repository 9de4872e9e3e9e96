"""The Streamlit app: opens the review named by --db (after `--`) or $REVIEW_DB, signs a
reviewer in, and shows the pages their role may use."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import streamlit as st

from review.accounts import Reviewer, is_admin, reviews_of
from review.errors import ReviewChoiceError, ReviewError
from review.project import review_info
from review.reviews import summarise
from review.store import Store
from review.ui.safe import md_escape
from review.ui.session import (
    current_reviewer,
    end_this_session,
    everyone,
    hand_over,
    leads,
    readers,
    screeners,
    sign_out,
)
from review.ui.web import database_argument

PAGES = Path(__file__).resolve().parent / "pages"

@dataclass(frozen=True, slots=True)
class NavPage:
    script: str  # file in review/ui/pages/
    title: str
    allowed: Callable[[Reviewer], bool] = screeners  # leads and reviewers, not observers
    url_path: str | None = None


# The navigation, in order; the first page a person may see opens first. One line per page.
NAV: tuple[NavPage, ...] = (
    NavPage("screen.py", "Screen"),
    NavPage("fulltext.py", "Full text", url_path="full-text"),
    NavPage("conflicts.py", "Conflicts"),  # a reviewer sees the conflicts they voted in
    NavPage("records.py", "Records"),
    NavPage("progress.py", "Progress", everyone),
    NavPage("duplicates.py", "Duplicates", leads),
    NavPage("import_exports.py", "Import", leads, url_path="import"),
    NavPage("move_in.py", "Move in", leads, url_path="move-in"),
    NavPage("extraction.py", "Extraction"),
    NavPage("findings.py", "Findings", leads),
    NavPage("tables.py", "Tables", leads),
    NavPage("prisma.py", "PRISMA", readers),
    NavPage("accounts.py", "Accounts", leads),
)


@st.cache_resource(show_spinner=False)
def open_database(db: str | None) -> Store:
    """One engine (one connection pool) per database, shared by every review it serves."""
    return Store.open_database(db)


@st.cache_resource(show_spinner=False)
def open_store(db: str | None, review: str | None = None) -> Store:
    return open_database(db).review_named(review)


REVIEW_PARAM = "review"  # ?review=SLUG in the address opens that review


def _chosen() -> str | None:
    """The review the address names; kept for the session, so moving between pages (which
    may drop the query) stays in it."""
    slug = st.query_params.get(REVIEW_PARAM) or st.session_state.get(REVIEW_PARAM)
    return slug or None


def _open_review(slug: str) -> None:
    """Open another review in this tab: the address names it, so a reload or a copied link
    opens it too. Its own sign-in, or the one a session in another review carries over."""
    st.session_state[REVIEW_PARAM] = slug
    st.query_params[REVIEW_PARAM] = slug


def _picker(db: str | None, problem: str | None) -> None:
    """The reviews of the database, each opened by its button, with its progress."""
    st.title("Choose a review")
    if problem:
        st.info(problem)
    st.caption("Open one and sign in; once signed in, the sidebar lists your reviews with your "
               "role and progress in each.")
    for slot in open_database(db).reviews():  # before sign-in: titles only, no figures
        st.button(md_escape(slot.title), key=f"open-review-{slot.slug}", on_click=_open_review,
                  args=(slot.slug,))


def _other_reviews(store: Store, person: Reviewer | None) -> list[tuple[str, str]]:
    """The database's other reviews as (slug, label): a signed-in person's own, with their
    role there (their account signs them in to each); before sign-in, every one."""
    here = store.review.slug if store.review is not None else None
    if person is None:
        return [(slot.slug, md_escape(slot.title)) for slot in store.reviews()
                if slot.slug != here]
    found = []
    for slot, role in reviews_of(store, person.name):
        if slot.slug != here:
            summary = summarise(store.with_review(slot))
            waiting = sum(states.get("open", 0) for states in summary.stages.values())
            found.append((slot.slug, f"{md_escape(slot.title)} ({role}) · {summary.records} "
                                     f"records, {waiting} open"))
    return found


def pages_for(person: Reviewer) -> list[NavPage]:
    return [page for page in NAV if page.allowed(person)]


def run() -> None:
    st.set_page_config(page_title="review", layout="wide")
    db, slug = database_argument(), _chosen()
    try:
        # with no review named, choose anew each run: a review added since changes the answer
        store = open_store(db, slug) if slug else open_database(db).review_named(None)
        info = review_info(store)
    except ReviewChoiceError:
        st.session_state.pop(REVIEW_PARAM, None)
        _picker(db, None if slug is None else f"This server holds no review '{slug}'.")
        st.stop()
    except ReviewError as exc:
        st.error(str(exc))
        st.stop()
    previous = st.session_state.get("store")
    if previous is not None and previous.review != store.review:
        sign_out()  # another review: its own people, its own sign-in
    st.session_state["store"] = store
    if store.review is not None and slug is not None:
        st.session_state[REVIEW_PARAM] = store.review.slug
        if st.query_params.get(REVIEW_PARAM) != store.review.slug:
            st.query_params[REVIEW_PARAM] = store.review.slug  # a link to this page opens it
    person = current_reviewer(store)
    # after a sign-in or sign-out the browser goes to set or clear its session cookie and
    # comes back: a sign-in draws nothing meanwhile (the app comes with the cookie)
    if hand_over() and person is not None:
        st.caption("Signing you in...")
        st.stop()
    with st.sidebar:
        st.caption("Review")
        st.text(info.title)
        key = ("other-reviews", store.review, person)  # once per sign-in, not every vote
        if st.session_state.get("other-reviews-key") != key:
            st.session_state["other-reviews"] = _other_reviews(store, person)
            st.session_state["other-reviews-key"] = key
        others = st.session_state["other-reviews"]
        if others:
            st.caption("Your other reviews" if person is not None else "Other reviews here")
            for slug, label in others:
                st.button(label, key=f"switch-review-{slug}", on_click=_open_review,
                          args=(slug,), type="tertiary")
        if person is not None and person.is_lead:  # where the data lives: for leads only
            st.caption(f"Database: {info.database}")
        if person is not None:
            st.divider()
            st.text(f"Signed in as {person.name} ({person.describe()})")
            if st.button("Sign out", key="sign_out"):
                end_this_session(store)  # in every tab; the next run clears the cookie
                st.rerun()
    if person is None:
        page = st.Page(PAGES / "sign_in.py", title="Sign in", url_path="sign-in", default=True)
        st.navigation([page], position="hidden").run()
        return
    pages = [st.Page(PAGES / p.script, title=p.title, url_path=p.url_path, default=i == 0)
             for i, p in enumerate(pages_for(person))]
    admin_key = ("admin", store.review, person)  # an account's, not a role in this review
    if st.session_state.get("admin-key") != admin_key:
        st.session_state["admin"] = is_admin(store, person.name)
        st.session_state["admin-key"] = admin_key
    if st.session_state["admin"]:
        pages.append(st.Page(PAGES / "administration.py", title="Administration",
                             url_path="administration"))
    st.navigation(pages, expanded=True).run()  # a lead's 13 pages, none behind 'View more'
