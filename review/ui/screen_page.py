"""Screen: titles and abstracts, one record at a time, the reviewer's own votes only.

The voting area is a fragment: a vote, undo, Previous/Next or a click in My votes reruns only
it (the record, the form, the progress and the list), not the app's navigation, sidebar and
sign-in check, so the next record is on screen sooner. The review question and criteria are in
the fragment's right column, the reviewer's own highlight terms below it (saving them reruns
the whole page, since the marks change)."""

from __future__ import annotations

import streamlit as st

from review.accounts import Reviewer
from review.project import review_protocol
from review.protocol import Protocol, Stage
from review.screening import prioritise
from review.screening import terms as highlight_terms
from review.screening.terms import Marks
from review.store import Store
from review.ui import timing, voting
from review.ui.session import signed_in, store

PREFIX = "screen"


def screen_page() -> None:
    review, person = store(), signed_in()
    protocol = review_protocol(review)
    stage = protocol.stages[0]
    st.title(f"Screen: {stage.label.lower()}")
    marks = Marks(protocol.highlight, highlight_terms.my_terms(review, person))
    _workspace(review, person, protocol, stage, marks)
    voting.terms_editor(review, person, marks, prefix=PREFIX)


@st.fragment
def _workspace(review: Store, person: Reviewer, protocol: Protocol, stage: Stage,
               marks: Marks) -> None:
    if st.session_state.get("reviewer") is None:  # signed out by a check in a callback
        st.rerun(scope="app")
    with timing.page_run(PREFIX):
        # one block for every notice (a vote's confirmation, an error, the reopened record's
        # banner), so what follows keeps its place from run to run and the browser updates it
        # in place: no element is left behind, nothing below is rebuilt
        # the record is read before anything is drawn: the browser gets the run's elements in
        # one burst and redraws the page once, not once for the notice and again for the record
        item, reopened = voting.load_item(review, person, stage, protocol, prefix=PREFIX)
        with st.container():
            voting.show_flash(PREFIX)
            voting.show_error(PREFIX)
            if item is not None and reopened:
                voting.reopened_banner(item, prefix=PREFIX)
        if item is None:
            voting.empty_queue(review, person, stage, protocol)
            voting.navigation(review, stage, None, prefix=PREFIX)
            voting.my_votes(review, person, stage, prefix=PREFIX)
            return
        voting.progress_bar(item, stage)
        left, right = st.columns([3, 2], gap="large")
        with left:
            voting.show_record(item, marks, key=f"{PREFIX}-record")
        with right:
            voting.criteria_panel(protocol, stage, prefix=PREFIX)
            # after a vote, the model is retrained in the background: the vote is already saved
            voting.vote_form(review, person, item, stage, protocol, prefix=PREFIX,
                             on_saved=lambda: prioritise.retrain_soon(review))
            voting.navigation(review, stage, item, prefix=PREFIX)
            st.caption(voting.KEYS_HELP)
            if protocol.ranking.enabled and item.run_id is not None:
                st.caption(f"Ordered by predicted relevance (model run {item.run_id}, rank "
                           f"{item.rank}).")
            elif protocol.ranking.enabled and not prioritise.has_run(review, stage.id):
                # no model run yet: the first can start from the protocol's words, before any
                # vote; it runs in the background and the queue follows it once stored
                prioritise.retrain_soon(review)
                st.caption("Random order until the first model run, from the protocol's "
                           "title, question and include terms, is ready; then by predicted "
                           "relevance.")
        voting.my_votes(review, person, stage, prefix=PREFIX)
