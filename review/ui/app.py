"""The Streamlit app: opens the review named by --db (after `--`) or $REVIEW_DB, and its pages."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

import streamlit as st

from review.errors import ReviewError
from review.project import review_info
from review.store import Store

PAGES = Path(__file__).resolve().parent / "pages"


def database_argument(argv: list[str] | None = None) -> str | None:
    parser = argparse.ArgumentParser(add_help=False)
    parser.add_argument("--db")
    known, _ = parser.parse_known_args(sys.argv[1:] if argv is None else argv)
    return known.db or os.environ.get("REVIEW_DB")


@st.cache_resource(show_spinner=False)
def open_store(db: str | None) -> Store:
    return Store.open(db)


def run() -> None:
    st.set_page_config(page_title="review", layout="wide")
    try:
        store = open_store(database_argument())
        info = review_info(store)
    except ReviewError as exc:
        st.error(str(exc))
        st.stop()
    st.session_state["store"] = store
    with st.sidebar:
        st.caption("Review")
        st.text(info.title)
        st.caption(f"Database: {info.database}")
        st.session_state["reviewer_name"] = st.text_input(
            "Your name", value=st.session_state.get("reviewer_name")
            or os.environ.get("REVIEW_USER", ""),
            help="Recorded with every decision you make.").strip()
    pages = [st.Page(PAGES / "records.py", title="Records", default=True),
             st.Page(PAGES / "duplicates.py", title="Duplicates")]
    st.navigation(pages).run()
