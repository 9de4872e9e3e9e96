"""The PRISMA 2020 flow diagram drawn by the tool itself, in the official layout for reviews
that searched databases, registers and other sources: two identification columns under their
title boxes, side bands Identification / Screening / Included, the template's box wording.
A new review gets the new-review template's wording ("Identification of studies via ...",
"Studies included in review"); an updated review (a previous version's reports imported) the
updated-review template: a "Previous studies" column on the left, "new studies" wording, and
a total box that adds the previous version's studies and reports to the new ones.

The footer explains what the template does not say: the dashed box (ours, not the
template's), whether the counts are provisional (pending lines in italics) or final, and
cites the template (Page et al., BMJ 2021;372:n71).

SVG is built with xml.etree (every text escaped); PNG is that SVG rendered by CairoSVG.
Text is wrapped with a conservative estimate of DejaVu Sans widths (wider than Arial or
Helvetica), so nothing overflows whichever of them the viewer has; boxes grow to fit, so six-
digit counts and long source names stay inside.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from dataclasses import dataclass, field

from review.errors import ReviewError
from review.prisma.counts import Prisma

FONT = 13
LINE = 17
PAD = 10
FAMILY = "Arial, Helvetica, 'Liberation Sans', 'DejaVu Sans', sans-serif"
MAIN_W, SIDE_W = 270, 280
ARROW_GAP, COLUMN_GAP, ROW_GAP = 46, 56, 34
BAND_X, BAND_W = 12, 34
X1 = BAND_X + BAND_W + 20
X2 = X1 + MAIN_W + ARROW_GAP
X3 = X2 + SIDE_W + COLUMN_GAP
X4 = X3 + MAIN_W + ARROW_GAP
WIDTH = X4 + SIDE_W + 16
YELLOW, GREY, BLUE = "#ffc000", "#d9d9d9", "#9dc3e6"
CAPTION = ("Counts computed by review from the review database. Records excluded at screening "
           "were excluded by reviewers; the protocol's automatic rules are counted under "
           "records marked as ineligible by automation tools.")
PREV_W = 250
PREV_SHIFT = PREV_W + COLUMN_GAP  # an updated review's "Previous studies" column
ORANGE = "#f4b183"
DASHED_NOTE = ("* Dashed box: not a box of the PRISMA 2020 template. It holds the records "
               "found by other methods that did not become reports sought for retrieval "
               "(duplicates of records already found, records excluded at screening, records "
               "still waiting), so that the column adds up.")
PROVISIONAL_NOTE = ("Provisional counts: the review is still in progress; lines in italics "
                    "are still pending.")
FINAL_NOTE = "Final counts: no stage of the review has pending work."
CITATION = ("Template: Page MJ, McKenzie JE, Bossuyt PM, et al. The PRISMA 2020 statement: an "
            "updated guideline for reporting systematic reviews. BMJ 2021;372:n71. "
            "doi:10.1136/bmj.n71")
NBSP = "\u00a0"  # holds "(n = 12)" together on one line

# em widths of DejaVu Sans (rounded up): a safe bound for the usual sans-serif fonts
_NARROW, _WIDE = set("fijlrtI!.,:;'|()[] "), set("mwMWOQGDHNU@%&")


def text_width(text: str, size: float = FONT) -> float:
    em = 0.0
    for ch in text:
        if ch in _NARROW:
            em += 0.36
        elif ch in _WIDE:
            em += 0.92
        elif ch.isupper():
            em += 0.72
        elif ch.isdigit():
            em += 0.64
        else:
            em += 0.62
    return em * size


def wrap(text: str, width: float, size: float = FONT) -> list[str]:
    """Greedy word wrap to a pixel width; a word too long for a line is cut."""
    lines: list[str] = []
    current = ""
    for word in (w for w in text.split(" ") if w):
        candidate = f"{current} {word}" if current else word
        if text_width(candidate, size) <= width:
            current = candidate
            continue
        if current:
            lines.append(current)
        while text_width(word, size) > width:
            cut = max(1, max(i for i in range(1, len(word) + 1)
                             if text_width(word[:i], size) <= width))
            lines.append(word[:cut])
            word = word[cut:]
        current = word
    if current:
        lines.append(current)
    return [line.replace(NBSP, " ") for line in lines] or [""]


@dataclass
class Line:
    text: str
    indent: int = 0
    style: str = ""  # "", "head" or "pending"


@dataclass
class Box:
    id: str
    x: float
    width: float
    lines: list[Line]
    dashed: bool = False
    y: float = 0.0
    rows: list[tuple[str, float, str]] = field(default_factory=list)  # text, x offset, style

    def layout(self) -> float:
        self.rows = []
        for line in self.lines:
            indent = 14 * line.indent
            for part in wrap(line.text, self.width - 2 * PAD - indent):
                self.rows.append((part, indent, line.style))
                indent = 14 * line.indent + (8 if line.indent else 0)  # hanging continuation
        return self.height

    @property
    def height(self) -> float:
        return 2 * PAD + LINE * len(self.rows) - 3

    @property
    def mid_y(self) -> float:
        return self.y + self.height / 2

    @property
    def cx(self) -> float:
        return self.x + self.width / 2


def n(value: int) -> str:
    return f"(n{NBSP}={NBSP}{value:,})"


def _breakdown(items: tuple[tuple[str, int], ...]) -> list[Line]:
    return [Line(f"{name} {n(count)}", indent=1) for name, count in items]


def _pending(label: str, value: int) -> list[Line]:
    return [Line(f"{label} {n(value)}", style="pending")] if value else []


def _unscreened(p: Prisma, value: int) -> list[Line]:
    """Open first-stage records: pending (italic) while screening goes on; after a lead
    stopped screening, a plain count of the records left unscreened."""
    if not p.screening_stopped_on:
        return _pending("Awaiting screening", value)
    return [Line(f"{p.unscreened_label()} {n(value)}")] if value else []


def boxes(p: Prisma) -> dict[str, Box]:
    """The diagram's boxes with their wording and counts, keyed by the count they show."""
    dx = PREV_SHIFT if p.updated else 0
    x1, x2, x3, x4 = X1 + dx, X2 + dx, X3 + dx, X4 + dx
    ident = [Line("Records identified from:", style="head"),
             Line(f"Databases {n(p.database_results)}"),
             *_breakdown(p.database_specific_results), Line(f"Registers {n(p.register_results)}"),
             *_breakdown(p.register_specific_results)]
    other_ident = [Line("Records identified from:", style="head"),
                   Line(f"Websites {n(p.website_results)}"),
                   Line(f"Organisations {n(p.organisation_results)}"),
                   Line(f"Citation searching {n(p.citations_results)}")]
    if p.other_results:
        other_ident.append(Line(f"Other methods {n(p.other_results)}"))
    removed = [Line("Records removed before screening:", style="head"),
               Line(f"Duplicate records removed {n(p.duplicates)}", indent=1),
               *([Line("of which duplicates of reports in the previous version "
                       f"{n(p.duplicates_of_previous)}", indent=2)]
                 if p.duplicates_of_previous else []),
               Line(f"Records marked as ineligible by automation tools "
                    f"{n(p.excluded_automatic)}", indent=1),
               Line(f"Records removed for other reasons {n(p.excluded_other)}", indent=1),
               *_pending("Awaiting deduplication", p.dbr_awaiting_deduplication)]
    found = {
        "identified_dbr": Box("identified_dbr", x1, MAIN_W, ident),
        "removed_before_screening": Box("removed_before_screening", x2, SIDE_W, removed),
        "identified_other": Box("identified_other", x3, MAIN_W, other_ident),
        "records_screened": Box("records_screened", x1, MAIN_W,
                                [Line(f"Records screened {n(p.records_screened)}")]),
        "records_excluded": Box("records_excluded", x2, SIDE_W, [
            Line(f"Records excluded {n(p.records_excluded)}"),
            *_unscreened(p, p.records_awaiting_screening)]),
    }
    if p.other_not_sought:
        found["other_not_sought"] = Box("other_not_sought", x4, SIDE_W, [
            Line("Records not sought for retrieval:*", style="head"),
            *[Line(f"{label} {n(v)}", indent=1) for label, v in (
                ("Duplicates of database or register records", p.other_duplicates_of_dbr),
                ("Duplicates of reports in the previous version",
                 p.other_duplicates_of_previous),
                ("Duplicate records removed", p.other_duplicates),
                ("Records marked as ineligible by automation tools", p.other_excluded_automatic),
                ("Records excluded", p.other_records_excluded)) if v],
            *_unscreened(p, p.other_awaiting_screening),
            *_pending("Awaiting deduplication", p.other_awaiting_deduplication)], dashed=True)
    for prefix, main_x, side_x in (("dbr", x1, x2), ("other", x3, x4)):
        get = lambda name, prefix=prefix: getattr(p, f"{prefix}_{name}")  # noqa: E731
        found[f"{prefix}_sought_reports"] = Box(f"{prefix}_sought_reports", main_x, MAIN_W, [
            Line(f"Reports sought for retrieval {n(get('sought_reports'))}")])
        found[f"{prefix}_notretrieved_reports"] = Box(
            f"{prefix}_notretrieved_reports", side_x, SIDE_W, [
                Line(f"Reports not retrieved {n(get('notretrieved_reports'))}"),
                *_pending("Awaiting retrieval", get("awaiting_retrieval")),
                *_pending("Awaiting assessment", get("awaiting_assessment"))])
        found[f"{prefix}_assessed"] = Box(f"{prefix}_assessed", main_x, MAIN_W, [
            Line(f"Reports assessed for eligibility {n(get('assessed'))}")])
        excluded = get("excluded")
        found[f"{prefix}_excluded"] = Box(f"{prefix}_excluded", side_x, SIDE_W, [
            Line(f"Reports excluded {n(sum(c for _, c in excluded))}"
                 + (":" if excluded else ""), style="head"),
            *_breakdown(excluded),
            *_pending("Awaiting a later stage", get("awaiting_later_stage"))])
    if p.updated:
        found["included"] = Box("included", x1, MAIN_W, [
            Line(f"New studies included in review {n(p.new_studies)}"),
            Line(f"Reports of new included studies {n(p.new_reports)}")])
        found["previous"] = Box("previous", X1, PREV_W, [
            Line(f"Studies included in previous version of review {n(p.previous_studies)}"),
            Line("Reports of studies included in previous version of review "
                 f"{n(p.previous_reports)}"),
            *_pending("Awaiting deduplication", p.previous_awaiting_deduplication)])
        found["total"] = Box("total", X1, PREV_W, [
            Line(f"Total studies included in review {n(p.total_studies)}"),
            Line(f"Reports of total included studies {n(p.total_reports)}")])
    else:
        found["included"] = Box("included", x1, MAIN_W, [
            Line(f"Studies included in review {n(p.new_studies)}"),
            Line(f"Reports of included studies {n(p.new_reports)}")])
    return found


ROWS = (("previous", "identified_dbr", "removed_before_screening", "identified_other"),
        ("records_screened", "records_excluded", "other_not_sought"),
        ("dbr_sought_reports", "dbr_notretrieved_reports", "other_sought_reports",
         "other_notretrieved_reports"),
        ("dbr_assessed", "dbr_excluded", "other_assessed", "other_excluded"),
        ("total", "included"))


def _sub(parent: ET.Element, tag: str, **attrs: object) -> ET.Element:
    return ET.SubElement(parent, tag, {k.rstrip("_").replace("_", "-"): str(v)
                                       for k, v in attrs.items()})


def _text(parent: ET.Element, x: float, y: float, text: str, **attrs: object) -> ET.Element:
    node = _sub(parent, "text", x=round(x, 1), y=round(y, 1), **attrs)
    node.text = text
    return node


def _header(svg: ET.Element, x: float, width: float, y: float, text: str, fill: str,
            ident: str) -> float:
    lines = wrap(text, width - 2 * PAD, FONT + 1)
    height = 2 * PAD + (FONT + 5) * len(lines) - 2
    group = _sub(svg, "g", id=f"header-{ident}")
    _sub(group, "rect", x=x, y=y, width=width, height=height, rx=8, fill=fill, stroke="#222",
         stroke_width=1.2)
    for i, line in enumerate(lines):
        _text(group, x + width / 2, y + PAD + FONT + i * (FONT + 5), line, text_anchor="middle",
              font_weight="bold", font_size=FONT + 1)
    return height


def _band(svg: ET.Element, top: float, bottom: float, label: str) -> None:
    group = _sub(svg, "g", id=f"band-{label.lower()}")
    _sub(group, "rect", x=BAND_X, y=top, width=BAND_W, height=bottom - top, rx=8, fill=BLUE,
         stroke="#222", stroke_width=1)
    cx, cy = BAND_X + BAND_W / 2, (top + bottom) / 2
    _text(group, cx, cy + 5, label, text_anchor="middle", font_weight="bold",
          font_size=FONT + 1, transform=f"rotate(-90 {cx} {cy})")


def _arrow(svg: ET.Element, points: list[tuple[float, float]]) -> None:
    _sub(svg, "polyline", points=" ".join(f"{x:.1f},{y:.1f}" for x, y in points), fill="none",
         stroke="#222", stroke_width=1.3, marker_end="url(#arrow)")


def footnotes(p: Prisma, *, caption: str | None = None, final: bool = False) -> list[str]:
    """The footer's paragraphs: the caption, the dashed box explained when it is drawn,
    provisional or final, and the template's citation."""
    notes = [caption] if caption else []
    if p.other_not_sought:
        notes.append(DASHED_NOTE)
    if final:
        notes.append(FINAL_NOTE)
    elif not p.complete:
        notes.append(PROVISIONAL_NOTE)
    notes.append(CITATION)
    return notes


def render_svg(p: Prisma, *, caption: str | None = None, final: bool = False) -> str:
    """The flow diagram as a standalone SVG document. `final` draws the review's final
    diagram: refused (ReviewError naming what is pending) while anything is pending, so it
    has no provisional (italic) line, and its footer says the counts are final."""
    if final and not p.complete:
        raise ReviewError("the PRISMA counts are not final yet; pending: "
                          + "; ".join(p.pending_lines()))
    found = boxes(p)
    for box in found.values():
        box.layout()
    dx = PREV_SHIFT if p.updated else 0
    x1, x2, x3, x4, width = X1 + dx, X2 + dx, X3 + dx, X4 + dx, WIDTH + dx
    svg = ET.Element("svg", {"xmlns": "http://www.w3.org/2000/svg", "version": "1.1",
                             "font-family": FAMILY, "font-size": str(FONT)})
    ET.SubElement(svg, "title").text = "PRISMA 2020 flow diagram"
    defs = _sub(svg, "defs")
    marker = _sub(defs, "marker", id="arrow", viewBox="0 0 10 10", refX=9, refY=5,
                  markerWidth=7, markerHeight=7, orient="auto")
    _sub(marker, "path", d="M0,0 L10,5 L0,10 z", fill="#222")
    background = _sub(svg, "rect", x=0, y=0, width=width, height=0, fill="#ffffff")

    y = 14.0
    new = "new studies" if p.updated else "studies"
    heads = [_header(svg, x1, x2 + SIDE_W - x1, y, f"Identification of {new} via databases "
                     "and registers", YELLOW, "dbr"),
             _header(svg, x3, x4 + SIDE_W - x3, y, f"Identification of {new} via other methods",
                     GREY, "other")]
    if p.updated:
        heads.append(_header(svg, X1, PREV_W, y, "Previous studies", ORANGE, "previous"))
    y += max(heads) + ROW_GAP - 8
    tops: list[tuple[float, float]] = []
    band_min = {0: "Identification", 4: "Included"}  # a band is as tall as its label at least
    for index, names in enumerate(ROWS):
        present = [found[name] for name in names if name in found]
        height = max(b.height for b in present)
        if index in band_min:
            height = max(height, text_width(band_min[index], FONT + 1) + 24)
        for box in present:
            box.y = y + (height - box.height) / 2
        tops.append((y, y + height))
        y += height + ROW_GAP
    bottom = y - ROW_GAP

    _band(svg, tops[0][0], tops[0][1], "Identification")
    _band(svg, tops[1][0], tops[3][1], "Screening")
    _band(svg, tops[4][0], tops[4][1], "Included")

    for box in found.values():
        group = _sub(svg, "g", id=box.id, **{"class": "box"})
        _sub(group, "rect", x=box.x, y=round(box.y, 1), width=box.width,
             height=round(box.height, 1), fill="#ffffff", stroke="#222", stroke_width=1.2,
             **({"stroke_dasharray": "5 3"} if box.dashed else {}))
        for i, (text, indent, style) in enumerate(box.rows):
            attrs: dict[str, object] = {}
            if style == "pending":
                attrs = {"font_style": "italic", "fill": "#8a4b00"}
            _text(group, box.x + PAD + indent, box.y + PAD + FONT - 1 + i * LINE, text, **attrs)

    def down(a: str, b: str) -> None:
        _arrow(svg, [(found[a].cx, found[a].y + found[a].height), (found[b].cx, found[b].y)])

    def right(a: str, b: str) -> None:
        y_mid = found[a].mid_y
        _arrow(svg, [(found[a].x + found[a].width, y_mid), (found[b].x, y_mid)])

    down("identified_dbr", "records_screened")
    down("records_screened", "dbr_sought_reports")
    down("dbr_sought_reports", "dbr_assessed")
    down("dbr_assessed", "included")
    down("identified_other", "other_sought_reports")
    down("other_sought_reports", "other_assessed")
    right("identified_dbr", "removed_before_screening")
    right("records_screened", "records_excluded")
    for prefix in ("dbr", "other"):
        right(f"{prefix}_sought_reports", f"{prefix}_notretrieved_reports")
        right(f"{prefix}_assessed", f"{prefix}_excluded")
    if "other_not_sought" in found:
        box = found["other_not_sought"]
        _arrow(svg, [(found["identified_other"].cx, box.mid_y), (box.x, box.mid_y)])
    inc, oth = found["included"], found["other_assessed"]
    _arrow(svg, [(oth.cx, oth.y + oth.height), (oth.cx, inc.mid_y), (inc.x + inc.width,
                                                                      inc.mid_y)])
    if p.updated:  # previous studies and new studies both lead to the total
        down("previous", "total")
        total_box = found["total"]
        _arrow(svg, [(inc.x, inc.mid_y), (total_box.x + total_box.width, inc.mid_y)])
    footer = _sub(svg, "g", id="footer")
    line_no = 0
    for paragraph in footnotes(p, caption=caption, final=final):
        for line in wrap(paragraph, width - X1 - 16, FONT - 2):
            _text(footer, X1, bottom + 22 + line_no * (LINE - 2), line, font_size=FONT - 2,
                  fill="#444")
            line_no += 1
    height = round(bottom + 30 + (line_no - 1) * (LINE - 2) + 4)
    svg.set("width", str(width))
    svg.set("height", str(height))
    svg.set("viewBox", f"0 0 {width} {height}")
    background.set("height", str(height))
    ET.indent(svg, space=" ")
    return ('<?xml version="1.0" encoding="UTF-8"?>\n'
            + ET.tostring(svg, encoding="unicode") + "\n")


def render_png(svg: str, *, scale: float = 1.5) -> bytes:
    """The SVG rendered to PNG by CairoSVG (needs the cairo library, Debian's libcairo2)."""
    try:
        import cairosvg  # start-up: cairo loads only for a PNG
    except (ImportError, OSError) as exc:  # OSError: the cairo shared library is missing
        raise ReviewError("PNG needs CairoSVG and the cairo library (Debian: apt-get install "
                          f"libcairo2): {exc}") from None
    return cairosvg.svg2png(bytestring=svg.encode("utf-8"), scale=scale)
