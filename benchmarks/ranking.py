"""Prioritised screening against ASReview and random order on the labelled development sets in
../shared/benchmarks/screening/ (INDEX.csv describes them). Tune only on these.

For each set and seed, every method starts from the same seeded random prior (records in random
order until one include and one exclude are found); ASReview gets it through --prior-idx. Each
method's screening order is scored by the same code (review.ranking.simulation.evaluate): WSS@95,
WSS@100, recall at 10% screened, records to 95% and 100% recall, and where the stopping rule
(review.ranking.stopping, 95% recall target, 95% confidence) would have stopped, with the
recall there.
The reviewer's answers are the final includes (label_included), as the issue measures the
held-out reviews; --labels screening uses the title/abstract decisions where a set has them, as
`review simulate` does. ASReview is given the same labels. Also timed: features and retraining
on 20,000 records.

ASReview runs from its own virtualenv, made on first use (gitignored):
  python3 -m venv .bench/asreview-venv && .bench/asreview-venv/bin/pip install asreview

By default it compares the default model (the linear SVM) with each single model (nb, lr, svm)
and random order, and both stopping rules on every screening order: buscar
(review.ranking.stopping.estimate, the app's rule) and the random-sample target method
(stopping.target_stop). The models are retrained after every record, as ASReview does;
--retrain-every N lets the model lag N records, and --retrain-every 1% lags 1% of the labels so
far (a background retraining that falls behind; much cheaper to simulate). The default run
(the models, --cold-start, --retrain-every 1%, 5 seeds) took about 5 minutes with --jobs 2 on
two cores; --jobs runs one process per set and seed.

Every figure goes to benchmarks/results/ranking.json (with the date and machine), from which
the README's table is generated; --json OUT.json writes it there instead, leaving the README's
figures alone (for comparing models or settings).

--cold-start adds the default model started from each set's published title instead of a
random start (shown as "svm+title"), as the app starts from the protocol's words.

Run: .venv/bin/python benchmarks/ranking.py [--sets cohen2006_estrogens] [--seeds 5]
     [--models ensemble,nb,lr,svm] [--retrain-every 1|N|1%] [--cold-start] [--no-asreview]
     [--speed-only]
     [--no-speed] [--jobs 2] [--json OUT.json]
"""

from __future__ import annotations

import argparse
import csv
import dataclasses
import json
import os
import random
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.results import RESULTS, record  # noqa: E402
from review.ranking import models as ranking  # noqa: E402
from review.ranking import simulation, stopping  # noqa: E402

SHARED = Path(os.environ.get("REVIEW_SHARED", ROOT.parent / "shared"))
SETS_DIR = SHARED / "benchmarks" / "screening"
BENCH = ROOT / ".bench"
ASREVIEW = BENCH / "asreview-venv" / "bin" / "asreview"
ASREVIEW_TIMEOUT = 900
LAG = 10**9  # --retrain-every 1%: simulation.retrain_batch caps the lag at 1% of the labels
# --cold-start: each development set's published title, standing in for the protocol's words
# (the app ranks by the protocol's title, question and include terms before the first include)
TITLES = {
    "cohen2006_adhd": "Pharmacologic treatments for attention deficit hyperactivity disorder "
                      "(ADHD)",
    "cohen2006_estrogens": "Postmenopausal hormone replacement therapy: scientific review",
    "kitchenham_2010": "Systematic literature reviews in software engineering: a tertiary "
                       "study",
    "nagtegaal_2019": "Nudging healthcare professionals towards evidence-based medicine: a "
                      "systematic scoping review",
}
COLD_START = f"{ranking.DEFAULT_MODEL}+title"

ROWS = (  # (label, summary key, format)
    ("WSS@95", "wss95", "{:.3f}"),
    ("WSS@100", "wss100", "{:.3f}"),
    ("recall@10%", "recall_at_10", "{:.3f}"),
    ("records to 95%", "records_to_95", "{:.0f}"),
    ("records to 100%", "records_to_100", "{:.0f}"),
    ("stop: records screened", "stop_at", "{:.0f}"),
    ("stop: recall there", "recall_at_stop", "{:.3f}"),
    ("stop: runs reaching 95%", "stop_reached_target", "{:.2f}"),
    ("stop: work saved", "work_saved_at_stop", "{:.3f}"),
    ("stop: runs stopping early", "stopped_early", "{:.2f}"),
    ("buscar bias 1: recall there", "buscar1_recall_at_stop", "{:.3f}"),
    ("buscar bias 1: runs reaching 95%", "buscar1_stop_reached_target", "{:.2f}"),
    ("buscar bias 1: work saved", "buscar1_work_saved", "{:.3f}"),
    ("target method: recall there", "target_recall_at_stop", "{:.3f}"),
    ("target method: runs reaching 95%", "target_stop_reached_target", "{:.2f}"),
    ("target method: work saved", "target_work_saved", "{:.3f}"),
    ("final includes WSS@95", "final_wss95", "{:.3f}"),
    ("final includes WSS@100", "final_wss100", "{:.3f}"),
    ("final includes recall at stop", "final_recall_at_stop", "{:.3f}"),
)


def development_sets() -> list[dict[str, str]]:
    index = SETS_DIR / "INDEX.csv"
    if not index.exists():
        sys.exit(f"no development sets: {index} is missing (set REVIEW_SHARED)")
    with open(index, encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


# --- ASReview -------------------------------------------------------------------------------


def asreview_version() -> str | None:
    if not ASREVIEW.exists():
        return None
    done = subprocess.run([str(ASREVIEW), "--version"], capture_output=True, text=True,
                          cwd=BENCH, timeout=120)
    return done.stdout.strip() or None


def asreview_input(dataset: simulation.Dataset, folder: Path) -> Path:
    """The set as ASReview reads it: our texts (title, abstract, keywords joined) and, as its
    `included` column, the same labels our reviewer answers with."""
    path = folder / f"{dataset.name}.csv"
    with open(path, "w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["title", "abstract", "included"])
        for text, label in zip(dataset.texts, dataset.labels, strict=True):
            writer.writerow(["", text, int(label)])
    return path


def asreview_order(dataset: simulation.Dataset, data: Path, prior: list[int], seed: int,
                   folder: Path) -> tuple[list[int], float]:
    """ASReview's screening order (its default model, our prior), from its project file.
    ASReview stops after the last include; the rest are excludes in any order, appended as they
    come (no metric depends on their order)."""
    project = folder / f"{dataset.name}-{seed}.asreview"
    command = [str(ASREVIEW), "simulate", str(data), "--prior-idx", *map(str, prior),
               "--seed", str(seed), "-o", str(project)]
    started = time.perf_counter()
    done = subprocess.run(command, capture_output=True, text=True, cwd=folder,
                          timeout=ASREVIEW_TIMEOUT)
    seconds = time.perf_counter() - started
    if done.returncode != 0:
        raise RuntimeError(f"asreview simulate failed ({done.returncode}): "
                           f"{done.stderr.strip().splitlines()[-1:] or done.stdout[-300:]}")
    with zipfile.ZipFile(project) as archive:
        archive.extract("results.db", folder / f"{dataset.name}-{seed}")
    db = sqlite3.connect(folder / f"{dataset.name}-{seed}" / "results.db")
    try:
        labelled = [int(r) for (r,) in db.execute("SELECT record_id FROM results ORDER BY rowid")]
    finally:
        db.close()
    if labelled[:len(prior)] != prior and sorted(labelled[:len(prior)]) != sorted(prior):
        raise RuntimeError("ASReview did not start from the prior it was given")
    seen = set(labelled)
    if len(seen) != len(labelled) or not seen <= set(range(dataset.n_records)):
        raise RuntimeError("ASReview's results table is not a screening order of this set")
    if int(dataset.labels[labelled].sum()) != int(dataset.labels.sum()):
        raise RuntimeError("ASReview stopped before finding every include")
    rest = [row for row in range(dataset.n_records) if row not in seen]
    return labelled + rest, seconds


# --- the run --------------------------------------------------------------------------------


def with_target(summary: dict[str, float | int | str], dataset: simulation.Dataset,
                runs: list[simulation.Run]) -> dict[str, float | int | str]:
    """The summary with the target method's figures beside buscar's, on the same screening
    orders: for each run an independent random sample (seeded by the run's seed) is screened
    first until it holds stopping.target_size() includes, then the ranked order until all of
    them are screened. (The ranking here did not learn from the sample's labels, as it would
    in a review: a small handicap for the target method.)"""
    outcomes = []
    plain: list[tuple[float, float]] = []  # buscar with bias 1 (the paper's random draw)
    for run in runs:
        sample = np.random.default_rng(10_000 + run.seed).permutation(dataset.n_records)
        outcomes.append(stopping.target_stop(run.order, dataset.labels, sample.tolist()))
        answers = dataset.labels[np.asarray(run.order)]
        stop = stopping.first_stop(answers, dataset.n_records, bias=1.0)
        screened = dataset.n_records if stop is None else stop
        plain.append((float(answers[:screened].sum() / answers.sum()),
                      1.0 - screened / dataset.n_records))
    target = stopping.DEFAULT_TARGET
    return {**summary,
            "buscar1_recall_at_stop": statistics.fmean(r for r, _ in plain),
            "buscar1_stop_reached_target": statistics.fmean(
                1.0 if r >= target - 1e-12 else 0.0 for r, _ in plain),
            "buscar1_work_saved": statistics.fmean(w for _, w in plain),
            "target_recall_at_stop": statistics.fmean(o.recall for o in outcomes),
            "target_stop_reached_target": statistics.fmean(
                1.0 if o.recall >= target - 1e-12 else 0.0 for o in outcomes),
            "target_work_saved": statistics.fmean(o.work_saved for o in outcomes),
            "target_sample": statistics.fmean(o.sample for o in outcomes)}


def load_set(name: str, labels: str = "final") -> simulation.Dataset:
    dataset = simulation.read_dataset(SETS_DIR / f"{name}.csv")
    if labels == "final":
        dataset = dataclasses.replace(dataset, labels=dataset.final,
                                      label_column="label_included")
    return dataset


def run_set(name: str, seeds: int, models: list[str], use_asreview: bool,
            work: Path, retrain_every: int = 1, labels: str = "final",
            only: list[int] | None = None, cold_start: bool = False) -> dict[str, object]:
    """Every model on one set over seeds 0..seeds-1 (or the seeds in `only`); with
    `cold_start`, the default model also from the set's title (TITLES) with no random start."""
    dataset = load_set(name, labels)
    started = time.perf_counter()
    features = simulation.features_for(dataset)
    feature_seconds = time.perf_counter() - started
    query_row = None
    if cold_start:
        if name not in TITLES:
            raise SystemExit(f"--cold-start: no title for {name} in TITLES")
        features, query_row = simulation.features_with_query(dataset, TITLES[name])
    runs: dict[str, list[simulation.Run]] = {
        m: [] for m in [*models, *([COLD_START] if cold_start else []), "random"]}
    seconds: dict[str, float] = {m: 0.0 for m in runs}
    asreview_error = None
    if use_asreview:
        runs["asreview"] = []
        seconds["asreview"] = 0.0
        data = asreview_input(dataset, work)
    for seed in (only if only is not None else range(seeds)):
        prior = simulation.random_prior(dataset.labels, np.random.default_rng(seed))
        for model in models:
            t0 = time.perf_counter()
            done = simulation.replay(features, dataset.labels, model, seed, prior=prior,
                                     retrain_every=retrain_every)
            runs[model].append(simulation.evaluate(dataset, done.order, seed, fits=done.fits,
                                                   fit_seconds=done.fit_seconds,
                                                   ranked_from=done.ranked_from))
            seconds[model] += time.perf_counter() - t0
        if query_row is not None:
            t0 = time.perf_counter()
            done = simulation.replay(features, dataset.labels, ranking.DEFAULT_MODEL, seed,
                                     retrain_every=retrain_every, query=query_row)
            runs[COLD_START].append(simulation.evaluate(dataset, done.order, seed, fits=done.fits,
                                                        fit_seconds=done.fit_seconds,
                                                        ranked_from=done.ranked_from))
            seconds[COLD_START] += time.perf_counter() - t0
        t0 = time.perf_counter()
        rand = simulation.random_replay(dataset.labels, seed)
        runs["random"].append(simulation.evaluate(dataset, rand.order, seed,
                                                  ranked_from=rand.ranked_from))
        seconds["random"] += time.perf_counter() - t0
        if use_asreview and asreview_error is None:
            try:
                order, spent = asreview_order(dataset, data, prior, seed, work)
                runs["asreview"].append(simulation.evaluate(dataset, order, seed,
                                                            ranked_from=len(prior)))
                seconds["asreview"] += spent
            except (RuntimeError, OSError, subprocess.TimeoutExpired, KeyError,
                    sqlite3.Error, zipfile.BadZipFile) as exc:
                asreview_error = str(exc)
                del runs["asreview"]
        print(f"  {name} seed {seed} done", file=sys.stderr, flush=True)
    return summarised(name, dataset, runs, seconds, feature_seconds, asreview_error)


def merged(name: str, labels: str, parts: list[dict[str, object]]) -> dict[str, object]:
    """One set's figures from runs made in several processes (a share of the seeds each)."""
    runs: dict[str, list[simulation.Run]] = {}
    seconds: dict[str, float] = {}
    for part in parts:
        for m, rs in part["_runs"].items():  # type: ignore[attr-defined]
            runs.setdefault(m, []).extend(rs)
            seconds[m] = seconds.get(m, 0.0) + part["seconds"][m]  # type: ignore[index]
    for rs in runs.values():
        rs.sort(key=lambda r: r.seed)
    errors = [p["asreview_error"] for p in parts if p["asreview_error"]]
    return summarised(name, load_set(name, labels), runs, seconds,
                      statistics.fmean(float(p["feature_seconds"]) for p in parts),  # type: ignore
                      str(errors[0]) if errors else None)


def summarised(name: str, dataset: simulation.Dataset, runs: dict[str, list[simulation.Run]],
               seconds: dict[str, float], feature_seconds: float,
               asreview_error: str | None) -> dict[str, object]:
    summaries = {m: with_target(simulation.summarise(r, stopping.DEFAULT_TARGET), dataset, r)
                 for m, r in runs.items()}
    seeds = len(next(iter(runs.values())))
    return {"set": name, "records": dataset.n_records, "includes": int(dataset.labels.sum()),
            "final_includes": int(dataset.final.sum()), "labels": dataset.label_column,
            "seeds": seeds, "feature_seconds": feature_seconds, "seconds": seconds,
            "summaries": summaries, "asreview_error": asreview_error, "_runs": runs,
            "per_seed_wss95": {m: [r.screening.wss95 for r in rs] for m, rs in runs.items()},
            "stop_recalls": {m: [r.screening.recall_at_stop for r in rs]
                             for m, rs in runs.items()},
            "stop_work_saved": {m: [r.screening.work_saved_at_stop for r in rs]
                                for m, rs in runs.items()}}


def print_set(result: dict[str, object], default: str) -> None:
    summaries: dict[str, dict[str, float]] = result["summaries"]  # type: ignore[assignment]
    methods = list(summaries)
    has_asr = "asreview" in summaries
    header = ["metric", *methods] + ([f"{default}/asreview"] if has_asr else [])
    print(f"\n## {result['set']}: {result['records']} records, {result['includes']} includes "
          f"by {result['labels']} ({result['final_includes']} final), {result['seeds']} seeds")
    rows = [header]
    for label, key, fmt in ROWS:
        row = [label] + [fmt.format(summaries[m][key]) for m in methods]
        if has_asr:
            ours, theirs = summaries[default][key], summaries["asreview"][key]
            row.append(f"{ours / theirs:.3f}" if theirs else "n/a")
        rows.append(row)
    secs: dict[str, float] = result["seconds"]  # type: ignore[assignment]
    rows.append(["seconds (all seeds)"] + [f"{secs[m]:.1f}" for m in methods] +
                ([""] if has_asr else []))
    widths = [max(len(r[i]) for r in rows) for i in range(len(header))]
    for i, row in enumerate(rows):
        print("  ".join(cell.ljust(w) if j == 0 else cell.rjust(w)
                        for j, (cell, w) in enumerate(zip(row, widths, strict=True))))
        if i == 0:
            print("  ".join("-" * w for w in widths))
    if result["asreview_error"]:
        print(f"ASReview could not be run on this set: {result['asreview_error']}")


# --- speed at 20,000 records ----------------------------------------------------------------


def synthetic_texts(n: int, seed: int = 0) -> list[str]:
    """n abstracts made from the development sets' words: each is a real record's words in a
    new order, so the vocabulary of word pairs grows as it would with new records."""
    pool: list[str] = []
    for entry in development_sets():
        pool.extend(simulation.read_dataset(SETS_DIR / f"{entry['name']}.csv").texts)
    rng = random.Random(seed)
    out = []
    for i in range(n):
        words = pool[i % len(pool)].split()
        if i >= len(pool):
            rng.shuffle(words)
        out.append(" ".join(words))
    return out


def speed(n: int = 20_000, models: tuple[str, ...] = (ranking.DEFAULT_MODEL, "svm"),
          ) -> dict[str, float]:
    """Features built once (as the app keeps them while the records do not change), then each
    model's retraining (fit on the labelled rows and scoring every row) at three shares
    labelled, the median of three."""
    texts = synthetic_texts(n)
    rng = np.random.default_rng(0)
    labels = (rng.random(n) < 0.05).astype(int)
    t0 = time.perf_counter()
    features = ranking.TextFeatures().fit_transform(texts)
    feature_seconds = time.perf_counter() - t0
    out: dict[str, float] = {"records": n, "features": int(features.shape[1]),
                             "feature_seconds": feature_seconds}
    for share in (0.1, 0.5, 0.9):
        rows = rng.choice(n, int(n * share), replace=False)
        labelled = {int(r): int(labels[r]) for r in rows}
        for model in models:
            times = []
            for _ in range(3):
                t0 = time.perf_counter()
                ranking.train(features, labelled, model)
                times.append(time.perf_counter() - t0)
            out[f"{model}_retrain_seconds_{int(share * 100)}pct_labelled"] = \
                statistics.median(times)
    return out


def stopping_speed(cases: tuple[tuple[int, int], ...] = ((1_000, 20_000), (3_000, 60_000),
                                                       (5_000, 100_000)),
                   ) -> dict[str, float]:
    """The stopping rule at bias 2 on a large review, as the Progress page computes it on each
    render: `includes` of `records`, 80% of the records screened in an order that finds most
    includes early; the median of three (seconds) and the peak of traced memory (MB)."""
    # start-up: only this timing traces memory
    import tracemalloc

    out: dict[str, float] = {}
    for includes, n in cases:
        rng = np.random.default_rng(0)
        y = np.zeros(n, dtype=np.int64)
        y[:includes] = 1
        order = np.argsort(-(y * rng.random(n) * 4 + rng.random(n)), kind="stable")
        labels = y[order][: int(n * 0.8)]
        times = []
        for _ in range(3):
            t0 = time.perf_counter()
            stopping.estimate(labels, n, bias=stopping.DEFAULT_BIAS)
            times.append(time.perf_counter() - t0)
        tracemalloc.start()
        stopping.estimate(labels, n, bias=stopping.DEFAULT_BIAS)
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        out[f"stopping_seconds_{includes}_includes_{n}_records"] = statistics.median(times)
        out[f"stopping_peak_mb_{includes}_includes_{n}_records"] = peak / 2**20
    return out


def print_stopping_speed(figures: dict[str, float]) -> None:
    for key, value in figures.items():
        if key.startswith("stopping_seconds_"):
            case = key.removeprefix("stopping_seconds_")
            includes, _, n, _ = case.split("_")
            peak = figures[f"stopping_peak_mb_{case}"]
            print(f"stopping rule (bias {stopping.DEFAULT_BIAS:g}), {int(includes):,} includes "
                  f"of {int(n):,} records: {value:.3f} s, peak {peak:.0f} MB traced")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sets", help="comma-separated set names (default: all in INDEX.csv)")
    parser.add_argument("--seeds", type=int, default=5)
    parser.add_argument("--models", default=",".join(dict.fromkeys(
                            (ranking.DEFAULT_MODEL, *ranking.SINGLE_MODELS))),
                        help=f"comma-separated, of {', '.join(ranking.MODEL_NAMES)} (default: "
                             "the default model and each single model)")
    parser.add_argument("--retrain-every", default="1",
                        help="records between retrainings (1: after every record), or 1%% "
                             "(after every 1%% of the labels so far, at least every record "
                             "until 100 are labelled: a background retraining that lags)")
    parser.add_argument("--labels", choices=("final", "screening"), default="final",
                        help="the reviewer's answers: the final includes (default, as the "
                             "held-out reviews are measured) or the title/abstract decisions "
                             "where a set has them")
    parser.add_argument("--cold-start", action="store_true",
                        help=f"also run the default model from each set's title as the query "
                             f"(no random start), as the app starts from the protocol's words "
                             f"(shown as {COLD_START})")
    parser.add_argument("--no-asreview", action="store_true")
    parser.add_argument("--speed-only", action="store_true")
    parser.add_argument("--no-speed", action="store_true", help="skip the 20,000-record timing")
    parser.add_argument("--keep-sets", action="store_true",
                        help="with --speed-only: keep the sets' figures already recorded in "
                             "the results file (and say when and how they were measured)")
    parser.add_argument("--jobs", type=int, default=1,
                        help="sets screened in parallel processes (the speed part runs alone "
                             "afterwards, so its timings are not shared)")
    parser.add_argument("--json", help="write every figure to this JSON file")
    parser.add_argument("--stopping-speed", action="store_true",
                        help="only print the stopping rule's time and memory on large reviews "
                             "(records nothing)")
    args = parser.parse_args()
    if args.stopping_speed:
        print_stopping_speed(stopping_speed())
        return
    models = [m.strip() for m in args.models.split(",") if m.strip()]
    lagging = args.retrain_every.strip() == "1%"
    retrain_every = LAG if lagging else int(args.retrain_every)
    for m in models:
        ranking.make_classifier(m)
    default = ranking.DEFAULT_MODEL if ranking.DEFAULT_MODEL in models else models[0]
    started = time.perf_counter()
    results: dict[str, object] = {"default_model": ranking.DEFAULT_MODEL, "models": models,
                                  "seeds": args.seeds, "labels": args.labels,
                                  "retrain_every": "1%" if lagging else retrain_every,
                                  "recall_target": stopping.DEFAULT_TARGET,
                                  "stopping_confidence": stopping.DEFAULT_CONFIDENCE,
                                  "stopping_bias": stopping.DEFAULT_BIAS,
                                  "cold_start": COLD_START if args.cold_start else None,
                                  "asreview": None}

    if not args.speed_only:
        names = ([s.strip() for s in args.sets.split(",")] if args.sets
                 else [e["name"] for e in development_sets()])
        use_asreview = not args.no_asreview
        version = asreview_version() if use_asreview else None
        if use_asreview and version is None:
            print(f"ASReview is not installed at {ASREVIEW}; its columns are left out. Install "
                  "it with: python3 -m venv .bench/asreview-venv && "
                  ".bench/asreview-venv/bin/pip install asreview")
            use_asreview = False
        results["asreview"] = version if use_asreview else None
        print(f"# Prioritised screening: models {', '.join(models)} (default {default}), random "
              f"order" + (f", and {version} (asreview simulate, default model)"
                          if use_asreview else ""))
        print(f"# stopping rule: buscar, {stopping.DEFAULT_TARGET:.0%} recall target, "
              f"{stopping.DEFAULT_CONFIDENCE:.0%} confidence, bias {stopping.DEFAULT_BIAS:g} "
              "(and bias 1 for comparison), checked after every record; "
              "retrained after every " + ("1% of the labels" if lagging
                                          else f"{retrain_every} record(s)"))
        BENCH.mkdir(exist_ok=True)
        work = Path(tempfile.mkdtemp(prefix="ranking-", dir=BENCH))
        sets = []
        try:
            if args.jobs > 1:
                # start-up: only a parallel run needs a process pool
                from concurrent.futures import ProcessPoolExecutor
                # one task per set and seed, the largest sets first, so the processes finish
                # together
                size = {e["name"]: int(e["records"]) for e in development_sets()}
                tasks = [(name, seed) for name in sorted(names, key=lambda n: -size.get(n, 0))
                         for seed in range(args.seeds)]
                with ProcessPoolExecutor(max_workers=args.jobs) as pool:
                    futures = {task: pool.submit(run_set, task[0], args.seeds, models,
                                                 use_asreview, work, retrain_every, args.labels,
                                                 [task[1]], args.cold_start) for task in tasks}
                    sets = [merged(name, args.labels,
                                   [futures[(name, seed)].result() for seed in range(args.seeds)])
                            for name in names]
                for result in sets:
                    print_set(result, default)
            else:
                for name in names:
                    result = run_set(name, args.seeds, models, use_asreview, work,
                                     retrain_every, args.labels, cold_start=args.cold_start)
                    print_set(result, default)
                    sets.append(result)
        finally:
            shutil.rmtree(work, ignore_errors=True)
        for result in sets:
            del result["_runs"]
        results["sets"] = sets
        results["average"] = average = averages(sets)
        print_average(sets, average)
        verdicts(sets, default)

    if args.no_speed:
        print(f"\ntotal {time.perf_counter() - started:.0f} s")
        record("ranking", results, out=Path(args.json) if args.json else None)
        return
    if args.speed_only and args.keep_sets:
        out = Path(args.json) if args.json else RESULTS / "ranking.json"
        before = json.loads(out.read_text(encoding="utf-8"))
        results = {**before["figures"], "sets_measured": before["figures"].get(
            "sets_measured", {"date": before["date"], "command": before["command"]})}
    figures = {**speed(), **stopping_speed()}
    results["speed"] = figures
    print(f"\n## Speed, {figures['records']} records (synthetic, from the development sets' "
          f"words), {figures['features']} features")
    print(f"TF-IDF features (once per change of the record set, off the voting path): "
          f"{figures['feature_seconds']:.2f} s")
    for key, value in figures.items():
        if "_retrain_seconds_" in key:
            model, share = key.split("_retrain_seconds_")
            print(f"retrain {model} + score all, {share.replace('pct', '%').replace('_', ' ')}: "
                  f"{value:.2f} s ({'under' if value < 2 else 'OVER'} the 2 s target)")
    print_stopping_speed(figures)
    print(f"\ntotal {time.perf_counter() - started:.0f} s")
    record("ranking", results, out=Path(args.json) if args.json else None)


def averages(sets: list[dict[str, object]]) -> dict[str, dict[str, float]]:
    """Each method's figures averaged over the sets (every set weighs the same)."""
    methods = [m for m in sets[0]["summaries"]  # type: ignore[index]
               if all(m in s["summaries"] for s in sets)]  # type: ignore[operator]
    out: dict[str, dict[str, float]] = {}
    for m in methods:
        keys = [k for _, k, _ in ROWS]
        out[m] = {k: statistics.fmean(float(s["summaries"][m][k])  # type: ignore[index]
                                      for s in sets) for k in keys}
    return out


def print_average(sets: list[dict[str, object]], average: dict[str, dict[str, float]]) -> None:
    methods = list(average)
    print(f"\n## Average over the {len(sets)} sets (each set weighs the same)")
    rows = [["metric", *methods]]
    for label, key, fmt in ROWS:
        rows.append([label] + [fmt.format(average[m][key]) for m in methods])
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    for i, row in enumerate(rows):
        print("  ".join(cell.ljust(w) if j == 0 else cell.rjust(w)
                        for j, (cell, w) in enumerate(zip(row, widths, strict=True))))
        if i == 0:
            print("  ".join("-" * w for w in widths))


def verdicts(sets: list[dict[str, object]], default: str) -> None:
    """The issue's targets, each said plainly as met or not."""
    print("\n## Targets")
    singles = [m for m in ranking.SINGLE_MODELS
               if all(m in s["summaries"] for s in sets)]  # type: ignore[operator]
    ours_all: list[float] = []
    best_all: list[float] = []
    for result in sets:
        s: dict[str, dict[str, float]] = result["summaries"]  # type: ignore[assignment]
        ours = s[default]["wss95"]
        ours_all.append(ours)
        line = f"{result['set']}: WSS@95 {default} {ours:.3f}"
        ok = ours > s["random"]["wss95"]
        if singles and default not in singles:
            best = max(singles, key=lambda m: s[m]["wss95"])
            best_all.append(s[best]["wss95"])
            line += f", best single model {best} {s[best]['wss95']:.3f} (at most 0.02 below)"
            ok = ok and ours >= s[best]["wss95"] - 0.02
        line += f", random {s['random']['wss95']:.3f}"
        if "asreview" in s:
            line += f", ASReview {s['asreview']['wss95']:.3f}"
        print(("MET     " if ok else "NOT MET ") + line)
    if best_all:
        mean_ours, mean_best = statistics.fmean(ours_all), statistics.fmean(best_all)
        print(("MET     " if mean_ours >= mean_best - 1e-9 else "NOT MET ") +
              f"mean WSS@95 {default} {mean_ours:.3f} vs the best single model per set "
              f"{mean_best:.3f}")
    for rule, recall_key, saved_key in ((f"buscar (bias {stopping.DEFAULT_BIAS:g})",
                                         "stop_recalls", "stop_work_saved"),
                                        ("target method", None, None)):
        if recall_key is not None:
            recalls = [r for res in sets for r in res[recall_key][default]]  # type: ignore[index]
            saved = statistics.fmean(statistics.fmean(res[saved_key][default])  # type: ignore
                                     for res in sets)
            reached = sum(1 for r in recalls if r >= stopping.DEFAULT_TARGET - 1e-12)
            runs = len(recalls)
        else:
            runs = sum(int(res["seeds"]) for res in sets)  # type: ignore[call-overload]
            reached = round(sum(res["summaries"][default]["target_stop_reached_target"]  # type: ignore
                                * int(res["seeds"]) for res in sets))  # type: ignore[call-overload]
            saved = statistics.fmean(res["summaries"][default]["target_work_saved"]  # type: ignore
                                     for res in sets)
        share = reached / runs if runs else 0.0
        print(("MET     " if share >= 0.95 else "NOT MET ") +
              f"{rule}: reached 95% recall in {reached}/{runs} runs ({share:.0%})")
        print(("MET     " if saved >= 0.25 else "NOT MET ") +
              f"{rule}: saved {saved:.1%} of the screening on average (goal 25%)")


if __name__ == "__main__":
    main()
