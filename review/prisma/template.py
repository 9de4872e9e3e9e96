"""PRISMA counts as files: a CSV in the layout of the PRISMA2020 R package's template (so the
package's PRISMA_data() and its Shiny app read it), and JSON.

The CSV has the template's columns (data, node, box, description, boxtext, tooltips, url, n)
and its rows in its order; `data` names the count, `node` and `box` are the template's
identifiers (the package finds boxes by them), `boxtext` is the PRISMA 2020 box wording.
Breakdowns are written as the package parses them: "Name, n; Name, n". Because it splits on
";" and takes the name up to the first ",", those two characters in a source name or a reason
become " -"; an empty breakdown is written as 0, which the package reads as none. Kind "other"
records, which the template has no row for, get an extra `other_results` row only when there
are any. Source names and reasons come from people, so every cell goes through
review.tabular's formula neutraliser (a breakdown whose first name starts with = or @ gets a
leading single quote), and read_csv takes that quote off again.

The template's box wording is that of PRISMA 2020's template for updated reviews ("new
studies"); for a new review (no previous version imported) the CSV carries the new-review
template's wording instead (NEW_REVIEW_WORDING), and previous_studies and previous_reports
are 0.
"""

from __future__ import annotations

import csv
import io
import json
import re
import string
from typing import Any

from review.errors import InputError
from review.prisma.counts import Breakdown, Prisma, identities
from review.tabular import csv_value, restore

COLUMNS = ("data", "node", "box", "description", "boxtext", "tooltips", "url", "n")
NA = "NA"

# (data, node, box, boxtext, description): node and box NA-free rows lead their box
TEMPLATE: tuple[tuple[str, str, str, str, str], ...] = (
    (NA, "node4", "prevstud", "Previous studies", "Title box: previous studies"),
    ("previous_studies", "node5", "box1", "Studies included in previous version of review",
     "Studies the previous version included (0 for a new review)"),
    ("previous_reports", NA, "box1", "Reports of studies included in previous version of review",
     "Reports of the studies the previous version included (0 for a new review)"),
    (NA, "node6", "newstud", "Identification of new studies via databases and registers",
     "Title box: databases and registers"),
    ("database_results", "node7", "box2", "Databases", "Records from databases"),
    ("database_specific_results", NA, "box2", "Specific Databases",
     "Records from each database, by source name"),
    ("register_results", NA, "box2", "Registers", "Records from registers"),
    ("register_specific_results", NA, "box2", "Specific Registers",
     "Records from each register, by source name"),
    (NA, "node16", "othstud", "Identification of new studies via other methods",
     "Title box: other methods"),
    ("website_results", "node17", "box11", "Websites", "Records from websites"),
    ("organisation_results", NA, "box11", "Organisations", "Records from organisations"),
    ("citations_results", NA, "box11", "Citation searching", "Records from citation searching"),
    ("duplicates", "node8", "box3", "Duplicate records",
     "Duplicates among database and register records"),
    ("excluded_automatic", NA, "box3", "Records marked as ineligible by automation tools",
     "Excluded by the protocol's automatic rules before screening"),
    ("excluded_other", NA, "box3", "Records removed for other reasons",
     "Removed before screening for another reason"),
    ("records_screened", "node9", "box4", "Records screened",
     "Works screened, databases and registers"),
    ("records_excluded", "node10", "box5", "Records excluded",
     "Excluded by reviewers at screening, databases and registers"),
    ("dbr_sought_reports", "node11", "box6", "Reports sought for retrieval",
     "Full texts sought, databases and registers"),
    ("dbr_notretrieved_reports", "node12", "box7", "Reports not retrieved",
     "Full texts not obtained, databases and registers"),
    ("other_sought_reports", "node18", "box12", "Reports sought for retrieval",
     "Full texts sought, other methods"),
    ("other_notretrieved_reports", "node19", "box13", "Reports not retrieved",
     "Full texts not obtained, other methods"),
    ("dbr_assessed", "node13", "box8", "Reports assessed for eligibility",
     "Full texts assessed, databases and registers"),
    ("dbr_excluded", "node14", "box9", "Reports excluded",
     "Full texts excluded by reason (Reason, n; Reason, n), databases and registers"),
    ("other_assessed", "node20", "box14", "Reports assessed for eligibility",
     "Full texts assessed, other methods"),
    ("other_excluded", "node21", "box15", "Reports excluded",
     "Full texts excluded by reason (Reason, n; Reason, n), other methods"),
    ("new_studies", "node15", "box10", "New studies included in review",
     "Studies included (companion reports linked into one study)"),
    ("new_reports", NA, "box10", "Reports of new included studies",
     "Reports of the included studies"),
    ("total_studies", "node22", "box16", "Total studies included in review",
     "New studies plus the previous version's studies"),
    ("total_reports", NA, "box16", "Reports of total included studies",
     "Reports of new studies plus the previous version's reports"),
    ("identification", "node1", "identification", "Identification", "Side band"),
    ("screening", "node2", "screening", "Screening", "Side band"),
    ("included", "node3", "included", "Included", "Side band"),
)
# a new review: the wording of PRISMA 2020's template for new reviews
NEW_REVIEW_WORDING = {
    "Identification of new studies via databases and registers":
        "Identification of studies via databases and registers",
    "Identification of new studies via other methods":
        "Identification of studies via other methods",
    "New studies included in review": "Studies included in review",
    "Reports of new included studies": "Reports of included studies",
}
BREAKDOWNS = ("database_specific_results", "register_specific_results", "dbr_excluded",
              "other_excluded")
_UNSAFE = re.compile(r"\s*[,;]\s*")


def template_values(p: Prisma) -> dict[str, int | Breakdown]:
    """The counts under the template's data names (breakdowns with names made CSV-safe)."""
    out: dict[str, int | Breakdown] = {}
    for data, *_ in TEMPLATE:
        if data == NA or data in out or not hasattr(p, data):
            continue
        value = getattr(p, data)
        if data in BREAKDOWNS:
            value = tuple((safe_name(name), n) for name, n in value)
        out[data] = value
    if p.other_results:
        out["other_results"] = p.other_results
    return out


def safe_name(name: str) -> str:
    """A name as the package reads it back: no "," or ";", no white space or hyphen at
    either end (the breakdown's parts are trimmed when read)."""
    return _UNSAFE.sub(" - ", name).strip(string.whitespace + "-") or "Unnamed"


def _format(value: int | Breakdown) -> str:
    if isinstance(value, tuple):
        return "; ".join(f"{name}, {n}" for name, n in value) or "0"
    return str(value)


def to_csv(p: Prisma) -> str:
    values = template_values(p)
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    rows: list[list[str]] = [list(COLUMNS)]
    for data, node, box, boxtext, description in TEMPLATE:
        if not p.updated:
            boxtext = NEW_REVIEW_WORDING.get(boxtext, boxtext)
        leads = node != NA
        key = data if data != NA else box
        n = values.get(data, 0)
        rows.append([data, node, box, description, boxtext, description if leads else NA,
                     f"{key}.html" if leads else NA, _format(n)])
        if data == "citations_results" and "other_results" in values:
            rows.append(["other_results", NA, "box11", "Records from other methods",
                         "Other methods", NA, NA, _format(values["other_results"])])
    writer.writerows([csv_value(cell) for cell in row] for row in rows)
    return buffer.getvalue()


def _parse_breakdown(text: str, where: str) -> Breakdown:
    text = text.strip()
    if text in ("", "0", NA):
        return ()
    items = []
    for part in text.split(";"):
        name, sep, number = part.strip().rpartition(",")
        if not sep or not number.strip().isdigit():
            raise InputError(where, f"expected 'Name, n; Name, n', found {part.strip()!r}")
        items.append((name.strip(), int(number)))
    return tuple(items)


def read_csv(text: str, file: str = "<PRISMA csv>") -> dict[str, int | Breakdown]:
    """The counts of a CSV written by to_csv (or by the R package), by data name."""
    reader = csv.DictReader(io.StringIO(text))
    if reader.fieldnames is None or "data" not in reader.fieldnames \
            or "n" not in reader.fieldnames:
        raise InputError(file, "not a PRISMA2020 template CSV (needs the data and n columns)",
                         line=1)
    out: dict[str, int | Breakdown] = {}
    for line, row in enumerate(reader, start=2):
        data, n = (restore((row[k] or "").strip()) for k in ("data", "n"))
        if data in ("", NA) or data in ("identification", "screening", "included"):
            continue
        where = f"{file}, line {line}"
        if data in BREAKDOWNS:
            out[data] = _parse_breakdown(n, where)
        elif n.replace(",", "").isdigit():
            out[data] = int(n.replace(",", ""))
        else:
            raise InputError(file, f"{data}: expected a number, found {n!r}", line=line)
    return out


def to_json(p: Prisma, *, review: str | None = None) -> str:
    """Every count (ours and the template's), what is pending, and each identity checked."""
    document: dict[str, Any] = {
        "review": review,
        "complete": p.complete,
        "pending": p.pending(),
        "counts": p.as_dict(),
        "identities": [{"name": i.name, "holds": i.holds, "value": i.left[1]}
                       for i in identities(p)],
    }
    return json.dumps(document, ensure_ascii=False, indent=2) + "\n"
