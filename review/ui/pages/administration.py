"""Page script for st.navigation (file-based, so tests can switch to it)."""

from review.ui.admin_page import admin_page

admin_page()
