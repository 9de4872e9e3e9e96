"""Quality appraisal: the protocol's checklist ([quality]), answered per study.

The appraisal is part of each extractor's entry (review.extraction.entries), so with dual extraction
both extractors appraise independently and the lead reconciles the answers and the overall
rating with the rest (review.extraction.reconcile). The overall rating is a judgement, not a
sum of the answers: the checklist gives the allowed ratings and the appraiser picks one. Ready
checklists to paste into a protocol are in protocols/blocks/.
"""

from __future__ import annotations

from collections.abc import Mapping

from review.accounts import Reviewer
from review.errors import ReviewError
from review.extraction.entries import Entry, save_entry
from review.protocol import Checklist
from review.store import Store


def appraise(store: Store, study_id: int, reviewer: str | Reviewer, *,
             answers: Mapping[str, str] | None = None, rating: str | None = None,
             done: bool | None = None) -> Entry:
    """Record this appraiser's answers and rating for the study (part of their entry)."""
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
