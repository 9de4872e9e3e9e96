"""Administration (server administrators only): the server's reviews and accounts, and a new
review made from a protocol with its first lead. The services check nothing here a page
could forget: the page checks the account is an administrator's, and every change is
audited in the review it lands in."""

from __future__ import annotations

import tempfile
from pathlib import Path

import pandas as pd
import streamlit as st

from review import accounts
from review.errors import ReviewError
from review.reviews import create_with_lead, summaries
from review.ui import voting
from review.ui.safe import md_escape
from review.ui.session import signed_in, store

PREFIX = "admin"
REFUSAL = "This page is for the server's administrators."


def is_administrator(name: str) -> bool:
    return accounts.is_admin(store(), name)


def admin_page() -> None:
    person = signed_in(lambda p: True)
    if not is_administrator(person.name):
        st.error(f"{REFUSAL} You are signed in as {person.name}, {person.with_article()}.")
        st.stop()
    st.title("Administration", anchor=False)
    voting.show_flash(PREFIX)
    review = store()
    st.subheader("Reviews on this server", anchor=False)
    st.dataframe(pd.DataFrame([{"Slug": s.slug, "Title": s.title, "Records": s.records,
                                "People": s.people} for s in summaries(review)]),
                 hide_index=True, width="stretch")
    _new_review(review.url, person.name)
    st.subheader("Accounts", anchor=False)
    st.dataframe(pd.DataFrame([{
        "Name": a.name, "Email": a.email or "", "Active": "yes" if a.active else "disabled",
        "Administrator": "yes" if a.admin else "",
        "Reviews": "; ".join(f"{slug} ({role})" for slug, role in a.reviews)}
        for a in accounts.list_accounts(review)]), hide_index=True, width="stretch")


def _new_review(url: str, admin: str) -> None:
    """A review from an uploaded protocol, with its first lead (an account of the server,
    or a new one with the password given here)."""
    st.subheader("Create a review", anchor=False)
    n = st.session_state.get(f"{PREFIX}-n", 0)
    with st.form(f"{PREFIX}-new-{n}"):
        protocol = st.file_uploader("Protocol (TOML)", type=["toml"], key=f"{PREFIX}-file-{n}")
        slug = st.text_input("Slug (lower-case letters, digits, hyphens)", key=f"{PREFIX}-slug-{n}")
        title = st.text_input("Title (optional; default: the protocol's)",
                              key=f"{PREFIX}-title-{n}")
        lead = st.text_input("First lead", key=f"{PREFIX}-lead-{n}")
        password = st.text_input("Their password, if they have no account here yet (at least "
                                 f"{accounts.MIN_PASSWORD} characters)", type="password",
                                 key=f"{PREFIX}-password-{n}")
        submitted = st.form_submit_button("Create", type="primary")
    if not submitted:
        return
    if protocol is None or not slug.strip() or not lead.strip():
        st.error("A review needs a protocol file, a slug and a first lead.")
        return
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / Path(protocol.name).name
        path.write_bytes(protocol.getvalue())
        try:
            made = create_with_lead(path, url, slug=slug.strip(), lead=lead,
                                    title=title.strip() or None, password=password or None,
                                    actor=admin)
        except ReviewError as exc:
            st.error(md_escape(exc))
            return
    st.session_state[f"{PREFIX}-n"] = n + 1
    voting.flash(PREFIX, md_escape(f"Created the review '{made.slug}' with {lead.strip()} as "
                                   "its lead."))
    st.rerun()
