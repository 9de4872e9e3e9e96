"""Page script for st.navigation (file-based, so tests can switch to it)."""

from review.ui.extraction_page import extraction_page

extraction_page()
