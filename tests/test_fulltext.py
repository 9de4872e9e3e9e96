"""Full texts on SQLite and PostgreSQL: records included at titles and abstracts are reports
sought; a PDF is stored with the review and its sha256 recorded, or the report is marked not
retrieved with a reason; a full-text vote needs the PDF or a note."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest
import sqlalchemy as sa

from review.errors import InputError, ReviewError
from review.screening.fulltext import attach_pdf, list_reports, mark_not_retrieved, pdf_bytes
from review.screening.votes import cast_vote, item_for, next_item, queue
from review.store import schema as t
from tests.test_screening import PDF, audit_actions, both, build, state


@pytest.fixture
def review(db_url: str, tmp_path: Path):
    store = build(db_url, tmp_path)
    both(store, 1, "include", "include")
    both(store, 2, "maybe", "include")
    both(store, 3, "exclude", "exclude")
    yield store
    store.close()


def test_included_records_are_reports_sought(review) -> None:
    reports = list_reports(review)
    assert [(r["record_id"], r["status"], r["assessment"]) for r in reports] == [
        (1, "sought", "open"), (2, "sought", "open")]
    assert list_reports(review, status="retrieved") == []
    with pytest.raises(ReviewError, match="record 3 is not a report sought"):
        attach_pdf(review, 3, PDF, "three.pdf", actor="Lead")
    with pytest.raises(ReviewError, match="record 4 is not a report sought"):
        mark_not_retrieved(review, 4, "no copy", actor="Lead")


def test_attach_stores_the_pdf_with_its_sha256(review, tmp_path: Path) -> None:
    row = attach_pdf(review, 1, PDF, str(tmp_path / "folder" / "Smith 2016.pdf"), actor="Lead")
    digest = hashlib.sha256(PDF).hexdigest()
    assert (row["sha256"], row["file_name"], row["status"]) == (digest, "Smith 2016.pdf",
                                                               "retrieved")
    assert pdf_bytes(review, 1) == ("Smith 2016.pdf", PDF)
    [report] = list_reports(review, status="retrieved")
    assert (report["record_id"], report["sha256"]) == (1, digest)
    item = item_for(review, "Ana", 1, "full_text")
    assert item.fulltext["sha256"] == digest and item.fulltext["size_bytes"] == len(PDF)
    other = PDF.replace(b"1.4", b"1.7")
    attach_pdf(review, 1, other, "better copy.pdf", actor="Lead")  # a replacement
    assert pdf_bytes(review, 1) == ("better copy.pdf", other)
    log = audit_actions(review, "attach full text")
    assert log[-1]["detail"]["replaced"] == digest and log[-1]["actor"] == "Lead"


def test_only_pdfs_are_stored(review) -> None:
    with pytest.raises(InputError, match="notes.docx.*not a PDF"):
        attach_pdf(review, 1, b"PK\x03\x04 word file", "notes.docx", actor="Lead")
    with pytest.raises(InputError, match="empty.pdf.*empty"):
        attach_pdf(review, 1, b"", "empty.pdf", actor="Lead")
    with pytest.raises(ReviewError, match="no full text attached"):
        pdf_bytes(review, 1)


def test_a_damaged_stored_pdf_is_detected(review) -> None:
    attach_pdf(review, 1, PDF, "one.pdf", actor="Lead")
    files = t.fulltext_files
    with review.write() as conn:
        conn.execute(files.update().values(data=PDF + b"tampered"))
    with pytest.raises(ReviewError, match="does not match its sha256"):
        pdf_bytes(review, 1)


def test_not_retrieved_leaves_the_queue_with_its_reason(review) -> None:
    with pytest.raises(ReviewError, match="say why"):
        mark_not_retrieved(review, 2, "  ", actor="Lead")
    mark_not_retrieved(review, 2, "Requested  from the authors;\nno reply", actor="Lead")
    assert state(review, 2, "full_text")["state"] == "not retrieved"
    [report] = list_reports(review, status="not retrieved")
    assert (report["record_id"], report["reason"]) == (2, "Requested from the authors; no reply")
    assert [r["record_id"] for r in queue(review, "Ana", "full_text")] == [1]
    with pytest.raises(ReviewError, match="marked not retrieved"):
        cast_vote(review, "Ana", 2, "include", stage="full_text", note="read it")
    with pytest.raises(ReviewError, match="can no longer change"):
        cast_vote(review, "Ana", 2, "exclude")  # the title vote is built on now
    attach_pdf(review, 2, PDF, "found later.pdf", actor="Lead")  # found after all
    assert state(review, 2, "full_text")["state"] == "open"
    assert [r["record_id"] for r in queue(review, "Ana", "full_text")] == [1, 2]


def test_a_report_being_assessed_cannot_be_marked_not_retrieved(review) -> None:
    attach_pdf(review, 1, PDF, "one.pdf", actor="Lead")
    cast_vote(review, "Ana", 1, "include", stage="full_text")
    with pytest.raises(ReviewError, match="already being assessed"):
        mark_not_retrieved(review, 1, "lost it", actor="Lead")


def test_a_full_text_vote_needs_the_pdf_or_a_note(review) -> None:
    with pytest.raises(ReviewError, match="attach the full text"):
        cast_vote(review, "Ana", 1, "include", stage="full_text")
    row = cast_vote(review, "Ana", 1, "include", stage="full_text",
                    note="Read the publisher's copy in the library")
    assert row["note"] == "Read the publisher's copy in the library"
    attach_pdf(review, 2, PDF, "two.pdf", actor="Lead")
    cast_vote(review, "Ana", 2, "exclude", stage="full_text", reason="Clinical setting")
    assert next_item(review, "Ana", "full_text") is None
    item = next_item(review, "Ben", "full_text")
    assert item.record_id == 1 and item.fulltext is None
    assert next_item(review, "Ana") is not None  # titles still waiting for her


def test_full_texts_need_a_second_stage(db_url: str, tmp_path: Path) -> None:
    store = build(db_url, tmp_path, stages=1)
    both(store, 1, "include", "include")
    assert state(store, 1)["outcome"] == "include"
    assert list_reports(store) == []
    with pytest.raises(ReviewError, match="single screening stage"):
        attach_pdf(store, 1, PDF, "one.pdf", actor="Lead")
    states = t.screening_state
    with store.read() as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(states).where(
            states.c.stage != "title_abstract")).scalar_one() == 0
    store.close()
