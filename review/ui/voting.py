"""What the Screen and Full text pages share: one record shown for screening, the criteria
checklist, the decision buttons (with keyboard shortcuts), undo, and the reviewer's own votes.

Blinding: everything here comes from services that answer with the signed-in reviewer's own
votes only (screening.next_item, item_for, my_votes)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pandas as pd
import streamlit as st

from review.accounts import Reviewer
from review.errors import ReviewError
from review.protocol import Protocol, Stage
from review.screening import votes as screening
from review.screening.votes import EXCLUDE, INCLUDE, MAYBE, Item
from review.store import Store
from review.ui import labels_widget
from review.ui.safe import highlight, md_escape
from review.ui.session import current_reviewer

SHORTCUTS = {INCLUDE: "i", EXCLUDE: "e", MAYBE: "m"}
UNDO_SHORTCUT = "u"
_LABELS = {INCLUDE: "Include", EXCLUDE: "Exclude", MAYBE: "Maybe"}
_MAX_AUTHORS = 8


def flash(prefix: str, message: str | None = None) -> None:
    """Keep a message for the next run (a vote's confirmation survives st.rerun)."""
    st.session_state[f"{prefix}-flash"] = message


def show_flash(prefix: str) -> None:
    """The last action's confirmation, and any notice or error it left for this run."""
    message = st.session_state.pop(f"{prefix}-flash", None)
    if message:
        st.success(message)
    notice = st.session_state.pop(f"{prefix}-info", None)
    if notice:
        st.info(notice)


def _citation(record: dict[str, Any]) -> str:
    parts = []
    if record.get("journal"):
        parts.append(str(record["journal"]))
    volume = record.get("volume")
    if volume:
        issue = f"({record['issue']})" if record.get("issue") else ""
        parts.append(f"{volume}{issue}")
    if record.get("pages"):
        parts.append(f"pp. {record['pages']}")
    return ", ".join(parts)


def show_record(item: Item, protocol: Protocol, *, abstract: bool = True) -> None:
    """Title, authors, year, journal, sources and the abstract, terms marked after escaping."""
    include, exclude = protocol.highlight.include_regex, protocol.highlight.exclude_regex
    record = item.record
    st.subheader(highlight(record.get("title") or "(no title)", include, exclude),
                 anchor=False)
    authors = list(record.get("authors") or [])
    shown = "; ".join(authors[:_MAX_AUTHORS]) + ("; et al." if len(authors) > _MAX_AUTHORS
                                                  else "")
    st.markdown(md_escape(shown or "(no authors given)"))
    facts = [("Year", record.get("year") or "not given"),
             ("Journal", _citation(record) or "not given"),
             ("Found in", "; ".join(item.sources)),
             ("Record", f"{item.record_id}" + (
                 f" (copies: {', '.join(str(i) for i in item.record_ids if i != item.record_id)})"
                 if len(item.record_ids) > 1 else ""))]
    st.markdown("  \n".join(f"**{name}:** {md_escape(value)}" for name, value in facts))
    if abstract:
        show_abstract(item, protocol)


def show_abstract(item: Item, protocol: Protocol) -> None:
    include, exclude = protocol.highlight.include_regex, protocol.highlight.exclude_regex
    if item.record.get("abstract"):
        st.markdown(highlight(item.record["abstract"], include, exclude))
    else:
        st.caption("No abstract in any copy of this record.")
    if include or exclude:
        st.caption("Marked: :green-background[**include terms**], "
                   ":red-background[**exclude terms**] (from the protocol; they only draw the "
                   "eye).")


def _key(prefix: str, item: Item, name: str) -> str:
    return f"{prefix}-{item.stage}-{item.group_id}-{name}"


def vote_form(store: Store, person: Reviewer, item: Item, stage: Stage, protocol: Protocol,
              *, prefix: str, decisions: tuple[str, ...] = (INCLUDE, EXCLUDE, MAYBE),
              on_saved: Callable[[], object] | None = None) -> None:
    """The checklist, note, reason and decision buttons.

    A decision button saves the vote in its callback, before the next run of the page, so that
    run already shows the next record (one run per vote, not two), and the vote is on the record
    that was on screen when the button was pressed, whatever the queue has become since."""
    show_error(prefix)
    mine = item.my_vote or {}
    previous = dict(mine.get("criteria") or {})
    suggestions = {s.criterion: s for s in item.suggestions}
    criteria = protocol.criteria_for(stage.id)
    if criteria:
        st.markdown("**Criteria**")
    for criterion in criteria:
        before = previous.get(criterion.id)
        st.radio(criterion.label, screening.ANSWERS, horizontal=True, help=criterion.description,
                 index=screening.ANSWERS.index(before) if before in screening.ANSWERS else None,
                 key=_key(prefix, item, f"criterion-{criterion.id}"))
        hint = suggestions.get(criterion.id)
        if hint is not None:
            st.caption(f"Suggestion: {md_escape(hint.reason)}")
    reasons = list(protocol.exclusion_reasons)
    required = stage.exclusion_reason_required
    if reasons:
        before = mine.get("reason")
        st.selectbox(
            "Exclusion reason" + ("" if required else " (optional)"), reasons,
            index=reasons.index(before) if before in reasons else None,
            placeholder="Choose the first reason that applies",
            help="Needed to exclude at this stage." if required
            else "Kept with an exclusion; ignored for include and maybe.",
            key=_key(prefix, item, "reason"))
    st.text_input("Note (optional)", value=mine.get("note") or "",
                  key=_key(prefix, item, "note"))
    columns = st.columns(len(decisions))
    for column, decision in zip(columns, decisions, strict=True):
        column.button(_LABELS[decision], key=_key(prefix, item, decision),
                      type="primary" if decision == INCLUDE else "secondary",
                      shortcut=SHORTCUTS[decision], width="stretch",
                      help=f"Vote {decision} (key {SHORTCUTS[decision].upper()})",
                      on_click=_cast, args=(store, item, stage, protocol, prefix, decision,
                                            on_saved))
    labels_widget.labels_widget(store, person, item, prefix=prefix)


def _cast(store: Store, item: Item, stage: Stage, protocol: Protocol, prefix: str,
          decision: str, on_saved: Callable[[], object] | None) -> None:
    """A decision button's callback: the form's values are in session state by their keys."""
    person = current_reviewer(store)  # expiry and a disabled account are checked first
    if person is None:
        return  # the page run that follows asks them to sign in again
    state = st.session_state
    answers = {c.id: state[k] for c in protocol.criteria_for(stage.id)
               if state.get(k := _key(prefix, item, f"criterion-{c.id}"))}
    reason = state.get(_key(prefix, item, "reason"))
    try:
        screening.cast_vote(store, person, item.record_id, decision, stage=stage.id,
                            reason=reason if decision == EXCLUDE else None, criteria=answers,
                            note=state.get(_key(prefix, item, "note")) or "", origin="ui")
    except ReviewError as exc:
        state[f"{prefix}-error"] = str(exc)
        return
    verb = "changed to" if item.my_vote else "saved:"
    flash(prefix, f"Vote {verb} {decision} on record {item.record_id}.")
    state.pop(f"{prefix}-open", None)
    if on_saved is not None:
        on_saved()


def show_error(prefix: str) -> None:
    message = st.session_state.pop(f"{prefix}-error", None)
    if message:
        st.error(message)


def undo_button(store: Store, stage: Stage, *, prefix: str) -> None:
    st.button("Undo last vote", key=f"{prefix}-undo", shortcut=UNDO_SHORTCUT,
              help="Withdraw your most recent vote at this stage and show that record again "
                   "(key U).", on_click=_undo, args=(store, stage, prefix))


def _undo(store: Store, stage: Stage, prefix: str) -> None:
    person = current_reviewer(store)
    if person is None:
        return
    try:
        record_id = screening.undo_last(store, person, stage.id)
    except ReviewError as exc:
        st.session_state[f"{prefix}-error"] = str(exc)
        return
    if record_id is None:
        flash(prefix, None)
        st.session_state[f"{prefix}-info"] = "You have no vote to undo at this stage."
        return
    st.session_state[f"{prefix}-open"] = record_id
    flash(prefix, f"Your vote on record {record_id} was withdrawn; vote again.")


MY_VOTES_SHOWN = 100  # the open panel runs on every click: it shows the latest votes, not all


def my_votes(store: Store, person: Reviewer, stage: Stage, *, prefix: str) -> None:
    """The reviewer's own latest votes at the stage, and reopening any one to change it. Read
    only while the panel is open: closed, it costs a vote's page run nothing."""
    key = f"{prefix}-my-votes-open"
    with st.expander("My votes", key=key, on_change="rerun"):
        if not st.session_state.get(key):
            return
        votes = screening.my_votes(store, person, stage.id, limit=MY_VOTES_SHOWN)
        if not votes:
            st.caption("No votes yet at this stage.")
            return
        st.caption(f"Your latest {MY_VOTES_SHOWN}, newest first." if len(votes) == MY_VOTES_SHOWN
                   else f"Your {len(votes)} vote(s), newest first.")
        frame = pd.DataFrame(
            [{"Record": v["record_id"], "Year": v["year"], "Title": v["title"] or "",
              "Vote": v["decision"], "Reason": v["reason"] or "", "Note": v["note"] or "",
              "Status": v["status"], "Changed": v["changes"]} for v in votes])
        st.dataframe(frame, hide_index=True, width="stretch", height=min(35 * len(votes) + 38,
                                                                         300))
        chosen = st.number_input("Change my vote on record", min_value=1, value=None, step=1,
                                 placeholder="a record id", key=f"{prefix}-reopen-choice",
                                 help="Any record you voted on, listed here or not.")
        if chosen is not None and st.button("Open it", key=f"{prefix}-reopen"):
            st.session_state[f"{prefix}-open"] = int(chosen)
            st.rerun()


def current_item(store: Store, person: Reviewer, stage: Stage, protocol: Protocol, *,
                 prefix: str) -> Item | None:
    """The record reopened (after undo or from My votes), else the next in the queue."""
    opened = st.session_state.get(f"{prefix}-open")
    if opened is not None:
        try:
            item = screening.item_for(store, person, int(opened), stage.id, protocol=protocol)
        except ReviewError as exc:
            st.error(str(exc))
            st.session_state.pop(f"{prefix}-open", None)
        else:
            st.info(f"Record {item.record_id} reopened"
                    + (f": your vote is {item.my_vote['decision']}; change it below."
                       if item.my_vote else ".")
                    )
            if st.button("Back to my queue", key=f"{prefix}-close"):
                st.session_state.pop(f"{prefix}-open", None)
                st.rerun()
            return item
    return screening.next_item(store, person, stage.id, protocol=protocol)


def progress_bar(item: Item, stage: Stage) -> None:
    total = max(item.total, 1)
    st.progress(min(item.position / total, 1.0),
                text=f"{item.position} of {item.total} at {stage.label.lower()}")
