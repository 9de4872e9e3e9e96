"""Prioritised screening against ASReview and random order on the labelled development sets in
../shared/benchmarks/screening/ (INDEX.csv describes them). Tune only on these.

For each set and seed, every method starts from the same seeded random prior (records in random
order until one include and one exclude are found); ASReview gets it through --prior-idx. Each
method's screening order is scored by the same code (review.ranking.simulation.evaluate): WSS@95,
WSS@100, recall at 10% screened, records to 95% and 100% recall, and where the stopping rule
(review.ranking.stopping, 95% recall target, 95% confidence) would have stopped, with the
recall there.
The reviewer's answers are the title/abstract labels where a set has them, else the final ones;
ASReview is given the same labels. Also timed: features and retraining on 20,000 records.

ASReview runs from its own virtualenv, made on first use (gitignored):
  python3 -m venv .bench/asreview-venv && .bench/asreview-venv/bin/pip install asreview

The models are retrained after every record, as ASReview does (--retrain-every N lets the model
lag N records). A full run (default model, 5 seeds, ASReview) takes about 20 minutes on two
cores; --models nb,lr,svm compares all three models (how the default was chosen) and takes
about twice as long.

Every figure goes to benchmarks/results/ranking.json (with the date and machine), from which
the README's table is generated; --json OUT.json writes it there instead, leaving the README's
figures alone (for comparing models or settings).

Run: .venv/bin/python benchmarks/ranking.py [--sets cohen2006_estrogens] [--seeds 5]
     [--models nb,lr,svm] [--retrain-every 1] [--no-asreview] [--speed-only] [--json OUT.json]
"""

from __future__ import annotations

import argparse
import csv
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

from benchmarks.results import record  # noqa: E402
from review.ranking import models as ranking  # noqa: E402
from review.ranking import simulation, stopping  # noqa: E402

SHARED = Path(os.environ.get("REVIEW_SHARED", ROOT.parent / "shared"))
SETS_DIR = SHARED / "benchmarks" / "screening"
BENCH = ROOT / ".bench"
ASREVIEW = BENCH / "asreview-venv" / "bin" / "asreview"
ASREVIEW_TIMEOUT = 900

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


def run_set(name: str, seeds: int, models: list[str], use_asreview: bool,
            work: Path, retrain_every: int = 1) -> dict[str, object]:
    dataset = simulation.read_dataset(SETS_DIR / f"{name}.csv")
    started = time.perf_counter()
    features = simulation.features_for(dataset)
    feature_seconds = time.perf_counter() - started
    runs: dict[str, list[simulation.Run]] = {m: [] for m in [*models, "random"]}
    seconds: dict[str, float] = {m: 0.0 for m in runs}
    asreview_error = None
    if use_asreview:
        runs["asreview"] = []
        seconds["asreview"] = 0.0
        data = asreview_input(dataset, work)
    for seed in range(seeds):
        prior = simulation.random_prior(dataset.labels, np.random.default_rng(seed))
        for model in models:
            t0 = time.perf_counter()
            done = simulation.replay(features, dataset.labels, model, seed, prior=prior,
                                     retrain_every=retrain_every)
            runs[model].append(simulation.evaluate(dataset, done.order, seed, fits=done.fits,
                                                   fit_seconds=done.fit_seconds))
            seconds[model] += time.perf_counter() - t0
        t0 = time.perf_counter()
        rand = simulation.random_replay(dataset.labels, seed)
        runs["random"].append(simulation.evaluate(dataset, rand.order, seed))
        seconds["random"] += time.perf_counter() - t0
        if use_asreview and asreview_error is None:
            try:
                order, spent = asreview_order(dataset, data, prior, seed, work)
                runs["asreview"].append(simulation.evaluate(dataset, order, seed))
                seconds["asreview"] += spent
            except (RuntimeError, OSError, subprocess.TimeoutExpired, KeyError,
                    sqlite3.Error, zipfile.BadZipFile) as exc:
                asreview_error = str(exc)
                del runs["asreview"]
        print(f"  {name} seed {seed} done", file=sys.stderr, flush=True)
    summaries = {m: simulation.summarise(r, stopping.DEFAULT_TARGET) for m, r in runs.items()}
    return {"set": name, "records": dataset.n_records, "includes": int(dataset.labels.sum()),
            "final_includes": int(dataset.final.sum()), "labels": dataset.label_column,
            "seeds": seeds, "feature_seconds": feature_seconds, "seconds": seconds,
            "summaries": summaries, "asreview_error": asreview_error,
            "per_seed_wss95": {m: [r.screening.wss95 for r in rs] for m, rs in runs.items()},
            "stop_recalls": {m: [r.screening.recall_at_stop for r in rs]
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


def speed(n: int = 20_000, models: tuple[str, ...] = (ranking.DEFAULT_MODEL, "nb"),
          ) -> dict[str, float]:
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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sets", help="comma-separated set names (default: all in INDEX.csv)")
    parser.add_argument("--seeds", type=int, default=5)
    parser.add_argument("--models", default=ranking.DEFAULT_MODEL,
                        help=f"comma-separated, of {', '.join(ranking.MODEL_NAMES)}")
    parser.add_argument("--retrain-every", type=int, default=1)
    parser.add_argument("--no-asreview", action="store_true")
    parser.add_argument("--speed-only", action="store_true")
    parser.add_argument("--json", help="write every figure to this JSON file")
    args = parser.parse_args()
    models = [m.strip() for m in args.models.split(",") if m.strip()]
    for m in models:
        ranking.make_classifier(m)
    default = ranking.DEFAULT_MODEL if ranking.DEFAULT_MODEL in models else models[0]
    started = time.perf_counter()
    results: dict[str, object] = {"default_model": ranking.DEFAULT_MODEL, "models": models,
                                  "seeds": args.seeds, "retrain_every": args.retrain_every,
                                  "recall_target": stopping.DEFAULT_TARGET,
                                  "stopping_confidence": stopping.DEFAULT_CONFIDENCE,
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
        print(f"# stopping rule: {stopping.DEFAULT_TARGET:.0%} recall target, "
              f"{stopping.DEFAULT_CONFIDENCE:.0%} confidence, checked after every record; "
              f"retrained after every {args.retrain_every} record(s)")
        BENCH.mkdir(exist_ok=True)
        work = Path(tempfile.mkdtemp(prefix="ranking-", dir=BENCH))
        sets = []
        try:
            for name in names:
                result = run_set(name, args.seeds, models, use_asreview, work,
                                 args.retrain_every)
                print_set(result, default)
                sets.append(result)
        finally:
            shutil.rmtree(work, ignore_errors=True)
        results["sets"] = sets
        verdicts(sets, default)

    figures = speed()
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
    print(f"\ntotal {time.perf_counter() - started:.0f} s")
    record("ranking", results, out=Path(args.json) if args.json else None)


def verdicts(sets: list[dict[str, object]], default: str) -> None:
    """The issue's targets, each said plainly as met or not."""
    print("\n## Targets")
    all_recalls: list[float] = []
    early = total = 0
    for result in sets:
        s: dict[str, dict[str, float]] = result["summaries"]  # type: ignore[assignment]
        ours = s[default]["wss95"]
        line = f"{result['set']}: WSS@95 {default} {ours:.3f} vs random {s['random']['wss95']:.3f}"
        ok = ours > s["random"]["wss95"]
        if "asreview" in s:
            line += f" vs ASReview {s['asreview']['wss95']:.3f}"
            ok = ok and ours >= s["asreview"]["wss95"]
        else:
            line += " (no ASReview figure)"
        print(("MET     " if ok else "NOT MET ") + line)
        recalls: dict[str, list[float]] = result["stop_recalls"]  # type: ignore[assignment]
        all_recalls += recalls[default]
        early += round(s[default]["stopped_early"] * result["seeds"])
        total += int(result["seeds"])
    reached = sum(1 for r in all_recalls if r >= stopping.DEFAULT_TARGET - 1e-12)
    share = reached / len(all_recalls) if all_recalls else 0.0
    print(("MET     " if share >= 0.95 else "NOT MET ") +
          f"stopping rule reached 95% recall in {reached}/{len(all_recalls)} runs ({share:.0%})")
    print(("MET     " if early * 2 > total else "NOT MET ") +
          f"stopping rule stopped before the end in {early}/{total} runs")


if __name__ == "__main__":
    main()
