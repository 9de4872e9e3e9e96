"""Streamlit entry point: `streamlit run app.py -- --db PATH|URL` (or set REVIEW_DB)."""

from review.ui.app import run

run()
