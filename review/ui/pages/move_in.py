"""Page script for st.navigation (file-based, so tests can switch to it)."""

from review.ui.move_in_page import move_in_page

move_in_page()
