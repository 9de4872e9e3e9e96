"""Page script for st.navigation (file-based, so tests can switch to it)."""

from review.ui.screen_page import screen_page

screen_page()
