"""The Streamlit app: opens the review named by --db (after `--`) or $REVIEW_DB, signs a
reviewer in, and shows the pages their role may use."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import streamlit as st

from review.accounts import Reviewer
from review.errors import ReviewError
from review.project import review_info
from review.store import Store
from review.ui.session import (
    current_reviewer,
    end_this_session,
    everyone,
    hand_over,
    leads,
    readers,
    screeners,
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
def open_store(db: str | None) -> Store:
    return Store.open(db)


def pages_for(person: Reviewer) -> list[NavPage]:
    return [page for page in NAV if page.allowed(person)]


def run() -> None:
    st.set_page_config(page_title="review", layout="wide")
    try:
        store = open_store(database_argument())
        info = review_info(store)
    except ReviewError as exc:
        st.error(str(exc))
        st.stop()
    st.session_state["store"] = store
    person = current_reviewer(store)
    # after a sign-in or sign-out the browser goes to set or clear its session cookie and
    # comes back: a sign-in draws nothing meanwhile (the app comes with the cookie)
    if hand_over() and person is not None:
        st.caption("Signing you in...")
        st.stop()
    with st.sidebar:
        st.caption("Review")
        st.text(info.title)
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
    st.navigation(pages, expanded=True).run()  # a lead's 13 pages, none behind 'View more'
