"""Titles, abstracts and notes come from outside: show them as text, never as markup."""

from __future__ import annotations

import html
import re

_MARKDOWN_SPECIAL = re.compile(r"([\\`*_{}\[\]()<>#+\-.!|~$:])")


def md_escape(text: object) -> str:
    """Escape Markdown and HTML so st.markdown shows the characters themselves: a title with
    '<script>' or '![x](http://...)' stays inert text."""
    if text is None:
        return ""
    return _MARKDOWN_SPECIAL.sub(r"\\\1", html.escape(str(text), quote=False))
