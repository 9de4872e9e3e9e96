"""Quality appraisal: answers and ratings checked against the protocol's checklist, appraisal
as part of an extractor's entry, and the ready checklist blocks in protocols/blocks/."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from review.errors import ReviewError
from review.extraction.checklist import check_answers, check_rating
from review.extraction.quality import appraise, summary
from review.protocol import parse_protocol
from tests.extraction_fixtures import PROTOCOL, included_review

BLOCKS = Path(__file__).resolve().parent.parent / "protocols" / "blocks"


def with_block(block: str) -> str:
    """The example protocol with its [quality] table replaced by the block."""
    text = PROTOCOL.read_text(encoding="utf-8")
    start = text.index("\n[quality]")
    return text[:start] + "\n" + block


@pytest.fixture(scope="module")
def checklist():
    return parse_protocol(PROTOCOL.read_text(encoding="utf-8")).quality


def test_answers_take_the_checklists_spelling(checklist) -> None:
    assert check_answers(checklist, {"AIMS": " Yes ", "ethics": "CAN'T TELL"}) == {
        "aims": "yes", "ethics": "can't tell"}
    assert check_rating(checklist, "Moderate") == "moderate"
    with pytest.raises(ReviewError, match="answer one of yes, no, can't tell"):
        check_answers(checklist, {"aims": "partly"})
    with pytest.raises(ReviewError, match="no question 'novelty'"):
        check_answers(checklist, {"novelty": "yes"})
    with pytest.raises(ReviewError, match="choose one of high, moderate, low"):
        check_rating(checklist, "5 stars")
    with pytest.raises(ReviewError, match="no \\[quality\\] checklist"):
        check_rating(None, "high")


def test_summary_counts_answers(checklist) -> None:
    assert summary(checklist, {"aims": "yes", "ethics": "no", "value": "yes"}) == {
        "yes": 2, "no": 1, "can't tell": 0}


def test_appraisal_is_part_of_the_entry(db_url: str, tmp_path: Path) -> None:
    store = included_review(db_url, tmp_path)
    try:
        entry = appraise(store, 1, "Priya", answers={"aims": "yes"}, rating="low")
        assert entry.answers == {"aims": "yes"} and entry.rating == "low"
        entry = appraise(store, 1, "Priya", answers={"value": "no"})
        assert entry.answers == {"aims": "yes", "value": "no"} and entry.rating == "low"
        with pytest.raises(ReviewError, match="give at least one answer"):
            appraise(store, 1, "Priya")
        with pytest.raises(ReviewError, match="quality question design"):
            appraise(store, 1, "Priya", answers={"design": "maybe"}, done=True)
    finally:
        store.close()


@pytest.mark.parametrize(("name", "count", "answers"), [
    ("casp-qualitative.toml", 10, ("yes", "no", "can't tell")),
    ("mmat-style.toml", 17, ("yes", "no", "can't tell", "not applicable")),
])
def test_blocks_parse_in_a_protocol(name: str, count: int, answers: tuple[str, ...]) -> None:
    block = (BLOCKS / name).read_text(encoding="utf-8")
    protocol = parse_protocol(with_block(block), name)
    assert protocol.quality is not None
    assert len(protocol.quality.questions) == count
    assert protocol.quality.answers == answers
    assert protocol.quality.ratings == ("high", "moderate", "low")
    assert all(text.endswith("?") for _, text in protocol.quality.questions)
    assert re.search(r"own wording|project's own", block)  # paraphrased, and says so
