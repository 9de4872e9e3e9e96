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


def highlight(text: object, include: re.Pattern[str] | None,
              exclude: re.Pattern[str] | None) -> str:
    """Escape the text, then mark the protocol's terms (include green, exclude red; bold, so
    not by colour alone) with Streamlit's colour directives: the only markup is ours."""
    if text is None:
        return ""
    raw = str(text)
    spans: list[tuple[int, int, str]] = []
    for pattern, colour in ((exclude, "red"), (include, "green")):
        if pattern is None:
            continue
        for match in pattern.finditer(raw):
            if match.end() > match.start():
                spans.append((match.start(), match.end(), colour))
    spans.sort(key=lambda s: (s[0], -(s[1] - s[0])))  # earliest first; longer wins a tie
    out, at = [], 0
    for start, end, colour in spans:
        if start < at:  # overlaps a span already marked
            continue
        out.append(md_escape(raw[at:start]))
        out.append(f":{colour}-background[**{md_escape(raw[start:end])}**]")
        at = end
    out.append(md_escape(raw[at:]))
    return "".join(out)
