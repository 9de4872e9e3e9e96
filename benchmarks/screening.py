"""Screening speed at scale: the server time from a vote to the next record ready, in a review
of 50,000 records (target: under 150 ms at the median), and what deduplication's screening
sync costs at that size.

The review is built once per record count (a synthetic RIS export with distinct titles,
imported with review.importing.import_files and deduplicated with review.duplicates.run_dedupe,
two reviewers added) and cached under .bench/; each run screens a fresh copy of it. Two
reviewers take turns: each iteration is one `cast_vote` on the reviewer's current record and
the `next_item` that follows, so half the votes are first votes and half decide a record.

`--prevoted N` first gives each reviewer N votes on the first N records (written straight
into the copy's tables, with the state those single votes leave), to time a review half-way
through, where each next-record query has to step over the reviewer's own votes. Several
values (`--prevoted 0 25000`) time each on its own fresh copy.

The figures go to benchmarks/results/screening.json, with the times of the build that made
the cached review (kept beside it in .bench/, with its date), for the README's table.

Run: .venv/bin/python benchmarks/screening.py [--records 50000] [--votes 300]
     [--prevoted N [N ...]] [--rebuild]
"""

from __future__ import annotations

import argparse
import json
import random
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from benchmarks.results import record  # noqa: E402

CACHE = ROOT / ".bench"
PROTOCOL = ROOT / "protocols" / "peer-support-self-harm.toml"

WORDS = ("peer support self-harm community online forum moderated group charity voluntary "
         "qualitative interview young people adults belonging stigma recovery wellbeing "
         "evaluation mixed methods survey service users experiences staff training school "
         "university listening befriending mentoring helpline digital rural urban migrant "
         "carers outreach coproduction resilience coping narrative photovoice ethnography "
         "trial cohort feasibility pilot implementation fidelity access barriers").split()
JOURNALS = ("Archives of Suicide Research", "BJPsych Open", "Crisis", "BMC Psychiatry",
            "Journal of Medical Internet Research", "Health & Social Care in the Community")


def make_ris(path: Path, n: int, seed: int = 11) -> None:
    """Distinct works: random titles of 8 to 14 words, their own DOI, a short abstract."""
    rng = random.Random(seed)
    seen: set[str] = set()
    with open(path, "w", encoding="utf-8") as out:
        for i in range(n):
            while True:
                title = " ".join(rng.choice(WORDS) for _ in range(rng.randint(8, 14)))
                if title not in seen:
                    seen.add(title)
                    break
            out.write("TY  - JOUR\n")
            for _ in range(rng.randint(1, 4)):
                out.write(f"AU  - {rng.choice(WORDS).capitalize()}, "
                          f"{rng.choice('ABCDEFGHJKLMNPRST')}\n")
            out.write(f"TI  - {title.capitalize()}\nJO  - {rng.choice(JOURNALS)}\n")
            out.write(f"PY  - {rng.randint(1990, 2024)}\nVL  - {rng.randint(1, 60)}\n")
            start = rng.randint(1, 900)
            out.write(f"SP  - {start}\nEP  - {start + rng.randint(3, 20)}\n")
            out.write(f"DO  - 10.5555/bench.screening.{i}\n")
            abstract = " ".join(rng.choice(WORDS) for _ in range(rng.randint(60, 120)))
            out.write(f"AB  - {abstract}\nER  - \n\n")


def build(db: Path, records: int) -> dict[str, float]:
    """Create the cached review; returns the seconds each step took."""
    from review.accounts import add_reviewer
    from review.duplicates import run_dedupe
    from review.importing import SourceInfo, import_files
    from review.project import create_review

    db.parent.mkdir(parents=True, exist_ok=True)
    partial = db.with_suffix(".partial")
    for leftover in (partial, Path(f"{partial}-wal"), Path(f"{partial}-shm")):
        leftover.unlink(missing_ok=True)
    times = {}
    with tempfile.TemporaryDirectory() as tmp:
        export = Path(tmp) / "search.ris"
        start = time.perf_counter()
        make_ris(export, records)
        times["write_ris_s"] = time.perf_counter() - start
        store = create_review(PROTOCOL, partial, actor="bench")
        start = time.perf_counter()
        import_files(store, [export], SourceInfo("PsycINFO (EBSCO)", "database", "2025-03-01"),
                     actor="bench")
        times["import_s"] = time.perf_counter() - start
    start = time.perf_counter()
    run_dedupe(store, actor="bench")
    times["dedupe_s"] = time.perf_counter() - start
    for name in ("Ana", "Ben"):
        add_reviewer(store, name, actor="bench")
    store.close()  # the last connection closing checkpoints the WAL into the file
    partial.rename(db)
    return times


def _prevote(store, n: int) -> None:
    """Ana and Ben have each voted on the first n groups, on different ones halves apart:
    Ana on 1..n, Ben on n+1..2n, so every such group is open with one vote."""
    stamp = "2025-01-01T00:00:00.000000Z"
    with store.write() as conn:
        for offset, name in enumerate(("Ana", "Ben")):
            who = conn.exec_driver_sql("SELECT id FROM reviewers WHERE name = ?",
                                       (name,)).scalar_one()
            low, high = offset * n, (offset + 1) * n
            conn.exec_driver_sql(
                "INSERT INTO decisions (group_id, stage, reviewer_id, decision, criteria, "
                "created_at, updated_at, changes, origin) SELECT id, 'title_abstract', ?, "
                "'exclude', '{}', ?, ?, 0, 'bench' FROM duplicate_groups WHERE id > ? AND "
                "id <= ?", (who, stamp, stamp, low, high))
            conn.exec_driver_sql("UPDATE screening_state SET votes = 1 WHERE stage = "
                                 "'title_abstract' AND group_id > ? AND group_id <= ?",
                                 (low, high))


def measure(db: Path, votes: int, seed: int = 3, prevoted: int = 0) -> dict[str, object]:
    """Screen a copy of the cached review: vote, then next record, `votes` times."""
    from review.duplicates import _sync_screening, run_dedupe
    from review.screening import votes as screening
    from review.store import Store

    rng = random.Random(seed)
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp) / "review.db"
        shutil.copyfile(db, work)
        store = Store.open(work)
        if prevoted:
            _prevote(store, prevoted)
        with store.read() as conn:
            groups = conn.exec_driver_sql("SELECT count(*) FROM duplicate_groups").scalar()
            total = conn.exec_driver_sql("SELECT count(*) FROM records").scalar()
        current = {name: screening.next_item(store, name) for name in ("Ana", "Ben")}
        timings = []
        for i in range(votes):
            name = ("Ana", "Ben")[i % 2]
            item = current[name]
            decision = rng.choice(("include", "exclude", "exclude", "maybe"))
            start = time.perf_counter()
            screening.cast_vote(store, name, item.record_id, decision, origin="ui")
            current[name] = screening.next_item(store, name)
            timings.append((time.perf_counter() - start) * 1000)
        with store.read() as conn:
            cast = conn.exec_driver_sql("SELECT count(*) FROM decisions").scalar()
            decided = conn.exec_driver_sql(
                "SELECT count(*) FROM screening_state WHERE state <> 'open'").scalar()
        screening_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        # deduplication's screening sync over every group, and a whole idempotent dedupe run
        start = time.perf_counter()
        with store.write() as conn:
            _sync_screening(store, conn, actor="bench")
        sync_s = time.perf_counter() - start
        start = time.perf_counter()
        run_dedupe(store, actor="bench")
        dedupe_s = time.perf_counter() - start
        store.close()
    timings.sort()
    return {
        "records": total, "groups": groups, "votes": votes, "prevoted": prevoted,
        "votes_in_db": cast,
        "records_past_open": decided,
        "median_ms": round(statistics.median(timings), 1),
        "p95_ms": round(timings[max(0, int(len(timings) * 0.95) - 1)], 1),
        "max_ms": round(timings[-1], 1),
        "sync_screening_s": round(sync_s, 2),
        "rerun_dedupe_s": round(dedupe_s, 1),
        "peak_mb_screening": round(screening_mb),
        "peak_mb_with_dedupe": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--records", type=int, default=50_000)
    parser.add_argument("--votes", type=int, default=300)
    parser.add_argument("--prevoted", type=int, nargs="+", default=[0],
                        help="Votes each reviewer has already cast before the timing (several "
                             "values: one timing each).")
    parser.add_argument("--rebuild", action="store_true", help="Build the cached review anew.")
    parser.add_argument("--step", choices=["build", "measure"], help=argparse.SUPPRESS)
    args = parser.parse_args()
    db = CACHE / f"screening-{args.records}.db"
    build_times = db.with_suffix(".build.json")
    if args.step == "build":
        times = build(db, args.records)
        times["peak_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(json.dumps(times))
        return
    if args.step == "measure":
        print(json.dumps(measure(db, args.votes, prevoted=args.prevoted[0])))
        return
    if args.rebuild:
        db.unlink(missing_ok=True)
    if not db.exists() or not build_times.exists():
        # each step in its own process, so peak memory is the step's own
        db.unlink(missing_ok=True)
        print(f"building {db.relative_to(ROOT)} ({args.records:,} records)...", flush=True)
        out = subprocess.run([sys.executable, __file__, "--records", str(args.records),
                              "--step", "build"], check=True, stdout=subprocess.PIPE, text=True)
        built = json.loads(out.stdout.strip().splitlines()[-1])
        print("build: " + ", ".join(f"{k} {v:.1f}" for k, v in built.items()), flush=True)
        built["date"] = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
        build_times.write_text(json.dumps(built) + "\n", encoding="utf-8")
    runs = []
    for prevoted in args.prevoted:
        out = subprocess.run([sys.executable, __file__, "--records", str(args.records),
                              "--votes", str(args.votes), "--prevoted", str(prevoted),
                              "--step", "measure"], check=True, stdout=subprocess.PIPE,
                             text=True)
        result = json.loads(out.stdout.strip().splitlines()[-1])
        runs.append(result)
        print(f"{result['records']:,} records in {result['groups']:,} groups; "
              f"{result['votes']} votes (two reviewers taking turns), after "
              f"{result['prevoted']:,} votes each")
        print(f"vote -> next record ready: median {result['median_ms']} ms, p95 "
              f"{result['p95_ms']} ms, max {result['max_ms']} ms (target: median under 150 ms)")
        print(f"dedupe's screening sync over every group: {result['sync_screening_s']} s; "
              f"a whole idempotent dedupe run: {result['rerun_dedupe_s']} s")
        print(f"peak memory: {result['peak_mb_screening']} MB while screening, "
              f"{result['peak_mb_with_dedupe']} MB with the dedupe run")
        print(json.dumps(result))
    build_figures = json.loads(build_times.read_text(encoding="utf-8"))
    record("screening", {"records": args.records, "votes": args.votes,
                         "target_median_ms": 150, "build": build_figures, "runs": runs})


if __name__ == "__main__":
    main()
