"""The stopping rule on the Progress page: the estimate with its assumptions, the recall
curve, and (for a lead) the decision to stop screening titles and abstracts."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from review.accounts import Reviewer
from review.errors import ReviewError
from review.protocol import Protocol
from review.screening import prioritise
from review.store import Store


def stopping_panel(store: Store, person: Reviewer, protocol: Protocol) -> None:
    """Shown to those who see the whole review's progress, where ranking is on."""
    if not protocol.ranking.enabled:
        return
    st.subheader("When to stop screening", anchor=False)
    found = prioritise.stopping(store)
    e = found.estimate
    cols = st.columns(4)
    cols[0].metric("Records decided", f"{e.n_screened} of {e.n_records}")
    cols[1].metric("Includes found", e.n_included)
    cols[2].metric("p-value", f"{e.p_value:.3g}")
    cols[3].metric(f"{e.recall_target:.0%} recall reached",
                   "yes" if e.target_reached else "not yet")
    st.write(e.summary())
    with st.expander("Assumptions of the stopping rule (buscar, Callaghan & Müller-Hansen 2020)"):
        for line in found.assumptions:
            st.markdown(f"- {line}")
        st.caption(found.why)
    if found.curve:
        curve = pd.DataFrame(found.curve, columns=["Records decided", "Includes found"])
        st.line_chart(curve, x="Records decided", y="Includes found", height=260)
    if found.stopped:
        st.info(f"Screening was stopped on {found.stopped['decided_at'][:10]} with "
                f"{found.stopped['n_unscreened']} records left unscreened "
                f"(p = {found.stopped['p_value']:.3g}"
                + (f", bias {found.stopped['bias']:g}" if found.stopped.get("bias") else "")
                + ").")
        if person.is_lead:
            _resume_form(store, person)
        return
    if not person.is_lead:
        return
    with st.form("stop-screening"):
        note = st.text_input("Why stop now (kept with the decision)")
        confirm = st.checkbox("I decide to stop screening titles and abstracts; the records "
                              "left are reported as not screened")
        if st.form_submit_button("Stop screening"):
            if not confirm:
                st.error("Tick the box to confirm.")
                return
            try:
                prioritise.stop_screening(store, by=person, note=note)
            except ReviewError as exc:
                st.error(str(exc))
                return
            st.rerun()


def _resume_form(store: Store, person: Reviewer) -> None:
    """Taking back a stop made too early or by mistake; the stop stays in the audit log."""
    with st.form("resume-screening"):
        note = st.text_input("Why resume (kept in the audit log)")
        if st.form_submit_button("Resume screening"):
            try:
                prioritise.resume_screening(store, by=person, note=note)
            except ReviewError as exc:
                st.error(str(exc))
                return
            st.rerun()
