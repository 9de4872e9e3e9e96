"""Filters, bulk actions and reference export at scale: what the Records page and
`review export-references` cost in a review of 50,000 records (target: a page of filtered
works, with its count, under 300 ms at the median).

The review is the screening benchmark's cached one (benchmarks/screening.py builds it: a
synthetic RIS export of distinct works, imported and deduplicated, two reviewers), copied
fresh for each run. On the copy, each reviewer first has `--prevoted` votes (as in the
screening benchmark) and Ana puts a label on every tenth work, so the decision and label
filters have something to find. Then each filter is timed `--repeat` times as the Records page
runs it (the count, then the first page of 200 rows with states, own decisions and labels);
and once each: the RIS export of a filtered set, bulk labelling of it, and a lead's bulk
exclusion by the protocol's year rule (a dry run, then the exclusion itself).

The figures go to benchmarks/results/filters.json.

Run: .venv/bin/python benchmarks/filters.py [--records 50000] [--prevoted 10000] [--repeat 5]
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from benchmarks.results import record  # noqa: E402
from benchmarks.screening import CACHE, _prevote, build  # noqa: E402

PAGE = 200


def _timed(action) -> tuple[float, object]:  # noqa: ANN001
    start = time.perf_counter()
    result = action()
    return (time.perf_counter() - start) * 1000, result


def measure(db: Path, prevoted: int, repeat: int) -> dict[str, object]:
    from review.accounts import add_reviewer
    from review.screening import bulk, filters
    from review.screening.filters import Filter
    from review.screening.labels import add_labels
    from review.screening.references import export_references
    from review.store import Store

    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp) / "review.db"
        shutil.copyfile(db, work)
        store = Store.open(work)
        if prevoted:
            _prevote(store, prevoted)
        add_reviewer(store, "Lead", role="lead", actor="bench")
        everything = filters.rows(store, None, Filter())
        labelled = [r["record_id"] for r in everything[::10]]
        label_ms, _ = _timed(lambda: add_labels(store, "Ana", labelled, "bench label"))
        cases = {
            "no filter": Filter(),
            "state pending": Filter(state="pending"),
            "my decision: not voted": Filter(mine="none"),
            "my decision: exclude": Filter(mine="exclude"),
            "label": Filter(label="bench label"),
            "source": Filter(source="PsycINFO (EBSCO)"),
            "years 2010-2015": Filter(year_from=2010, year_to=2015),
            "words 'peer support'": Filter(words="peer support"),
            "all at once": Filter(state="pending", mine="none", label="bench label",
                                  source="PsycINFO (EBSCO)", year_from=2000, year_to=2020,
                                  words="peer"),
        }
        timings: dict[str, dict[str, float | int]] = {}
        for name, chosen in cases.items():
            runs = []
            for _ in range(repeat):
                ms, (n, _) = _timed(lambda c=chosen: filters.page(store, "Ana", c, limit=PAGE))
                runs.append(ms)
            timings[name] = {"matching": n, "median_ms": round(statistics.median(runs), 1),
                             "max_ms": round(max(runs), 1)}
        chosen = Filter(year_from=2018)
        export_ms, (_, exported) = _timed(lambda: export_references(store, None, chosen, "ris"))
        bulk_label_ms, added = _timed(lambda: bulk.label_selection(store, "Ben", chosen, "new"))
        old = Filter(year_to=1995)
        dry_ms, preview = _timed(lambda: bulk.exclude_selection(store, "Lead", old, "year",
                                                                dry_run=True))
        exclude_ms, done = _timed(lambda: bulk.exclude_selection(store, "Lead", old, "year"))
        with store.read() as conn:
            groups = conn.exec_driver_sql("SELECT count(*) FROM duplicate_groups").scalar()
        store.close()
    return {
        "groups": groups, "prevoted": prevoted, "repeat": repeat, "page_rows": PAGE,
        "label_every_tenth": {"works": len(labelled), "ms": round(label_ms)},
        "filters": timings,
        "export_ris": {"filter": "year 2018 or later", "works": exported,
                       "ms": round(export_ms)},
        "bulk_label": {"works": added, "ms": round(bulk_label_ms)},
        "bulk_exclude": {"filter": "year 1995 or earlier", "selected": preview.selected,
                         "excluded": len(done.excluded), "left_out_voted": done.voted,
                         "dry_run_ms": round(dry_ms), "ms": round(exclude_ms)},
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--records", type=int, default=50_000)
    parser.add_argument("--prevoted", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    db = CACHE / f"screening-{args.records}.db"
    if not db.exists():
        print(f"building {db.relative_to(ROOT)} ({args.records:,} records)...", flush=True)
        build(db, args.records)
    figures = measure(db, args.prevoted, args.repeat)
    print(f"{figures['groups']:,} works, {args.prevoted:,} votes each by two reviewers")
    for name, row in figures["filters"].items():  # type: ignore[union-attr]
        print(f"  {name:28} {row['matching']:>7,} matching  count + first page "
              f"{row['median_ms']:>7} ms median (max {row['max_ms']})")
    for key in ("label_every_tenth", "export_ris", "bulk_label", "bulk_exclude"):
        print(f"  {key}: {figures[key]}")
    record("filters", {"records": args.records, "target_page_ms": 300, **figures})


if __name__ == "__main__":
    main()
