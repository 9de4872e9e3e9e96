"""What stands between a review and its final PRISMA counts, named stage by stage.

`review prisma --final` draws the diagram a manuscript reports only when nothing is pending:
every record deduplicated, and at every stage of the protocol no record waiting for votes,
for its full text, or in conflict. A lead who stopped title/abstract screening (prioritised
screening's stopping rule) leaves its open records "not screened": they wait for nobody; its
conflicts still need resolving. Candidate duplicate pairs no person judged do not hold the
final counts back (the records stay apart, each screened, as they were); the command says
how many there are (`unjudged_pairs`).
"""

from __future__ import annotations

from collections import Counter

import sqlalchemy as sa

from review.accounts import Reviewer, authorise, reads_reports
from review.errors import ReviewError
from review.prisma.counts import Prisma, compute
from review.project import review_protocol
from review.screening.state import CONFLICT, OPEN, fulltext_stage
from review.store import Store
from review.store import schema as t


class NotFinalError(ReviewError):
    """The review still has pending work: its PRISMA counts are provisional."""

    def __init__(self, pending: list[str]) -> None:
        self.pending = pending
        super().__init__("the PRISMA counts are not final; still pending:\n"
                         + "".join(f"  - {line}\n" for line in pending)
                         + "Nothing was written. Without --final the diagram is drawn as "
                           "provisional (pending lines in italics).")


def _n(count: int, one: str, many: str) -> str:
    return f"{count:,} {one if count == 1 else many}"


def pending_work(store: Store, *, by: str | Reviewer | None = None) -> list[str]:
    """Each piece of pending work in words a lead acts on (empty when the review is done)."""
    records, links = t.records, t.record_groups
    state = t.screening_state
    with store.read() as conn:
        if by is not None:
            authorise(store, conn, by, reads_reports,
                      "the PRISMA counts are for the review's leads and observers")
        protocol = review_protocol(store, conn)
        undeduplicated = conn.execute(
            sa.select(sa.func.count()).select_from(records).outerjoin(
                links, links.c.record_id == records.c.id).where(links.c.group_id.is_(None))
        ).scalar_one()
        rows = conn.execute(sa.select(state.c.group_id, state.c.stage, state.c.state,
                                      state.c.votes)
                            .where(state.c.state.in_((OPEN, CONFLICT)))).all()
        with_fulltext = {g for (g,) in conn.execute(sa.select(t.fulltexts.c.group_id))}
        stopped = {s for (s,) in conn.execute(sa.select(t.screening_stops.c.stage))}
    lines: list[str] = []
    if undeduplicated:
        lines.append("deduplication: " + _n(undeduplicated, "record", "records")
                     + " imported but not deduplicated ('review dedupe')")
    report_stage = fulltext_stage(protocol)
    waiting: Counter[tuple[str, str]] = Counter()
    for row in rows:
        if row.state == CONFLICT:
            waiting[(row.stage, "conflict")] += 1
        elif row.stage in stopped:
            continue  # screening stopped there: not screened, waiting for nobody
        elif (report_stage is not None and row.stage == report_stage.id and not row.votes
              and row.group_id not in with_fulltext):
            waiting[(row.stage, "retrieval")] += 1
        else:
            waiting[(row.stage, "votes")] += 1
    for stage in protocol.stages:
        parts = []
        if waiting[(stage.id, "retrieval")]:
            parts.append(_n(waiting[(stage.id, "retrieval")], "report", "reports")
                         + " waiting for the full text (attach it or mark it not retrieved)")
        if waiting[(stage.id, "votes")]:
            parts.append(_n(waiting[(stage.id, "votes")], "record", "records")
                         + " waiting for votes")
        if waiting[(stage.id, "conflict")]:
            parts.append(_n(waiting[(stage.id, "conflict")], "conflict", "conflicts")
                         + " to resolve")
        if parts:
            lines.append(f"{stage.label} ({stage.id}): " + ", ".join(parts))
    return lines


def unjudged_pairs(store: Store) -> int:
    """Candidate duplicate pairs waiting for a person ("needs review")."""
    pairs = t.duplicate_pairs
    with store.read() as conn:
        return int(conn.execute(sa.select(sa.func.count()).select_from(pairs).where(
            pairs.c.status == "needs review")).scalar_one())


def final_counts(store: Store, *, by: str | Reviewer | None = None) -> Prisma:
    """The counts, when they are final; NotFinalError naming what is pending otherwise."""
    counts = compute(store, by=by)
    pending = pending_work(store, by=by)
    if not pending and not counts.complete:  # what the counts see, said in their words
        pending = counts.pending_lines()
    if pending:
        raise NotFinalError(pending)
    return counts
