"""Quality appraisal: the protocol's checklists ([quality]), answered per study, and the
per-question appraisal table reviews publish beside the overall ratings.

The appraisal is part of each extractor's entry (review.extraction.entries), so with dual
extraction both extractors appraise independently and the lead reconciles the answers and the
overall rating with the rest (review.extraction.reconcile). The overall rating is a judgement,
not a sum of the answers: the checklist gives the allowed ratings and the appraiser picks one.
A study is appraised with the checklist for its design when the protocol has one per design
(review.extraction.checklist). Ready checklists to paste into a protocol are in
protocols/blocks/.

The per-question table (appraisal_by_checklist, appraisal_table): one group per checklist in
the protocol's order, holding the studies appraised with it (in the order given, so the tables
and the report number them alike), each with its answer to every question and its overall
rating. Only final entries count (as in every evidence table). Questions are numbered Q1, Q2,
... within their checklist, and the note spells each one out, as published supplements do. A
study whose design has no checklist (possible only after an amendment) is named in the note,
never dropped silently.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from review.accounts import Reviewer
from review.errors import ReviewError
from review.extraction.entries import Entry, Form, save_entry
from review.extraction.studies import Study
from review.protocol import Checklist
from review.store import Store

__all__ = ["NOT_ANSWERED", "AppraisalGroup", "AppraisalTable", "appraisal_by_checklist",
           "appraisal_table", "appraisal_tools", "appraise", "summary"]

NOT_ANSWERED = "NR"


def appraise(store: Store, study_id: int, reviewer: str | Reviewer, *,
             answers: Mapping[str, str] | None = None, rating: str | None = None,
             done: bool | None = None) -> Entry:
    """Record this appraiser's answers and rating for the study (part of their entry), with
    the checklist for the study's design as their entry records it."""
    if not answers and rating is None and done is None:
        raise ReviewError("give at least one answer or a rating")
    return save_entry(store, study_id, reviewer, answers=answers or {}, rating=rating,
                      done=done)


def summary(checklist: Checklist, answers: Mapping[str, str]) -> dict[str, int]:
    """How many questions got each answer, in the checklist's order (for the Tables page)."""
    counts = {a: 0 for a in checklist.answers}
    for question, _ in checklist.questions:
        if question in answers:
            counts[answers[question]] += 1
    return counts


@dataclass(frozen=True, slots=True)
class AppraisalGroup:
    """The studies appraised with one checklist: per study its name, its answers in the
    checklist's order (NR where none is recorded) and its overall rating."""

    checklist: Checklist
    rows: tuple[tuple[str, tuple[str, ...], str], ...]

    @property
    def columns(self) -> tuple[str, ...]:
        return ("Study", *(f"Q{i}" for i in range(1, len(self.checklist.questions) + 1)),
                "Overall rating")

    @property
    def key(self) -> str:
        """Each question numbered, in words: the note under the group's table."""
        return " ".join(f"Q{i}: {text}" for i, (_, text) in
                        enumerate(self.checklist.questions, start=1))


@dataclass(frozen=True, slots=True)
class AppraisalTable:
    """All checklists' groups in one table (review.extraction.tables keys it "appraisal")."""

    title: str
    columns: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]
    note: str
    groups: tuple[AppraisalGroup, ...]
    unappraised: tuple[str, ...]  # "Name (design)" of studies whose design has no checklist


def appraisal_by_checklist(form: Form, studies: Sequence[Study], finals: Mapping[int, Entry],
                           names: Sequence[str]) -> tuple[tuple[AppraisalGroup, ...],
                                                          tuple[str, ...]]:
    """The per-question appraisal, one group per checklist used, and the studies with a final
    entry whose design has no checklist. `names` are the studies' names, in their order."""
    by_checklist: dict[str, list[tuple[str, tuple[str, ...], str]]] = {}
    unappraised: list[str] = []
    for study, name in zip(studies, names, strict=True):
        entry = finals.get(study.id)
        if entry is None:
            continue
        checklist = form.checklist_of(entry.values)
        if checklist is None:
            design = entry.values.get(form.design_field or "")
            unappraised.append(f"{name} ({design or 'design not reported'})")
            continue
        answers = tuple(entry.answers.get(q, NOT_ANSWERED) for q, _ in checklist.questions)
        by_checklist.setdefault(checklist.id, []).append(
            (name, answers, entry.rating or NOT_ANSWERED))
    groups = tuple(AppraisalGroup(c, tuple(by_checklist[c.id])) for c in form.all_checklists
                   if c.id in by_checklist)
    return groups, tuple(unappraised)


def appraisal_table(form: Form, studies: Sequence[Study], finals: Mapping[int, Entry],
                    names: Sequence[str]) -> AppraisalTable:
    """Study x question: each study's answer to each question of its checklist, grouped by
    checklist (a Checklist column), beside its overall rating."""
    groups, unappraised = appraisal_by_checklist(form, studies, finals, names)
    width = max((len(g.checklist.questions) for g in groups), default=0)
    rows = tuple((g.checklist.name, name, *answers, *("",) * (width - len(answers)), rating)
                 for g in groups for name, answers, rating in g.rows)
    note = (f"Each study was appraised with the checklist for its design; {NOT_ANSWERED}: no "
            "answer recorded. The overall rating is the appraisers' judgement, not a count of "
            "answers. " + " ".join(f"{g.checklist.name}: {g.key}" for g in groups))
    if unappraised:
        note += " Not appraised (no checklist for the design): " + "; ".join(unappraised) + "."
    return AppraisalTable(
        "Quality appraisal of included studies, question by question",
        ("Checklist", "Study", *(f"Q{i}" for i in range(1, width + 1)), "Overall rating"),
        rows, note.strip(), groups, unappraised)


def appraisal_tools(form: Form) -> str:
    """The appraisal tools in one phrase, for a methods paragraph or a table's note."""
    checklists = form.all_checklists
    if not checklists:
        return ""
    if form.design_field is None:
        return f"the {checklists[0].name} checklist for every study"
    return "; ".join(f"the {c.name} checklist for {', '.join(c.designs)}" for c in checklists)
