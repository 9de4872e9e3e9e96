"""Conflicts: for a lead or a third reviewer, the votes of a disagreement side by side and the
form that settles it. Only disagreements are shown here, never agreed votes."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from review.accounts import Reviewer
from review.errors import ReviewError
from review.project import review_protocol
from review.protocol import Highlight, Protocol, Stage
from review.screening import conflicts as conflict_service
from review.screening import votes as screening
from review.screening.conflicts import Conflict
from review.screening.terms import Marks
from review.screening.votes import EXCLUDE, INCLUDE
from review.store import Store
from review.ui import voting
from review.ui.safe import md_escape
from review.ui.session import resolvers, signed_in, store

PREFIX = "conflicts"


def _vote_column(protocol: Protocol, stage: Stage, vote: dict) -> None:
    st.markdown(f"**{md_escape(vote['reviewer'])}**: {md_escape(vote['decision'])}")
    if vote.get("reason"):
        st.markdown(f"Reason: {md_escape(vote['reason'])}")
    labels = {c.id: c.label for c in protocol.criteria_for(stage.id)}
    answers = vote.get("criteria") or {}
    if answers:
        st.dataframe(pd.DataFrame([{"Criterion": labels.get(k, k), "Answer": v}
                                   for k, v in answers.items()]), hide_index=True)
    else:
        st.caption("No criteria answered.")
    st.markdown("Note: " + (md_escape(vote["note"]) if vote.get("note") else "_none_"))
    when = str(vote.get("updated_at") or vote.get("created_at") or "")
    st.caption(f"Voted {when[:16].replace('T', ' ')} UTC" if when else "")


def _resolve_form(review: Store, person: Reviewer, protocol: Protocol, stage: Stage,
                  conflict: Conflict) -> None:
    key = f"{PREFIX}-{conflict.stage}-{conflict.group_id}"
    with st.form(key):
        decision = st.radio("Decision", (INCLUDE, EXCLUDE), horizontal=True, index=None,
                            format_func=str.capitalize, key=f"{key}-decision")
        if stage.exclusion_reason_required and protocol.exclusion_reasons:
            reason = st.selectbox("Exclusion reason (for exclude)",
                                  protocol.exclusion_reasons, index=None,
                                  placeholder="Choose the first reason that applies",
                                  key=f"{key}-reason")
        else:
            reason = st.text_input("Reason (optional)", key=f"{key}-reason")
        note = st.text_input("Note (optional)", key=f"{key}-note")
        submitted = st.form_submit_button("Resolve", type="primary")
    if not submitted:
        return
    if decision is None:
        st.error("Choose include or exclude.")
        return
    try:
        conflict_service.resolve(review, conflict.record_id, decision, by=person, stage=stage.id,
                          reason=reason if decision == EXCLUDE or not
                          stage.exclusion_reason_required else None, note=note)
    except ReviewError as exc:
        st.error(str(exc))
        return
    voting.flash(PREFIX, f"Record {conflict.record_id} resolved: {decision}.")
    st.rerun()


def conflicts_page() -> None:
    review = store()
    person = signed_in(resolvers, "Conflicts are for the leads and the third reviewer.")
    protocol = review_protocol(review)
    st.title("Conflicts")
    voting.show_flash(PREFIX)
    try:
        found = conflict_service.conflicts(review, person)
    except ReviewError as exc:
        st.error(str(exc))
        return
    if not found:
        st.success("No conflicts are waiting.")
        return
    for stage in protocol.stages:
        here = [c for c in found if c.stage == stage.id]
        if not here:
            continue
        st.header(f"{stage.label} ({len(here)})", anchor=False)
        for conflict in here:
            title = md_escape(conflict.title or "(no title)")
            with st.container(border=True):
                st.subheader(f"Record {conflict.record_id}: {title}", anchor=False)
                st.caption(f"Year {conflict.year or 'not given'}")
                try:
                    item = screening.item_for(review, person, conflict.record_id, stage.id,
                                              protocol=protocol)
                except ReviewError as exc:
                    st.error(str(exc))
                    continue
                with st.expander("The record"):
                    voting.show_record(item, Marks(protocol.highlight, Highlight()))
                columns = st.columns(max(len(conflict.votes), 1))
                for column, vote in zip(columns, conflict.votes, strict=False):
                    with column, st.container(border=True):
                        _vote_column(protocol, stage, vote)
                _resolve_form(review, person, protocol, stage, conflict)
