"""Extraction: pick an included study, fill in the protocol's form (fields, coded themes with
quote and location, quality appraisal) and save (each quote is looked for in the study's PDFs:
its page filled in, or flagged as not found verbatim); a lead also compares the two extractors'
entries, reconciles them, and adds themes. Extractors see only their own entry: the page asks
the services, which enforce it."""

from __future__ import annotations

from typing import Any

import pandas as pd
import streamlit as st

from review.accounts import Reviewer
from review.errors import ReviewError
from review.extraction import entries as extraction
from review.extraction import quotes, reconcile
from review.extraction.entries import KIND_LABELS, Entry, Form, shown_value
from review.extraction.rows import entry_rows
from review.fields import FieldSpec
from review.protocol import THEME_KINDS
from review.screening import fulltext
from review.store import Store
from review.ui.appraisal_form import appraisal_inputs, appraisal_to_save
from review.ui.safe import md_escape
from review.ui.session import signed_in, store

NOT_REPORTED = "not reported"
PDF_HEIGHT = 800


def _field_widget(spec: FieldSpec, value: Any, key: str) -> Any:
    label = spec.label + (" *" if spec.required else "")
    helptext = spec.help or None
    if spec.type == "choice":
        index = spec.choices.index(value) if value in spec.choices else None
        return st.selectbox(label, spec.choices, index=index, key=key, help=helptext,
                            placeholder=NOT_REPORTED)
    if spec.type == "multi_choice":
        return st.multiselect(label, spec.choices, default=list(value or ()), key=key,
                              help=helptext, placeholder=NOT_REPORTED)
    if spec.type == "yes_no":
        options = (NOT_REPORTED, "yes", "no")
        index = 0 if value is None else (1 if value else 2)
        answer = st.radio(label, options, index=index, key=key, horizontal=True, help=helptext)
        return None if answer == NOT_REPORTED else answer
    text = shown_value(value)
    if spec.type == "country":
        helptext = (helptext or "") + " Several countries: separate them with ;"
    return st.text_input(label, value=text, key=key, help=helptext)


def _quote_checks(key: str) -> None:
    """What the last save found about its quotes (kept over the rerun that shows the pages
    filled in): a page filled in or matching, a different page, or not found verbatim."""
    for widget in st.session_state.pop(f"{key}-refill", []):
        st.session_state.pop(widget, None)  # the box shows the saved location again
    checks: list[quotes.QuoteCheck] = st.session_state.pop(f"{key}-checks", [])
    saved = st.session_state.pop(f"{key}-saved", None)
    if saved:
        st.success(saved)
    for check in checks:
        text = f"{md_escape(check.theme_label)}: {md_escape(check.message)}."
        if check.outcome in (quotes.DIFFERS, quotes.NOT_VERBATIM):
            st.warning(text + (" Check the quote against the PDF."
                               if check.outcome == quotes.NOT_VERBATIM else ""))
        elif check.outcome == quotes.UNCHECKED:
            st.caption(text)
        else:
            st.info(text)


def _entry_form(review: Store, person: Reviewer, form: Form, study_id: int,
                mine: Entry | None, records: list[int]) -> None:
    key = f"ext-{study_id}-{person.id}"
    _quote_checks(key)
    values = mine.values if mine else {}
    coded = mine.themes if mine else {}
    answered = mine.answers if mine else {}
    with st.form(key):
        st.markdown("**Study characteristics**")
        given = {spec.id: _field_widget(spec, values.get(spec.id), f"{key}-field-{spec.id}")
                 for spec in form.fields}
        st.markdown("**Themes** (tick those the study reports; give a quote and where it is)")
        picked: dict[str, tuple[str, str]] = {}
        for kind in THEME_KINDS:
            themes = form.themes_of(kind)
            if not themes:
                continue
            with st.expander(KIND_LABELS[kind], expanded=True):
                for theme in themes:
                    found = coded.get(theme.id)
                    tkey = f"{key}-theme-{theme.id}"
                    on = st.checkbox(theme.label, value=found is not None, key=tkey,
                                     help=theme.description or None)
                    left, right = st.columns([4, 1])
                    # named for their theme: nine boxes called "Quote" tell a screen
                    # reader nothing
                    quote = left.text_input(f"Quote for {theme.label}",
                                            value=found.quote if found else "",
                                            key=f"{tkey}-quote", placeholder="Quote")
                    where = right.text_input(f"Where the quote for {theme.label} is",
                                             value=found.location if found else "",
                                             key=f"{tkey}-location",
                                             placeholder="Location, e.g. p. 4")
                    if on:
                        picked[theme.id] = (quote, where)
        shown, answers, rating = appraisal_inputs(form, values, answered,
                                                  mine.rating if mine else None, key)
        left, right = st.columns(2)
        draft = left.form_submit_button("Save draft")
        done = right.form_submit_button("Save and mark done", type="primary")
    if not (draft or done):
        return
    answers, rating, notice = appraisal_to_save(form, shown, given, answers, rating)
    try:
        picked, checks = quotes.check_quotes(review, records, picked)
        saved = extraction.save_entry(review, study_id, person, values=given, themes=picked,
                                      answers=answers, rating=rating, done=done, replace=True)
    except ReviewError as exc:
        st.error(str(exc))
        return
    labels = {theme.id: theme.label for theme in form.themes}
    st.session_state[f"{key}-checks"] = [
        quotes.QuoteCheck(c.theme_id, c.outcome, c.message, c.location,
                          f"Quote for {labels.get(c.theme_id, c.theme_id)}") for c in checks]
    st.session_state[f"{key}-refill"] = [f"{key}-theme-{c.theme_id}-location" for c in checks
                                         if c.outcome == quotes.FILLED]
    st.session_state[f"{key}-saved"] = (
        f"Saved ({saved.status}): {len(saved.values)} field(s), {len(saved.themes)} theme(s), "
        f"{len(saved.answers)} quality answer(s)." + notice)
    st.rerun()


def _entry_table(entry: Entry, form: Form) -> pd.DataFrame:
    """An entry as people read it: the form's labels, not its ids."""
    rows = [{"Item": row.label, "Value": row.value} for row in entry_rows(entry, form)]
    return pd.DataFrame(rows, columns=["Item", "Value"])


def _compare(review: Store, person: Reviewer, study_id: int) -> None:
    try:
        found = reconcile.compare(review, study_id, by=person)
    except ReviewError as exc:
        st.error(str(exc))
        return
    if not found.extractors:
        st.info("No one has extracted this study yet.")
        return
    st.caption("; ".join(f"{n}: {s}" for n, s in found.statuses.items())
               + (f". Reconciled by {found.final.reconciled_by}." if found.final
                  and found.final.reconciled_by else ""))
    only = st.toggle("Only disagreements", value=True, key=f"cmp-only-{study_id}")
    rows = [{"Row": r.key, "Item": r.label, "Agree": "yes" if r.agree else "no",
             **{n: shown_value(v) for n, v in r.values.items()}}
            for r in (found.disagreements if only else found.rows)]
    st.dataframe(pd.DataFrame(rows, columns=["Row", "Item", "Agree", *found.extractors]),
                 hide_index=True, width="stretch")
    with st.form(f"reconcile-{study_id}"):
        picks: dict[str, str | None] = {}
        if found.appraisal_follows_design:
            st.caption("The extractors recorded different designs and appraised with different "
                       "checklists: the final entry takes the appraisal of the extractor whose "
                       "design you keep.")
        for row in found.to_decide:
            picks[row.key] = st.radio(f"{row.label}: whose version?", found.extractors,
                                      index=None, horizontal=True,
                                      key=f"pick-{study_id}-{row.key}")
        if not found.disagreements:
            st.caption("The entries agree; reconciling makes them the final entry.")
        go = st.form_submit_button("Reconcile into the final entry", type="primary")
    if go:
        try:
            final = reconcile.reconcile(review, study_id, by=person, picks={
                k: v for k, v in picks.items() if v is not None})
        except ReviewError as exc:
            st.error(str(exc))
            return
        st.success(f"Study {study_id} reconciled by {final.reconciled_by}.")


def _add_theme(review: Store, person: Reviewer) -> None:
    with st.form("add-theme", clear_on_submit=True):
        kind = st.selectbox("Kind", list(THEME_KINDS), format_func=lambda k: KIND_LABELS[k])
        theme_id = st.text_input("Id", placeholder="e.g. stigma")
        label = st.text_input("Label")
        description = st.text_input("Description (optional)")
        add = st.form_submit_button("Add theme")
    if add and kind is not None:
        try:
            theme = extraction.add_theme(review, kind, theme_id, label, description, by=person)
        except ReviewError as exc:
            st.error(str(exc))
            return
        st.success(f"Added {theme.label} to {KIND_LABELS[theme.kind].lower()}.")


def _study_pdfs(review: Store, records: list[int]) -> None:
    """Each of the study's reports' PDFs, to read while extracting (folded away until asked)."""
    attached = {r["record_id"] for r in fulltext.list_reports(review, status=fulltext.RETRIEVED)}
    for record_id in (r for r in records if r in attached):
        try:
            name, data = fulltext.pdf_bytes(review, record_id)
        except ReviewError as exc:  # a damaged store: say so, the form still works
            st.error(str(exc))
            continue
        with st.expander(f"Read the PDF: {name} (record {record_id})"):
            st.pdf(data, height=PDF_HEIGHT, key=f"ext-pdf-{record_id}",
                   alt=f"Full text of record {record_id}")


def extraction_page() -> None:
    person = signed_in()
    review = store()
    st.title("Extraction")
    try:
        status = extraction.extraction_status(review, person)
        form = extraction.extraction_form(review)
    except ReviewError as exc:
        st.error(str(exc))
        return
    if not status:
        st.info("No included studies yet: studies appear here once reports are included at "
                "the final screening stage.")
        return
    # the option text must not change when a study's status does: Streamlit keeps the choice
    # by that text, and a changed text fell back to the first study, dropping a save made then
    labels = {r["study"]: f"{r['study']}. {r['label']}" for r in status}
    study_id = st.selectbox("Study", list(labels), format_func=lambda s: labels[s],
                            key="ext-study")
    if study_id is None:  # the list is never empty here; Streamlit types the choice optional
        return
    row = next(r for r in status if r["study"] == study_id)
    st.caption(f"Your entry: {row['mine'] or 'not started'}"
               + ("; reconciled." if row["final"] else ".") + " "
               f"Reports (record ids): {', '.join(map(str, row['records']))}. "
               + ("Two extractors work independently; a lead reconciles."
                  if form.dual else "One extractor per study."))
    _study_pdfs(review, list(row["records"]))
    tabs = ["My entry"] + (["Compare and reconcile", "Themes"] if person.is_lead else [])
    shown = st.tabs(tabs)
    with shown[0]:
        if row["final"] and form.dual:
            st.info("This study has been reconciled; the entries are locked. The final entry:")
            final = extraction.final_entries(review).get(study_id)
            if final is not None:
                st.dataframe(_entry_table(final, form), hide_index=True, width="stretch")
        else:
            _entry_form(review, person, form, study_id,
                        extraction.my_entry(review, study_id, person), list(row["records"]))
    if person.is_lead:
        with shown[1]:
            _compare(review, person, study_id)
        with shown[2]:
            st.dataframe(pd.DataFrame(
                [{"Kind": KIND_LABELS[t.kind], "Id": t.id, "Theme": t.label,
                  "Added by": t.added_by or "protocol"} for t in form.themes]),
                hide_index=True, width="stretch")
            _add_theme(review, person)
