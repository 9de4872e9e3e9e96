"""Prioritised screening: order the records not yet screened by predicted relevance, learnt from
the decisions so far.

Two small parts behind one interface: `TextFeatures` turns title, abstract and keywords into
TF-IDF vectors (fitted on every record of the review, labelled or not: it needs no labels), and
a `Classifier` (naive Bayes, logistic regression or linear SVM, each with class balancing) learns
include/exclude from the screened ones, plus a fresh random sample of unscreened records taken
as excludes (`with_pseudo_excludes`), and scores the rest. `train` does one retraining and
returns a `Ranking` with a version string, so the record a reviewer is shown can name the model
run that placed it. Without a query, no model is possible until at least one include and one
exclude are decided: `rank_pool` then falls back to a seeded random order, as a reviewer without
ranking would see. With a query (the protocol's own words as one row of features), the query
stands in for the include until one is decided, and pseudo-excludes for the excludes, so a
model can run before any decision (`can_train`, `uses_query`).
"""

from __future__ import annotations

import hashlib
import threading
import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Protocol

import numpy as np
from scipy import sparse
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.naive_bayes import MultinomialNB
from sklearn.svm import LinearSVC

from review.errors import ReviewError

DEFAULT_MODEL = "svm"
PSEUDO_EXCLUDES = 100  # unscreened records taken as excludes at each fit (with_pseudo_excludes)
TEXT_FIELDS = ("title", "abstract", "keywords")


class RankingError(ReviewError):
    """Ranking cannot be done as asked (unknown model, one class only, no text)."""


def record_text(record: Mapping[str, object]) -> str:
    """Title, abstract and keywords as one text; keywords may be a list or a string."""
    parts: list[str] = []
    for name in TEXT_FIELDS:
        value = record.get(name)
        if value is None:
            continue
        if isinstance(value, list | tuple):
            parts.extend(str(v) for v in value if v)
        elif isinstance(value, float) and value != value:  # NaN from pandas
            continue
        elif str(value).strip():
            parts.append(str(value))
    return " ".join(parts)


@dataclass
class TextFeatures:
    """TF-IDF over words and word pairs with sublinear term frequency: pairs such as "peer
    support" carry the topic better than single words, and sublinear counts stop one long
    abstract that repeats a word from dominating."""

    ngram_range: tuple[int, int] = (1, 2)
    min_df: int = 1
    max_df: float = 0.95
    sublinear_tf: bool = True
    stop_words: str | None = None
    _vectorizer: TfidfVectorizer | None = field(default=None, init=False, repr=False)

    def fit_transform(self, texts: Sequence[str]) -> sparse.csr_matrix:
        if not texts:
            raise RankingError("there are no records to rank")
        # max_df as a share needs enough documents to mean anything; on a handful it would
        # drop every word shared by all of them.
        max_df = self.max_df if len(texts) >= 20 else 1.0
        self._vectorizer = TfidfVectorizer(ngram_range=self.ngram_range, min_df=self.min_df,
                                           max_df=max_df, sublinear_tf=self.sublinear_tf,
                                           stop_words=self.stop_words, strip_accents="unicode",
                                           dtype=np.float32)
        try:
            return self._vectorizer.fit_transform(texts).tocsr()
        except ValueError as exc:  # every text empty, or only stop words
            raise RankingError("the records have no title, abstract or keywords to learn "
                               "from") from exc

    def transform(self, texts: Sequence[str]) -> sparse.csr_matrix:
        if self._vectorizer is None:
            raise RankingError("the features are not fitted yet")
        return self._vectorizer.transform(texts).tocsr()


class Classifier(Protocol):
    """What every ranking model offers: learn from labelled rows, score any rows (higher means
    more likely to be included; only the order of the scores matters)."""

    name: str

    def fit(self, features: sparse.csr_matrix, labels: np.ndarray) -> None: ...

    def scores(self, features: sparse.csr_matrix) -> np.ndarray: ...

    def params(self) -> dict[str, object]: ...


def _balanced_weights(labels: np.ndarray, ratio: float) -> np.ndarray:
    """Sample weights under which the includes together weigh `ratio` times the excludes
    together (1 = balanced classes). Screening sets have few includes; unweighted, a model learns
    to call everything an exclude and ranks the rest by noise."""
    n_pos = int(labels.sum())
    n_neg = len(labels) - n_pos
    weights = np.where(labels == 1, 1.0, n_pos / (ratio * n_neg)).astype(np.float64)
    return weights * (len(labels) / weights.sum())


@dataclass
class NaiveBayes:
    """Multinomial naive Bayes: the fastest to fit and good with very few includes. The strong
    smoothing (alpha) keeps one word seen once in one include from deciding the ranking."""

    alpha: float = 3.822
    ratio: float = 1.0
    name: str = "nb"

    def fit(self, features: sparse.csr_matrix, labels: np.ndarray) -> None:
        self._model = MultinomialNB(alpha=self.alpha)
        self._model.fit(features, labels, sample_weight=_balanced_weights(labels, self.ratio))

    def scores(self, features: sparse.csr_matrix) -> np.ndarray:
        log_prob = self._model.predict_log_proba(features)
        return log_prob[:, 1] - log_prob[:, 0]

    def params(self) -> dict[str, object]:
        return {"alpha": self.alpha, "ratio": self.ratio}


@dataclass
class Logistic:
    """L2 logistic regression with balanced classes: calibrated-ish probabilities."""

    C: float = 1.0
    ratio: float = 1.0
    name: str = "lr"

    def fit(self, features: sparse.csr_matrix, labels: np.ndarray) -> None:
        self._model = LogisticRegression(C=self.C, solver="liblinear", dual=True,
                                         max_iter=1000, random_state=0)
        self._model.fit(features, labels, sample_weight=_balanced_weights(labels, self.ratio))

    def scores(self, features: sparse.csr_matrix) -> np.ndarray:
        return self._model.decision_function(features)

    def params(self) -> dict[str, object]:
        return {"C": self.C, "ratio": self.ratio}


@dataclass
class LinearSVM:
    """Linear SVM (squared hinge) with class balancing: ranks by distance from the boundary.
    A small C (strong regularisation) suits the few labels of early screening. The default
    since pseudo-excludes were added: with them, over 5 seeds on each of the four development
    sets, it ranked as well as or better than the ensemble on every set (mean WSS@95 0.576
    against 0.560) and was never more than 0.011 below the best single model."""

    C: float = 0.11
    ratio: float = 9.8
    name: str = "svm"

    def fit(self, features: sparse.csr_matrix, labels: np.ndarray) -> None:
        self._model = LinearSVC(C=self.C, loss="squared_hinge", max_iter=5000, random_state=0)
        self._model.fit(features, labels, sample_weight=_balanced_weights(labels, self.ratio))

    def scores(self, features: sparse.csr_matrix) -> np.ndarray:
        return self._model.decision_function(features)

    def params(self) -> dict[str, object]:
        return {"C": self.C, "ratio": self.ratio}


def _standardised(scores: np.ndarray) -> np.ndarray:
    spread = float(scores.std())
    return (scores - scores.mean()) / (spread if spread > 0 else 1.0)


@dataclass
class Ensemble:
    """Logistic regression and the linear SVM together: both are fitted on the same labels, the
    scores of each are put on one scale (standardised over every record of the review) and
    averaged. Which single model ranks a review best differs from review to review and cannot
    be known before screening; on each of the four development sets the average was within
    0.01 of the best single model, while each single model fell about 0.02 below the best on
    at least one set (the SVM 0.021 on cohen2006_estrogens, logistic regression 0.018 and naive
    Bayes 0.024 on kitchenham_2010; naive Bayes as a third member pulled the average down).
    It was the default until pseudo-excludes were added (see LinearSVM). The README's ranking
    section has the figures."""

    members: tuple[str, ...] = ("lr", "svm")
    name: str = "ensemble"

    def fit(self, features: sparse.csr_matrix, labels: np.ndarray) -> None:
        """One member after the other: liblinear seeds and draws from the C library's one
        global random generator, so members fitted in parallel threads interleave their draws
        and the same labels could give a different order from run to run."""
        self._models = [make_classifier(member) for member in self.members]
        for member in self._models:
            member.fit(features, labels)

    def scores(self, features: sparse.csr_matrix) -> np.ndarray:
        parts = [_standardised(np.asarray(m.scores(features), dtype=np.float64))
                 for m in self._models]
        return np.mean(parts, axis=0)

    def params(self) -> dict[str, object]:
        return {member: make_classifier(member).params() for member in self.members}


MODELS: dict[str, type] = {"ensemble": Ensemble, "nb": NaiveBayes, "lr": Logistic,
                           "svm": LinearSVM}
MODEL_NAMES = tuple(MODELS)
SINGLE_MODELS = ("nb", "lr", "svm")


def make_classifier(name: str = DEFAULT_MODEL, **params: float) -> Classifier:
    """A fresh classifier by its short name (nb, lr, svm)."""
    try:
        cls = MODELS[name]
    except KeyError:
        raise RankingError(f"unknown ranking model {name!r}; choose one of "
                           f"{', '.join(MODEL_NAMES)}") from None
    return cls(**params)


@dataclass(frozen=True)
class Ranking:
    """One model run: a score for every record, and what it was trained on.

    `version` is a short digest of the model, its parameters and the exact labels it learnt
    from: the same decisions give the same version, so a shown record's version tells which
    decisions its place came from."""

    model: str
    version: str
    scores: np.ndarray
    n_include: int
    n_exclude: int
    fit_seconds: float

    def order(self, candidates: Iterable[int]) -> list[int]:
        """Candidates (row indices) best first; ties keep the order given, so a seeded shuffle of
        the candidates breaks them reproducibly."""
        rows = np.fromiter(candidates, dtype=np.int64)
        if rows.size == 0:
            return []
        ranked = rows[np.argsort(-self.scores[rows], kind="stable")]
        return ranked.tolist()


def model_version(model: Classifier, labelled: Mapping[int, int],
                  pseudo_excludes: int = PSEUDO_EXCLUDES,
                  query: sparse.csr_matrix | None = None) -> str:
    digest = hashlib.sha256()
    digest.update(model.name.encode())
    if pseudo_excludes:
        digest.update(f"pseudo_excludes={pseudo_excludes}".encode())
    if query is not None:
        row = sparse.csr_matrix(query)
        digest.update(b"query:" + row.indices.tobytes() + row.data.tobytes())
    digest.update(repr(sorted(model.params().items())).encode())
    for row in sorted(labelled):
        digest.update(f"{row}:{labelled[row]};".encode())
    return f"{model.name}-{digest.hexdigest()[:12]}"


def can_train(labelled: Mapping[int, int], query: bool = False) -> bool:
    """Without a query a model needs at least one include and one exclude decided. With the
    protocol's text as a query it can start before any decision: the query stands in for the
    include until one is decided (`uses_query`), and unscreened records drawn as
    pseudo-excludes for the excludes until one is decided, so the queue never falls back to
    random order once the protocol has ordered it (`train` refuses only when fewer than four
    unscreened records are left to draw from and no exclude is decided)."""
    values = set(labelled.values())
    if query:
        return True
    return 1 in values and 0 in values


def uses_query(labelled: Mapping[int, int]) -> bool:
    """The query (the protocol's title, question and include terms) stands in for an include
    only until a real one is decided: before that it is the only hint of what the review is
    after, and in a replay of the four development sets with each review's published title as
    the query it found the first include far sooner than screening at random; after, the
    reviewers' own decisions say it better than a few lines of protocol."""
    return not any(labelled.values())


MAX_TRAINING_ROWS = 4000
# liblinear (logistic regression, the SVM) seeds and draws from the C library's one global
# random generator: two fits at once in one process (two reviews retraining together) would
# interleave their draws and the same decisions could give a different order. A fit takes a
# fraction of a second, so they take turns.
_FIT_LOCK = threading.Lock()


def training_rows(labelled: Mapping[int, int], limit: int | None = MAX_TRAINING_ROWS,
                  ) -> tuple[np.ndarray, np.ndarray]:
    """The rows (and labels) a fit learns from: every labelled row, or, past `limit`, every
    include and a fixed random sample of the excludes. The cap bounds a retraining's time on a
    very large review (the fit grows with the rows): at 8,000 rows the ensemble took 3 s at
    20,000 records, at 4,000 it stays under the 2 s budget. The class weights make up for the
    excludes left out. No development set is large enough to reach it."""
    rows = np.fromiter(sorted(labelled), dtype=np.int64)
    labels = np.fromiter((1 if labelled[int(r)] else 0 for r in rows), dtype=np.int64)
    if limit is None or rows.size <= limit:
        return rows, labels
    includes = rows[labels == 1]
    excludes = rows[labels == 0]
    room = max(limit - includes.size, min(limit, excludes.size) // 2)
    sample = np.random.default_rng(rows.size).choice(excludes, size=min(room, excludes.size),
                                                      replace=False)
    kept = np.sort(np.concatenate([includes, sample]))
    return kept, np.fromiter((1 if labelled[int(r)] else 0 for r in kept), dtype=np.int64)


def with_pseudo_excludes(rows: np.ndarray, labels: np.ndarray, n_records: int, count: int,
                         seed: int) -> tuple[np.ndarray, np.ndarray]:
    """The training rows plus `count` records not yet screened, drawn at random and labelled
    exclude for this fit only (Cormack and Grossman's AutoTAR). Most unscreened records are
    excludes, so the guess is nearly always right, and it matters most at the start: with one
    include and a handful of excludes the model otherwise learns whatever separates those few
    records; against a sample of the whole review it learns what sets the includes apart from
    the review's records in general. A new sample is drawn at every retraining (seeded by the
    number of labels, so the same decisions give the same fit), so an include drawn by
    mistake does not stay an exclude. At most a quarter of the records left are drawn, so on a
    small review, or near the end of one, the guess never outweighs the real decisions. On the
    four development sets it raised the mean WSS@95 and recall at 10% (the README has the
    table)."""
    free = np.ones(n_records, dtype=bool)
    free[rows] = False
    pool = np.flatnonzero(free)
    size = min(count, pool.size // 4)
    if size <= 0:
        return rows, labels
    drawn = np.random.default_rng(seed).choice(pool, size=size, replace=False)
    every = np.concatenate([rows, drawn])
    order = np.argsort(every, kind="stable")
    return every[order], np.concatenate([labels, np.zeros(drawn.size, dtype=np.int64)])[order]


def train(features: sparse.csr_matrix, labelled: Mapping[int, int],
          model: str | Classifier = DEFAULT_MODEL,
          max_rows: int | None = MAX_TRAINING_ROWS,
          pseudo_excludes: int = PSEUDO_EXCLUDES,
          query: sparse.csr_matrix | None = None) -> Ranking:
    """Fit a classifier on the labelled rows ({row: 1 include, 0 exclude}), with
    `pseudo_excludes` unscreened records as excludes (see `with_pseudo_excludes`), and score
    every row. `query` (one row in the features' space, from `TextFeatures.transform`) is
    learnt as one more include while no real include is decided (`uses_query`).

    This is the retraining step: it can take a second on a large review, so a caller runs it
    away from the voting path (a vote never waits for it) and keeps showing the last Ranking
    until the new one is ready."""
    if not can_train(labelled, query is not None):
        raise RankingError("ranking needs at least one include and one exclude")
    classifier = make_classifier(model) if isinstance(model, str) else model
    if labelled and (min(labelled) < 0 or max(labelled) >= features.shape[0]):
        raise RankingError("a labelled row is outside the feature matrix")
    started = time.perf_counter()
    rows, labels = training_rows(labelled, max_rows)
    rows, labels = with_pseudo_excludes(rows, labels, features.shape[0], pseudo_excludes,
                                        seed=len(labelled))
    matrix = features[rows]
    if query is not None and uses_query(labelled):
        if query.shape != (1, features.shape[1]):
            raise RankingError("the query is not one row in the features' space")
        matrix = sparse.vstack([matrix, sparse.csr_matrix(query, dtype=matrix.dtype)],
                               format="csr")
        labels = np.concatenate([labels, np.ones(1, dtype=labels.dtype)])
    else:
        query = None
    if not (labels == 0).any() or not (labels == 1).any():
        raise RankingError("ranking needs at least one include and one exclude or "
                           "unscreened record")
    with _FIT_LOCK:
        classifier.fit(matrix, labels)
    scores = np.asarray(classifier.scores(features), dtype=np.float64)
    seconds = time.perf_counter() - started
    n_include = sum(1 for v in labelled.values() if v)
    return Ranking(model=classifier.name,
                   version=model_version(classifier, labelled, pseudo_excludes, query),
                   scores=scores, n_include=n_include, n_exclude=len(labelled) - n_include,
                   fit_seconds=seconds)


def rank_pool(features: sparse.csr_matrix, labelled: Mapping[int, int], pool: Sequence[int],
              rng: np.random.Generator, model: str | Classifier = DEFAULT_MODEL,
              ) -> tuple[list[int], Ranking | None]:
    """The pool (unlabelled rows) in the order to screen it, with the model run used, or random
    order (and None) while one class is still missing."""
    shuffled = [pool[i] for i in rng.permutation(len(pool))]
    if not can_train(labelled):
        return shuffled, None
    ranking = train(features, labelled, model)
    return ranking.order(shuffled), ranking
