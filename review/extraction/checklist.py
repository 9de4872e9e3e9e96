"""Answers and ratings checked against the protocol's quality checklist: the rules both an
extractor's entry (review.extraction.entries) and an appraisal (review.extraction.quality) obey,
kept below both so neither has to import the other to check a value."""

from __future__ import annotations

from collections.abc import Mapping

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
