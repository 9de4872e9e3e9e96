"""Findings: a lead writes the review's findings (a statement under a theme, with the included
studies behind it), reads the extracts behind each, and judges it with GRADE-CERQual (four
components, each a level of concern with why, then the overall confidence with why). The
Tables page then offers the summary of qualitative findings and the evidence profile."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from review.accounts import Reviewer
from review.errors import ReviewError
from review.extraction import cerqual
from review.extraction import findings as service
from review.extraction.cerqual import (
    COMPONENT_HELP,
    COMPONENT_LABELS,
    COMPONENTS,
    CONCERN_HELP,
    CONCERN_LABELS,
    CONCERNS,
    CONFIDENCE,
    CONFIDENCE_HELP,
    CONFIDENCE_LABELS,
)
from review.extraction.entries import extraction_form
from review.extraction.findings import Finding
from review.extraction.studies import list_studies
from review.store import Store
from review.ui.session import leads, signed_in, store

FLASH = "findings-flash"


def _done(message: str) -> None:
    """Show the page again from the services' new state, with what was just done."""
    st.session_state[FLASH] = message
    st.rerun()


def _overview(found: list[Finding], labels: dict[int, str]) -> None:
    rows = [{"No.": n, "Id": f.id, "Theme": f.theme_label, "Finding": f.statement,
             "Studies": "; ".join(labels.get(s, str(s)) for s in f.studies),
             "Components judged": sum(c in f.judgements for c in COMPONENTS),
             "Confidence": CONFIDENCE_LABELS[f.overall.level] if f.overall else "not yet",
             "Reassess": "; ".join(f.reassess)} for n, f in enumerate(found, start=1)]
    st.dataframe(pd.DataFrame(rows), hide_index=True, width="stretch")


def _new(review: Store, person: Reviewer, themes: dict[str, str], labels: dict[int, str]) -> None:
    with st.form("finding-new", clear_on_submit=True):
        theme = st.selectbox("Theme", list(themes), format_func=lambda k: themes[k],
                             index=None, placeholder="Pick the theme it answers",
                             key="finding-new-theme")
        statement = st.text_area("Review finding", key="finding-new-statement",
                                 placeholder="What the studies show, in a sentence or two")
        studies = st.multiselect("Studies contributing", list(labels),
                                 format_func=lambda s: labels[s], key="finding-new-studies")
        add = st.form_submit_button("Add finding", type="primary")
    if add:
        try:
            found = service.add_finding(review, theme or "", statement, by=person,
                                        studies=studies)
        except ReviewError as exc:
            st.error(str(exc))
            return
        _done(f"Added finding {found.id} under {found.theme_label}.")


def _edit(review: Store, person: Reviewer, found: Finding, themes: dict[str, str],
          labels: dict[int, str]) -> None:
    key = f"finding-{found.id}"
    with st.form(f"{key}-edit"):
        theme = st.selectbox("Theme", list(themes), format_func=lambda k: themes[k],
                             index=list(themes).index(found.theme_id)
                             if found.theme_id in themes else None, key=f"{key}-theme")
        statement = st.text_area("Review finding", value=found.statement,
                                 key=f"{key}-statement")
        studies = st.multiselect("Studies contributing", list(labels),
                                 default=[s for s in found.studies if s in labels],
                                 format_func=lambda s: labels[s], key=f"{key}-studies")
        save = st.form_submit_button("Save finding")
    if save:
        try:
            if statement != found.statement or theme != found.theme_id:
                service.edit_finding(review, found.id, by=person, statement=statement,
                                     theme=theme)
            service.set_studies(review, found.id, studies, by=person)
        except ReviewError as exc:
            st.error(str(exc))
            return
        _done(f"Finding {found.id} saved.")


def _assess(review: Store, person: Reviewer, found: Finding) -> None:
    key = f"finding-{found.id}"
    with st.form(f"{key}-assess"):
        given: dict[str, tuple[str, str]] = {}
        for cid in COMPONENTS:
            judged = found.judgements.get(cid)
            st.markdown(f"**{COMPONENT_LABELS[cid]}**")
            level = st.selectbox(
                f"{COMPONENT_LABELS[cid]}: level of concern", CONCERNS,
                format_func=lambda k: f"{CONCERN_LABELS[k]} ({CONCERN_HELP[k]})",
                index=CONCERNS.index(judged.level) if judged else None,
                placeholder="not judged yet", help=COMPONENT_HELP[cid], key=f"{key}-{cid}")
            why = st.text_area(f"{COMPONENT_LABELS[cid]}: explanation",
                               value=judged.explanation if judged else "", height=68,
                               key=f"{key}-{cid}-why")
            if level is not None:
                given[cid] = (level, why)
        st.markdown("**Overall confidence**")
        overall = found.overall
        confidence = st.selectbox(
            "Overall confidence in the finding", CONFIDENCE,
            format_func=lambda k: f"{CONFIDENCE_LABELS[k]} ({CONFIDENCE_HELP[k]})",
            index=CONFIDENCE.index(overall.level) if overall else None,
            placeholder="not judged yet", key=f"{key}-overall",
            help="A judgement on the four components together, not a sum: say why.")
        why = st.text_area("Overall confidence: explanation",
                           value=overall.explanation if overall else "", height=68,
                           key=f"{key}-overall-why")
        save = st.form_submit_button("Save assessment", type="primary")
    if save:
        before = found.judgements
        changed = {c: v for c, v in given.items()
                   if c not in before or (before[c].level, before[c].explanation) != v}
        new_overall = (confidence, why) if confidence is not None else None
        if overall is not None and new_overall == (overall.level, overall.explanation) \
                and not changed:
            new_overall = None
        try:
            if not changed and new_overall is None:
                raise ReviewError("nothing changed in the assessment")
            cerqual.assess(review, found.id, by=person, components=changed,
                           overall=new_overall)
        except ReviewError as exc:
            st.error(str(exc))
            return
        _done(f"Assessment of finding {found.id} saved.")


def findings_page() -> None:
    person = signed_in(leads, "Review findings and their GRADE-CERQual assessments are "
                              "written by the review's leads.")
    review = store()
    st.title("Findings")
    if FLASH in st.session_state:
        st.success(st.session_state.pop(FLASH))
    try:
        included = list_studies(review)
        form = extraction_form(review)
        found = service.list_findings(review)
    except ReviewError as exc:
        st.error(str(exc))
        return
    labels = {s.id: f"{s.id}. {s.label}" for s in included}
    themes = {t.id: f"{form.kind_label(t.kind)}: {form.theme_path(t.id)}" for t in form.themes}
    st.caption("A finding states what the included studies show on one theme. GRADE-CERQual "
               "asks how far to trust it: methodological limitations, coherence, adequacy "
               "and relevance, each with a level of concern and why, then the overall "
               "confidence. The Tables page exports the summary of qualitative findings and "
               "the evidence profile.")
    if not included:
        st.info("No included studies yet: findings rest on studies included at the final "
                "screening stage.")
        return
    if found:
        _overview(found, labels)
    with st.expander("New finding", expanded=not found):
        _new(review, person, themes, labels)
    if not found:
        return
    numbers = {f.id: n for n, f in enumerate(found, start=1)}
    chosen = st.selectbox("Finding", [f.id for f in found], key="finding-pick",
                          format_func=lambda i: f"{numbers[i]}. "
                          + next(f.statement for f in found if f.id == i)[:90])
    current = next((f for f in found if f.id == chosen), None)
    if current is None:
        return
    if current.reassess:
        st.warning("Reassess this finding: " + "; ".join(current.reassess) + ".")
    if current.dropped:
        st.warning("No longer included, left out of the tables: studies "
                   + ", ".join(map(str, current.dropped)) + ".")
    tabs = st.tabs(["GRADE-CERQual assessment", "Finding and studies", "Extracts"])
    with tabs[0]:
        _assess(review, person, current)
    with tabs[1]:
        _edit(review, person, current, themes, labels)
        with st.popover("Delete this finding"):
            st.write("Its judgements go with it; the audit log keeps what it said.")
            if st.button("Delete", key=f"finding-{current.id}-delete"):
                try:
                    service.remove_finding(review, current.id, by=person)
                except ReviewError as exc:
                    st.error(str(exc))
                else:
                    _done(f"Finding {current.id} deleted.")
    with tabs[2]:
        if current.extracts:
            names = {t.id: t.label for t in form.themes}
            st.dataframe(pd.DataFrame([{"Study": labels.get(e.study_id, str(e.study_id)),
                                        "Theme": names.get(e.theme_id, e.theme_id),
                                        "Sub-theme": e.sub_theme,
                                        "Voice": e.voice or "not recorded",
                                        "Quote": e.quote, "Location": e.location}
                                       for e in current.extracts]),
                         hide_index=True, width="stretch")
        else:
            st.info("No extracts yet: they come from the linked studies' final entries, "
                    "where the study is coded with this finding's theme.")
