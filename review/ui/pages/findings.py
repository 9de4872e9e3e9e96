"""Page script for st.navigation (file-based, so tests can switch to it)."""

from review.ui.findings_page import findings_page

findings_page()
