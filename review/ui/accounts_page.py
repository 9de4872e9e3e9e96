"""Accounts (leads only): the people of the review, and adding, disabling, enabling, a new
password, a change of role or email. The account services check again that the person asking
is an active lead and audit every change with its before and after."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from review import accounts
from review.accounts import ROLES, Reviewer
from review.errors import ReviewError
from review.store import Store
from review.ui import voting
from review.ui.safe import md_escape
from review.ui.session import current_session_id, keep_session, leads, signed_in, store

PREFIX = "accounts"
_ROLE_HELP = ("lead: manages the review, its people, conflicts and exports; reviewer: screens "
              "and extracts; observer: follows progress and PRISMA, screens nothing.")


def _people(people: list[Reviewer]) -> None:
    st.dataframe(pd.DataFrame([{
        "Name": p.name, "Role": p.describe(), "Email": p.email or "",
        "Active": "yes" if p.active else "disabled"} for p in people]),
        hide_index=True, width="stretch")


def _done(message: str) -> None:
    counter = st.session_state.get(f"{PREFIX}-n", 0)
    st.session_state[f"{PREFIX}-n"] = counter + 1  # fresh, empty forms
    voting.flash(PREFIX, md_escape(message))
    st.rerun()


def _add(review: Store, person: Reviewer, counter: int) -> None:
    st.subheader("Add a person", anchor=False)
    with st.form(f"{PREFIX}-add-{counter}"):
        name = st.text_input("Name", key=f"{PREFIX}-add-name-{counter}")
        role = st.selectbox("Role", ROLES, index=1, help=_ROLE_HELP,
                            key=f"{PREFIX}-add-role-{counter}")
        resolver = st.checkbox("Third reviewer (resolves conflicts they did not vote in)",
                               key=f"{PREFIX}-add-resolver-{counter}")
        email = st.text_input("Email (optional; for single sign-on)",
                              key=f"{PREFIX}-add-email-{counter}")
        password = st.text_input("Password (optional; at least "
                                 f"{accounts.MIN_PASSWORD} characters)", type="password",
                                 key=f"{PREFIX}-add-password-{counter}")
        submitted = st.form_submit_button("Add", type="primary")
    if submitted:
        try:
            added = accounts.add_reviewer(review, name, role=role, resolver=resolver,
                                          email=email or None, password=password or None,
                                          actor=person)
        except ReviewError as exc:
            st.error(md_escape(exc))
            return
        _done(f"Added {added.name} ({added.describe()}).")


def _change(review: Store, person: Reviewer, people: list[Reviewer], n: int) -> None:
    st.subheader("Change an account", anchor=False)
    names = [p.name for p in people]
    chosen = st.selectbox("Person", names, key=f"{PREFIX}-who-{n}")
    target = next(p for p in people if p.name == chosen)
    counter = f"{n}-{target.id}"  # each person's forms start from their own values
    left, right = st.columns(2)
    with left, st.form(f"{PREFIX}-role-{counter}"):
        role = st.selectbox("Role", ROLES, index=ROLES.index(target.role), help=_ROLE_HELP,
                            key=f"{PREFIX}-role-role-{counter}")
        resolver = st.checkbox("Third reviewer", value=target.resolver,
                               key=f"{PREFIX}-role-resolver-{counter}")
        email = st.text_input("Email", value=target.email or "",
                              key=f"{PREFIX}-role-email-{counter}")
        save = st.form_submit_button("Save role and email")
    with right, st.form(f"{PREFIX}-password-{counter}"):
        new = st.text_input("New password", type="password",
                            key=f"{PREFIX}-password-new-{counter}")
        again = st.text_input("New password again", type="password",
                              key=f"{PREFIX}-password-again-{counter}")
        reset = st.form_submit_button("Set the password")
    toggle = st.button(("Disable " if target.active else "Enable ") + target.name,
                       key=f"{PREFIX}-toggle-{counter}")
    try:
        if save:
            messages = []
            if (role, resolver) != (target.role, target.resolver):
                changed = accounts.set_role(review, target.name, role, resolver=resolver,
                                            actor=person)
                messages.append(f"{changed.name} is now {changed.describe()}")
            if (email.strip().lower() or None) != target.email:
                changed = accounts.set_email(review, target.name, email or None, actor=person)
                messages.append(f"email {changed.email or 'removed'}")
            _done(("; ".join(messages) or "Nothing changed") + ".")
        if reset:
            if new != again:
                st.error("The two passwords differ; nothing was changed.")
                return
            accounts.set_password(review, target.name, new, actor=person,
                                  keep_session=current_session_id()
                                  if target.id == person.id else None)
            if target.id == person.id:
                keep_session(review)  # their other sessions end; this one goes on
            _done(f"New password set for {target.name}"
                  + (". Your other sessions have ended." if target.id == person.id else
                     "; any session they had open has ended."))
        if toggle:
            changed = accounts.set_active(review, target.name, not target.active, actor=person)
            _done(f"{changed.name} is {'enabled' if changed.active else 'disabled'}.")
    except ReviewError as exc:
        st.error(md_escape(exc))


def accounts_page() -> None:
    review = store()
    person = signed_in(leads, "Accounts are managed by the review's leads.")
    st.title("Accounts")
    voting.show_flash(PREFIX)
    st.caption("Every change is in the audit log with who made it, when, and what it was "
               "before ('review audit'). A disabled person keeps their votes and cannot sign "
               "in; a session they have open ends at its next click.")
    people = accounts.list_reviewers(review)
    _people(people)
    counter = st.session_state.setdefault(f"{PREFIX}-n", 0)
    _change(review, person, people, counter)
    _add(review, person, counter)
