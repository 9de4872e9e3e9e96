"""Page script for st.navigation (file-based, so tests can switch to it)."""

from review.ui.import_page import import_page

import_page()
