"""Sign in: name and password of a reviewer of this review (Argon2 hashes in the review), or,
where .streamlit/secrets.toml has an [auth] section, an OpenID Connect provider whose verified
email is a reviewer's."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from review import accounts
from review.ui.safe import md_escape
from review.ui.session import NOTICE, oidc_providers, sign_in, store


def _providers() -> None:
    providers = oidc_providers()
    if not providers:
        return
    for name, label in providers:
        if st.button(f"Sign in with {label}", key=f"oidc-{name or 'default'}"):
            if name is None:
                st.login()
            else:
                st.login(name)
    if st.user.get("is_logged_in"):  # signed in with the provider, but not as a reviewer
        if st.button("Sign out of the provider", key="oidc-logout"):
            st.logout()
    st.caption("Or with your name and password:")


def sign_in_page() -> None:
    review = store()
    st.title("Sign in")
    notice = st.session_state.pop(NOTICE, None)
    if notice:
        st.info(md_escape(notice))
    people = accounts.list_reviewers(review)
    if not people:
        st.info("This review has no reviewers yet. A lead adds the first one on the command "
                "line, then signs in here:")
        st.code("review users add NAME --role lead", language="sh")
        return
    narrow, _ = st.columns([2, 3])
    with narrow:
        _providers()
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
                   "'review users add'.")
        st.dataframe(pd.DataFrame(
            [{"Name": a.get("name", ""), "Role": a.get("role", ""),
              "Password": a.get("password", "")} for a in demo]), hide_index=True)
    else:
        st.caption("No account yet? Ask the review's lead: "
                   + md_escape("review users add NAME --role reviewer"))
