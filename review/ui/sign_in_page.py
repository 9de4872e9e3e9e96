"""Sign in: name and password of a reviewer of this review (Argon2 hashes in the review)."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from review import accounts
from review.ui.safe import md_escape
from review.ui.session import sign_in, store


def sign_in_page() -> None:
    review = store()
    st.title("Sign in")
    people = accounts.list_reviewers(review)
    if not people:
        st.info("This review has no reviewers yet. A lead adds the first one on the command "
                "line, then signs in here:")
        st.code("review reviewers add NAME --role lead", language="sh")
        return
    narrow, _ = st.columns([2, 3])
    with narrow, st.form("sign_in"):
        name = st.text_input("Name")
        password = st.text_input("Password", type="password")
        submitted = st.form_submit_button("Sign in", type="primary")
    if submitted:
        if sign_in(review, name, password) is not None:
            st.rerun()
        narrow.error("That name and password do not match a reviewer of this review.")
    demo = accounts.get_setting(review, "demo_accounts")
    if demo:
        st.subheader("Demo accounts", anchor=False)
        st.caption("Demo review only: these accounts and passwords exist in the demo database "
                   "built by 'review demo'. A real review has its own accounts, added with "
                   "'review reviewers add'.")
        st.dataframe(pd.DataFrame(
            [{"Name": a.get("name", ""), "Role": a.get("role", ""),
              "Password": a.get("password", "")} for a in demo]), hide_index=True)
    else:
        st.caption("No account yet? Ask the review's lead: "
                   + md_escape("review reviewers add NAME --role reviewer"))
