"""Page script for st.navigation (file-based, so tests can switch to it)."""

from review.ui.tables_page import tables_page

tables_page()
