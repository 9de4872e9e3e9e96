"""Full text: attach a report's PDF, read it beside the form, vote with an exclusion reason;
a lead marks a report that cannot be obtained as not retrieved; search the review's PDFs."""

from __future__ import annotations

import hashlib

import streamlit as st

from review.accounts import Reviewer
from review.errors import ReviewError
from review.project import review_protocol
from review.screening import fulltext
from review.screening import terms as highlight_terms
from review.screening.state import fulltext_stage
from review.screening.terms import Marks
from review.screening.votes import Item
from review.store import Store
from review.ui import voting
from review.ui.pdf_search import search_box
from review.ui.safe import md_escape
from review.ui.session import signed_in, store

PREFIX = "fulltext"
PDF_HEIGHT = 900
MAX_MB = 100  # a scanned report can be large; the store itself refuses more than 200 MB


def _show_pdf(review: Store, item: Item) -> None:
    status = item.fulltext or {}
    if status.get("status") != fulltext.RETRIEVED:
        st.info("No PDF attached yet. Attach one below, or assess the report from another "
                "copy and say so in the note.")
        return
    try:
        name, data = fulltext.pdf_bytes(review, item.record_id)
    except ReviewError as exc:
        st.error(str(exc))
        return
    st.caption(f"{md_escape(name)} ({len(data) // 1024 + 1} KB, sha256 "
               f"{status.get('sha256', '')[:12]}...)")
    st.pdf(data, height=PDF_HEIGHT, key=f"{PREFIX}-pdf-{item.group_id}",
           alt=f"Full text of record {item.record_id}")
    st.download_button("Download the PDF", data, file_name=name, mime="application/pdf",
                       key=f"{PREFIX}-download-{item.group_id}")


def _attach(review: Store, person: Reviewer, item: Item) -> None:
    status = item.fulltext or {}
    counter = st.session_state.setdefault(f"{PREFIX}-upload-n", 0)
    label = "Replace the PDF" if status.get("status") == fulltext.RETRIEVED else "Attach the PDF"
    upload = st.file_uploader(label, type=["pdf"], max_upload_size=MAX_MB,
                              help=f"A PDF of up to {MAX_MB} MB.",
                              key=f"{PREFIX}-upload-{item.group_id}-{counter}")
    if upload is None:
        return
    if upload.size > MAX_MB * 1024 * 1024:
        st.error(f"Not attached: {md_escape(upload.name)} is larger than {MAX_MB} MB. A "
                 "compressed copy (most PDF tools can reduce scanned pages) will do.")
        return
    data = upload.getvalue()
    if hashlib.sha256(data).hexdigest() == status.get("sha256"):
        return
    try:
        row = fulltext.attach_pdf(review, item.record_id, data, upload.name, actor=person)
    except ReviewError as exc:
        st.error(str(exc))
        return
    st.session_state[f"{PREFIX}-upload-n"] = counter + 1
    voting.flash(PREFIX, f"Attached {md_escape(upload.name)} to record {item.record_id}.")
    if row["text_status"] == "no text layer":
        st.session_state[f"{PREFIX}-info"] = (
            f"{md_escape(upload.name)} has no text layer (a scan?): search and quote location "
            "cannot use it.")
    elif row["text_error"]:
        st.session_state[f"{PREFIX}-info"] = (
            f"Its text could not be read, so search and quote location cannot use it: "
            f"{md_escape(row['text_error'])}")
    st.rerun()


def _not_retrieved(review: Store, person: Reviewer, item: Item) -> None:
    if not person.is_lead or item.my_vote:
        return
    with st.expander("Could not obtain this report?"):
        reason = st.text_input("Why it was not retrieved",
                               placeholder="e.g. requested from the authors, no reply",
                               key=f"{PREFIX}-nr-reason-{item.group_id}")
        if st.button("Mark not retrieved", key=f"{PREFIX}-nr-{item.group_id}"):
            try:
                fulltext.mark_not_retrieved(review, item.record_id, reason, actor=person)
            except ReviewError as exc:
                st.error(str(exc))
                return
            voting.flash(PREFIX, f"Record {item.record_id} marked not retrieved.")
            st.session_state.pop(f"{PREFIX}-open", None)
            st.rerun()


def fulltext_page() -> None:
    review, person = store(), signed_in()
    protocol = review_protocol(review)
    stage = fulltext_stage(protocol)
    st.title("Full text")
    if stage is None:
        st.info("This protocol has a single screening stage, so there are no full texts.")
        return
    marks = Marks(protocol.highlight, highlight_terms.my_terms(review, person))
    voting.show_flash(PREFIX)
    search_box(review, person, prefix=PREFIX)
    item = voting.current_item(review, person, stage, protocol, prefix=PREFIX)
    if item is None:
        voting.show_error(PREFIX)
        voting.empty_queue(review, person, stage, protocol)
        voting.navigation(review, stage, None, prefix=PREFIX)
        voting.my_votes(review, person, stage, prefix=PREFIX)
        return
    voting.progress_bar(item, stage)
    left, right = st.columns([3, 2], gap="large")
    with right:
        voting.show_record(item, marks, abstract=False)
        if item.record.get("abstract"):
            with st.expander("Abstract"):
                voting.show_abstract(item, marks)
        voting.criteria_panel(protocol, stage, prefix=PREFIX)
        voting.vote_form(review, person, item, stage, protocol, prefix=PREFIX)
        voting.navigation(review, stage, item, prefix=PREFIX)
        st.caption(voting.KEYS_HELP + " Excluding needs the first reason that applies; "
                   "without a PDF, say in the note how you read the report.")
    with left:
        _show_pdf(review, item)
        _attach(review, person, item)
        _not_retrieved(review, person, item)
    voting.my_votes(review, person, stage, prefix=PREFIX)
    voting.terms_editor(review, person, marks, prefix=PREFIX)
