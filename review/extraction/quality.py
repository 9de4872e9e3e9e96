"""Quality appraisal: the protocol's checklist ([quality]), answered per study.

The appraisal is part of each extractor's entry (review.extraction.entries), so with dual extraction
both extractors appraise independently and the lead reconciles the answers and the overall
rating with the rest (review.extraction.reconcile). The overall rating is a judgement, not a
sum of the answers: the checklist gives the allowed ratings and the appraiser picks one. Ready
checklists to paste into a protocol are in protocols/blocks/.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

from review.accounts import Reviewer
from review.errors import ReviewError
from review.protocol import Checklist

if TYPE_CHECKING:
    from review.extraction.entries import Entry
    from review.store import Store


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
            raise ReviewError(f"quality: no question {key!r} in the checklist (questions: "
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


def appraise(store: Store, study_id: int, reviewer: str | Reviewer, *,
             answers: Mapping[str, str] | None = None, rating: str | None = None,
             done: bool | None = None) -> Entry:
    """Record this appraiser's answers and rating for the study (part of their entry)."""
    from review.extraction.entries import save_entry

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
