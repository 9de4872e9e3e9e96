"""The report as sections, each made by a small builder from the review's figures, so a new
table slots in by adding a builder to SECTIONS (or, with no builder, by being one more
evidence table: those no builder places go under "Additional tables").

The headings are a contract (tests and readers look for them): Methods; Results with Study
selection (Figure 1, the PRISMA 2020 diagram), Characteristics of included studies, Summary
of qualitative findings, GRADE-CERQual evidence profile, Themes across the included studies
(the study x theme matrix and the quotes), Excluded full-text reports; then References.

Decisions made here:

- The counts are provisional while the review has pending work, and the report says so
  under its title, naming what is pending (the diagram draws those lines in italics).
  `final=True` refuses to write while anything is pending (review.prisma.final), for the
  manuscript's version.
- The report is for the review's leads (as the evidence tables); `by=None` is the command
  line.
- Numbers and tables are computed once (ReportData) and every builder reads them from there,
  so the methods, the diagram and the tables cannot disagree; and they are computed from one
  state of the review: the services read in transactions of their own, so the audit log's
  marker is read before and after and everything is recomputed when someone's change
  committed in between (a few tries, then an error asking to try again). With `final`, the
  check and the status come from that same state.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from review.accounts import Reviewer, authorise, is_lead
from review.audit_trail import from_one_state
from review.extraction.entries import Form, extraction_form
from review.extraction.findings import Finding, list_findings
from review.extraction.studies import list_studies
from review.extraction.tables import EvidenceTables, Table, tables_of
from review.prisma.counts import ExcludedReport, Prisma, excluded_reports
from review.prisma.diagram import CAPTION, render_png, render_svg
from review.prisma.final import final_counts, pending_work
from review.prisma.searches import SearchReport, search_report
from review.project import review_protocol
from review.protocol import Protocol
from review.report.methods import methods_paragraphs, selection_paragraph
from review.screening.agreement import Agreement, agreement
from review.store import Store

__all__ = ["HEADINGS", "SECTIONS", "Figure", "Report", "ReportData", "Section", "build_report"]

HEADINGS = ("Methods", "Characteristics of included studies", "Summary of qualitative findings",
            "Excluded full-text reports", "References")


@dataclass(frozen=True, slots=True)
class Figure:
    number: int
    caption: str
    png: bytes
    svg: str
    file_name: str  # beside report.md


@dataclass(frozen=True, slots=True)
class Section:
    heading: str
    level: int  # 1: a main heading (Methods, Results, References); 2: under Results
    paragraphs: tuple[str, ...] = ()
    tables: tuple[Table, ...] = ()
    figure: Figure | None = None
    numbered: tuple[str, ...] = ()  # a numbered list (the references), after the paragraphs


@dataclass(frozen=True, slots=True)
class ReportData:
    """Everything the builders read, computed once from the review."""

    title: str
    question: str
    protocol: Protocol
    form: Form
    prisma: Prisma
    excluded: tuple[ExcludedReport, ...]
    searches: SearchReport
    agreement: tuple[Agreement, ...]
    findings: tuple[Finding, ...]
    evidence: EvidenceTables
    pending: tuple[str, ...]  # pending work in words (empty: final counts)
    final: bool
    placed: set[str] = field(default_factory=set)  # evidence tables a builder has shown

    def place(self, key: str) -> Table | None:
        """The evidence table `key` (None if the review has none), marked as shown."""
        found = self.evidence.get(key)
        if found is not None:
            self.placed.add(key)
        return found


@dataclass(frozen=True, slots=True)
class Report:
    title: str
    status: str  # provisional or final, in a sentence
    sections: tuple[Section, ...]
    data: ReportData

    @property
    def figures(self) -> tuple[Figure, ...]:
        return tuple(s.figure for s in self.sections if s.figure is not None)


Builder = Callable[[ReportData], Sequence[Section]]


def _methods(d: ReportData) -> list[Section]:
    return [Section("Methods", 1, tuple(methods_paragraphs(
        d.protocol, d.form, d.prisma, d.searches, d.agreement, d.findings)))]


def _selection(d: ReportData) -> list[Section]:
    svg = render_svg(d.prisma, caption=CAPTION, final=d.final)
    figure = Figure(1, "PRISMA 2020 flow diagram of the searches, screening and inclusion of "
                    "studies.", render_png(svg), svg, "prisma-flow.png")
    text = selection_paragraph(d.prisma, d.prisma.new_studies, d.prisma.new_reports)
    return [Section("Results", 1), Section("Study selection", 2, (text,), figure=figure)]


def _characteristics(d: ReportData) -> list[Section]:
    table = d.place("characteristics")
    n = d.evidence.studies
    text = (f"Table 1 describes the {n:,} included stud{'y' if n == 1 else 'ies'} with a "
            "final extraction, numbered as in the references.")
    if d.evidence.pending:
        text += (" Not yet extracted and reconciled: " + "; ".join(
            c.label for c in d.evidence.cited if c.study.label in d.evidence.pending) + ".")
    return [Section("Characteristics of included studies", 2, (text,),
                    (table,) if table else ())]


def _appraisal(d: ReportData) -> list[Section]:
    table = d.place("appraisal")
    if table is None:
        return []
    return [Section("Quality appraisal of included studies", 2,
                    ("Each study's answers to its checklist's questions, beside its overall "
                     "rating (Table 1).",), (table,))]


def _findings(d: ReportData) -> list[Section]:
    summary, profile = d.place("findings"), d.place("cerqual")
    if summary is None:
        return [Section("Summary of qualitative findings", 2,
                        ("No review findings have been written yet.",))]
    assessed = sum(1 for f in d.findings if f.overall is not None)
    text = (f"{len(d.findings):,} review finding{'' if len(d.findings) == 1 else 's'}; "
            f"{assessed:,} assessed with GRADE-CERQual.")
    sections = [Section("Summary of qualitative findings", 2, (text,), (summary,))]
    if profile is not None:
        sections.append(Section("GRADE-CERQual evidence profile", 2, (), (profile,)))
    return sections


def _themes(d: ReportData) -> list[Section]:
    tables = tuple(t for t in (d.place("themes"), d.place("quotes")) if t is not None)
    return [Section("Themes across the included studies", 2, (), tables)] if tables else []


def _excluded(d: ReportData) -> list[Section]:
    table = d.place("excluded")
    n = len(d.excluded)
    text = (f"{n:,} full-text report{' was' if n == 1 else 's were'} excluded, each with the "
            "first reason that applied.")
    return [Section("Excluded full-text reports", 2, (text,), (table,) if table else ())]


def _additional(d: ReportData) -> list[Section]:
    rest = tuple(t for t in d.evidence.tables if t.key not in d.placed
                 and t.key != "references")
    return [Section("Additional tables", 2, (), rest)] if rest else []


def _references(d: ReportData) -> list[Section]:
    table = d.place("references")
    rows = table.rows if table else ()
    items = tuple(str(text) for _, text in rows)
    return [Section("References", 1, () if items else ("No study has been included yet.",),
                    numbered=items)]


SECTIONS: tuple[Builder, ...] = (_methods, _selection, _characteristics, _appraisal, _findings,
                                 _themes, _excluded, _additional, _references)


def build_report(store: Store, *, by: str | Reviewer | None = None,
                 final: bool = False) -> Report:
    """The report of the review, for its leads; `final` refuses while anything is pending."""
    if by is not None:
        with store.read() as conn:
            authorise(store, conn, by, is_lead, "only a lead writes the review's report")
    list_studies(store)  # materialises the studies (a write): before the figures are read
    data = from_one_state(store, lambda: _gather(store, final), "the report")
    sections: list[Section] = []
    for builder in SECTIONS:
        sections.extend(builder(data))
    status = ("Final counts: no stage of the review has pending work." if not data.pending else
              "Provisional: the review is still in progress, so its counts and tables will "
              "change. Pending: " + "; ".join(data.pending) + ".")
    return Report(data.title, status, tuple(sections), data)


def _gather(store: Store, final: bool) -> ReportData:
    """Every figure of the report; the services read in transactions of their own, so
    build_report keeps what they computed only when the review did not change meanwhile."""
    if final:
        final_counts(store)  # NotFinalError naming what is pending
    prisma, excluded = excluded_reports(store)
    evidence = tables_of(store, excluded)  # the same excluded reports as the diagram's boxes
    pending = pending_work(store)
    if not pending and not prisma.complete:
        pending = prisma.pending_lines()
    with store.read() as conn:
        protocol = review_protocol(store, conn)
        form = extraction_form(store, conn)
    return ReportData(protocol.title, protocol.question, protocol, form, prisma,
                      tuple(excluded), search_report(store), tuple(agreement(store, by=None)),
                      tuple(list_findings(store)), evidence, tuple(pending), final)
