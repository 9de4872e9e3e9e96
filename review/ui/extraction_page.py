"""Extraction: pick an included study, fill in the protocol's form (fields, coded extracts,
quality appraisal) and save. Extracts are listed theme by theme, kind by kind (descriptive
themes under their analytical theme), each with its quote, page or section, voice and
sub-theme, to edit or remove; new extracts go in the blank rows below them (three, and three
more at each click of "More rows for new extracts"). Each quote is looked for in the study's
PDFs: its page filled in, or flagged as not found verbatim. A lead also compares the two
extractors' entries extract by extract, reconciles them (keep one version, both, drop, or
write their own), and adds themes. Extractors see only their own entry: the page asks the
services, which enforce it."""

from __future__ import annotations

from typing import Any

import pandas as pd
import streamlit as st

from review.accounts import Reviewer
from review.errors import ReviewError
from review.extraction import entries as extraction
from review.extraction import quotes, reconcile
from review.extraction.entries import VOICE_LABELS, VOICES, Entry, Extract, Form, shown_value
from review.extraction.rows import entry_rows
from review.fields import FieldSpec
from review.screening import fulltext
from review.store import Store
from review.ui.appraisal_form import appraisal_inputs, appraisal_to_save
from review.ui.safe import md_escape
from review.ui.session import signed_in, store

NOT_REPORTED = "not reported"
PDF_HEIGHT = 800
NEW_ROWS = 3  # blank rows for new extracts, unless the extractor asks for more
_ROW = [5.6, 1.6, 1.7, 2, 1.1]  # quote, page or section, voice, sub-theme, remove
EDIT = "edit"
_OPTION_LABELS = {"both": "Keep both", "drop": "Drop", EDIT: "My own version (below)"}


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
    checks: list[tuple[str, quotes.QuoteCheck]] = st.session_state.pop(f"{key}-checks", [])
    saved = st.session_state.pop(f"{key}-saved", None)
    if saved:
        st.success(saved)
    for label, check in checks:
        text = f"{md_escape(label)}: {md_escape(check.message)}."
        if check.outcome in (quotes.DIFFERS, quotes.NOT_VERBATIM):
            st.warning(text + (" Check the quote against the PDF."
                               if check.outcome == quotes.NOT_VERBATIM else ""))
        elif check.outcome == quotes.UNCHECKED:
            st.caption(text)
        else:
            st.info(text)


def _voice(place: Any, label: str, value: str | None, key: str) -> str | None:
    return place.selectbox(label, VOICES, index=VOICES.index(value) if value in VOICES else None,
                        format_func=lambda v: VOICE_LABELS[v], key=key,
                        placeholder="Voice", label_visibility="collapsed")


def _row_header(remove: bool) -> None:
    """What the columns of the extract rows below hold (their inputs' labels are folded)."""
    heads = ("Quote", "Page or section", "Voice", "Sub-theme", "Remove" if remove else "")
    for place, text in zip(st.columns(_ROW), heads, strict=True):
        if text:
            place.caption(text)


def _extract_row(name: str, found: Extract | None, key: str) -> tuple[Extract | None, bool]:
    """One extract's inputs on a row (quote, page or section, voice, sub-theme, remove),
    labelled for screen readers by `name`; returns what they hold and whether to remove it."""
    quote_col, where_col, voice_col, sub_col, gone_col = st.columns(_ROW)
    quote = quote_col.text_area(f"Quote, {name}", value=found.quote if found else "",
                                key=f"{key}-quote", height=68, placeholder="Quote",
                                label_visibility="collapsed")
    where = where_col.text_input(f"Page or section, {name}",
                                 value=found.location if found else "", key=f"{key}-location",
                                 placeholder="p. 4 (or empty)", label_visibility="collapsed")
    voice = _voice(voice_col, f"Voice, {name}", found.voice if found else None,
                   f"{key}-voice")
    sub_theme = sub_col.text_input(f"Sub-theme, {name}",
                                   value=found.sub_theme if found else "",
                                   key=f"{key}-sub_theme", placeholder="Sub-theme (optional)",
                                   label_visibility="collapsed")
    remove = gone_col.checkbox(f"Remove {name}", key=f"{key}-remove",
                               label_visibility="collapsed") if found else False
    if not quote.strip():
        return None, remove
    return Extract(found.theme_id if found else "", quote, where, voice, sub_theme), remove


def _extracts_inputs(form: Form, coded: tuple[Extract, ...], key: str,
                     new_rows: int) -> tuple[list[tuple[str, Extract]], list[str]]:
    """The extract inputs, kind by kind and theme by theme, then the blank rows for new
    extracts. Returns (label, extract) per extract kept or added and the problems found."""
    kept: list[tuple[str, Extract]] = []
    problems: list[str] = []
    by_theme: dict[str, list[tuple[int, Extract]]] = {}
    for n, extract in enumerate(coded, start=1):
        by_theme.setdefault(extract.theme_id, []).append((n, extract))
    for kind, kind_label in form.kinds.items():
        themes = form.themes_of(kind)
        if not themes:
            continue
        count = sum(len(by_theme.get(theme.id, ())) for theme in themes)
        with st.expander(f"{kind_label} ({count} extract{'' if count == 1 else 's'})",
                         expanded=count > 0):
            if count:
                _row_header(remove=True)
            for theme in themes:
                mine = by_theme.get(theme.id, [])
                # analytical themes in bold, their descriptive themes indented under them
                shown = (f"\u00a0\u00a0\u00a0\u00a0› {md_escape(theme.label)}" if theme.parent
                         else f"**{md_escape(theme.label)}**")
                st.markdown(shown + (f" ({len(mine)})" if mine else ""),
                            help=theme.description or None)
                for number, (n, extract) in enumerate(mine, start=1):
                    name = f"{theme.label}, extract {number}"
                    found, remove = _extract_row(name, extract, f"{key}-x{n}")
                    if found is None and not remove:
                        problems.append(f"{name}: the quote is empty (tick Remove to take "
                                        "the extract out)")
                    elif found is not None and not remove:
                        kept.append((name, found))
    st.markdown("**New extracts**: choose the theme, then the quote (its page is found in "
                "the PDF when left empty), whose words they are, and a sub-theme if any")
    ids = [theme.id for theme in form.themes]
    _row_header(remove=False)
    for i in range(1, new_rows + 1):
        name = f"new extract {i}"
        theme_id = st.selectbox(f"Theme of {name}", ids, index=None, key=f"{key}-new{i}-theme",
                                format_func=lambda t: f"{form.kind_label(form.theme(t).kind)}:"
                                                      f" {form.theme_path(t)}",
                                placeholder=f"Theme of new extract {i}",
                                label_visibility="collapsed")
        found, _ = _extract_row(name, None, f"{key}-new{i}")
        if found is not None and theme_id is None:
            problems.append(f"{name}: choose its theme")
        elif found is not None and theme_id is not None:
            label = f"New extract {i} ({form.theme(theme_id).label})"
            kept.append((label, Extract(theme_id, found.quote, found.location, found.voice,
                                        found.sub_theme)))
    return kept, problems


def _entry_form(review: Store, person: Reviewer, form: Form, study_id: int,
                mine: Entry | None, records: list[int]) -> None:
    key = f"ext-{study_id}-{person.id}"
    _quote_checks(key)
    values = mine.values if mine else {}
    answered = mine.answers if mine else {}
    # the extract inputs are keyed by the entry's last save, so a save (which may renumber
    # them) shows the stored extracts afresh and empties the blank rows
    stamp = f"{key}-{mine.updated_at if mine else 'new'}"
    rows_key = f"{key}-new-rows"
    new_rows = st.session_state.get(rows_key, NEW_ROWS)
    with st.form(key):
        st.markdown("**Study characteristics**")
        given = {spec.id: _field_widget(spec, values.get(spec.id), f"{key}-field-{spec.id}")
                 for spec in form.fields}
        st.markdown("**Extracts** (any number per theme: quote, page or section, voice: "
                    "participant or author, optional sub-theme)")
        kept, problems = _extracts_inputs(form, mine.extracts if mine else (), stamp,
                                          int(new_rows))
        shown, answers, rating = appraisal_inputs(form, values, answered,
                                                  mine.rating if mine else None, key)
        left, right = st.columns(2)
        draft = left.form_submit_button("Save draft")
        done = right.form_submit_button("Save and mark done", type="primary")
    # below the form: a widget above it took the first click after typing in the form, so a
    # dropdown clicked then did not open
    if st.button("More rows for new extracts", key=f"{key}-more-rows",
                 help=f"Adds {NEW_ROWS} blank rows for new extracts; save what you typed "
                      "first"):
        st.session_state[rows_key] = new_rows + NEW_ROWS
        st.rerun()
    if not (draft or done):
        return
    if problems:
        st.error("Not saved: " + "; ".join(problems) + ".")
        return
    answers, rating, notice = appraisal_to_save(form, shown, given, answers, rating)
    try:
        located, checks = quotes.check_quotes(review, records, [e for _, e in kept])
        checked = [extraction.make_extract(form, e, where=f"{label}: ")
                   for (label, _), e in zip(kept, located, strict=True)]
        saved = extraction.save_entry(review, study_id, person, values=given, extracts=checked,
                                      answers=answers, rating=rating, done=done, replace=True)
    except ReviewError as exc:
        st.error(str(exc))
        return
    st.session_state[f"{key}-checks"] = [(f"Quote for {kept[c.index][0]}", c) for c in checks]
    st.session_state[f"{key}-saved"] = (
        f"Saved ({saved.status}): {len(saved.values)} field(s), {len(saved.extracts)} "
        f"extract(s) under {len(saved.themes)} theme(s), {len(saved.answers)} quality "
        "answer(s)." + notice)
    st.rerun()


def _entry_table(entry: Entry, form: Form) -> pd.DataFrame:
    """An entry as people read it: the form's labels, not its ids."""
    rows = [{"Item": row.label, "Value": row.value} for row in entry_rows(entry, form)]
    return pd.DataFrame(rows, columns=["Item", "Value"])


def _edited(row: reconcile.Row, study_id: int) -> dict[str, Any]:
    """A lead's own version of an extract row, starting from the first extractor's."""
    first = next(v for v in row.values.values() if v is not None)
    key = f"edit-{study_id}-{row.key}"
    with st.expander(f"Your own version of {row.label} ({row.key})"):
        quote = st.text_area("Quote", value=first.quote, key=f"{key}-quote", height=68)
        left, middle, right = st.columns(3)
        where = left.text_input("Page or section", value=first.location, key=f"{key}-location")
        voice = middle.selectbox("Voice", VOICES, index=VOICES.index(first.voice)
                                 if first.voice in VOICES else None,
                                 format_func=lambda v: VOICE_LABELS[v], key=f"{key}-voice")
        sub_theme = right.text_input("Sub-theme", value=first.sub_theme,
                                     key=f"{key}-sub_theme")
    return {"quote": quote, "location": where, "voice": voice, "sub_theme": sub_theme}


def _compare(review: Store, person: Reviewer, study_id: int) -> None:
    try:
        found = reconcile.compare(review, study_id, by=person)
    except ReviewError as exc:
        st.error(str(exc))
        return
    if not found.extractors:
        st.info("No one has extracted this study yet.")
        return
    st.caption("; ".join(f"{n}: {s}" for n, s in found.statuses.items()) + "."
               + (f" Reconciled by {found.final.reconciled_by}." if found.final
                  and found.final.reconciled_by else "")
               + " Extracts are paired by theme and by how alike their quotes are.")
    only = st.toggle("Only disagreements", value=True, key=f"cmp-only-{study_id}")
    rows = [{"Row": r.key, "Item": r.label, "Agree": "yes" if r.agree else "no",
             **{n: shown_value(v) for n, v in r.values.items()}}
            for r in (found.disagreements if only else found.rows)]
    st.dataframe(pd.DataFrame(rows, columns=["Row", "Item", "Agree", *found.extractors]),
                 hide_index=True, width="stretch")
    with st.form(f"reconcile-{study_id}"):
        picks: dict[str, str | None] = {}
        edits: dict[str, dict[str, Any]] = {}
        if found.appraisal_follows_design:
            st.caption("The extractors recorded different designs and appraised with different "
                       "checklists: the final entry takes the appraisal of the extractor whose "
                       "design you keep.")
        for row in found.to_decide:
            options = list(found.extractors)
            if row.section == "extract":
                present = [v for v in row.values.values() if v is not None]
                options += ([reconcile.BOTH] if len(present) > 1 else []) + [reconcile.DROP,
                                                                              EDIT]
            choice = st.radio(f"{row.label}: whose version?", options, index=None,
                              horizontal=True, key=f"pick-{study_id}-{row.key}",
                              format_func=lambda o: _OPTION_LABELS.get(o, o))
            if row.section == "extract":
                edited = _edited(row, study_id)
                if choice == EDIT:
                    edits[row.key] = edited
                    choice = None
            picks[row.key] = choice
        if not found.disagreements:
            st.caption("The entries agree; reconciling makes them the final entry.")
        go = st.form_submit_button("Reconcile into the final entry", type="primary")
    if go:
        try:
            final = reconcile.reconcile(review, study_id, by=person, picks={
                k: v for k, v in picks.items() if v is not None}, edits=edits)
        except ReviewError as exc:
            st.error(str(exc))
            return
        st.success(f"Study {study_id} reconciled by {final.reconciled_by}.")


def _add_theme(review: Store, person: Reviewer, form: Form) -> None:
    analytical = [t.id for t in form.themes if t.parent is None]
    with st.form("add-theme", clear_on_submit=True):
        kind = st.selectbox("Kind", list(form.kinds), format_func=form.kind_label)
        new_kind = st.text_input("Or a new kind (its id, e.g. outcomes)",
                                 help="Only to open a kind of themes the protocol does not "
                                      "have.")
        parent = st.selectbox("Under the analytical theme (optional)", analytical, index=None,
                              format_func=lambda t: f"{form.kind_label(form.theme(t).kind)}: "
                                                    f"{form.theme(t).label}",
                              placeholder="none: a theme of its own (analytical)")
        theme_id = st.text_input("Id", placeholder="e.g. stigma")
        label = st.text_input("Label")
        description = st.text_input("Description (optional)")
        add = st.form_submit_button("Add theme")
    if add and (kind is not None or new_kind.strip()):
        try:
            theme = extraction.add_theme(
                review, new_kind.strip() or str(kind), theme_id, label, description,
                by=person, parent=parent, new_kind=bool(new_kind.strip()))
        except ReviewError as exc:
            st.error(str(exc))
            return
        st.success(f"Added {theme.label} to {form.kind_label(theme.kind).lower()}"
                   + (f", under {form.theme(theme.parent).label}." if theme.parent else "."))


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
                [{"Kind": form.kind_label(t.kind), "Id": t.id, "Theme": form.theme_path(t.id),
                  "Added by": t.added_by or "protocol"} for t in form.themes]),
                hide_index=True, width="stretch")
            _add_theme(review, person, form)
