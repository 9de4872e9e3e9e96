"""Variants of the ranking model on the labelled development sets: the experiments behind the
README's third-round table (issue 18). Tune only on these sets.

Each variant replays every set from the same seeded random start as `review simulate` (records
in random order until one include and one exclude are found; with a query, no random start),
retrains after every record, and reports WSS@95 with the final includes as the answers. The
variants differ from the default in one thing each: the model, a parameter, the features, or
the set's published title as a query (benchmarks/ranking.py TITLES). The default itself is
`review.ranking.models.train`, unchanged; the other variants build their own fit here.

Every figure goes to benchmarks/results/ranking_variants.json (--json OUT.json elsewhere).

Run: .venv/bin/python benchmarks/ranking_variants.py [--seeds 3] [--jobs 2]
     [--variants svm,rank_fusion,...] [--sets cohen2006_adhd,...]
About 2 minutes a variant with 3 seeds and --jobs 2 on two cores.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import numpy as np
from scipy import sparse
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.svm import LinearSVC

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.ranking import TITLES, development_sets, load_set  # noqa: E402
from benchmarks.results import record  # noqa: E402
from review.ranking import models as ranking  # noqa: E402
from review.ranking import simulation  # noqa: E402

Scorer = Callable[[sparse.csr_matrix], np.ndarray]
Fit = Callable[[sparse.csr_matrix, np.ndarray], Scorer]


def _model(name: str, **params: float) -> Fit:
    def fit(x: sparse.csr_matrix, y: np.ndarray) -> Scorer:
        model = ranking.make_classifier(name, **params)
        model.fit(x, y)
        return model.scores
    return fit


def _standardised(scores: np.ndarray) -> np.ndarray:
    spread = float(scores.std())
    return (scores - scores.mean()) / (spread if spread > 0 else 1.0)


def _ranks(scores: np.ndarray) -> np.ndarray:
    out = np.empty(scores.size)
    out[np.argsort(scores, kind="stable")] = np.arange(scores.size)
    return out / scores.size


def _fusion(members: tuple[str, ...], scale: Callable[[np.ndarray], np.ndarray]) -> Fit:
    def fit(x: sparse.csr_matrix, y: np.ndarray) -> Scorer:
        scorers = [_model(m)(x, y) for m in members]
        return lambda z: np.mean([scale(np.asarray(s(z), dtype=np.float64))
                                  for s in scorers], axis=0)
    return fit


def _plain_lr(x: sparse.csr_matrix, y: np.ndarray) -> Scorer:
    return LogisticRegression(class_weight="balanced", solver="liblinear").fit(
        x, y).decision_function


def _plain_svm(x: sparse.csr_matrix, y: np.ndarray) -> Scorer:
    return LinearSVC(class_weight="balanced").fit(x, y).decision_function


def _words(texts: list[str]) -> sparse.csr_matrix:
    return ranking.TextFeatures().fit_transform(texts)


def _stop_words(texts: list[str]) -> sparse.csr_matrix:
    return ranking.TextFeatures(stop_words="english").fit_transform(texts)


def _plain_words(texts: list[str]) -> sparse.csr_matrix:
    return TfidfVectorizer().fit_transform(texts).tocsr()


# name: (features, fit, pseudo-excludes, query: None, "until" the first include, or "always")
VARIANTS: dict[str, tuple[Callable[[list[str]], sparse.csr_matrix], Fit, int, str | None]] = {
    "svm": (_words, _model("svm"), 100, None),
    "nb": (_words, _model("nb"), 100, None),
    "lr": (_words, _model("lr"), 100, None),
    "score_fusion_svm_nb": (_words, _fusion(("svm", "nb"), _standardised), 100, None),
    "rank_fusion_svm_nb": (_words, _fusion(("svm", "nb"), _ranks), 100, None),
    "svm_c0.3": (_words, _model("svm", C=0.3), 100, None),
    "svm_c0.04": (_words, _model("svm", C=0.04), 100, None),
    "svm_ratio3": (_words, _model("svm", ratio=3.0), 100, None),
    "svm_ratio30": (_words, _model("svm", ratio=30.0), 100, None),
    "svm_pseudo300": (_words, _model("svm"), 300, None),
    "svm_stop_words": (_stop_words, _model("svm"), 100, None),
    "svm_title_until_include": (_words, _model("svm"), 100, "until"),
    "svm_title_always": (_words, _model("svm"), 100, "always"),
    "plain_lr": (_plain_words, _plain_lr, 0, None),
    "plain_svm": (_plain_words, _plain_svm, 0, None),
}


def _scores(variant: str, x: sparse.csr_matrix, labelled: dict[int, int],
            query: sparse.csr_matrix | None) -> np.ndarray:
    _, fit, pseudo, mode = VARIANTS[variant]
    rows = np.fromiter(sorted(labelled), dtype=np.int64)
    y = np.fromiter((labelled[int(r)] for r in rows), dtype=np.int64)
    if pseudo:
        rows, y = ranking.with_pseudo_excludes(rows, y, x.shape[0], pseudo, seed=len(labelled))
    matrix = x[rows]
    if query is not None and (mode == "always" or not y.any()):
        matrix = sparse.vstack([matrix, query], format="csr")
        y = np.concatenate([y, [1]])
    return np.asarray(fit(matrix, y)(x), dtype=np.float64)


def replay(variant: str, name: str, seed: int) -> dict[str, float]:
    """One variant on one set and seed: WSS@95 and recall at 10% of the screening order."""
    dataset = load_set(name, "final")
    labels = dataset.labels
    features, _, _, mode = VARIANTS[variant]
    query = None
    if mode is not None:
        x, query = simulation.features_with_query(dataset, TITLES[name])
    else:
        x = features(dataset.texts)
    rng = np.random.default_rng(seed)
    order = [] if query is not None else simulation.random_prior(labels, rng)
    labelled = {row: int(labels[row]) for row in order}
    remaining = np.ones(labels.size, dtype=bool)
    remaining[order] = False
    total, found = int(labels.sum()), sum(labelled.values())
    started = time.perf_counter()
    while remaining.any() and found < total:
        pool = np.flatnonzero(remaining)
        if query is None and len(set(labelled.values())) < 2:
            row = int(rng.choice(pool))
        else:
            scores = _scores(variant, x, labelled, query)
            shuffled = pool[rng.permutation(pool.size)]
            row = int(shuffled[np.argmax(scores[shuffled])])
        order.append(row)
        labelled[row] = int(labels[row])
        found += int(labels[row])
        remaining[row] = False
    order.extend(np.flatnonzero(remaining).tolist())  # the rest change no metric
    y = labels[np.asarray(order)]
    return {"wss95": simulation.wss(y, 0.95), "recall_at_10": simulation.recall_at(y, 0.10),
            "first_include": int(np.argmax(y) + 1), "seconds": time.perf_counter() - started}


def _task(args: tuple[str, str, int]) -> tuple[str, str, int, dict[str, float]]:
    return (*args, replay(*args))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--variants", default=",".join(VARIANTS),
                        help=f"comma-separated, of {', '.join(VARIANTS)}")
    parser.add_argument("--sets", help="comma-separated set names (default: all in INDEX.csv)")
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--json", help="write every figure to this JSON file")
    args = parser.parse_args()
    variants = [v.strip() for v in args.variants.split(",") if v.strip()]
    unknown = [v for v in variants if v not in VARIANTS]
    if unknown:
        sys.exit(f"unknown variant(s) {', '.join(unknown)}; choose of {', '.join(VARIANTS)}")
    names = ([s.strip() for s in args.sets.split(",")] if args.sets
             else [e["name"] for e in development_sets()])
    tasks = [(v, n, seed) for v in variants for n in names for seed in range(args.seeds)]
    with ProcessPoolExecutor(max_workers=args.jobs) as pool:
        done = list(pool.map(_task, tasks))
    results: dict[str, object] = {"seeds": args.seeds, "sets": names, "variants": {}}
    print(f"# WSS@95 (final includes, retrained after every record, {args.seeds} seeds): "
          f"mean | {' / '.join(names)} | recall@10% | first include")
    for v in variants:
        per_set = {n: [d for (vv, nn, _, d) in done if vv == v and nn == n] for n in names}
        figures = {n: {k: statistics.fmean(d[k] for d in ds) for k in ds[0]}
                   for n, ds in per_set.items()}
        mean = statistics.fmean(f["wss95"] for f in figures.values())
        results["variants"][v] = {"mean_wss95": mean, "sets": figures}  # type: ignore[index]
        print(f"{v:26} {mean:.3f} | "
              + " / ".join(f"{figures[n]['wss95']:.3f}" for n in names) + " | "
              + " / ".join(f"{figures[n]['recall_at_10']:.3f}" for n in names) + " | "
              + " / ".join(f"{figures[n]['first_include']:.0f}" for n in names))
    record("ranking_variants", results, out=Path(args.json) if args.json else None)


if __name__ == "__main__":
    main()
