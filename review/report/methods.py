"""The report's words computed from the review: the methods paragraph and the study-selection
paragraph of the results. Every number comes from a service (the searches, the PRISMA counts,
the agreement figures, the studies), so the report cannot drift from what the review holds.

Decisions made here:

- Searches are named with their platform and date, in the order they were imported; a
  search without a recorded date says so rather than leaving it out.
- "Duplicates removed" is every record found to be a copy of another, whatever column of the
  PRISMA diagram it sits in (databases and registers, other methods, duplicates of records
  from databases): the number a reader compares with "records found".
- Agreement is the pooled figure per stage, on the reviewers' own votes before any conflict
  was resolved (review.screening.agreement): percent agreement and Cohen's kappa to two
  decimals, with the number of records it is computed on. A stage nobody has finished yet
  says "not computed yet"; a kappa that is undefined (every vote the same) says so.
- How many screened each record comes from the protocol (votes_required per stage):
  "two reviewers independently" is only written when the protocol asks for two or more.
- Counts are written with thousands separators; small counts of studies are numbers too (a
  results section must be checkable against Figure 1).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date

from review.extraction.entries import Form
from review.extraction.findings import Finding
from review.prisma.counts import DBR_KINDS, Prisma, total
from review.prisma.searches import SearchReport
from review.protocol import Checklist, Protocol
from review.screening.agreement import Agreement

__all__ = ["agreement_phrase", "appraisal_sentence", "duplicates_removed", "kappa_text",
           "methods_paragraphs", "records_found", "records_screened", "search_phrase",
           "selection_paragraph", "stage_agreement"]

_NUMBERS = {1: "one", 2: "two", 3: "three", 4: "four", 5: "five"}
_KINDS = {"database": "databases", "register": "registers"}


def _count(n: int, one: str, many: str) -> str:
    return f"{n:,} {one if n == 1 else many}"


def _date(iso: str | None) -> str:
    if not iso:
        return "date not recorded"
    try:
        day = date.fromisoformat(iso[:10])
    except ValueError:
        return iso
    return f"{day.day} {day:%B %Y}"


def _join(items: Iterable[str], word: str = "and") -> str:
    items = list(items)
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + f" {word} " + items[-1]


def records_found(p: Prisma) -> int:
    return p.identified_dbr + p.identified_other


def duplicates_removed(p: Prisma) -> int:
    return p.duplicates + p.other_duplicates + p.other_duplicates_of_dbr


def records_screened(p: Prisma) -> int:
    return p.records_screened + p.other_records_screened


def search_phrase(report: SearchReport, kinds: Sequence[str]) -> str:
    """"MEDLINE (Ovid) on 12 March 2024 (120 records)" per search of these kinds, joined with
    semicolons (source names hold commas and parentheses)."""
    parts = []
    for s in report.searches:
        if s.kind not in kinds:
            continue
        name = s.source if not s.platform or s.platform in s.source \
            else f"{s.source} ({s.platform})"
        when = f"on {_date(s.searched_on)}" if s.searched_on else "(search date not recorded)"
        parts.append(f"{name} {when} ({_count(s.records, 'record', 'records')})")
    if len(parts) <= 1:
        return "".join(parts)
    return "; ".join(parts[:-1]) + "; and " + parts[-1]


def stage_agreement(rows: Sequence[Agreement], stage: str) -> Agreement | None:
    """The pooled agreement figure of a stage (every reviewer pair together)."""
    return next((a for a in rows if a.stage == stage and a.reviewer_a is None), None)


def kappa_text(kappa: float | None) -> str:
    return "undefined" if kappa is None else f"{kappa:.2f}"


def agreement_phrase(figure: Agreement | None) -> str:
    if figure is None or not figure.records:
        return "agreement not computed yet: no record has all its votes"
    percent = f"{figure.percent:.1f}%" if figure.percent is not None else "n/a"
    kappa = ("Cohen's kappa undefined: every vote was the same" if figure.kappa is None
             else f"Cohen's kappa {kappa_text(figure.kappa)}")
    return f"agreement {percent}, {kappa}, on {_count(figure.records, 'record', 'records')}"


def _answers(checklist: Checklist) -> str:
    return _join([f"“{a}”" for a in checklist.answers], "or")


def appraisal_sentence(form: Form) -> str:
    """Which tools appraised the studies (the protocol's checklists) and how."""
    if form.checklist is None:
        return "The protocol does not appraise the included studies."
    c = form.checklist
    who = ("independently by two reviewers, and a lead reconciled the two appraisals"
           if form.dual else "by one reviewer")
    if form.design_field is not None:
        checklists = form.all_checklists
        shared = len({(k.answers, k.ratings) for k in checklists}) == 1

        def tool(k: Checklist) -> str:
            own = "" if shared else f", answered {_answers(k)}; overall rating " + _join(
                k.ratings, "or")
            return (f"{k.name} ({_count(len(k.questions), 'question', 'questions')}{own}) "
                    f"for {_join([f'“{x}”' for x in k.designs], 'or')}")

        tools = "; ".join(tool(k) for k in checklists)
        if not shared:  # each checklist has its own answers or ratings: said with it
            return (f"Each included study was appraised with the checklist for its design: "
                    f"{tools}, {who}.")
        return (f"Each included study was appraised with the checklist for its design: "
                f"{tools}; each question answered {_answers(c)}, "
                f"with an overall rating of {_join(c.ratings, 'or')}, {who}.")
    return (f"Each included study was appraised with the {c.name} "
            f"({_count(len(c.questions), 'question', 'questions')}, answered "
            f"{_join([f'“{a}”' for a in c.answers], 'or')}; overall rating "
            f"{_join(c.ratings, 'or')}), {who}.")


def coding_sentence(form: Form) -> str:
    """How the studies' findings were coded: the themes (in two levels when the protocol has
    descriptive themes), their kinds, and what each extract records; "" without themes."""
    if not form.themes:
        return ""
    descriptive = sum(1 for theme in form.themes if theme.parent)
    analytical = len(form.themes) - descriptive
    kinds = [form.kind_label(k).lower() for k in form.kinds if form.themes_of(k)]
    levels = (f" ({_count(descriptive, 'descriptive theme', 'descriptive themes')} under "
              f"{_count(analytical, 'analytical theme', 'analytical themes')})"
              if descriptive else "")
    return (f"Each study's findings were coded as extracts under "
            f"{_count(len(form.themes), 'theme', 'themes')}{levels} of "
            f"{_count(len(kinds), 'kind', 'kinds')} ({_join(kinds)}), any number per study "
            "and theme; each extract records the quote, its page or section, whether it gives "
            "participants' own words or the authors' interpretation, and an optional "
            "sub-theme. ")


def methods_paragraphs(protocol: Protocol, form: Form, p: Prisma, searches: SearchReport,
                       agreement: Sequence[Agreement], findings: Sequence[Finding]
                       ) -> list[str]:
    """The Methods section: searches, screening, full-text exclusions, extraction and
    appraisal, synthesis."""
    paragraphs = []
    searched = search_phrase(searches, DBR_KINDS)
    other = search_phrase(searches, [k for k in {s.kind for s in searches.searches}
                                     if k not in DBR_KINDS])
    search = f"We searched {searched}." if searched else ""
    if other:
        search += f" We also looked for reports through other methods: {other}."
    search = search.strip() or "No search has been imported yet."
    split = (f" ({p.identified_dbr:,} from databases and registers, {p.identified_other:,} "
             "through other methods)" if p.identified_other else "")
    search += (f" The searches found {_count(records_found(p), 'record', 'records')}{split}; "
               f"{_count(duplicates_removed(p), 'duplicate was', 'duplicates were')} removed "
               "before screening")
    if p.excluded_automatic + p.other_excluded_automatic:
        search += (f" and {p.excluded_automatic + p.other_excluded_automatic:,} marked "
                   "ineligible by the protocol's automatic rules")
    paragraphs.append(search + ".")

    votes = {stage.votes_required for stage in protocol.stages}
    figures = [f"{stage.label.lower()} ({agreement_phrase(stage_agreement(agreement, stage.id))})"
               for stage in protocol.stages]
    if votes == {1}:
        screening = "One reviewer screened every record, at " + _join(figures) + "."
    elif len(votes) == 1:
        people = _NUMBERS.get(stage_votes := votes.pop(), str(stage_votes))
        screening = (f"{people.capitalize()} reviewers screened every record independently, "
                     "each blind to the others' votes, at " + _join(figures) + ".")
    else:
        screening = "Records were screened at " + _join(
            f"{f} by {_NUMBERS.get(s.votes_required, str(s.votes_required))} reviewer"
            f"{'s independently' if s.votes_required > 1 else ''}"
            for f, s in zip(figures, protocol.stages, strict=True)) + "."
    maybe = {"include": "a “maybe” went on to the next stage",
             "conflict": "a “maybe” was treated as a disagreement",
             "exclude": "a “maybe” counted as an exclusion"}[protocol.maybe_policy]
    paragraphs.append(
        screening + " Agreement is reported on the reviewers' own votes, before "
        f"disagreements were resolved by a lead or a third reviewer; {maybe}.")
    if protocol.exclusion_reasons:
        paragraphs.append(
            "Full-text reports were excluded with the first reason that applied, in this "
            "order: " + "; ".join(protocol.exclusion_reasons) + ".")

    extraction = (f"Data were extracted into the protocol's form "
                  f"({_count(len(form.fields), 'field', 'fields')}) "
                  + ("by two reviewers independently and reconciled by a lead."
                     if form.dual else "by one reviewer."))
    paragraphs.append(extraction + " " + coding_sentence(form) + appraisal_sentence(form))
    synthesis = protocol.report.synthesis
    if findings:
        synthesis = (synthesis + " " if synthesis else "") + (
            "Confidence in each review finding was assessed with GRADE-CERQual "
            "(methodological limitations, coherence, adequacy and relevance of the data).")
    if synthesis:
        paragraphs.append(synthesis)
    return paragraphs


def selection_paragraph(p: Prisma, studies: int, reports: int) -> str:
    """The results' study selection, box by box as Figure 1 draws it: the databases and
    registers column, then other methods, then what both led to."""
    reasons: dict[str, int] = {}
    for name, n in (*p.dbr_excluded, *p.other_excluded):
        reasons[name] = reasons.get(name, 0) + n
    text = (f"Databases and registers gave {_count(p.identified_dbr, 'record', 'records')}; "
            f"after {_count(p.duplicates, 'duplicate was', 'duplicates were')} removed, "
            f"{_count(p.records_screened, 'record was', 'records were')} screened and "
            f"{p.records_excluded:,} excluded. Of "
            f"{_count(p.dbr_sought_reports, 'report', 'reports')} sought for retrieval, "
            f"{p.dbr_notretrieved_reports:,} could not be retrieved and {p.dbr_assessed:,} "
            f"{'was' if p.dbr_assessed == 1 else 'were'} assessed in full; "
            f"{total(p.dbr_excluded):,} {'was' if total(p.dbr_excluded) == 1 else 'were'} "
            "excluded.")
    if p.identified_other and not p.other_sought_reports:
        text += (f" Other methods gave {_count(p.identified_other, 'record', 'records')}, none "
                 "of them a report sought for retrieval.")
    elif p.identified_other:
        text += (f" Other methods gave {_count(p.identified_other, 'record', 'records')}, of "
                 f"which {p.other_sought_reports:,} became reports sought for retrieval; "
                 f"{p.other_notretrieved_reports:,} could not be retrieved, "
                 f"{p.other_assessed:,} {'was' if p.other_assessed == 1 else 'were'} assessed "
                 f"and {total(p.other_excluded):,} excluded.")
    if reasons:
        text += (" Reasons for excluding full-text reports: "
                 + "; ".join(f"{name.lower()}, {n:,}" for name, n in reasons.items()) + ".")
    text += (f" {_count(studies, 'study', 'studies')} "
             f"({_count(reports, 'report', 'reports')}) "
             f"{'was' if studies == 1 else 'were'} included (Figure 1).")
    if p.updated:
        text = text[:-len(" (Figure 1).")] + (
            f" in this update, which with the previous version's "
            f"{_count(p.previous_studies, 'study', 'studies')} "
            f"({_count(p.previous_reports, 'report', 'reports')}) makes "
            f"{_count(p.total_studies, 'study', 'studies')} "
            f"({_count(p.total_reports, 'report', 'reports')}) in all (Figure 1).")
    return text
