"""The quality appraisal part of the extraction form: the questions of the checklist for the
study's design (review.extraction.checklist), inside the entry's form.

The form is submitted as a whole, so the checklist shown is the one for the design as saved.
When a save changes the design to one appraised with another checklist, the answers shown
(given for the old checklist) are not saved with it: the entry's appraisal starts afresh
and the page says which checklist to answer now.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import streamlit as st

from review.errors import ReviewError
from review.extraction.entries import Form
from review.protocol import Checklist
from review.ui.safe import md_escape


def appraisal_inputs(form: Form, values: Mapping[str, Any], answered: Mapping[str, str],
                     rating: str | None, key: str) -> tuple[Checklist | None, dict[str, str],
                                                            str | None]:
    """The checklist shown (None: none yet), the answers picked and the rating picked."""
    if not form.all_checklists:
        return None, {}, None
    try:
        checklist = form.checklist_for(values)
    except ReviewError as exc:
        st.markdown("**Quality appraisal**")
        st.info(f"{md_escape(str(exc))}. Choose the design and save a draft to see its "
                "checklist.")
        return None, {}, None
    st.markdown(f"**Quality appraisal**: {md_escape(checklist.name)}")
    # one checklist for all: the keys of before; by design, keyed by checklist too, so a
    # question id two checklists share never carries an answer from one to the other
    prefix = f"{key}-quality-" if form.design_field is None else \
        f"{key}-quality-{checklist.id}-"
    answers: dict[str, str] = {}
    for qid, text in checklist.questions:
        current = answered.get(qid)
        answer = st.radio(text, checklist.answers, horizontal=True,
                          index=checklist.answers.index(current)
                          if current in checklist.answers else None, key=f"{prefix}{qid}")
        if answer is not None:
            answers[qid] = answer
    ratings = checklist.ratings
    rating_key = f"{key}-rating" if form.design_field is None else f"{key}-rating-{checklist.id}"
    picked = st.selectbox("Overall rating", ratings, key=rating_key,
                          index=ratings.index(rating) if rating in ratings else None,
                          placeholder="not rated yet")
    return checklist, answers, picked


def appraisal_to_save(form: Form, shown: Checklist | None, values: Mapping[str, Any],
                      answers: dict[str, str], rating: str | None
                      ) -> tuple[dict[str, str], str | None, str]:
    """What to save with the form's values, and a notice when the design now calls for
    another checklist than the one shown (whose answers are then left out)."""
    now = form.checklist_of(values)
    if now is None and shown is not None and form.design_field is not None:
        # a design no checklist appraises: the shown checklist's answers cannot be kept, and a
        # radio once set cannot be cleared, so they are left out here
        return {}, None, (f" The design now has no appraisal checklist: the answers to the "
                          f"{shown.name} checklist were not kept.")
    if now is None or shown is not None and now.id == shown.id:
        return answers, rating, ""
    if shown is not None:
        return {}, None, (f" The design now calls for the {now.name} checklist: the answers "
                          f"to the {shown.name} checklist were not kept; answer the new "
                          "questions below.")
    return answers, rating, f" The design calls for the {now.name} checklist: see below."
