"""Import: a lead uploads one search's export files with the source's name and kind, and what
PRISMA-S asks of the search (date, platform, strategy, limits); they land whole or not at all,
then deduplication puts the new records into screening. Below, the searches so far and the
search appendix to download."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import streamlit as st

from review.accounts import Reviewer
from review.errors import ReviewError
from review.importing import KIND_LABELS, KINDS, SourceInfo, import_and_deduplicate
from review.prisma.searches import (
    Search,
    appendix_csv,
    appendix_markdown,
    edit_search,
    search_report,
)
from review.project import review_info
from review.store import Store
from review.ui import voting
from review.ui.safe import md_escape
from review.ui.session import leads, signed_in, store

PREFIX = "import"
MAX_MB = 50  # per file: the largest real export we know of is a few MB per 10,000 records
TYPES = ["ris", "txt", "nbib", "medline", "ciw", "ovd", "cgi", "csv", "tsv", "bib"]


def too_large(uploads: list) -> str | None:  # noqa: ANN001 (Streamlit's UploadedFile)
    """The refusal for files over the limit (the widget stops them in the browser; this is
    the server's own check)."""
    big = [u for u in uploads if u.size > MAX_MB * 1024 * 1024]
    if not big:
        return None
    names = ", ".join(f"{md_escape(u.name)} ({u.size / (1024 * 1024):.0f} MB)" for u in big)
    return (f"Not imported: {names} is larger than {MAX_MB} MB per file. Split the export "
            "into several files (most databases export in batches) and import them together.")


def not_exports(uploads: list) -> str | None:  # noqa: ANN001 (Streamlit's UploadedFile)
    """The refusal for files whose type is not one we read (a .png, a .pdf): named, with the
    types we do read. The widget takes any file, so this message is what a person sees,
    rather than the browser's silent refusal and an empty upload."""
    wrong = [u.name for u in uploads if Path(u.name).suffix.lower().lstrip(".") not in TYPES]
    if not wrong:
        return None
    names = ", ".join(md_escape(name) for name in wrong)
    kinds = ", ".join(f".{t}" for t in TYPES)
    return (f"Not imported: {names} {'is not an export' if len(wrong) == 1 else 'are not exports'}"
            f" that review reads. It reads RIS, PubMed/MEDLINE, Web of Science, CSV and BibTeX "
            f"exports: {md_escape(kinds)}.")


def import_page() -> None:
    review = store()
    person = signed_in(leads, "Importing is for the review's leads.")
    st.title("Import")
    voting.show_flash(PREFIX)
    st.caption("One search at a time: its export file(s), the source they came from and the "
               "kind of source (the PRISMA 2020 identification boxes). The format is told from "
               "the content. Every file is checked first; an error names the file and line, "
               "and then nothing is imported. The date, platform, strategy and limits go into "
               "the search appendix (PRISMA-S) below.")
    counter = st.session_state.setdefault(f"{PREFIX}-n", 0)
    with st.form(f"{PREFIX}-form-{counter}"):
        # any type is taken, so that a wrong file is named in our message (with type=, the
        # browser drops it and the form would only say that no file was chosen)
        uploads = st.file_uploader("Export file(s)", accept_multiple_files=True,
                                   max_upload_size=MAX_MB,
                                   help="RIS, PubMed/MEDLINE, Web of Science, Ovid tagged (Ovid's "
                                        "Citavi option), CSV or BibTeX "
                                        f"(.{', .'.join(TYPES)}), up to {MAX_MB} MB each.")
        name = st.text_input("Source name", placeholder='e.g. "MEDLINE (Ovid)"')
        kind = st.selectbox("Kind of source", KINDS, format_func=lambda k: KIND_LABELS[k])
        searched = st.date_input("Searched on (optional)", value=None,
                                 max_value=dt.date.today(), format="YYYY-MM-DD")
        platform = st.text_input("Platform (optional)",
                                 placeholder="e.g. Ovid, EBSCOhost, Web of Science Core Collection")
        query = st.text_area("Search strategy (optional)", height=100,
                             help="The full strategy as run, line by line, for the search "
                                  "appendix.")
        limits = st.text_input("Limits (optional)",
                               placeholder='e.g. "English; 2010 to current; humans"')
        submitted = st.form_submit_button("Import", type="primary")
    if not submitted:
        searches_so_far(review, person)
        return
    if not uploads:
        st.error("Choose at least one export file.")
        return
    refusal = not_exports(uploads) or too_large(uploads)
    if refusal:
        st.error(refusal)
        return
    source = SourceInfo(name, kind, searched.isoformat() if searched else None,
                        query.strip() or None, platform, limits)
    try:
        with st.spinner("Importing, then finding duplicates among all the review's records"):
            outcome = import_and_deduplicate(
                review, [(upload.name, upload.getvalue()) for upload in uploads], source,
                actor=person)
    except ReviewError as exc:  # names the file, which is untrusted text: shown literally
        st.error(md_escape(str(exc)))
        return
    files = "; ".join(f"{md_escape(f.file_name)} ({f.format}, {f.records} records)"
                      for f in outcome.files)
    summary = outcome.dedupe
    if summary is None:  # the page always deduplicates: it failed after the import landed
        st.session_state[f"{PREFIX}-n"] = counter + 1
        st.warning(f"Imported {outcome.records} records from {len(outcome.files)} file(s) as "
                   f"{md_escape(outcome.source.name)}: {files}. Finding duplicates failed "
                   f"({md_escape(outcome.dedupe_error or 'unknown error')}); the new records "
                   "reach screening once duplicates are found again (`review dedupe`).")
        return
    voting.flash(PREFIX, f"Imported {outcome.records} records from {len(outcome.files)} "
                 f"file(s) as {md_escape(outcome.source.name)}: {files}. After deduplication "
                 f"the review has {summary.records} records in {summary.groups} groups; "
                 f"{summary.needs_review} pair(s) wait for a person on the Duplicates page.")
    st.session_state[f"{PREFIX}-n"] = counter + 1
    st.rerun()


def _count(value: int | None) -> str:
    return "not yet" if value is None else str(value)


def searches_so_far(review: Store, person: Reviewer) -> None:
    """Each search imported so far (PRISMA-S), the search appendix as Markdown or CSV, and a
    form to add or correct a search's details."""
    report = search_report(review)
    if not report.searches:
        return
    st.subheader("Searches so far")
    st.dataframe([{"Source": s.source, "Kind": KIND_LABELS.get(s.kind, s.kind),
                   "Platform": s.platform or "", "Searched on": s.searched_on or "",
                   "Records": s.records, "After deduplication": _count(s.after_deduplication),
                   "Unique": _count(s.unique), "Limits": s.limits or "",
                   "Strategy": "recorded" if s.query else "missing"}
                  for s in report.searches], hide_index=True, width="stretch")
    after = _count(report.after_deduplication)
    st.caption(f"{report.records} records found, {after} after deduplication. A strategy, "
               "date, platform or limits not given at import is added below (or with `review "
               "searches edit`).")
    left, right = st.columns(2)
    left.download_button("Search appendix (Markdown)",
                         appendix_markdown(report, title=review_info(review).title),
                         "search-appendix.md", "text/markdown")
    right.download_button("Search appendix (CSV)", appendix_csv(report).encode("utf-8-sig"),
                          "search-appendix.csv", "text/csv")
    document_search(review, person, report.searches)


def document_search(review: Store, person: Reviewer, searches: list[Search]) -> None:
    """Add or correct one search's date, platform, strategy and limits (every file of it)."""
    with st.expander("Add or correct a search's details"):
        labels = [f"{n}. {s.source} ({s.searched_on or 'no date'}; {len(s.files)} file(s))"
                  for n, s in enumerate(searches, start=1)]
        chosen = st.selectbox("Search", range(len(searches)), format_func=lambda i: labels[i],
                              key=f"{PREFIX}-doc-search")
        search = searches[chosen]
        key = f"{PREFIX}-doc-{'-'.join(map(str, search.source_ids))}"  # fresh values per search
        with st.form(key):
            searched = st.date_input(
                "Searched on", max_value=dt.date.today(), format="YYYY-MM-DD",
                value=dt.date.fromisoformat(search.searched_on) if search.searched_on else None)
            platform = st.text_input("Platform", value=search.platform or "")
            query = st.text_area("Search strategy", value=search.query or "", height=120)
            limits = st.text_input("Limits", value=search.limits or "")
            save = st.form_submit_button("Save the search's details")
        if not save:
            return
        try:
            edit_search(review, search.source_ids, actor=person, platform=platform,
                        searched_on=searched.isoformat() if searched else None,
                        query=query, limits=limits)
        except ReviewError as exc:
            st.error(str(exc))
            return
        voting.flash(PREFIX, f"Saved the details of {md_escape(search.source)}.")
        st.rerun()
