"""The labels box beside a record being screened: the reviewer's own labels on the work, to add
(type a new one, or pick one used before) and remove. Who sees which label is decided by
review.screening.labels; a lead also sees others' labels once the work's votes are in."""

from __future__ import annotations

import streamlit as st

from review.accounts import Reviewer
from review.errors import ReviewError
from review.screening import labels as labels_service
from review.screening.votes import Item
from review.store import Store
from review.ui.safe import md_escape
from review.ui.session import current_reviewer


def _key(prefix: str) -> str:
    return f"{prefix}-labels"


def labels_widget(store: Store, person: Reviewer, item: Item, *, prefix: str) -> None:
    """My labels on this work (private to me until its votes are in; then a lead sees them).

    The box keeps one key from record to record, so the browser updates it in place instead
    of building a new one for every vote; the record's own labels are put into it when another
    record comes on screen."""
    seen = labels_service.labels_on(store, person, item.record_id)
    mine = [lab.label for lab in seen if lab.own]
    known = labels_service.label_names(store, person)
    options = list(dict.fromkeys(mine + known))
    state, key = st.session_state, _key(prefix)
    shown = (item.stage, item.group_id)
    if state.get(f"{key}-for") != shown or key not in state:
        state[f"{key}-for"] = shown
        if key not in state or list(state[key]) != mine:  # left alone, the box is kept as is
            state[key] = mine
    st.multiselect("My labels", options, key=key,
                   accept_new_options=True, placeholder="Type a label, then Enter",
                   help="Your own tags on this record, to find it again on the Records page. "
                        "No other reviewer sees them; a lead does once the votes are in.",
                   on_change=_changed, args=(store, item, mine, prefix))
    others = [lab for lab in seen if not lab.own]
    if others:
        st.caption("Others' labels: " + md_escape(
            "; ".join(f"{lab.label} ({lab.reviewer})" for lab in others)))


def _changed(store: Store, item: Item, before: list[str], prefix: str) -> None:
    person = current_reviewer(store)
    if person is None:
        return
    key = _key(prefix)
    now = [str(v) for v in st.session_state.get(key) or []]
    try:
        for label in now:
            if label not in before:
                labels_service.add_label(store, person, item.record_id, label, stage=item.stage)
        for label in before:
            if label not in now:
                labels_service.remove_label(store, person, item.record_id, label)
    except ReviewError as exc:
        st.session_state[f"{prefix}-error"] = str(exc)
    # the box shows what is stored (a label typed in another case is the one used before)
    st.session_state[key] = labels_service.my_labels(store, person, item.record_id)
