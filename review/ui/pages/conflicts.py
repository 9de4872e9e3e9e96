"""Page script for st.navigation (file-based, so tests can switch to it)."""

from review.ui.conflicts_page import conflicts_page

conflicts_page()
