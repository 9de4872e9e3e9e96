"""Replaying a finished screening in the model's order, to measure what ranking and the stopping
rule would have saved on a review whose decisions are known.

A replay starts like a review without ranking: records in a seeded random order until at least
one include and one exclude have been seen (ASReview's "random prior"); with a query (the
review's own words, as the app uses the protocol's) there is no random start, the first model
run ranks by the query, and every seed gives the same replay. From then on the model is
retrained on every decision so far and the next records are the ones it ranks highest; the
simulated reviewer answers with the known label. By default the model is retrained after every
record: in the app retraining runs beside the votes, and on a review of a few thousand records a
fit takes tens of milliseconds, far less than a reviewer takes to vote, so the queue follows a
model that knows every earlier decision. `retrain_every` > 1 simulates a model that lags (the
development sets lose about 0.005 WSS@95 at a lag of 1% of the labels). Once every include has
been found the rest of the order cannot change any metric, so the replay stops fitting there.

Metrics, for a screening order with N records of which R are includes:

- records to reach recall r: the smallest n such that the first n records hold at least
  ceil(r * R) includes.
- WSS@r (work saved over sampling, Cohen et al. 2006, as ASReview reports it): at that n,
  (TN + FN) / N - (1 - r), where TN + FN = N - n are the records not screened. Random order
  gives about 0; the best possible WSS@95 is about 0.95 - R/N.
- recall at 10%: includes among the first ceil(0.10 * N) records, over R.
- stopping: n where the stopping rule (review.ranking.stopping, with its default bias) first
  says the recall target is reached, checking after every record; the recall there, and work
  saved = 1 - n / N (0 if it never stops before the end).
"""

from __future__ import annotations

import csv
import math
import statistics
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np
from scipy import sparse

from review.errors import InputError, ReviewError
from review.ranking import models as ranking
from review.ranking import stopping

LABEL_COLUMNS = ("label_abstract_screening", "label_included")
TRUE_VALUES = {"1", "1.0", "true", "yes", "include", "included"}
FALSE_VALUES = {"0", "0.0", "false", "no", "exclude", "excluded"}


@dataclass(frozen=True)
class Dataset:
    """A labelled screening set. `labels` are the reviewer's answers during the replay: the
    title/abstract decisions when the file has them, else the final includes. `final` are the
    final includes (label_included)."""

    name: str
    texts: list[str]
    labels: np.ndarray
    final: np.ndarray
    label_column: str

    @property
    def n_records(self) -> int:
        return len(self.texts)


def _label(value: str, path: str, line: int, column: str) -> int | None:
    text = (value or "").strip().lower()
    if text == "":
        return None
    if text in TRUE_VALUES:
        return 1
    if text in FALSE_VALUES:
        return 0
    raise InputError(path, f"{column} must be 0 or 1, not {value!r}", line)


def read_dataset(path: str | Path) -> Dataset:
    """A CSV with title, abstract and label_included columns (keywords and
    label_abstract_screening are used when present)."""
    path = Path(path)
    name = str(path)
    try:
        handle = open(path, encoding="utf-8-sig", newline="")
    except OSError as exc:
        raise InputError(name, f"cannot read the file ({exc.strerror})") from None
    texts: list[str] = []
    final: list[int] = []
    abstract: list[int | None] = []
    abstract_lines: list[int] = []
    with handle:
        reader = csv.DictReader(handle)
        try:
            header = reader.fieldnames or []
            missing = [c for c in ("title", "abstract", "label_included") if c not in header]
            if missing:
                raise InputError(name, "missing column(s) " + ", ".join(missing) +
                                 " (need title, abstract and label_included)", 1)
            line = reader.line_num + 1  # where the next row starts
            for row in reader:
                if None in row:
                    raise InputError(name, "the row has more fields than the header", line)
                label = _label(row["label_included"], name, line, "label_included")
                if label is None:
                    raise InputError(name, "label_included is empty", line)
                final.append(label)
                if "label_abstract_screening" in row:
                    abstract.append(_label(row["label_abstract_screening"], name, line,
                                           "label_abstract_screening"))
                    abstract_lines.append(line)
                texts.append(ranking.record_text(row))
                line = reader.line_num + 1
        except csv.Error as exc:
            raise InputError(name, f"not a readable CSV ({exc})", reader.line_num) from None
        except UnicodeDecodeError:
            raise InputError(name, "not UTF-8 text") from None
    if not texts:
        raise InputError(name, "no records")
    final_array = np.asarray(final, dtype=np.int64)
    labels, column = final_array, "label_included"
    if abstract and any(v is not None for v in abstract):
        for value, at in zip(abstract, abstract_lines, strict=True):
            if value is None:
                raise InputError(name, "label_abstract_screening is empty while other rows "
                                       "have it", at)
        labels = np.asarray(abstract, dtype=np.int64)
        column = "label_abstract_screening"
        bad = np.flatnonzero((final_array == 1) & (labels == 0))
        if bad.size:
            raise InputError(name, "included in the end but excluded at title/abstract",
                             abstract_lines[int(bad[0])])
    if labels.sum() == 0 or labels.sum() == labels.size:
        raise InputError(name, f"{column} needs both includes (1) and excludes (0)")
    return Dataset(path.stem, texts, labels, final_array, column)


# --- metrics --------------------------------------------------------------------------------


def records_to_recall(ordered: Sequence[int] | np.ndarray, recall: float) -> int:
    """Records screened, in this order, until the share `recall` of the includes is found."""
    y = np.asarray(ordered, dtype=np.int64)
    total = int(y.sum())
    if total == 0:
        raise ReviewError("no includes: recall is undefined")
    needed = max(1, math.ceil(recall * total - 1e-9))
    return int(np.searchsorted(np.cumsum(y), needed) + 1)


def wss(ordered: Sequence[int] | np.ndarray, recall: float) -> float:
    """Work saved over sampling at `recall`: (N - n) / N - (1 - recall), n from
    records_to_recall."""
    n_records = len(ordered)
    return (n_records - records_to_recall(ordered, recall)) / n_records - (1.0 - recall)


def recall_at(ordered: Sequence[int] | np.ndarray, share: float) -> float:
    """Share of the includes found in the first ceil(share * N) records."""
    y = np.asarray(ordered, dtype=np.int64)
    n = min(y.size, math.ceil(share * y.size - 1e-9))
    return float(y[:n].sum() / y.sum())


@dataclass(frozen=True)
class Metrics:
    n_records: int
    n_includes: int
    wss95: float
    wss100: float
    recall_at_10: float
    records_to_95: int
    records_to_100: int
    stop_at: int | None
    recall_at_stop: float
    work_saved_at_stop: float

    @property
    def stopped_early(self) -> bool:
        return self.stop_at is not None and self.stop_at < self.n_records


def metrics(ordered: Sequence[int] | np.ndarray, stop_at: int | None) -> Metrics:
    """Every figure for one screening order (labels in the order screened) and where the
    stopping rule stopped (None: it never did, so everything was screened)."""
    y = np.asarray(ordered, dtype=np.int64)
    n = int(y.size)
    screened = n if stop_at is None else int(stop_at)
    return Metrics(n_records=n, n_includes=int(y.sum()), wss95=wss(y, 0.95),
                   wss100=wss(y, 1.0), recall_at_10=recall_at(y, 0.10),
                   records_to_95=records_to_recall(y, 0.95),
                   records_to_100=records_to_recall(y, 1.0), stop_at=stop_at,
                   recall_at_stop=float(y[:screened].sum() / y.sum()),
                   work_saved_at_stop=1.0 - screened / n)


# --- replay ---------------------------------------------------------------------------------


def random_prior(labels: np.ndarray, rng: np.random.Generator) -> list[int]:
    """Rows in a seeded random order up to and including the first that completes both
    classes: what a reviewer screens before any model can be trained."""
    order = rng.permutation(labels.size)
    seen: set[int] = set()
    prior: list[int] = []
    for row in order:
        prior.append(int(row))
        seen.add(int(labels[row]))
        if len(seen) == 2:
            break
    return prior


def retrain_batch(n_labelled: int, retrain_every: int = 1) -> int:
    """Records screened between two retrainings: `retrain_every`, but never more than 1% of the
    labels so far (early on every label changes the model a lot)."""
    return max(1, min(int(retrain_every), n_labelled // 100))


@dataclass
class Replay:
    """One simulated screening: the rows in the order screened and how it was made."""

    model: str
    seed: int
    order: list[int]
    prior: list[int]
    fits: int = 0
    fit_seconds: float = 0.0
    versions: list[str | None] = field(default_factory=list)
    guesses: set[str] = field(default_factory=set)  # runs from the query alone (no include)

    @property
    def ranked_from(self) -> int:
        """Where ranking took over: every record from this position on was placed by a model
        run that learnt from an include (the stopping rule's bias applies only to samples from
        here; records placed from the query alone count as unranked, as in the app); random
        order: the end (nothing was ranked)."""
        if self.model == "random" or not self.versions:
            return len(self.order)
        unranked = [i for i, version in enumerate(self.versions)
                    if version is None or version in self.guesses]
        return unranked[-1] + 1 if unranked else 0


def replay(features: sparse.csr_matrix, labels: np.ndarray, model: str = ranking.DEFAULT_MODEL,
           seed: int = 0, prior: Sequence[int] | None = None, retrain_every: int = 1,
           query: sparse.csr_matrix | None = None) -> Replay:
    """Screen every row in the model's order, from a seeded random start (or the given prior).
    With a `query` (the review's own words as one row of features) there is no random start:
    the first model run ranks by the query, as the app does with the protocol's text."""
    rng = np.random.default_rng(seed)
    if prior is not None:
        prior = list(prior)
    else:
        prior = [] if query is not None else random_prior(labels, rng)
    order = list(prior)
    versions: list[str | None] = [None] * len(order)
    labelled = {row: int(labels[row]) for row in order}
    remaining = np.ones(labels.size, dtype=bool)
    remaining[order] = False
    total = int(labels.sum())
    found = sum(labelled.values())
    fits = 0
    fit_seconds = 0.0
    last: ranking.Ranking | None = None
    guesses: set[str] = set()
    while remaining.any():
        pool = np.flatnonzero(remaining)
        if found == total and last is not None:
            # Every include found: the order of the rest changes no metric.
            tail = last.order(pool)
            order.extend(tail)
            versions.extend([last.version] * len(tail))
            break
        if not ranking.can_train(labelled, query is not None):
            # Only possible with an explicit prior of one class: random until both exist.
            row = int(rng.choice(pool))
            take, version = [row], None
        else:
            last = ranking.train(features, labelled, model, query=query)
            if last.n_include == 0:
                guesses.add(last.version)
            fits += 1
            fit_seconds += last.fit_seconds
            take = last.order(pool)[:retrain_batch(len(labelled), retrain_every)]
            version = last.version
        for row in take:
            order.append(row)
            versions.append(version)
            labelled[row] = int(labels[row])
            found += int(labels[row])
            remaining[row] = False
    return Replay(model=model, seed=seed, order=order, prior=prior, fits=fits,
                  fit_seconds=fit_seconds, versions=versions, guesses=guesses)


def random_replay(labels: np.ndarray, seed: int = 0) -> Replay:
    """Screening in random order: the baseline every ranking must beat."""
    rng = np.random.default_rng(seed)
    return Replay(model="random", seed=seed, order=[int(r) for r in rng.permutation(labels.size)],
                  prior=[])


# --- a whole simulation ---------------------------------------------------------------------


@dataclass(frozen=True)
class Run:
    seed: int
    order: list[int]
    stop_at: int | None
    screening: Metrics
    final: Metrics
    fits: int
    fit_seconds: float


def evaluate(dataset: Dataset, order: Sequence[int], seed: int, *, fits: int = 0,
             fit_seconds: float = 0.0, recall_target: float = stopping.DEFAULT_TARGET,
             confidence: float = stopping.DEFAULT_CONFIDENCE, ranked_from: int = 0) -> Run:
    """Metrics of one screening order, and where the stopping rule would have stopped. The rule
    sees only the reviewer's answers (dataset.labels), as in a live review; `ranked_from` is
    where a model started placing the records (before it, the random start: bias 1)."""
    if sorted(order) != list(range(dataset.n_records)):
        raise ReviewError("a screening order must hold every record exactly once")
    answers = dataset.labels[np.asarray(order)]
    stop_at = stopping.first_stop(answers, dataset.n_records, recall_target, confidence,
                                  ranked_from=ranked_from)
    return Run(seed=seed, order=list(order), stop_at=stop_at,
               screening=metrics(answers, stop_at),
               final=metrics(dataset.final[np.asarray(order)], stop_at),
               fits=fits, fit_seconds=fit_seconds)


@dataclass(frozen=True)
class Simulation:
    dataset: str
    label_column: str
    model: str
    recall_target: float
    confidence: float
    runs: list[Run]
    seconds: float

    def summary(self) -> dict[str, float | int | str]:
        """Means over the seeds (and how often the stopping rule met the recall target)."""
        return summarise(self.runs, self.recall_target)


def summarise(runs: Sequence[Run], recall_target: float) -> dict[str, float | int | str]:
    def mean(values: list[float]) -> float:
        return float(statistics.fmean(values))

    out: dict[str, float | int | str] = {"runs": len(runs)}
    for prefix, get in (("", lambda r: r.screening), ("final_", lambda r: r.final)):
        ms = [get(r) for r in runs]
        out[prefix + "wss95"] = mean([m.wss95 for m in ms])
        out[prefix + "wss100"] = mean([m.wss100 for m in ms])
        out[prefix + "recall_at_10"] = mean([m.recall_at_10 for m in ms])
        out[prefix + "records_to_95"] = mean([m.records_to_95 for m in ms])
        out[prefix + "records_to_100"] = mean([m.records_to_100 for m in ms])
        out[prefix + "recall_at_stop"] = mean([m.recall_at_stop for m in ms])
        out[prefix + "stop_reached_target"] = mean(
            [1.0 if m.recall_at_stop >= recall_target - 1e-12 else 0.0 for m in ms])
    out["stop_at"] = mean([r.screening.n_records if r.stop_at is None else r.stop_at
                           for r in runs])
    out["work_saved_at_stop"] = mean([r.screening.work_saved_at_stop for r in runs])
    out["stopped_early"] = mean([1.0 if r.screening.stopped_early else 0.0 for r in runs])
    return out


def features_for(dataset: Dataset) -> sparse.csr_matrix:
    return ranking.TextFeatures().fit_transform(dataset.texts)


def features_with_query(dataset: Dataset, query: str,
                        ) -> tuple[sparse.csr_matrix, sparse.csr_matrix]:
    """The dataset's features and the query as one row in their space (same vocabulary and
    weights, so it reads as a record of the review)."""
    if not query.strip():
        raise ReviewError("the query is empty")
    found = ranking.TextFeatures()
    matrix = found.fit_transform(dataset.texts)
    row = found.transform([query])
    if row.nnz == 0:
        raise ReviewError("no word of the query occurs in the records")
    return matrix, row


def simulate(dataset: Dataset, model: str = ranking.DEFAULT_MODEL, seeds: int = 5,
             recall_target: float = stopping.DEFAULT_TARGET,
             confidence: float = stopping.DEFAULT_CONFIDENCE, first_seed: int = 0,
             features: sparse.csr_matrix | None = None,
             query: str | None = None) -> Simulation:
    """Replay the screening once per seed in `model`'s order ("random" for random order);
    with `query`, the review's words rank the records until the first include (no random
    start)."""
    if seeds < 1:
        raise ReviewError("--seeds must be at least 1")
    if model != "random":
        ranking.make_classifier(model)  # unknown names fail before any work
    started = time.perf_counter()
    matrix = None
    query_row = None
    if model != "random" and query is not None:
        matrix, query_row = features_with_query(dataset, query)
    elif model != "random":
        matrix = features if features is not None else features_for(dataset)
    runs = []
    for seed in range(first_seed, first_seed + seeds):
        if matrix is None:
            done = random_replay(dataset.labels, seed)
        else:
            done = replay(matrix, dataset.labels, model, seed, query=query_row)
        runs.append(evaluate(dataset, done.order, seed, fits=done.fits,
                             fit_seconds=done.fit_seconds, recall_target=recall_target,
                             confidence=confidence, ranked_from=done.ranked_from))
    return Simulation(dataset=dataset.name, label_column=dataset.label_column, model=model,
                      recall_target=recall_target, confidence=confidence, runs=runs,
                      seconds=time.perf_counter() - started)


def run_record(run: Run) -> dict[str, object]:
    """One run as plain data (JSON output)."""
    return {"seed": run.seed, "stop_at": run.stop_at, "fits": run.fits,
            "fit_seconds": round(run.fit_seconds, 3), "screening": asdict(run.screening),
            "final": asdict(run.final)}
