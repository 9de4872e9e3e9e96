"""Page script for st.navigation (file-based, so tests can switch to it)."""

from review.ui.progress_page import progress_page

progress_page()
