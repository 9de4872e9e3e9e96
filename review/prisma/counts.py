"""PRISMA 2020 flow counts, computed from the review itself (never typed in), for a new review
that searched databases, registers and other methods, or an updated one (a previous version's
included reports imported as kind "previous").

How each box is counted (a "group" is a duplicate group: one work, however many records):

- Columns. A source's kind decides its column: database and register are the left column
  ("databases and registers"); website, organisation, citation and other are the right column
  ("other methods"). A group belongs to the left column when any of its records came from a
  database or register, else to the right one: a report found both ways is counted once, on
  the left, as PRISMA's layout expects (the other-method search found nothing new there).
- Identification: records per kind from `sources.record_count` (the per-source breakdown adds
  up the files of each source name, in import order); it must equal the records stored.
- Removed before screening (left column): duplicate records = left-column records in groups
  minus left-column groups; marked ineligible by automation tools = groups the protocol's
  automatic rule excluded at the first stage (screening_state decided_by "automation");
  removed for other reasons = 0, because the tool removes nothing else: a record imported but
  not yet deduplicated is not removed but counted as awaiting deduplication.
- Records screened = left groups with a first-stage row not excluded by automation. Records
  excluded = excluded by people (votes or a resolution) at any stage before full texts;
  awaiting screening = open or in conflict there. Exclusions by automation are never in
  "records excluded": they are in the removed-before-screening box, so the two are separate.
- Reports sought = groups with a row at the full-text stage (fulltext_stage(protocol)); not
  retrieved = its state "not retrieved"; awaiting retrieval = open, no full text and no vote
  yet; awaiting assessment = the other open or conflicting ones; assessed = decided there.
  Reports excluded, by reason = excluded at the full-text stage (or a later one), in the order
  of the protocol's exclusion_reasons (reasons outside that list after them); a report decided
  at full text but still open at a later stage is awaiting a later stage.
- Other-methods column: its groups are screened like any other in this tool, but PRISMA's
  layout shows them from "reports sought" on. Everything before that (other-method records
  that duplicate a database or register record, duplicates among themselves, automation,
  title/abstract exclusions, awaiting screening or deduplication) is counted too, so that the
  column adds up exactly; the diagram shows it in a box of its own beside the column, and the
  JSON export has it. The R package's CSV template has no row for it.
- Included: reports = groups included at the final stage; studies = those reports' studies
  (review.extraction.studies: an unlinked report is a study of its own).
- Updated reviews (PRISMA 2020's template for updated reviews). The previous version's
  included reports (kind "previous") are not records identified by this version's searches:
  they are counted apart (previous_records) and never screened. previous_reports = duplicate
  groups holding a previous-version record (one report however many copies were imported);
  previous_studies = the number the import stated (the previous version's own count), else
  one study per report. A group holding a previous-version report is in neither column: its
  database and register records are duplicates removed before screening (duplicates, of
  which duplicates_of_previous), its other-method records are in the not-sought box
  (other_duplicates_of_previous). total_studies = new_studies + previous_studies and
  total_reports = new_reports + previous_reports; for a new review they equal the new ones.
- Living reviews: a source searched again has each run's records in "records identified"
  (each file's record_count); the records a later run finds again join the earlier run's
  groups, so they are duplicates removed, never screened twice.

check_identities verifies the sums between boxes; a broken one raises PrismaIdentityError
naming it, so a wrong diagram is never drawn. Mid-review counts are valid: whatever is
still pending is its own "awaiting ..." term in the sums, never silently dropped.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from dataclasses import asdict, dataclass, fields
from typing import Any

import sqlalchemy as sa

from review.accounts import Reviewer, authorise, reads_reports
from review.errors import ReviewError
from review.project import review_protocol
from review.screening.state import (
    BY_AUTOMATION,
    CONFLICT,
    DECIDED,
    EXCLUDE,
    INCLUDE,
    NOT_RETRIEVED,
    OPEN,
    fulltext_stage,
)
from review.store import Store
from review.store import schema as t
from review.store.records import PREVIOUS, PREVIOUS_STUDIES

DBR_KINDS = ("database", "register")
OTHER_KINDS = ("website", "organisation", "citation", "other")
NO_REASON = "Reason not recorded"

Breakdown = tuple[tuple[str, int], ...]
_DBR, _OTHER = "databases and registers", "other methods"
PENDING_LABELS = {
    "previous_awaiting_deduplication": "previous version's reports awaiting deduplication",
    "dbr_awaiting_deduplication": f"records awaiting deduplication ({_DBR})",
    "records_awaiting_screening": f"records awaiting screening ({_DBR})",
    "dbr_awaiting_retrieval": f"reports awaiting retrieval ({_DBR})",
    "dbr_awaiting_assessment": f"reports awaiting assessment ({_DBR})",
    "dbr_awaiting_later_stage": f"reports awaiting a later stage ({_DBR})",
    "other_awaiting_deduplication": f"records awaiting deduplication ({_OTHER})",
    "other_awaiting_screening": f"records awaiting screening ({_OTHER})",
    "other_awaiting_retrieval": f"reports awaiting retrieval ({_OTHER})",
    "other_awaiting_assessment": f"reports awaiting assessment ({_OTHER})",
    "other_awaiting_later_stage": f"reports awaiting a later stage ({_OTHER})",
}


class PrismaIdentityError(ReviewError):
    """Two boxes of the flow diagram do not add up: the data are inconsistent."""

    def __init__(self, identity: str, detail: str) -> None:
        self.identity = identity
        super().__init__(f"PRISMA counts do not add up ({identity}): {detail}; the diagram was "
                         "not drawn")


@dataclass(frozen=True, slots=True)
class Prisma:
    """Every count of the flow diagram; names follow the PRISMA2020 R package's template where
    it has one (database_results, dbr_excluded, ...), the rest are ours."""

    # identification
    database_results: int = 0
    database_specific_results: Breakdown = ()
    register_results: int = 0
    register_specific_results: Breakdown = ()
    website_results: int = 0
    organisation_results: int = 0
    citations_results: int = 0
    other_results: int = 0  # kind "other": no row in the R template
    records_stored: int = 0
    # databases and registers, before and at screening
    dbr_awaiting_deduplication: int = 0
    duplicates: int = 0
    excluded_automatic: int = 0
    excluded_other: int = 0
    records_screened: int = 0
    records_excluded: int = 0
    records_awaiting_screening: int = 0
    # databases and registers, reports
    dbr_sought_reports: int = 0
    dbr_notretrieved_reports: int = 0
    dbr_awaiting_retrieval: int = 0
    dbr_awaiting_assessment: int = 0
    dbr_assessed: int = 0
    dbr_excluded: Breakdown = ()
    dbr_awaiting_later_stage: int = 0
    dbr_included_reports: int = 0
    # other methods, before reports sought (not drawn by the R template)
    other_awaiting_deduplication: int = 0
    other_duplicates_of_dbr: int = 0
    other_duplicates: int = 0
    other_excluded_automatic: int = 0
    other_records_screened: int = 0
    other_records_excluded: int = 0
    other_awaiting_screening: int = 0
    # other methods, reports
    other_sought_reports: int = 0
    other_notretrieved_reports: int = 0
    other_awaiting_retrieval: int = 0
    other_awaiting_assessment: int = 0
    other_assessed: int = 0
    other_excluded: Breakdown = ()
    other_awaiting_later_stage: int = 0
    other_included_reports: int = 0
    # included
    new_studies: int = 0
    new_reports: int = 0
    total_studies: int = 0
    total_reports: int = 0
    # an updated review: the previous version's included reports (kind "previous")
    previous_records: int = 0
    previous_awaiting_deduplication: int = 0
    previous_reports: int = 0
    previous_studies: int = 0
    duplicates_of_previous: int = 0  # part of duplicates
    other_duplicates_of_previous: int = 0
    # a lead stopped title/abstract screening (prioritised screening's stopping rule) on this
    # date: the records still open there are "not screened", not waiting
    screening_stopped_on: str = ""

    @property
    def updated(self) -> bool:
        """An updated review (a previous version's reports imported): PRISMA's template for
        updated reviews, with its previous-studies column and "new studies" wording."""
        return self.previous_records > 0

    @property
    def identified_dbr(self) -> int:
        return self.database_results + self.register_results

    @property
    def identified_other(self) -> int:
        return (self.website_results + self.organisation_results + self.citations_results
                + self.other_results)

    @property
    def other_not_sought(self) -> int:
        """Other-method records that did not become reports sought (the extra box)."""
        return (self.other_awaiting_deduplication + self.other_duplicates_of_dbr
                + self.other_duplicates_of_previous + self.other_duplicates
                + self.other_excluded_automatic
                + self.other_records_excluded + self.other_awaiting_screening)

    def pending(self) -> dict[str, int]:
        """What is still waiting for someone, by count name (empty when the review is done).
        Once screening was stopped, records left unscreened wait for nobody."""
        unscreened = ("records_awaiting_screening", "other_awaiting_screening")
        return {f.name: getattr(self, f.name) for f in fields(self)
                if "awaiting" in f.name and getattr(self, f.name)
                and not (self.screening_stopped_on and f.name in unscreened)}

    def unscreened_label(self) -> str:
        """How the first stage's open records are named: waiting, or left after a stop."""
        if self.screening_stopped_on:
            return f"Not screened, screening stopped on {self.screening_stopped_on}"
        return "Awaiting screening"

    @property
    def complete(self) -> bool:
        return not self.pending()

    def pending_lines(self) -> list[str]:
        """What is pending, in words a reviewer reads."""
        return [f"{PENDING_LABELS.get(k, k.replace('_', ' '))}: {v:,}"
                for k, v in self.pending().items()]

    def as_dict(self) -> dict[str, Any]:
        """Plain values (breakdowns as [{name, n}]) for JSON."""
        out = asdict(self)
        for key, value in out.items():
            if isinstance(value, tuple):
                out[key] = [{"name": name, "n": n} for name, n in value]
        return out


def total(breakdown: Breakdown) -> int:
    return sum(n for _, n in breakdown)


@dataclass(frozen=True, slots=True)
class Identity:
    name: str
    left: tuple[str, int]
    right: tuple[tuple[str, int], ...]

    @property
    def holds(self) -> bool:
        return self.left[1] == sum(v for _, v in self.right)

    def detail(self) -> str:
        terms = " + ".join(f"{label} {value}" for label, value in self.right)
        return (f"{self.left[0]} is {self.left[1]}, but {terms} make "
                f"{sum(v for _, v in self.right)}")


def identities(p: Prisma) -> list[Identity]:
    """The sums between boxes that every flow diagram of this tool satisfies."""
    def column(prefix: str, label: str) -> Iterator[Identity]:
        g = lambda name: getattr(p, f"{prefix}_{name}")  # noqa: E731
        yield Identity(f"{label}: reports sought = not retrieved + awaiting + assessed",
                       ("reports sought", g("sought_reports")),
                       (("not retrieved", g("notretrieved_reports")),
                        ("awaiting retrieval", g("awaiting_retrieval")),
                        ("awaiting assessment", g("awaiting_assessment")),
                        ("assessed", g("assessed"))))
        yield Identity(f"{label}: reports assessed = excluded + awaiting + included",
                       ("reports assessed", g("assessed")),
                       (("reports excluded", total(g("excluded"))),
                        ("awaiting a later stage", g("awaiting_later_stage")),
                        ("reports included", g("included_reports"))))

    found = [
        Identity("records stored = records identified + previous version's reports",
                 ("records stored", p.records_stored),
                 (("records identified from every source", p.identified_dbr + p.identified_other),
                  ("previous version's records", p.previous_records))),
        Identity("databases = sum of the databases listed",
                 ("records from databases", p.database_results),
                 tuple(p.database_specific_results)),
        Identity("registers = sum of the registers listed",
                 ("records from registers", p.register_results),
                 tuple(p.register_specific_results)),
        Identity("databases and registers: identified = removed before screening + screened",
                 ("records identified", p.identified_dbr),
                 (("awaiting deduplication", p.dbr_awaiting_deduplication),
                  ("duplicates", p.duplicates),
                  ("marked ineligible by automation", p.excluded_automatic),
                  ("removed for other reasons", p.excluded_other),
                  ("records screened", p.records_screened))),
        Identity("databases and registers: screened = excluded + awaiting + reports sought",
                 ("records screened", p.records_screened),
                 (("records excluded", p.records_excluded),
                  ("awaiting screening", p.records_awaiting_screening),
                  ("reports sought", p.dbr_sought_reports))),
        *column("dbr", "databases and registers"),
        Identity("other methods: identified = not sought + reports sought",
                 ("records identified", p.identified_other),
                 (("awaiting deduplication", p.other_awaiting_deduplication),
                  ("duplicates of database or register records", p.other_duplicates_of_dbr),
                  ("duplicates of previous version's reports", p.other_duplicates_of_previous),
                  ("duplicates", p.other_duplicates),
                  ("marked ineligible by automation", p.other_excluded_automatic),
                  ("records screened", p.other_records_screened))),
        Identity("other methods: screened = excluded + awaiting + reports sought",
                 ("records screened", p.other_records_screened),
                 (("records excluded", p.other_records_excluded),
                  ("awaiting screening", p.other_awaiting_screening),
                  ("reports sought", p.other_sought_reports))),
        *column("other", "other methods"),
        Identity("reports of included studies = included from both columns",
                 ("reports of included studies", p.new_reports),
                 (("databases and registers", p.dbr_included_reports),
                  ("other methods", p.other_included_reports))),
        Identity("total studies = new studies + previous version's studies",
                 ("total studies", p.total_studies),
                 (("new studies", p.new_studies), ("previous studies", p.previous_studies))),
        Identity("total reports = new reports + previous version's reports",
                 ("total reports", p.total_reports),
                 (("new reports", p.new_reports), ("previous reports", p.previous_reports))),
    ]
    return found


def check_identities(p: Prisma) -> Prisma:
    """Raise PrismaIdentityError naming the first sum that does not hold; else return p."""
    for f in fields(p):
        value = getattr(p, f.name)
        if isinstance(value, str):
            continue
        values = [n for _, n in value] if isinstance(value, tuple) else [value]
        if any(n < 0 for n in values):
            raise PrismaIdentityError(f"{f.name} is not negative", f"{f.name} is {value}")
    for identity in identities(p):
        if not identity.holds:
            raise PrismaIdentityError(identity.name, identity.detail())
    if p.new_studies > p.new_reports or (p.new_reports > 0) != (p.new_studies > 0):
        raise PrismaIdentityError(
            "every included study has at least one report",
            f"{p.new_studies} studies from {p.new_reports} reports")
    if p.previous_studies > p.previous_reports or (
            (p.previous_reports > 0) != (p.previous_studies > 0)):
        raise PrismaIdentityError(
            "every study of the previous version has at least one report",
            f"{p.previous_studies} previous studies were stated on import, but the previous "
            f"version's reports are {p.previous_reports} after deduplication (copies among "
            "them were merged into one work): if a merge is wrong, part it with 'review "
            "duplicates split GROUP' ('review duplicates --groups' lists them); if it is "
            "right, the stated number of studies is too high")
    if p.duplicates_of_previous > p.duplicates:
        raise PrismaIdentityError(
            "duplicates of previous reports are duplicates",
            f"{p.duplicates_of_previous} of {p.duplicates} duplicates")
    return p


def _reasons(counter: Counter[str | None], order: tuple[str, ...]) -> Breakdown:
    named = [(r, counter[r]) for r in order if counter.get(r)]
    rest = sorted((r, n) for r, n in counter.items() if r is not None and r not in order and n)
    missing = [(NO_REASON, counter[None])] if counter.get(None) else []
    return tuple(named + rest + missing)


@dataclass(frozen=True, slots=True)
class ExcludedReport:
    """A report excluded after assessment, as counted in PRISMA's "reports excluded" boxes."""

    group_id: int
    column: str  # "dbr" (databases and registers) or "other" (other methods)
    stage: str  # the stage that excluded it
    reason: str  # the protocol's reason (NO_REASON when none was recorded)


def compute(store: Store, *, by: str | Reviewer | None = None) -> Prisma:
    """Every count, from one read of the review, checked (PrismaIdentityError if broken).
    For the review's leads and observers; `by` is whoever asks (None: the command line)."""
    return _compute(store, by)[0]


def excluded_reports(store: Store, *, by: str | Reviewer | None = None
                     ) -> tuple[Prisma, list[ExcludedReport]]:
    """The counts and, one by one, the reports they count as excluded with reasons (the
    same walk, so the list always has as many reports as the boxes), in group order."""
    return _compute(store, by)


def _compute(store: Store, by: str | Reviewer | None) -> tuple[Prisma, list[ExcludedReport]]:
    with store.read() as conn:
        if by is not None:
            authorise(store, conn, by, reads_reports,
                      "the PRISMA counts are for the review's leads and observers")
        protocol = review_protocol(store, conn)
        sources = conn.execute(sa.select(t.sources.c.id, t.sources.c.kind,
                                         t.sources.c.name, t.sources.c.record_count)
                               .order_by(t.sources.c.id)).all()
        members = conn.execute(sa.select(t.records.c.source_id,
                                         t.record_groups.c.group_id)
                               .select_from(t.records).outerjoin(
                                   t.record_groups,
                                   t.record_groups.c.record_id == t.records.c.id)).all()
        state = t.screening_state
        states = {(r.group_id, r.stage): r for r in conn.execute(
            sa.select(state.c.group_id, state.c.stage, state.c.state, state.c.outcome,
                      state.c.decided_by, state.c.reason, state.c.votes))}
        with_fulltext = {g for (g,) in conn.execute(sa.select(t.fulltexts.c.group_id))}
        links = dict(conn.execute(sa.select(t.study_reports.c.group_id,
                                            t.study_reports.c.study_id)).all())
        stop = conn.execute(sa.select(t.screening_stops.c.decided_at).where(
            t.screening_stops.c.stage == protocol.stages[0].id)).scalar()
        stated = conn.execute(sa.select(t.settings.c.value).where(
            t.settings.c.key == PREVIOUS_STUDIES)).scalar()

    kind_of = {s.id: s.kind for s in sources}
    values: dict[str, Any] = {"screening_stopped_on": (stop or "")[:10]}
    by_name: dict[tuple[str, str], int] = {}
    identified: Counter[str] = Counter()
    for s in sources:
        identified[s.kind] += s.record_count
        by_name[(s.kind, s.name)] = by_name.get((s.kind, s.name), 0) + s.record_count
    values.update(previous_records=identified[PREVIOUS])
    values.update(
        database_results=identified["database"], register_results=identified["register"],
        website_results=identified["website"], organisation_results=identified["organisation"],
        citations_results=identified["citation"], other_results=identified["other"],
        database_specific_results=tuple((n, c) for (k, n), c in by_name.items()
                                        if k == "database"),
        register_specific_results=tuple((n, c) for (k, n), c in by_name.items()
                                        if k == "register"),
        records_stored=len(members))

    # a group holding a previous version's report is in neither column (never screened);
    # else a group with any database or register record is a left-column report
    previous_groups = {g for source_id, g in members
                       if g is not None and kind_of[source_id] == PREVIOUS}
    left_groups: set[int] = set()
    all_groups: set[int] = set()
    for source_id, group_id in members:
        if group_id is not None and group_id not in previous_groups:
            all_groups.add(group_id)
            if kind_of[source_id] in DBR_KINDS:
                left_groups.add(group_id)
    n: Counter[str] = Counter()
    for source_id, group_id in members:
        kind = kind_of[source_id]
        left_record = kind in DBR_KINDS
        if kind == PREVIOUS:
            if group_id is None:
                n["previous_awaiting_deduplication"] += 1
        elif group_id is None:
            n["dbr_awaiting_deduplication" if left_record else "other_awaiting_deduplication"] += 1
        elif group_id in previous_groups:
            n["duplicates_of_previous" if left_record else "other_duplicates_of_previous"] += 1
        elif left_record:
            n["dbr_grouped"] += 1
        elif group_id in left_groups:
            n["other_duplicates_of_dbr"] += 1
        else:
            n["other_grouped"] += 1
    n["duplicates"] = (n.pop("dbr_grouped", 0) - len(left_groups)
                       + n["duplicates_of_previous"])
    n["other_duplicates"] = n.pop("other_grouped", 0) - len(all_groups - left_groups)

    stages = protocol.stages
    report_stage = fulltext_stage(protocol)
    split = stages.index(report_stage) if report_stage is not None else len(stages)
    screening, assessing = stages[:split], stages[split:]
    reasons: dict[str, Counter[str | None]] = {"dbr": Counter(), "other": Counter()}
    excluded: list[ExcludedReport] = []
    included: list[int] = []
    for group_id in sorted(all_groups):
        col = "dbr" if group_id in left_groups else "other"
        first = states.get((group_id, stages[0].id))
        if first is None:
            continue  # not counted anywhere: the identities say so
        if first.decided_by == BY_AUTOMATION:
            n["excluded_automatic" if col == "dbr" else "other_excluded_automatic"] += 1
            continue
        n["records_screened" if col == "dbr" else "other_records_screened"] += 1
        outcome = _walk(states, group_id, screening)
        if outcome != INCLUDE:
            if outcome == EXCLUDE:
                n["records_excluded" if col == "dbr" else "other_records_excluded"] += 1
            elif outcome is not None:
                n["records_awaiting_screening" if col == "dbr"
                  else "other_awaiting_screening"] += 1
            continue
        n[f"{col}_sought_reports"] += 1
        if not assessing:  # a single-stage protocol: its inclusions are the reports
            n[f"{col}_assessed"] += 1
            n[f"{col}_included_reports"] += 1
            included.append(group_id)
            continue
        row = states.get((group_id, assessing[0].id))
        if row is None:
            continue
        if row.state == NOT_RETRIEVED:
            n[f"{col}_notretrieved_reports"] += 1
            continue
        if row.state in (OPEN, CONFLICT):
            waiting = (row.state == OPEN and not row.votes and group_id not in with_fulltext)
            n[f"{col}_awaiting_retrieval" if waiting else f"{col}_awaiting_assessment"] += 1
            continue
        n[f"{col}_assessed"] += 1
        for stage in assessing:
            row = states.get((group_id, stage.id))
            if row is None:
                break
            if row.state == DECIDED and row.outcome == EXCLUDE:
                reasons[col][row.reason] += 1
                excluded.append(ExcludedReport(group_id, col, stage.id, row.reason or NO_REASON))
                break
            if row.state != DECIDED:
                n[f"{col}_awaiting_later_stage"] += 1
                break
        else:
            n[f"{col}_included_reports"] += 1
            included.append(group_id)
    values.update(n)
    order = protocol.exclusion_reasons
    studies = len({links[g] for g in included if g in links}) + sum(
        1 for g in included if g not in links)
    previous_reports = len(previous_groups)
    previous_studies = (int(stated) if stated else previous_reports) if previous_reports else 0
    values.update(dbr_excluded=_reasons(reasons["dbr"], order),
                  other_excluded=_reasons(reasons["other"], order),
                  new_studies=studies, new_reports=len(included),
                  previous_reports=previous_reports, previous_studies=previous_studies,
                  total_studies=studies + previous_studies,
                  total_reports=len(included) + previous_reports)
    return check_identities(Prisma(**values)), excluded


def _walk(states: dict, group_id: int, stages: tuple) -> str | None:
    """A group's outcome over the screening stages: exclude, include (passed them all), "open"
    (waiting at one), or None when a row that should exist is missing."""
    for stage in stages:
        row = states.get((group_id, stage.id))
        if row is None:
            return None
        if row.state != DECIDED:
            return "open"
        if row.outcome == EXCLUDE:
            return EXCLUDE
    return INCLUDE
