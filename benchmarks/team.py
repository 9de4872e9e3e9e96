"""A team on one database: 10 simulated reviewers, each its own OS process calling the services
directly, screen one review at the same time until every record has its two votes. Prints the
votes per second of the whole team and the 50th and 95th percentile latency of one vote
(`cast_vote`, committed).

Each reviewer repeatedly takes one of the first 20 records of their own queue at random (so
ten people do not all reach for the same record) and votes on it; a vote that lands after two
others have completed the record is refused by the service ("already has the votes it needs")
and counted apart, as a real reviewer would simply see the next record.

The review (a synthetic RIS export with distinct titles, imported and deduplicated through the
services) is built fresh for each run: in a temporary SQLite file by default, or, with
--db postgresql://..., in that database, which must be empty (it is left holding the review).

Run: .venv/bin/python benchmarks/team.py [--records 2000] [--reviewers 10] [--db URL]
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PROTOCOL = ROOT / "protocols" / "peer-support-self-harm.toml"
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))


def build(db: str, records: int, reviewers: int, work: Path) -> list[str]:
    from benchmarks.screening import make_ris
    from review.accounts import add_reviewer
    from review.duplicates import run_dedupe
    from review.importing import SourceInfo, import_files
    from review.project import create_review

    store = create_review(PROTOCOL, db, actor="bench")
    export = work / "search.ris"
    make_ris(export, records)
    import_files(store, [export], SourceInfo("PsycINFO (EBSCO)", "database"), actor="bench")
    groups = run_dedupe(store, actor="bench").groups
    assert groups == records, f"{groups} groups from {records} distinct records"
    names = [f"Reviewer {i + 1:02d}" for i in range(reviewers)]
    for name in names:
        add_reviewer(store, name, actor="bench")
    store.close()
    return names


def reviewer(db: str, name: str, seed: int, start: mp.Event, out: mp.Queue) -> None:
    """One person screening until their queue is empty; sends back their vote latencies."""
    from review.errors import ReviewError
    from review.screening import votes as screening
    from review.store import Store

    rng = random.Random(seed)
    store = Store.open(db)
    latencies, refused = [], 0
    start.wait()
    while True:
        waiting = screening.queue(store, name, limit=20)
        if not waiting:
            break
        record = rng.choice(waiting)["record_id"]
        decision = "include" if rng.random() < 0.3 else "exclude"
        began = time.perf_counter()
        try:
            screening.cast_vote(store, name, record, decision, origin="import")
        except ReviewError as exc:
            if "already has the votes it needs" not in str(exc):
                raise
            refused += 1
            continue
        latencies.append(time.perf_counter() - began)
    store.close()
    out.put((name, latencies, refused))


def check(db: str, records: int) -> int:
    """Every record has exactly two votes from two people, and a state that agrees."""
    import sqlalchemy as sa

    from review.store import Store
    from review.store import schema as t

    store = Store.open(db)
    decisions, state = t.decisions, t.screening_state
    with store.read() as conn:
        per_group = conn.execute(sa.select(decisions.c.group_id, sa.func.count(),
                                           sa.func.count(sa.distinct(decisions.c.reviewer_id)))
                                 .group_by(decisions.c.group_id)).all()
        still_open = conn.execute(sa.select(sa.func.count()).select_from(state).where(
            state.c.stage == "title_abstract", state.c.state == "open")).scalar_one()
    store.close()
    assert len(per_group) == records and all(n == people == 2 for _, n, people in per_group), \
        "a record without exactly two votes from two reviewers"
    assert still_open == 0, f"{still_open} record(s) still open after everyone finished"
    return sum(n for _, n, _ in per_group)


def percentile(values: list[float], q: float) -> float:
    return statistics.quantiles(values, n=100, method="inclusive")[q - 1] if len(values) > 1 \
        else values[0]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--records", type=int, default=2000)
    parser.add_argument("--reviewers", type=int, default=10)
    parser.add_argument("--db", help="An empty PostgreSQL database (postgresql://...); "
                                     "default: a temporary SQLite file.")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="review-team-") as tmp:
        work = Path(tmp)
        db = args.db or str(work / "team.db")
        kind = "PostgreSQL" if args.db else "SQLite"
        print(f"building a review of {args.records:,} records on {kind}...", flush=True)
        names = build(db, args.records, args.reviewers, work)
        context = mp.get_context("spawn")
        start, out = context.Event(), context.Queue()
        workers = [context.Process(target=reviewer, args=(db, name, i, start, out))
                   for i, name in enumerate(names)]
        for w in workers:
            w.start()
        time.sleep(2.0)  # every process has imported the library and opened the review
        began = time.perf_counter()
        start.set()
        results = [out.get(timeout=3600) for _ in workers]
        seconds = time.perf_counter() - began
        for w in workers:
            w.join(timeout=60)
        assert all(w.exitcode == 0 for w in workers), "a reviewer process failed"
        total = check(db, args.records)
    latencies = [t for _, times, _ in results for t in times]
    refused = sum(r for _, _, r in results)
    assert len(latencies) == total, f"{len(latencies)} votes timed, {total} in the database"
    print(f"{kind}: {args.reviewers} reviewers, {total:,} votes on {args.records:,} records in "
          f"{seconds:.1f} s")
    print(f"  votes per second (whole team): {total / seconds:,.1f}")
    print(f"  vote latency: p50 {1000 * percentile(latencies, 50):.1f} ms, "
          f"p95 {1000 * percentile(latencies, 95):.1f} ms, max {1000 * max(latencies):.1f} ms")
    print(f"  votes refused because two others completed the record first: {refused}")
    per_person = sorted(len(times) for _, times, _ in results)
    print(f"  votes per reviewer: {per_person[0]} to {per_person[-1]}")


if __name__ == "__main__":
    main()
