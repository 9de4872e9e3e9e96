"""Two OS processes voting at once on one review lose nothing: 1,000 first votes each
on the same 1,000 records, in the same order so they collide on every record, then 100
changes, and afterwards every vote is there exactly once and the screening state agrees with
the votes. On SQLite (one file, the issue's case) and on PostgreSQL (500 votes each there,
to keep the run short: its round trips make each vote slower than on a local file).

The workers start together by a handshake, not a sleep: each opens the review, reads from it
(connected) and says "ready" on its stdout, then blocks on its stdin; the parent waits for
both (a worker not ready in time fails the test) and only then writes "go" to both. Each
reports the wall-clock span of its writing, and the test fails unless the spans overlap and,
in the audit log's order, one reviewer's votes came between the other's. SQLite lets the
writer that just committed take the lock again, so once a CI run saw one reviewer write all
its votes first: each worker pauses 150 ms every 250 votes, longer than SQLite's longest
busy wait, so the waiting one always gets in."""

from __future__ import annotations

import json
import select
import subprocess
import sys
import time
from pathlib import Path

import sqlalchemy as sa

from benchmarks.screening import make_ris
from review.accounts import add_reviewer
from review.duplicates import run_dedupe
from review.importing import SourceInfo, import_files
from review.project import create_review, review_protocol
from review.screening.state import count_drift, decide
from review.store import schema as t

ROOT = Path(__file__).resolve().parent.parent
RECORDS, CHANGES = 1000, 100
PG_RECORDS = 400

READY_SECONDS = 120  # to open the review and read from it, on a loaded machine
WORKER = r"""
import json, sys, time
from review.project import review_protocol
from review.screening.votes import cast_vote
from review.store import Store
db, name = sys.argv[1], sys.argv[2]
records, changes = int(sys.argv[3]), int(sys.argv[4])
store = Store.open(db)
review_protocol(store)  # connected: the review is open and read
print("ready", flush=True)
if sys.stdin.readline().strip() != "go":
    sys.exit("no go from the test")
started = time.time()
for record in range(1, records + 1):
    cast_vote(store, name, record, first(name, record), origin="import")
    if record % 250 == 0:  # longer than SQLite's longest busy wait (100 ms): the other gets in
        time.sleep(0.15)
for record in range(1, changes + 1):
    cast_vote(store, name, record, "maybe", note=f"{name} changed {record}", origin="import")
ended = time.time()
store.close()
print(json.dumps({"started": started, "ended": ended}), flush=True)
"""


def first(name: str, record: int) -> str:
    """Each reviewer's first vote: they agree on some records and not on others."""
    every = 3 if name == "Ana" else 5
    return "exclude" if record % every == 0 else "include"


def final(name: str, record: int) -> str:
    return "maybe" if record <= CHANGES else first(name, record)


def test_two_processes_voting_at_once_lose_nothing(db_url: str, tmp_path: Path,
                                                   protocol_path: Path) -> None:
    records = PG_RECORDS if "://" in db_url else RECORDS
    store = create_review(protocol_path, db_url, actor="lead")
    export = tmp_path / "search.ris"
    make_ris(export, records)
    import_files(store, [export], SourceInfo("PsycINFO (EBSCO)", "database"), actor="lead")
    summary = run_dedupe(store, actor="lead")
    assert summary.groups == records
    for name in ("Ana", "Ben"):
        add_reviewer(store, name, actor="lead")
    code = f"{_source(first)}\n{WORKER}"
    workers = [subprocess.Popen([sys.executable, "-c", code, db_url, name, str(records),
                                 str(CHANGES)], cwd=ROOT, stdin=subprocess.PIPE,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
               for name in ("Ana", "Ben")]
    try:
        _await_ready(workers, READY_SECONDS)
        for worker in workers:  # both are blocked on their stdin: release them together
            worker.stdin.write("go\n")
            worker.stdin.flush()
        finished = [w.communicate(timeout=300) for w in workers]
    finally:
        for worker in workers:
            if worker.poll() is None:
                worker.kill()
    assert [w.returncode for w in workers] == [0, 0], [err for _, err in finished]
    spans = [json.loads(out.splitlines()[-1]) for out, _ in finished]
    overlap = min(s["ended"] for s in spans) - max(s["started"] for s in spans)
    assert overlap > 0, f"the two workers wrote one after the other: {spans}"

    decisions, reviewers, state, audit = (t.decisions, t.reviewers,
                                          t.screening_state, t.audit_log)
    with store.read() as conn:
        names = dict(conn.execute(sa.select(reviewers.c.id, reviewers.c.name)).all())
        votes = conn.execute(sa.select(decisions).order_by(decisions.c.id)).all()
        states = {(r.group_id, r.stage): r for r in conn.execute(sa.select(state))}
        logged = dict(conn.execute(sa.select(audit.c.actor, sa.func.count())
                                   .where(audit.c.action.in_(["vote", "change vote"]))
                                   .group_by(audit.c.actor)).all())
        kept = dict(conn.execute(sa.select(t.duplicate_groups.c.id,
                                           t.duplicate_groups.c.kept_record_id)).all())
        order = conn.execute(sa.select(audit.c.actor)
                             .where(audit.c.action.in_(["vote", "change vote"]))
                             .order_by(audit.c.id)).scalars().all()
    switches = sum(a != b for a, b in zip(order, order[1:], strict=False))
    assert logged == {"Ana": records + CHANGES, "Ben": records + CHANGES}
    # in commit order one reviewer's votes came between the other's (A..B..A at least): they
    # collided. SQLite lets the writer that just committed take the lock again, so its runs
    # are long (about 20 changes of reviewer in 2,200 votes); PostgreSQL alternates far more
    assert switches >= 2, f"one reviewer's votes all came before the other's: {switches}"
    longest = max(s["ended"] - s["started"] for s in spans)
    print(f"\n{'PostgreSQL' if '://' in db_url else 'SQLite'}: writing overlapped "
          f"{overlap:.1f} s of {longest:.1f} s; the reviewer changed {switches} times in "
          "the audit log's order")
    seen = {(kept[v.group_id], names[v.reviewer_id]): v for v in votes}
    assert len(seen) == len(votes) == 2 * records  # every vote exactly once
    for (record, name), vote in seen.items():
        assert vote.decision == final(name, record), (record, name)
        assert vote.changes == (1 if record <= CHANGES else 0)
    protocol = review_protocol(store)
    stage = protocol.stages[0]
    by_group: dict[int, list[tuple[str, str | None]]] = {}
    for vote in votes:
        by_group.setdefault(vote.group_id, []).append((vote.decision, vote.reason))
    for group_id, cast in by_group.items():
        expected = decide(cast, stage, protocol.maybe_policy)
        row = states[(group_id, stage.id)]
        assert (row.state, row.outcome, row.votes) == (
            expected.state, expected.outcome, expected.votes), group_id
        included = expected.outcome == "include"
        assert ((group_id, "full_text") in states) == included, group_id
    with store.read() as conn:  # the kept counts (progress) took every writer's changes
        assert count_drift(store, conn) == {}
    store.close()


def _await_ready(workers: list[subprocess.Popen], seconds: float) -> None:
    """Wait for every worker's "ready" line; a worker that dies or is slower fails the test."""
    deadline = time.monotonic() + seconds
    for worker in workers:
        ready, _, _ = select.select([worker.stdout], [], [],
                                    max(0.0, deadline - time.monotonic()))
        line = worker.stdout.readline() if ready else ""
        if line.strip() != "ready":
            worker.kill()
            _, errors = worker.communicate(timeout=30)
            raise AssertionError(f"a worker was not ready within {seconds:.0f} s (it said "
                                 f"{line!r}): {errors}")


def _source(func) -> str:
    import inspect

    return inspect.getsource(func).replace("CHANGES", str(CHANGES))


def test_two_votes_in_overlapping_transactions_both_count(postgres, tmp_path: Path) -> None:
    """PostgreSQL runs writers side by side (SQLite queues them with BEGIN IMMEDIATE): Ben's
    vote must see Ana's once hers commits, or the record would stay open with both votes in
    and no one left to vote on it. Made deterministic with two open transactions."""
    import threading

    from review.screening.votes import cast_vote
    from tests.test_screening import build, state

    store = build(postgres.new_database(), tmp_path)
    protocol = review_protocol(store)
    done: list[object] = []
    with store.write() as first:
        cast_vote(store, "Ana", 1, "include", conn=first, protocol=protocol)

        def second() -> None:
            try:
                with store.write() as conn:
                    done.append(cast_vote(store, "Ben", 1, "include", conn=conn,
                                          protocol=protocol))
            except Exception as exc:  # reported below
                done.append(exc)

        worker = threading.Thread(target=second)
        worker.start()
        worker.join(timeout=2.0)  # Ben's transaction waits for Ana's group to be free
        assert worker.is_alive() and not done, done
    worker.join(timeout=30)
    assert done and not isinstance(done[0], Exception), done
    row = state(store, 1)
    assert (row["state"], row["outcome"], row["votes"]) == ("decided", "include", 2)
    assert state(store, 1, "full_text") is not None
    store.close()
