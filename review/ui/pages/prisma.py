"""Page script for st.navigation (file-based, so tests can switch to it)."""

from review.ui.prisma_page import prisma_page

prisma_page()
