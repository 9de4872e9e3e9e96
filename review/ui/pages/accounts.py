"""Page script for st.navigation (file-based, so tests can switch to it)."""

from review.ui.accounts_page import accounts_page

accounts_page()
