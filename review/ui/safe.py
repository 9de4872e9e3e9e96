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


# The marks' colours, set in full (text and background) so they read the same in a light or a
# dark theme; each text colour on its background passes WCAG AA for normal text (4.5:1; the
# ratios are checked in tests/test_ui.py). Not by colour alone: include terms are bold,
# exclude terms underlined.
INCLUDE_MARK = {"color": "#0b4d1e", "background": "#c9efd5"}
EXCLUDE_MARK = {"color": "#7c1010", "background": "#fcd6d3"}
_STYLE = {
    "include": (f"color:{INCLUDE_MARK['color']};background:{INCLUDE_MARK['background']};"
                "font-weight:700;padding:0 .15em;border-radius:.2em"),
    "exclude": (f"color:{EXCLUDE_MARK['color']};background:{EXCLUDE_MARK['background']};"
                "text-decoration:underline;text-decoration-thickness:2px;"
                "text-underline-offset:2px;padding:0 .15em;border-radius:.2em"),
}


def mark(text: str, kind: str) -> str:
    """One marked term (already escaped by the caller): HTML we write, for st.markdown with
    unsafe_allow_html=True."""
    return f'<mark class="term-{kind}" style="{_STYLE[kind]}">{text}</mark>'


def highlight(text: object, include: re.Pattern[str] | None,
              exclude: re.Pattern[str] | None) -> str:
    """Escape the text, then mark the include terms (bold on green) and the exclude terms
    (underlined on red): the only markup is ours, so the result is safe to show with
    st.markdown(..., unsafe_allow_html=True)."""
    if text is None:
        return ""
    raw = str(text)
    spans: list[tuple[int, int, str]] = []
    for pattern, kind in ((exclude, "exclude"), (include, "include")):
        if pattern is None:
            continue
        for match in pattern.finditer(raw):
            if match.end() > match.start():
                spans.append((match.start(), match.end(), kind))
    spans.sort(key=lambda s: (s[0], -(s[1] - s[0])))  # earliest first; longer wins a tie
    out, at = [], 0
    for start, end, kind in spans:
        if start < at:  # overlaps a span already marked
            continue
        out.append(md_escape(raw[at:start]))
        out.append(mark(md_escape(raw[start:end]), kind))
        at = end
    out.append(md_escape(raw[at:]))
    return "".join(out)
