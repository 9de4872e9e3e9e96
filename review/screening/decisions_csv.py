"""Votes in and out as CSV: for screening done offline or in another tool, and for backups.

An import is checked row by row inside one transaction: the first bad row (unknown record,
reviewer, stage or reason; a vote the record cannot take) rolls everything back and is named
by its row number and line, so a file lands whole or not at all. Re-importing the same votes
changes nothing. Exports go out through review.tabular, whose CSV quotes text a spreadsheet
would run as a formula; an import takes that quote off again, so a round trip is exact.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from review.accounts import AccessError, Reviewer, find_reviewer, reviewer_now
from review.errors import InputError, ReviewError
from review.io.decode import decode
from review.project import lock_protocol, review_protocol
from review.screening.state import CONFLICT, DECIDED, group_for_record
from review.screening.votes import cast_vote
from review.store import Store
from review.store import schema as t
from review.store.records import audit
from review.tabular import restore

COLUMNS = ("record", "reviewer", "stage", "decision", "reason", "note")
EXPORT_COLUMNS = ("record", "group", "reviewer", "stage", "decision", "reason", "note",
                  "criteria", "created_at", "updated_at", "changes", "origin", "status")


def import_decisions(path: str | Path, store: Store, *, actor: str) -> int:
    """Import votes from a CSV with columns record, reviewer, stage, decision, reason, note;
    returns how many votes were added or changed."""
    name = str(path)
    try:
        data = Path(path).read_bytes()
    except OSError as exc:
        raise InputError(name, f"cannot read: {exc.strerror}") from None
    text = decode(data, name).text if data else ""
    if not text.strip():
        raise InputError(name, "the file is empty")
    reader = csv.DictReader(io.StringIO(text, newline=""))
    header = [h.strip().lower() for h in reader.fieldnames or []]
    missing = [c for c in ("record", "reviewer", "stage", "decision") if c not in header]
    if missing:
        raise InputError(name, f"missing column(s) {', '.join(missing)}; expected "
                         + ", ".join(COLUMNS), line=1)
    reader.fieldnames = header
    changed = 0
    with store.write() as conn:
        lock_protocol(store, conn)
        protocol = review_protocol(store, conn)
        people: dict[str, Reviewer] = {}
        for number, row in enumerate(reader, start=1):
            line = reader.line_num
            where = f"row {number}"
            if None in row:
                raise InputError(name, f"{where} has more fields than the header", line=line)
            values = {k: restore((v or "").strip()) for k, v in row.items()}
            try:
                record_id = int(values["record"])
            except ValueError:
                raise InputError(name, f"{where}: record {values['record']!r} is not a record "
                                 "id ('review records' lists them)", line=line) from None
            who = values["reviewer"]
            if who.lower() not in people:
                person = find_reviewer(store, conn, who) if who else None
                if person is None:
                    raise InputError(name, f"{where}: unknown reviewer {who!r}; add them with "
                                     "'review reviewers add NAME' first", line=line)
                people[who.lower()] = person
            try:
                protocol.stage(values["stage"])
                before = _current(store, conn, record_id, people[who.lower()].id,
                                  values["stage"])
                result = cast_vote(store, people[who.lower()], record_id,
                                   values["decision"].lower(), stage=values["stage"],
                                   reason=values.get("reason"), note=values.get("note"),
                                   origin="import", conn=conn, protocol=protocol)
            except (ReviewError, AccessError) as exc:
                raise InputError(name, f"{where}: {exc}", line=line) from None
            if before is None or before != (result["decision"], result["reason"],
                                            result["note"]):
                changed += 1
        audit(store, conn, actor=actor, action="import decisions", entity="review",
              entity_id=None, detail={"file": Path(name).name, "votes": changed})
    return changed


def _current(store: Store, conn: Any, record_id: int, reviewer_id: int,
             stage: str) -> tuple[str, str | None, str | None] | None:
    decisions = t.decisions
    group_id = group_for_record(store, conn, record_id)
    row = conn.execute(sa.select(decisions.c.decision, decisions.c.reason, decisions.c.note)
                       .where(decisions.c.group_id == group_id, decisions.c.stage == stage,
                              decisions.c.reviewer_id == reviewer_id)).first()
    return tuple(row) if row else None


def export_decisions(store: Store, *, by: str | Reviewer, include_pending: bool = False
                     ) -> list[dict[str, Any]]:
    """Every vote, for a lead. Votes on records still waiting for others are blind and left
    out unless include_pending is asked for, so an export never unblinds a screening lead."""
    decisions, reviewers, groups, state = (t.decisions, t.reviewers,
                                           t.duplicate_groups, t.screening_state)
    with store.read() as conn:
        name = by.name if isinstance(by, Reviewer) else by
        person = (reviewer_now(store, conn, by) if isinstance(by, Reviewer)
                  else find_reviewer(store, conn, by))
        if person is None or not person.is_lead or not person.active:
            raise AccessError(f"{name!r} is not a lead of this review; only a lead exports "
                              "votes")
        query = (sa.select(decisions, reviewers.c.name.label("reviewer"),
                           groups.c.kept_record_id.label("record"), state.c.state,
                           state.c.outcome)
                 .join(reviewers, reviewers.c.id == decisions.c.reviewer_id)
                 .join(groups, groups.c.id == decisions.c.group_id)
                 .outerjoin(state, sa.and_(state.c.group_id == decisions.c.group_id,
                                           state.c.stage == decisions.c.stage))
                 .order_by(decisions.c.id))
        rows = []
        for r in conn.execute(query).mappings():
            if not include_pending and r["state"] not in (DECIDED, CONFLICT):
                continue
            row = dict(r)
            row["group"] = row["group_id"]
            row["status"] = (f"{row['state']}: {row['outcome']}" if row["outcome"]
                             else row["state"])
            rows.append(row)
        return rows
