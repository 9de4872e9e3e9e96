"""Page script for st.navigation (file-based, so tests can switch to it)."""

from review.ui.fulltext_page import fulltext_page

fulltext_page()
