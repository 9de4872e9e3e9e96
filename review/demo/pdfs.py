"""The demo's full texts: a short invented PDF for each extracted study, made here (no real
paper is shipped), with the demo's quotes on the pages the extraction gives for them, so the
PDF search finds them and quote location puts them on their page. One quote is hyphenated
across a line end and each is set in curly quotation marks, as in a published paper.

Every text is neutral and non-graphic, and says on every page that it is invented.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from review.io.pdf import wrap, write_text_pdf

NOTICE = "Demo full text, invented for the demo of review: not a real paper."
SECTION_PAGES = {"Methods": 2, "Results, theme 2": 4, "Table 3": 6}  # else: the last page
_FILLER = {
    1: ("Abstract", "This demo report describes peer support for people who self-harm and how "
        "members and moderators experience it. It exists only to show the review tool."),
    2: ("Methods", "Participants were recruited through a charity's online forum and local "
        "groups. Interviews were recorded, transcribed and analysed thematically by two "
        "researchers, who met to agree the themes."),
    3: ("Results", "Members described a safe space, practical coping advice and less "
        "isolation. Moderators described rules and training that kept the forum supportive."),
    4: ("Results, theme 2", "Information support: members shared where to find help and "
        "which services had been useful to them."),
    5: ("Results, theme 3", "Belonging: many members said the group was where they were first "
        "understood."),
    6: ("Table 3", "Themes and the number of participants who mentioned each one, by group "
        "and by role (member or moderator)."),
}
_DISCUSSION = ("Discussion", "Peer support offered acceptance and mutual aid; moderators "
               "needed supervision and debriefing. Group rules asked members to talk about "
               "feelings rather than methods.")


def _quote_lines(quote: str, voice: str = "participant") -> list[str]:
    """A quote as a paper sets it: a participant's words in curly quotation marks, a longer
    one broken with a hyphen at the line end, as typesetting does; the authors' own words as
    plain text."""
    if voice != "participant":
        return wrap([quote])
    label, _, words = quote.partition(": ")
    text = f"{label}: \u201c{words}\u201d" if words else f"\u201c{quote}\u201d"
    cut = text.rfind(" ", 0, 48) + 1
    word = re.match(r"[A-Za-z]+", text[cut:]) if len(text) > 40 else None
    if word is not None and len(word.group()) >= 6:  # hyphenated across the line end
        half = cut + len(word.group()) // 2
        return [text[:half] + "-", text[half:] + " (participant)"]
    return wrap([text + " (participant)"])


def demo_pdf(title: str, label: str, quotes: Sequence[tuple[str, str, str]]) -> bytes:
    """The invented full text of a demo study: each quote (quote, location, voice) on the
    page its location names ("p. 5"), or on the page of the section it names."""
    placed: dict[int, list[tuple[str, str]]] = {}
    for quote, location, voice in quotes:
        if location.startswith("p. "):
            page = int(location[3:])
        else:
            page = SECTION_PAGES.get(location, 0)
        if (quote, voice) not in placed.get(page, []):
            placed.setdefault(page, []).append((quote, voice))
    last = max([7, *placed]) + 1
    placed.setdefault(last, []).extend(placed.pop(0, []))
    pages: list[list[str]] = []
    for number in range(1, last + 1):
        heading, body = _DISCUSSION if number == last else _FILLER.get(number, (
            "Results, continued", "Further accounts from members and moderators, grouped by "
            "theme."))
        lines = [NOTICE, ""]
        if number == 1:
            lines += wrap([title, f"{label} (demo)"]) + [""]
        lines += wrap([heading, body])
        for quote, voice in placed.get(number, []):
            lines += [""] + _quote_lines(quote, voice)
        pages.append(lines)
    return write_text_pdf(pages, title=f"{label}: {title}")
