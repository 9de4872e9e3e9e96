"""A search box over the review's PDFs (on the Full text page): each page found with
its report, study and a snippet, the words marked. No votes are shown: the service returns
none."""

from __future__ import annotations

import streamlit as st

from review.accounts import Reviewer
from review.errors import ReviewError
from review.screening import pdftext
from review.store import Store
from review.ui.safe import mark, md_escape

SHOWN = 50  # pages listed; the caption says how many more matched


def _snippet(hit: pdftext.PdfHit) -> str:
    text, out, at = hit.snippet.text, [], 0
    for start, end in hit.snippet.marks:
        out.append(md_escape(text[at:start]) + mark(md_escape(text[start:end]), "include"))
        at = end
    return "".join(out) + md_escape(text[at:])


def search_box(review: Store, person: Reviewer, *, prefix: str) -> None:
    """An expander with the search box and its results."""
    with st.expander("Search the review's PDFs"):
        with st.form(f"{prefix}-pdf-search", border=False):
            words = st.text_input("Words to find in the PDFs", key=f"{prefix}-pdf-words",
                                  placeholder='e.g. moderat* "safe space"',
                                  help="Every word must be on the page; \"a phrase\" in quotes; "
                                       "* for any ending. Case, line breaks and hyphenation do "
                                       "not matter.")
            go = st.form_submit_button("Search")
        if not (go or words):
            return
        if not words.strip():
            st.caption("Type a word to search for.")
            return
        try:
            found = pdftext.search_pdfs(review, words, actor=person, limit=SHOWN)
        except ReviewError as exc:
            st.error(str(exc))
            return
        terms = " and ".join(f"‘{md_escape(term)}’" for term in found.query.terms)
        st.caption(f"{len(found.hits)} page(s) in {found.pdfs} searchable PDF(s) hold {terms}"
                   + (f"; {found.more} more not shown." if found.more else "."))
        for hit in found.hits:
            study = f"study {hit.study_id}, " if hit.study_id else ""
            st.markdown(f"**Record {hit.record_id}** ({study}{md_escape(hit.label)}), "
                        f"{md_escape(hit.file_name)}, **p. {hit.page}**  \n{_snippet(hit)}",
                        unsafe_allow_html=True)
        for row in found.unsearchable:
            why = row["error"] if row["status"] == "unreadable" else row["status"]
            st.caption(f"Not searched: record {row['record_id']}, "
                       f"{md_escape(row['file_name'])}: {md_escape(why)}.")
