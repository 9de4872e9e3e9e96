"""Full texts: every record included at titles and abstracts is a report sought for retrieval;
its PDF is stored with the review (in the database, so a team server has it too, sha256
recorded), or the report is marked not retrieved with a reason, as PRISMA 2020 counts them."""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from review.accounts import Reviewer, authorise, is_lead, screens
from review.errors import InputError, ReviewError
from review.io.pdf import UNREADABLE
from review.project import review_protocol
from review.protocol import Protocol, Stage
from review.screening.pdftext import has_text, read_text, save_text
from review.screening.state import fulltext_stage, group_for_record, lock_group, refresh
from review.store import Store, utc_now
from review.store import schema as t
from review.store.records import audit

RETRIEVED, NOT_RETRIEVED = "retrieved", "not retrieved"
MAX_BYTES = 200 * 1024 * 1024


def fulltext_status(store: Store, conn: Connection, group_id: int) -> dict[str, Any] | None:
    fulltexts, files = t.fulltexts, t.fulltext_files
    row = conn.execute(sa.select(fulltexts, files.c.size_bytes)
                       .outerjoin(files, files.c.sha256 == fulltexts.c.sha256)
                       .where(fulltexts.c.group_id == group_id)).mappings().first()
    return dict(row) if row else None


def _put(store: Store, conn: Connection, group_id: int, values: dict[str, Any], *,
         exists: bool) -> None:
    """Write the report's one full-text row (a later status replaces the earlier one; the
    audit log keeps the history)."""
    fulltexts = t.fulltexts
    if exists:
        conn.execute(fulltexts.update().where(fulltexts.c.group_id == group_id).values(**values))
    else:
        conn.execute(fulltexts.insert().values(group_id=group_id, **values))


def _assessing_stage(protocol: Protocol) -> Stage:
    stage = fulltext_stage(protocol)
    if stage is None:
        raise ReviewError("this protocol has a single screening stage; it has no full texts")
    return stage


def _report_group(store: Store, conn: Connection, record_id: int) -> int:
    """The group, checked to be a report sought: included at the stage before full texts."""
    stage = _assessing_stage(review_protocol(store))
    group_id = group_for_record(store, conn, record_id)
    lock_group(store, conn, group_id)
    state = t.screening_state
    if conn.execute(sa.select(state.c.group_id).where(state.c.group_id == group_id,
                                                      state.c.stage == stage.id)).first() is None:
        raise ReviewError(f"record {record_id} is not a report sought for retrieval: it has not "
                          "been included at the stage before full texts")
    return group_id


def attach_pdf(store: Store, record_id: int, data: bytes, file_name: str, *,
               actor: str | Reviewer) -> dict[str, Any]:
    """Store a PDF for the report. Replacing one is allowed (the audit log keeps the old
    hash); a file that is not a PDF is refused, naming it. Anyone who screens may attach one
    (an observer may not). Its text is read page by page once, here, for search and quote
    location; the result says how that went (text_status: text, no text layer, or
    unreadable with text_error naming the file): the file is stored either way."""
    if not data:
        raise InputError(file_name, "the file is empty")
    if not data.lstrip()[:5] == b"%PDF-":
        raise InputError(file_name, "not a PDF (it does not start with %PDF-)")
    if len(data) > MAX_BYTES:
        raise InputError(file_name, f"larger than {MAX_BYTES // (1024 * 1024)} MB")
    digest = hashlib.sha256(data).hexdigest()
    files = t.fulltext_files
    text = read_text(data, Path(file_name).name)  # before the transaction: it may take a while
    with store.write() as conn:
        actor = authorise(store, conn, actor, screens,
                          "observers read progress and do not attach full texts")
        group_id = _report_group(store, conn, record_id)
        if conn.execute(sa.select(files.c.sha256).where(files.c.sha256 == digest)).first() is None:
            conn.execute(files.insert().values(sha256=digest, data=data, size_bytes=len(data),
                                               content_type="application/pdf",
                                               stored_at=utc_now()))
        if not has_text(conn, digest):
            save_text(conn, digest, text)
        before = fulltext_status(store, conn, group_id)
        values = {"status": RETRIEVED, "sha256": digest, "file_name": Path(file_name).name,
                  "reason": None, "updated_by": actor, "updated_at": utc_now()}
        _put(store, conn, group_id, values, exists=before is not None)
        audit(store, conn, actor=actor, action="attach full text", entity="group",
              entity_id=str(group_id), detail={"record": record_id, "sha256": digest,
                                               "file": values["file_name"],
                                               "replaced": before and before.get("sha256")})
        refresh(store, conn, review_protocol(store), [group_id])
        return {"record_id": record_id, "group_id": group_id, **values,
                "text_status": text.status if not isinstance(text, InputError) else UNREADABLE,
                "text_error": str(text) if isinstance(text, InputError) else None}


def mark_not_retrieved(store: Store, record_id: int, reason: str, *,
                       actor: str | Reviewer) -> dict[str, Any]:
    """The report could not be obtained: it leaves the full-text queue and PRISMA counts it as
    not retrieved. Refused once anyone has assessed it; a lead's call (it removes the report
    from everyone's queue)."""
    reason = " ".join((reason or "").split())
    if not reason:
        raise ReviewError("say why the report was not retrieved (e.g. 'requested from authors, "
                          "no reply')")
    protocol = review_protocol(store)
    stage = _assessing_stage(protocol)
    decisions = t.decisions
    with store.write() as conn:
        actor = authorise(store, conn, actor, is_lead,
                          "only a lead marks a report not retrieved")
        group_id = _report_group(store, conn, record_id)
        if conn.execute(sa.select(decisions.c.id).where(
                decisions.c.group_id == group_id, decisions.c.stage == stage.id)).first():
            raise ReviewError(f"record {record_id} is already being assessed at full text; it "
                              "cannot be marked not retrieved")
        before = fulltext_status(store, conn, group_id)
        values = {"status": NOT_RETRIEVED, "sha256": None, "file_name": None, "reason": reason,
                  "updated_by": actor, "updated_at": utc_now()}
        _put(store, conn, group_id, values, exists=before is not None)
        audit(store, conn, actor=actor, action="full text not retrieved", entity="group",
              entity_id=str(group_id), detail={"record": record_id, "reason": reason})
        refresh(store, conn, protocol, [group_id])
        return {"record_id": record_id, "group_id": group_id, **values}


def pdf_bytes(store: Store, record_id: int) -> tuple[str, bytes]:
    """The stored PDF of a report, checked against its recorded sha256."""
    fulltexts, files = t.fulltexts, t.fulltext_files
    with store.read() as conn:
        group_id = group_for_record(store, conn, record_id)
        row = conn.execute(sa.select(fulltexts.c.file_name, files.c.data, files.c.sha256)
                           .join(files, files.c.sha256 == fulltexts.c.sha256)
                           .where(fulltexts.c.group_id == group_id)).first()
    if row is None:
        raise ReviewError(f"record {record_id} has no full text attached")
    data = bytes(row.data)
    if hashlib.sha256(data).hexdigest() != row.sha256:
        raise ReviewError(f"the stored full text of record {record_id} does not match its "
                          "sha256; the database may be damaged")
    return row.file_name, data


def list_reports(store: Store, *, status: str | None = None) -> list[dict[str, Any]]:
    """Reports sought (records that reached full text) with their retrieval status."""
    protocol = review_protocol(store)
    stage = fulltext_stage(protocol)
    if stage is None:
        return []
    state, fulltexts, groups, records = (t.screening_state, t.fulltexts,
                                         t.duplicate_groups, t.records)
    query = (sa.select(records.c.id.label("record_id"), state.c.group_id, records.c.title,
                       records.c.year, records.c.doi,
                       sa.func.coalesce(fulltexts.c.status, "sought").label("status"),
                       fulltexts.c.file_name, fulltexts.c.sha256, fulltexts.c.reason,
                       state.c.state.label("assessment"), state.c.outcome)
             .join(groups, groups.c.id == state.c.group_id)
             .join(records, records.c.id == groups.c.kept_record_id)
             .outerjoin(fulltexts, fulltexts.c.group_id == state.c.group_id)
             .where(state.c.stage == stage.id).order_by(state.c.group_id))
    with store.read() as conn:
        rows = [dict(r) for r in conn.execute(query).mappings()]
    return [r for r in rows if status is None or r["status"] == status]
