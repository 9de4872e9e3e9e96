"""Page script for st.navigation (file-based, so tests can switch to it)."""

from review.ui.sign_in_page import sign_in_page

sign_in_page()
