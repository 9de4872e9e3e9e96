"""Conflicts: one disagreement at a time, with previous and next, filtered by stage and by
reviewer pair; the record with its abstract open, the votes side by side, a discussion thread,
and the form that settles it. A lead or a third reviewer sees every conflict with every vote;
a reviewer sees the conflicts they voted in, with their own vote, to discuss them."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from review.accounts import Reviewer
from review.errors import ReviewError
from review.project import review_protocol
from review.protocol import Highlight, Protocol, Stage
from review.screening import conflicts as conflict_service
from review.screening import discussion
from review.screening import votes as screening
from review.screening.conflicts import Conflict
from review.screening.terms import Marks
from review.screening.votes import EXCLUDE, INCLUDE
from review.store import Store
from review.ui import voting
from review.ui.safe import md_escape
from review.ui.session import signed_in, store

PREFIX = "conflicts"
ALL_STAGES = "All stages"
ALL_PAIRS = "All reviewer pairs"


def _when(value: object) -> str:
    text = str(value or "")
    return f"{text[:16].replace('T', ' ')} UTC" if text else ""


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
    when = _when(vote.get("updated_at") or vote.get("created_at"))
    st.caption(f"Voted {when}" if when else "")


def _resolve_form(review: Store, person: Reviewer, protocol: Protocol, stage: Stage,
                  conflict: Conflict) -> None:
    if not person.is_lead and any(v["reviewer_id"] == person.id for v in conflict.votes):
        st.caption("You voted in this conflict: a lead or a third reviewer who did not vote "
                   "settles it.")
        return
    key = f"{PREFIX}-{conflict.stage}-{conflict.group_id}"
    reasons = protocol.exclusion_reasons
    with st.form(key):
        decision = st.radio("Decision", (INCLUDE, EXCLUDE), horizontal=True, index=None,
                            format_func=str.capitalize, key=f"{key}-decision")
        reason = None
        if reasons:
            needed = "needed" if stage.exclusion_reason_required else "optional"
            reason = st.selectbox(f"Exclusion reason (for exclude; {needed})", reasons,
                                  index=None, key=f"{key}-reason",
                                  placeholder="Choose the first reason on the list that applies")
        note = st.text_input("Note (optional)", key=f"{key}-note",
                             help="Why, in your words: kept with the resolution.")
        submitted = st.form_submit_button("Resolve", type="primary")
    if not submitted:
        return
    if decision is None:
        st.error("Choose include or exclude.")
        return
    try:
        conflict_service.resolve(review, conflict.record_id, decision, by=person, stage=stage.id,
                                 reason=reason if decision == EXCLUDE else None, note=note)
    except ReviewError as exc:
        st.error(md_escape(str(exc)))
        return
    voting.flash(PREFIX, f"Record {conflict.record_id} resolved: {decision}.")
    st.rerun()


def _discussion(review: Store, person: Reviewer, conflict: Conflict) -> None:
    st.subheader("Discussion", anchor=False)
    try:
        comments = discussion.thread(review, conflict.record_id, by=person, stage=conflict.stage)
    except ReviewError as exc:
        st.info(md_escape(str(exc)))
        return
    if not comments:
        st.caption("No comments yet. Those who voted, the third reviewer and the leads see "
                   "this thread.")
    for comment in comments:
        with st.container(border=True):
            st.markdown(f"**{md_escape(comment.author)}** · {md_escape(_when(comment.created_at))}")
            st.markdown(md_escape(comment.body))
    key = f"{PREFIX}-talk-{conflict.stage}-{conflict.group_id}"
    with st.form(key, clear_on_submit=True):
        text = st.text_area("Add to the discussion", key=f"{key}-text", height=80)
        posted = st.form_submit_button("Post")
    if not posted:
        return
    try:
        discussion.post(review, conflict.record_id, text, by=person, stage=conflict.stage)
    except ReviewError as exc:
        st.error(md_escape(str(exc)))
        return
    st.rerun()


def _filters(protocol: Protocol, person: Reviewer,
             pairs: list[tuple[str, str]]) -> tuple[str | None, tuple[str, str] | None]:
    left, right = st.columns(2)
    labels = {s.label: s.id for s in protocol.stages}
    chosen = left.selectbox("Stage", [ALL_STAGES, *labels], key=f"{PREFIX}-stage")
    pair = None
    if person.can_resolve:
        named = {f"{a} / {b}": (a, b) for a, b in pairs}
        picked = right.selectbox("Reviewer pair", [ALL_PAIRS, *named], key=f"{PREFIX}-pair")
        pair = named.get(picked)
    return labels.get(chosen), pair


def _step(by: int, size: int) -> None:
    at = st.session_state.get(f"{PREFIX}-at", 0)
    st.session_state[f"{PREFIX}-at"] = min(max(at + by, 0), size - 1)
    st.session_state.pop(f"{PREFIX}-current", None)


def _position(found: list[Conflict]) -> int:
    """Stay on the conflict shown before (by identity) if it is still listed; else the same
    place in the list, so resolving one shows the next."""
    current = st.session_state.get(f"{PREFIX}-current")
    keys = [(c.group_id, c.stage) for c in found]
    at = keys.index(current) if current in keys else st.session_state.get(f"{PREFIX}-at", 0)
    at = min(max(at, 0), len(found) - 1)
    st.session_state[f"{PREFIX}-at"] = at
    st.session_state[f"{PREFIX}-current"] = keys[at]
    return at


def conflicts_page() -> None:
    review = store()
    person = signed_in()
    protocol = review_protocol(review)
    st.title("Conflicts")
    voting.show_flash(PREFIX)
    if not person.can_resolve:
        st.caption("The conflicts you voted in, with your own vote, to discuss with the others "
                   "who voted and the leads; a lead or the third reviewer settles them.")
    try:
        every = conflict_service.conflicts(review, person)
        stage_id, pair = _filters(protocol, person, conflict_service.reviewer_pairs(every))
        found = conflict_service.conflicts(review, person, stage=stage_id, pair=pair) \
            if stage_id or pair else every
    except ReviewError as exc:
        st.error(md_escape(str(exc)))
        return
    if not found:
        st.success("No conflicts are waiting." if not every else
                   f"No conflicts match these filters ({len(every)} in all).")
        return
    at = _position(found)
    conflict = found[at]
    back, where, forward = st.columns((1, 3, 1), vertical_alignment="center")
    back.button("Previous", key=f"{PREFIX}-previous", disabled=at == 0, width="stretch",
                on_click=_step, args=(-1, len(found)))
    where.markdown(f"**Conflict {at + 1} of {len(found)}**")
    forward.button("Next", key=f"{PREFIX}-next", disabled=at == len(found) - 1,
                   width="stretch", on_click=_step, args=(1, len(found)))
    stage = protocol.stage(conflict.stage)
    st.header(f"{stage.label}: record {conflict.record_id}", anchor=False)
    try:
        item = screening.item_for(review, person, conflict.record_id, stage.id,
                                  protocol=protocol)
    except ReviewError as exc:
        st.error(md_escape(str(exc)))
        return
    with st.container(border=True):
        voting.show_record(item, Marks(protocol.highlight, Highlight()))
    columns = st.columns(max(len(conflict.votes), 1))
    for column, vote in zip(columns, conflict.votes, strict=False):
        with column, st.container(border=True):
            _vote_column(protocol, stage, vote)
    _discussion(review, person, conflict)
    if person.can_resolve:
        st.subheader("Resolve", anchor=False)
        _resolve_form(review, person, protocol, stage, conflict)
