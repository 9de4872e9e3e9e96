"""Answers and ratings checked against the protocol's quality checklists: the rules both an
extractor's entry (review.extraction.entries) and an appraisal (review.extraction.quality) obey,
kept below both so neither has to import the other to check a value.

A protocol has one checklist for every study (`[quality]` with questions) or one per study
design (`[[quality.checklists]]`, each with the designs it appraises): a study's checklist is
then the one whose designs hold the value of its design field. Decisions made here:

- An entry's answers and rating always belong to the checklist of the entry's design. Answers
  given before the design is filled in, or for a design no checklist covers, are refused with
  a message saying so (and naming the checklists and their designs).
- Changing an entry's design to one appraised with another checklist: answers or a rating
  given in the same save start the new appraisal (the old one is dropped, and the audit log
  keeps it); a save that gives none is refused, so an appraisal is never silently lost or
  left standing against questions it was not given for.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from review.errors import ReviewError
from review.protocol import Checklist


def _no_checklist() -> ReviewError:
    return ReviewError("the protocol has no [quality] checklist; add one (protocols/blocks/ "
                       "has ready ones) to appraise studies")


def check_answers(checklist: Checklist | None, answers: Mapping[str, str]) -> dict[str, str]:
    """Answers keyed by question id, in the checklist's spelling of the answer."""
    if checklist is None:
        raise _no_checklist()
    questions = {q.casefold(): q for q, _ in checklist.questions}
    allowed = {a.casefold(): a for a in checklist.answers}
    result: dict[str, str] = {}
    for key, answer in answers.items():
        question = questions.get(str(key).strip().casefold())
        if question is None:
            raise ReviewError(f"quality: no question {key!r} in the checklist "
                              f"{checklist.name!r} (questions: "
                              + ", ".join(q for q, _ in checklist.questions) + ")")
        if not isinstance(answer, str) or answer.strip().casefold() not in allowed:
            raise ReviewError(f"quality question {question}: answer one of "
                              + ", ".join(checklist.answers) + f" (got {answer!r})")
        result[question] = allowed[answer.strip().casefold()]
    return result


def check_rating(checklist: Checklist | None, rating: str) -> str:
    if checklist is None:
        raise _no_checklist()
    allowed = {r.casefold(): r for r in checklist.ratings}
    if not isinstance(rating, str) or rating.strip().casefold() not in allowed:
        raise ReviewError("quality rating: choose one of " + ", ".join(checklist.ratings)
                          + f" (got {rating!r})")
    return allowed[rating.strip().casefold()]


def design_of(design_field: str | None, values: Mapping[str, Any]) -> str | None:
    """The study's design as its entry gives it (None: not filled in, or no design field)."""
    if design_field is None:
        return None
    value = values.get(design_field)
    return None if value is None or str(value).strip() == "" else str(value).strip()


def checklist_of(checklists: Sequence[Checklist], design_field: str | None,
                 values: Mapping[str, Any]) -> Checklist | None:
    """The checklist for an entry with these values, or None where there is none (yet)."""
    if design_field is None:
        return checklists[0] if checklists else None
    design = design_of(design_field, values)
    if design is None:
        return None
    return next((c for c in checklists
                 if design.casefold() in {d.casefold() for d in c.designs}), None)


def _designs(checklists: Sequence[Checklist]) -> str:
    return "; ".join(f"{c.name} ({', '.join(c.designs)})" for c in checklists)


def checklist_for(checklists: Sequence[Checklist], design_field: str | None,
                  design_label: str, values: Mapping[str, Any]) -> Checklist:
    """The checklist for an entry with these values; an error saying why there is none."""
    if not checklists:
        raise _no_checklist()
    found = checklist_of(checklists, design_field, values)
    if found is not None:
        return found
    design = design_of(design_field, values)
    if design is None:
        raise ReviewError(f"fill in {design_label} first: the study's design picks its "
                          f"appraisal checklist ({_designs(checklists)})")
    raise ReviewError(f"no appraisal checklist for the design {design!r} ({design_label}); "
                      f"the protocol's checklists: {_designs(checklists)}. Correct the "
                      "design, or amend the protocol to give this design a checklist")


def updated_appraisal(checklists: Sequence[Checklist], design_field: str | None,
                      design_label: str, *, old_values: Mapping[str, Any],
                      old_answers: Mapping[str, str], old_rating: str | None,
                      new_values: Mapping[str, Any], answers: Mapping[str, str] | None,
                      rating: str | None, replace: bool) -> tuple[dict[str, str], str | None]:
    """An entry's answers and rating after a save that sets `new_values` and gives `answers`
    and `rating` (None: not given); `replace` drops what was there."""
    kept = {} if replace else dict(old_answers)
    kept_rating = None if replace else old_rating
    given = bool(answers) or rating is not None
    if not given and not kept and kept_rating is None:
        return {}, None
    if not checklists:
        raise _no_checklist()
    checklist = checklist_for(checklists, design_field, design_label, new_values)
    before = checklist_of(checklists, design_field, old_values)
    if (kept or kept_rating is not None) and (before is None or before.id != checklist.id):
        if not given:
            old = f"the {before.name} checklist" if before else "another checklist"
            raise ReviewError(f"{design_label} is now {design_of(design_field, new_values)!r}, "
                              f"appraised with the {checklist.name} checklist, but this "
                              f"entry's appraisal was made with {old}: give the new "
                              "checklist's answers and rating in the same save (or save the "
                              "whole entry anew)")
        kept, kept_rating = {}, None
    if answers:
        kept.update(check_answers(checklist, answers))
    if rating is not None:
        kept_rating = check_rating(checklist, rating)
    return kept, kept_rating


def missing_appraisal(checklists: Sequence[Checklist], design_field: str | None,
                      design_label: str, values: Mapping[str, Any],
                      answers: Mapping[str, str], rating: str | None) -> list[str]:
    """What an appraisal still lacks before its entry can be marked done, in words."""
    if not checklists:
        return []
    checklist = checklist_of(checklists, design_field, values)
    if checklist is None:
        design = design_of(design_field, values)
        return [f"{design_label} (it picks the appraisal checklist)" if design is None
                else f"an appraisal checklist for the design {design!r} (the protocol has "
                     "none)"]
    missing = [f"quality question {q}" for q, _ in checklist.questions if q not in answers]
    if rating is None:
        missing.append("overall quality rating")
    return missing
