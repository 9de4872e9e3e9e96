"""Page script for st.navigation (file-based, so tests can switch to it)."""

from review.ui.duplicates_page import duplicates_page

duplicates_page()
