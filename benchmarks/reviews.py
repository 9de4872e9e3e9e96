"""Many reviews on one server: does a review among 20 others in one PostgreSQL database answer
as fast as the same review alone in its database? Times the two services a reviewer waits for
on the Screen page, in one review of a database holding `--reviews` reviews of `--records`
records each, and in a database holding that review alone (goal: within 1.5 times):

- a queue read: `review.screening.votes.next_item`, what the page calls (through
  review.ui.voting.load_item) for the reviewer's next record;
- a vote: `review.screening.votes.cast_vote`, committed.

Each review is a synthetic RIS export with distinct titles (benchmarks/screening.py's
make_ris, parsed once), imported with review.importing and deduplicated with run_dedupe, with
two reviewers (Ana and Ben). The review timed is the last one made: its tables live in a
PostgreSQL schema of their own, among the others. Ana and Ben take turns, reading their next
record and voting on it, so half the votes are first votes and half decide a record; the two
databases are timed in alternation (each turn in both, which goes first swapping every turn),
so a change in the machine's load weighs on both alike. The first 3 turns warm up, untimed.
Both databases are ANALYZEd first, as autovacuum would soon after an import.

The databases are made on `--server` (a PostgreSQL URL whose user may create databases),
by default on a throwaway server started from the PostgreSQL binaries as the test suite does
(tests/conftest.py). The figures go to benchmarks/results/reviews.json, for the README.

Run: .venv/bin/python benchmarks/reviews.py [--reviews 20] [--records 20000] [--votes 200]
     [--quick] [--server postgresql://...]
"""

from __future__ import annotations

import argparse
import contextlib
import shutil
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
PROTOCOL = ROOT / "protocols" / "peer-support-self-harm.toml"
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from benchmarks.results import record  # noqa: E402

TARGET_RATIO = 1.5
WARM_UP = 3
PEOPLE = ("Ana", "Ben")
QUICK = {"reviews": 3, "records": 500, "votes": 20}


@contextlib.contextmanager
def throwaway_server() -> Iterator[str]:
    """A PostgreSQL cluster in a temporary folder for this run, removed afterwards; its URL."""
    # start-up: the test suite's server helper (and pytest with it) only when no --server
    from tests.conftest import PostgresServer, _pg_bin

    bin_dir = _pg_bin()
    if bin_dir is None:
        raise SystemExit("no PostgreSQL binaries (initdb): install Debian's postgresql "
                         "package, or pass --server postgresql://...")
    base = Path(f"/tmp/review-pg-bench-{uuid.uuid4().hex[:8]}")
    base.mkdir()
    server = PostgresServer(bin_dir, base)
    try:
        server.start()
        deadline = time.time() + 30
        while not (base / f".s.PGSQL.{server.port}").exists() and time.time() < deadline:
            time.sleep(0.1)
        yield server.url()
    finally:
        server.stop()
        shutil.rmtree(base, ignore_errors=True)


def new_database(server: str, label: str) -> str:
    """An empty database on the server, named for this run; its URL."""
    import sqlalchemy as sa

    name = f"bench_{label}_{uuid.uuid4().hex[:8]}"
    engine = sa.create_engine(server.replace("postgresql://", "postgresql+psycopg://", 1),
                              isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    engine.dispose()
    return server.rsplit("/", 1)[0] + f"/{name}"


def analyse(db: str) -> None:
    """ANALYZE the whole database, as autovacuum would soon after an import: without it, a
    review imported a moment ago is planned on no statistics, and the database made last (the
    one alone) would be timed on worse plans than the other for that reason only."""
    import sqlalchemy as sa

    engine = sa.create_engine(db.replace("postgresql://", "postgresql+psycopg://", 1),
                              isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(sa.text("ANALYZE"))
    engine.dispose()


def add_review(db: str, slug: str, parsed: Sequence[Any]) -> dict[str, float]:
    """One review in the database: created, the export imported and deduplicated, two
    reviewers; the seconds each step took."""
    from review.accounts import add_reviewer
    from review.duplicates import run_dedupe
    from review.importing import SourceInfo, import_parsed
    from review.project import create_review

    times = {}
    began = time.perf_counter()
    store = create_review(PROTOCOL, db, actor="bench", review=slug)
    times["create_s"] = time.perf_counter() - began
    began = time.perf_counter()
    import_parsed(store, parsed, SourceInfo("PsycINFO (EBSCO)", "database", "2025-03-01"),
                  actor="bench")
    times["import_s"] = time.perf_counter() - began
    began = time.perf_counter()
    run_dedupe(store, actor="bench")
    times["dedupe_s"] = time.perf_counter() - began
    for name in PEOPLE:
        add_reviewer(store, name, actor="bench")
    store.close()
    return times


def summary(times: list[float]) -> dict[str, float]:
    """Median and 95th percentile, in milliseconds."""
    ms = sorted(1000 * x for x in times)
    p95 = statistics.quantiles(ms, n=100, method="inclusive")[94] if len(ms) > 1 else ms[0]
    return {"median_ms": round(statistics.median(ms), 2), "p95_ms": round(p95, 2),
            "max_ms": round(ms[-1], 2)}


def measure(dbs: dict[str, tuple[str, str]], votes: int) -> dict[str, dict[str, Any]]:
    """Turns of Ana and Ben (read the next record, vote on it) in each database, alternating
    between the databases; each database's queue-read and vote times."""
    from review.project import review_protocol
    from review.screening import votes as screening
    from review.store import Store

    stores = {label: Store.open(url, review=slug) for label, (url, slug) in dbs.items()}
    protocols = {label: review_protocol(store) for label, store in stores.items()}
    timed: dict[str, dict[str, list[float]]] = {label: {"queue": [], "vote": []}
                                               for label in stores}
    order = list(stores)
    try:
        for turn in range(WARM_UP + votes):
            person = PEOPLE[turn % 2]
            for label in order if turn % 2 == 0 else reversed(order):
                store = stores[label]
                began = time.perf_counter()
                item = screening.next_item(store, person, protocol=protocols[label])
                read = time.perf_counter() - began
                if item is None:
                    raise SystemExit(f"{label}: {person}'s queue ran out; use fewer --votes")
                decision = "include" if item.record_id % 3 == 0 else "exclude"
                began = time.perf_counter()
                screening.cast_vote(store, person, item.record_id, decision, origin="ui")
                vote = time.perf_counter() - began
                if turn >= WARM_UP:
                    timed[label]["queue"].append(read)
                    timed[label]["vote"].append(vote)
    finally:
        for store in stores.values():
            store.close()
    return {label: {"queue_read": summary(t["queue"]), "vote": summary(t["vote"])}
            for label, t in timed.items()}


def run(server: str, reviews: int, records: int, votes: int) -> dict[str, Any]:
    """Build both databases on the server, time them, and return the figures."""
    from benchmarks.screening import make_ris
    from review.importing import read_exports

    with tempfile.TemporaryDirectory(prefix="review-reviews-") as tmp:
        export = Path(tmp) / "search.ris"
        make_ris(export, records)
        parsed = read_exports([export])
    shared, alone = new_database(server, "shared"), new_database(server, "alone")
    slug = f"r{reviews - 1}"  # the last review made: in a schema of its own among the others
    builds = []
    began = time.perf_counter()
    for i in range(reviews):
        builds.append(add_review(shared, f"r{i}", parsed))
        print(f"  review r{i} ({i + 1} of {reviews}) built ({records:,} records): "
              + ", ".join(f"{k[:-2]} {v:.1f} s" for k, v in builds[-1].items()), flush=True)
    shared_s = time.perf_counter() - began
    began = time.perf_counter()
    add_review(alone, slug, parsed)
    alone_s = time.perf_counter() - began
    print(f"built in {shared_s:.0f} s ({reviews} reviews) and {alone_s:.0f} s (alone); "
          f"timing {votes} votes and queue reads in each...", flush=True)
    analyse(shared)
    analyse(alone)
    timed = measure({"shared": (shared, slug), "alone": (alone, slug)}, votes)
    ratio = {f"{what}_{stat}": round(timed["shared"][what][f"{stat}_ms"]
                                     / timed["alone"][what][f"{stat}_ms"], 2)
             for what in ("queue_read", "vote") for stat in ("median", "p95")}
    return {"database": "PostgreSQL", "reviews": reviews, "records": records, "votes": votes,
            "warm_up": WARM_UP, "review_timed": slug, "shared": timed["shared"],
            "alone": timed["alone"], "ratio": ratio, "target_ratio": TARGET_RATIO,
            "met": all(r <= TARGET_RATIO for r in ratio.values()),
            "build_s": {"shared": round(shared_s, 1), "alone": round(alone_s, 1),
                        "per_review_import_s": round(statistics.median(
                            b["import_s"] for b in builds), 1),
                        "per_review_dedupe_s": round(statistics.median(
                            b["dedupe_s"] for b in builds), 1)}}


def report(f: dict[str, Any]) -> None:
    print(f"PostgreSQL: review {f['review_timed']} among {f['reviews']} reviews of "
          f"{f['records']:,} records in one database, against it alone in its database; "
          f"{f['votes']} turns each")
    for what, label in (("queue_read", "queue read (next_item)"), ("vote", "vote (cast_vote)")):
        s, a = f["shared"][what], f["alone"][what]
        print(f"  {label}: median {s['median_ms']:.1f} ms vs {a['median_ms']:.1f} ms alone "
              f"({f['ratio'][what + '_median']:.2f}x); p95 {s['p95_ms']:.1f} ms vs "
              f"{a['p95_ms']:.1f} ms ({f['ratio'][what + '_p95']:.2f}x)")
    print(f"  goal, within {f['target_ratio']}x: {'met' if f['met'] else 'NOT met'}")


def main(argv: Sequence[str] | None = None, *, out: Path | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--reviews", type=int, default=20)
    parser.add_argument("--records", type=int, default=20_000)
    parser.add_argument("--votes", type=int, default=200, help="timed turns per database")
    parser.add_argument("--quick", action="store_true",
                        help=f"a smoke test: {QUICK['reviews']} reviews of {QUICK['records']} "
                             f"records, {QUICK['votes']} votes")
    parser.add_argument("--server", help="a PostgreSQL server (postgresql://user@host:port/db, "
                                         "its user may create databases); default: a "
                                         "throwaway one")
    parser.add_argument("--out", type=Path, help="where the JSON goes (default: "
                                                 "benchmarks/results/reviews.json)")
    args = parser.parse_args(argv)
    if args.quick:
        args.reviews, args.records, args.votes = QUICK["reviews"], QUICK["records"], QUICK["votes"]
    if args.reviews < 2:
        parser.error("--reviews must be at least 2: one review among others")
    print(f"building {args.reviews} reviews of {args.records:,} records in one PostgreSQL "
          "database, and one alone...", flush=True)
    with (contextlib.nullcontext(args.server) if args.server else throwaway_server()) as server:
        figures = run(server, args.reviews, args.records, args.votes)
    report(figures)
    record("reviews", figures, out=out or args.out)
    return figures


if __name__ == "__main__":
    main()
