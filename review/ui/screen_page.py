"""Screen: titles and abstracts, one record at a time, the reviewer's own votes only."""

from __future__ import annotations

import streamlit as st

from review.project import review_protocol
from review.screening import prioritise
from review.screening import votes as screening
from review.ui import voting
from review.ui.session import signed_in, store

PREFIX = "screen"


def screen_page() -> None:
    review, person = store(), signed_in()
    protocol = review_protocol(review)
    stage = protocol.stages[0]
    st.title(f"Screen: {stage.label.lower()}")
    voting.show_flash(PREFIX)
    item = voting.current_item(review, person, stage, protocol, prefix=PREFIX)
    if item is None:
        stop = prioritise.stop_of(review, stage.id)
        if stop:
            st.info(f"A lead stopped screening at {stage.label.lower()} on "
                    f"{stop['decided_at'][:10]}; no more votes are taken here.")
        else:
            st.success(f"Nothing is waiting for you at {stage.label.lower()}: every record "
                       "has your vote.")
        voting.show_error(PREFIX)
        voting.undo_button(review, stage, prefix=PREFIX)
        voting.my_votes(review, person, stage, prefix=PREFIX)
        return
    voting.progress_bar(item, stage)
    left, right = st.columns([3, 2], gap="large")
    with left:
        voting.show_record(item, protocol)
    with right:
        # after a vote, the model is retrained in the background: the vote is already saved
        voting.vote_form(review, person, item, stage, protocol, prefix=PREFIX,
                         on_saved=lambda: prioritise.retrain_soon(review))
        voting.undo_button(review, stage, prefix=PREFIX)
        st.caption("Keys: I include, E exclude, M maybe, U undo (not while typing in a box).")
    voting.my_votes(review, person, stage, prefix=PREFIX)
    left_count = screening.queue_size(review, person, stage.id)
    st.caption(f"{left_count} record(s) left in your queue at {stage.label.lower()}.")
    if protocol.ranking.enabled:
        st.caption(f"Ordered by predicted relevance (model run {item.run_id}, rank {item.rank})."
                   if item.run_id else "Random order until one include and one exclude are "
                   "decided; then by predicted relevance.")
