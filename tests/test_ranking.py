"""Each ranking component on a tiny labelled set: the features, every classifier, the model
version, and random order until both classes exist."""

from __future__ import annotations

import numpy as np
import pytest

from review.ranking import models as ranking

TEXTS = [
    "peer support group for young people in community settings",   # 0 include
    "online forum moderated peer support volunteers",               # 1 include
    "peer support volunteers in a charity drop-in service",         # 2 include
    "hospital inpatient drug trial of dosage",                      # 3 exclude
    "randomised drug dosage trial in hospital wards",               # 4 exclude
    "surgical outcomes after hip replacement in hospital",          # 5 exclude
    "moderated online peer support community for young people",     # 6 unlabelled, relevant
    "drug dosage in hospital surgical wards",                       # 7 unlabelled, irrelevant
]
LABELLED = {0: 1, 1: 1, 2: 1, 3: 0, 4: 0, 5: 0}


def test_record_text_joins_title_abstract_keywords() -> None:
    record = {"title": "Peer support", "abstract": None, "keywords": ["forum", "", "online"],
              "year": 2020}
    assert ranking.record_text(record) == "Peer support forum online"
    assert ranking.record_text({"title": float("nan"), "abstract": "Text"}) == "Text"


def test_features_shape_and_pairs() -> None:
    features = ranking.TextFeatures()
    matrix = features.fit_transform(TEXTS)
    assert matrix.shape[0] == len(TEXTS)
    vocabulary = features._vectorizer.vocabulary_
    assert "peer support" in vocabulary and "peer" in vocabulary
    assert features.transform(["peer support"]).shape == (1, matrix.shape[1])


def test_features_refuse_empty_texts() -> None:
    with pytest.raises(ranking.RankingError, match="no title, abstract or keywords"):
        ranking.TextFeatures().fit_transform(["", " "])
    with pytest.raises(ranking.RankingError, match="no records"):
        ranking.TextFeatures().fit_transform([])


@pytest.mark.parametrize("name", ranking.MODEL_NAMES)
def test_every_model_puts_the_relevant_record_first(name: str) -> None:
    matrix = ranking.TextFeatures().fit_transform(TEXTS)
    result = ranking.train(matrix, LABELLED, name)
    assert result.model == name
    assert (result.n_include, result.n_exclude) == (3, 3)
    assert result.scores.shape == (len(TEXTS),)
    assert result.order([7, 6]) == [6, 7]
    # Labelled includes score above labelled excludes.
    assert min(result.scores[[0, 1, 2]]) > max(result.scores[[3, 4, 5]])


def test_balancing_weights() -> None:
    labels = np.array([1, 0, 0, 0, 0])
    weights = ranking._balanced_weights(labels, 1.0)
    assert weights[0] == pytest.approx(weights[1:].sum())
    assert weights.sum() == pytest.approx(len(labels))
    heavy = ranking._balanced_weights(labels, 4.0)
    assert heavy[0] == pytest.approx(4 * heavy[1:].sum())


def test_version_follows_the_labels() -> None:
    matrix = ranking.TextFeatures().fit_transform(TEXTS)
    first = ranking.train(matrix, LABELLED, "nb").version
    assert first == ranking.train(matrix, dict(reversed(list(LABELLED.items()))), "nb").version
    changed = {**LABELLED, 6: 1}
    assert ranking.train(matrix, changed, "nb").version != first
    assert ranking.train(matrix, LABELLED, "svm").version != first
    assert first.startswith("nb-")


def test_random_order_until_both_classes() -> None:
    matrix = ranking.TextFeatures().fit_transform(TEXTS)
    pool = [3, 4, 5, 6, 7]
    order, model = ranking.rank_pool(matrix, {0: 1, 1: 1}, pool, np.random.default_rng(1))
    assert model is None and sorted(order) == pool
    again, _ = ranking.rank_pool(matrix, {0: 1, 1: 1}, pool, np.random.default_rng(1))
    assert again == order  # seeded
    orders = {tuple(ranking.rank_pool(matrix, {0: 1}, pool, np.random.default_rng(s))[0])
              for s in range(10)}
    assert len(orders) > 1  # really shuffled
    with pytest.raises(ranking.RankingError, match="one include and one exclude"):
        ranking.train(matrix, {0: 1, 1: 1})
    ranked, model = ranking.rank_pool(matrix, LABELLED, [7, 6], np.random.default_rng(0), "lr")
    assert model is not None and ranked == [6, 7]


def test_training_rows_cap_keeps_every_include() -> None:
    labelled = {i: (1 if i % 50 == 0 else 0) for i in range(1000)}
    rows, labels = ranking.training_rows(labelled, limit=None)
    assert rows.tolist() == list(range(1000)) and labels.sum() == 20
    rows, labels = ranking.training_rows(labelled, limit=300)
    assert rows.size == 300 and labels.sum() == 20  # all 20 includes, 280 excludes
    assert all(labelled[int(r)] == int(y) for r, y in zip(rows, labels, strict=True))
    again, _ = ranking.training_rows(labelled, limit=300)
    assert again.tolist() == rows.tolist()  # the same sample every time


def test_unknown_model() -> None:
    with pytest.raises(ranking.RankingError, match="choose one of ensemble, nb, lr, svm"):
        ranking.make_classifier("forest")


def test_the_default_is_the_linear_svm() -> None:
    assert ranking.DEFAULT_MODEL == "svm"
    assert ranking.make_classifier().name == "svm"
    assert set(ranking.SINGLE_MODELS) == set(ranking.MODEL_NAMES) - {"ensemble"}


def test_ensemble_averages_the_standardised_scores_of_its_members() -> None:
    matrix = ranking.TextFeatures().fit_transform(TEXTS)
    ensemble = ranking.train(matrix, LABELLED, "ensemble")
    parts = []
    for name in ranking.Ensemble().members:
        scores = ranking.train(matrix, LABELLED, name).scores
        parts.append((scores - scores.mean()) / scores.std())
    assert ensemble.scores == pytest.approx(np.mean(parts, axis=0))
    # Naive Bayes' log-odds are on another scale than the SVM's distances: unstandardised, one
    # member would outvote the others; standardised, each weighs the same.
    assert np.mean(parts, axis=0).std() <= 1.0 + 1e-9
    assert ensemble.version.startswith("ensemble-")
    members = ranking.Ensemble(members=("nb", "lr", "svm"))
    assert ranking.train(matrix, LABELLED, members).version != ensemble.version


def test_ensemble_follows_the_majority_when_one_member_disagrees() -> None:
    class Fixed:
        """A member that always gives the same scores, whatever it learns."""

        def __init__(self, scores: list[float]) -> None:
            self.name, self._scores = "fixed", np.asarray(scores, dtype=float)

        def fit(self, features: object, labels: object) -> None:
            pass

        def scores(self, features: object) -> np.ndarray:
            return self._scores

        def params(self) -> dict[str, object]:
            return {}

    ensemble = ranking.Ensemble()
    ensemble._models = [Fixed([3.0, 2.0, 1.0]), Fixed([30.0, 20.0, 10.0]),
                        Fixed([-1.0, 0.0, 1.0])]
    scores = ensemble.scores(None)  # type: ignore[arg-type]
    assert list(np.argsort(-scores)) == [0, 1, 2]
    # A constant member (no spread) counts as no opinion rather than dividing by zero.
    ensemble._models = [Fixed([1.0, 1.0, 1.0]), Fixed([0.0, 5.0, 1.0])]
    assert list(np.argsort(-ensemble.scores(None))) == [1, 2, 0]  # type: ignore[arg-type]


def test_pseudo_excludes_are_unscreened_records_and_change_with_the_labels() -> None:
    rows = np.array([3, 10, 50])
    labels = np.array([1, 0, 0])
    got_rows, got_labels = ranking.with_pseudo_excludes(rows, labels, 1000, 100, seed=3)
    assert got_rows.size == 103 and np.all(np.diff(got_rows) > 0)
    by_row = dict(zip(got_rows.tolist(), got_labels.tolist(), strict=True))
    assert (by_row[3], by_row[10], by_row[50]) == (1, 0, 0)  # the real labels are kept
    assert sum(by_row.values()) == 1  # every drawn record is taken as an exclude
    again, _ = ranking.with_pseudo_excludes(rows, labels, 1000, 100, seed=3)
    assert again.tolist() == got_rows.tolist()  # same labels, same fit
    other, _ = ranking.with_pseudo_excludes(rows, labels, 1000, 100, seed=4)
    assert other.tolist() != got_rows.tolist()  # a new sample at the next retraining
    # At most a quarter of the records left: none on a tiny review, none when turned off.
    few, _ = ranking.with_pseudo_excludes(np.array([1, 2, 3]), labels, 6, 100, seed=3)
    assert few.tolist() == [1, 2, 3]
    assert ranking.with_pseudo_excludes(rows, labels, 1000, 0, seed=3)[0].tolist() == [3, 10, 50]
    assert ranking.with_pseudo_excludes(rows, labels, 403, 100, seed=3)[0].size == 3 + 100


def test_training_with_pseudo_excludes_changes_the_version() -> None:
    matrix = ranking.TextFeatures().fit_transform(TEXTS * 50)
    labelled = {**LABELLED}
    with_pseudo = ranking.train(matrix, labelled, "lr")
    without = ranking.train(matrix, labelled, "lr", pseudo_excludes=0)
    assert with_pseudo.version != without.version
    assert not np.allclose(with_pseudo.scores, without.scores)


def test_the_query_stands_in_for_an_include_until_a_real_one_is_decided() -> None:
    features = ranking.TextFeatures()
    matrix = features.fit_transform(TEXTS)
    query = features.transform(["moderated online peer support for young people"])
    assert not ranking.can_train({}) and ranking.can_train({}, query=True)
    assert ranking.can_train({3: 0}, query=True) and not ranking.can_train({3: 0})
    # no decision at all: the query is the include, unscreened records the excludes
    start = ranking.train(matrix, {}, "svm", pseudo_excludes=100, query=query)
    assert (start.n_include, start.n_exclude) == (0, 0)
    assert start.order([7, 6, 3])[0] == 6
    assert max(start.scores[[0, 1, 2, 6]]) > max(start.scores[[3, 4, 5, 7]])
    other = features.transform(["hospital drug dosage"])
    assert ranking.train(matrix, {}, "svm", query=other).version != start.version
    # once an include is decided the query is no longer learnt from: same fit as without it
    decided = {0: 1, 3: 0}
    with_query = ranking.train(matrix, decided, "svm", query=other)
    without = ranking.train(matrix, decided, "svm")
    assert with_query.version == without.version
    assert with_query.scores == pytest.approx(without.scores)
    # excludes only: the query still stands in for the include
    only_excludes = ranking.train(matrix, {3: 0, 4: 0}, "svm", query=query)
    assert only_excludes.version != ranking.train(matrix, {3: 0, 4: 0}, "svm",
                                                  query=other).version
    with pytest.raises(ranking.RankingError, match="one row in the features' space"):
        ranking.train(matrix, {}, "svm", query=matrix[:2])
    with pytest.raises(ranking.RankingError, match="at least one include and one exclude"):
        ranking.train(matrix, {}, "svm")
    # with no pseudo-excludes (none drawn, or fewer than four records left to draw from) and
    # no exclude decided, the query alone cannot make a model
    with pytest.raises(ranking.RankingError, match="unscreened record"):
        ranking.train(matrix, {}, "svm", pseudo_excludes=0, query=query)
    with pytest.raises(ranking.RankingError, match="unscreened record"):
        ranking.train(matrix, {0: 1, 1: 1, 2: 1, 6: 1, 7: 1}, "svm", query=query)
    # includes but no exclude yet: pseudo-excludes stand in for the excludes
    includes_only = ranking.train(matrix, {0: 1, 1: 1}, "svm", query=query)
    assert (includes_only.n_include, includes_only.n_exclude) == (2, 0)
    assert includes_only.version == ranking.train(matrix, {0: 1, 1: 1}, "svm", query=other).version
