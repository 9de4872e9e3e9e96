"""Page script for st.navigation (file-based, so tests can switch to it)."""

from review.ui.records_page import records_page

records_page()
