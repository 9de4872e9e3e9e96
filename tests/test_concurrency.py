"""Two OS processes voting at once on one review lose nothing: 1,000 first votes each
on the same 1,000 records, in the same order so they collide on every record, then 100
changes, and afterwards every vote is there exactly once and the screening state agrees with
the votes. On SQLite (one file, the issue's case) and on PostgreSQL (500 votes each there,
to keep the run short: its round trips make each vote slower than on a local file)."""

from __future__ import annotations

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
from review.screening.state import decide
from review.store import schema as t

ROOT = Path(__file__).resolve().parent.parent
RECORDS, CHANGES = 1000, 100
PG_RECORDS = 400

WORKER = r"""
import sys, time
from pathlib import Path
from review.screening.votes import cast_vote
from review.store import Store
db, name, go = sys.argv[1], sys.argv[2], Path(sys.argv[3])
records, changes = int(sys.argv[4]), int(sys.argv[5])
store = Store.open(db)
while not go.exists():
    time.sleep(0.005)
for record in range(1, records + 1):
    cast_vote(store, name, record, first(name, record), origin="import")
for record in range(1, changes + 1):
    cast_vote(store, name, record, "maybe", note=f"{name} changed {record}", origin="import")
store.close()
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
    go = tmp_path / "go"
    code = f"{_source(first)}\n{WORKER}"
    workers = [subprocess.Popen([sys.executable, "-c", code, db_url, name, str(go),
                                 str(records), str(CHANGES)], cwd=ROOT,
                                stderr=subprocess.PIPE, text=True)
               for name in ("Ana", "Ben")]
    time.sleep(1.0)  # both have opened the review and wait for the start
    go.touch()
    errors = [w.communicate(timeout=300)[1] for w in workers]
    assert [w.returncode for w in workers] == [0, 0], errors

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
    assert logged == {"Ana": records + CHANGES, "Ben": records + CHANGES}
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
    store.close()


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
