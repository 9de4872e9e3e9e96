"""The simulation's metrics against values computed by hand on a constructed ranking, the
replay on a tiny labelled set, the CSV reader's errors, and `review simulate` end to end."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from review.cli.main import main
from review.errors import InputError
from review.ranking import simulation


def constructed() -> np.ndarray:
    # 100 records, 20 includes: 19 at 0, 2, ..., 36 and the last at 79.
    y = np.zeros(100, dtype=int)
    y[list(range(0, 38, 2))] = 1
    y[79] = 1
    return y


def test_metrics_by_hand() -> None:
    y = constructed()
    assert y.sum() == 20
    # 95% of 20 = 19 includes: the 19th is record 37 -> WSS@95 = 63/100 - 0.05 = 0.58.
    assert simulation.records_to_recall(y, 0.95) == 37
    assert simulation.wss(y, 0.95) == pytest.approx(0.58)
    # All 20: record 80 -> WSS@100 = 20/100 - 0 = 0.20.
    assert simulation.records_to_recall(y, 1.0) == 80
    assert simulation.wss(y, 1.0) == pytest.approx(0.20)
    # First 10 records hold includes 0, 2, 4, 6, 8: recall 5/20.
    assert simulation.recall_at(y, 0.10) == pytest.approx(0.25)
    m = simulation.metrics(y, stop_at=50)
    assert (m.wss95, m.wss100, m.recall_at_10) == pytest.approx((0.58, 0.20, 0.25))
    assert (m.records_to_95, m.records_to_100) == (37, 80)
    assert m.recall_at_stop == pytest.approx(0.95) and m.work_saved_at_stop == pytest.approx(0.5)
    assert m.stopped_early
    never = simulation.metrics(y, stop_at=None)
    assert never.recall_at_stop == 1.0 and never.work_saved_at_stop == 0.0
    assert not never.stopped_early


def test_metrics_of_perfect_and_worst_order() -> None:
    best = np.array([1] * 5 + [0] * 95)
    # 95% of 5 = 4.75 -> 5 includes: 5 records; WSS@95 = 0.95 - 0.05 = 0.90.
    assert simulation.wss(best, 0.95) == pytest.approx(0.90)
    worst = best[::-1]
    assert simulation.wss(worst, 1.0) == pytest.approx(0.0)
    assert simulation.recall_at(worst, 0.10) == 0.0


def test_summary_means_over_runs() -> None:
    y = constructed()
    dataset = simulation.Dataset("d", ["t"] * 100, y, y, "label_included")
    order_a = list(range(100))
    order_b = list(range(100))[::-1]
    runs = [simulation.evaluate(dataset, order_a, 0), simulation.evaluate(dataset, order_b, 1)]
    summary = simulation.summarise(runs, 0.95)
    assert summary["wss95"] == pytest.approx((runs[0].screening.wss95 +
                                              runs[1].screening.wss95) / 2)
    assert summary["runs"] == 2
    with pytest.raises(Exception, match="every record exactly once"):
        simulation.evaluate(dataset, [0] * 100, 0)


def tiny_dataset() -> simulation.Dataset:
    rng = np.random.default_rng(7)
    relevant = ["peer support group volunteers community", "moderated online forum peer support",
                "peer mentors charity community support"]
    other = ["hospital drug dosage trial", "surgery outcomes hip knee", "dosage pharmacology ward",
             "cardiology imaging study", "dental caries children fluoride"]
    texts, labels = [], []
    for i in range(60):
        if i % 6 == 0:
            texts.append(relevant[i % 3] + f" item{i}")
            labels.append(1)
        else:
            texts.append(other[int(rng.integers(len(other)))] + f" item{i}")
            labels.append(0)
    y = np.asarray(labels)
    return simulation.Dataset("tiny", texts, y, y, "label_included")


@pytest.mark.parametrize("model", ["ensemble", "nb", "lr", "svm"])
def test_replay_beats_random_on_a_tiny_set(model: str) -> None:
    dataset = tiny_dataset()
    features = simulation.features_for(dataset)
    done = simulation.replay(features, dataset.labels, model, seed=3)
    assert sorted(done.order) == list(range(60))
    assert done.order[:len(done.prior)] == done.prior
    assert set(dataset.labels[done.prior]) == {0, 1}  # prior stops once both classes exist
    assert len(set(dataset.labels[done.prior[:-1]])) == 1
    assert done.fits > 0 and done.versions[len(done.prior)] is not None
    assert done.versions[0] is None  # the random start had no model
    again = simulation.replay(features, dataset.labels, model, seed=3)
    assert again.order == done.order  # seeded
    ranked = simulation.evaluate(dataset, done.order, 3).screening
    rand = simulation.evaluate(dataset, simulation.random_replay(dataset.labels, 3).order, 3)
    assert ranked.wss95 > rand.screening.wss95
    assert ranked.wss95 > 0.5


def test_retraining_lag() -> None:
    assert simulation.retrain_batch(50) == 1
    assert simulation.retrain_batch(50, retrain_every=10) == 1  # never more than 1% of labels
    assert simulation.retrain_batch(2000, retrain_every=10) == 10
    dataset = tiny_dataset()
    features = simulation.features_for(dataset)
    every = simulation.replay(features, dataset.labels, "nb", seed=2)
    lagging = simulation.replay(features, dataset.labels, "nb", seed=2, retrain_every=50)
    # 60 records: 1% of the labels is under one record, so the lag is clamped to none.
    assert lagging.order == every.order and lagging.fits == every.fits


def write_csv(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def test_read_dataset(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "s.csv", "title,abstract,keywords,label_included\n"
                     "A,peer support,forum,1\nB,drug trial,,0\n")
    dataset = simulation.read_dataset(path)
    assert dataset.texts == ["A peer support forum", "B drug trial"]
    assert dataset.labels.tolist() == [1, 0] and dataset.label_column == "label_included"
    both = write_csv(tmp_path / "b.csv", "title,abstract,label_abstract_screening,"
                     "label_included\nA,x,1,1\nB,y,1,0\nC,z,0,0\n")
    dataset = simulation.read_dataset(both)
    assert dataset.labels.tolist() == [1, 1, 0] and dataset.final.tolist() == [1, 0, 0]
    assert dataset.label_column == "label_abstract_screening"
    empty_abstract_labels = write_csv(tmp_path / "e.csv", "title,abstract,"
                                      "label_abstract_screening,label_included\nA,x,,1\nB,y,,0\n")
    assert simulation.read_dataset(empty_abstract_labels).label_column == "label_included"


@pytest.mark.parametrize(("text", "message"), [
    ("title,label_included\nA,1\n", "s.csv, line 1: missing column(s) abstract"),
    ("title,abstract,label_included\nA,x,1\nB,y,maybe\n", "s.csv, line 3: label_included must"),
    ("title,abstract,label_included\nA,x,1\nB,y,\n", "s.csv, line 3: label_included is empty"),
    ("title,abstract,label_included\nA,x,1\nB,y,1\n", "needs both includes"),
    ("title,abstract,label_included\nA,x,1,extra\n", "s.csv, line 2: the row has more fields"),
    ("title,abstract,label_abstract_screening,label_included\nA,x,1,1\nB,y,,0\n",
     "s.csv, line 3: label_abstract_screening is empty"),
    ("title,abstract,label_abstract_screening,label_included\nA,x,0,1\nB,y,1,0\n",
     "s.csv, line 2: included in the end but excluded"),
    ("title,abstract,label_included\n", "no records"),
])
def test_read_dataset_errors(tmp_path: Path, text: str, message: str) -> None:
    path = write_csv(tmp_path / "s.csv", text)
    with pytest.raises(InputError) as info:
        simulation.read_dataset(path)
    assert message in str(info.value)


def tiny_csv(tmp_path: Path) -> Path:
    dataset = tiny_dataset()
    lines = ["title,abstract,label_included"]
    lines += [f"{t},,{y}" for t, y in zip(dataset.texts, dataset.labels, strict=True)]
    return write_csv(tmp_path / "tiny.csv", "\n".join(lines) + "\n")


def test_cli_simulate_json_and_plot(tmp_path: Path) -> None:
    path = tiny_csv(tmp_path)
    png = tmp_path / "curve.png"
    result = CliRunner().invoke(main, ["simulate", str(path), "--model", "nb", "--seeds", "2",
                                       "--format", "json", "--plot", str(png)])
    assert result.exit_code == 0, result.output
    out = json.loads(result.output)
    assert out["records"] == 60 and out["includes"] == 10 and len(out["runs"]) == 2
    assert out["mean"]["wss95"] == pytest.approx(
        sum(r["screening"]["wss95"] for r in out["runs"]) / 2)
    assert out["mean"]["wss95"] > 0.5
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and png.stat().st_size > 5000


def test_cli_simulate_table_and_errors(tmp_path: Path) -> None:
    path = tiny_csv(tmp_path)
    result = CliRunner().invoke(main, ["simulate", str(path), "--seeds", "1"])
    assert result.exit_code == 0, result.output
    assert "WSS@95" in result.output and "stopping rule: work saved" in result.output
    bad = write_csv(tmp_path / "bad.csv", "title,abstract\nA,x\n")
    result = CliRunner().invoke(main, ["simulate", str(bad)])
    assert result.exit_code == 1
    assert "bad.csv, line 1: missing column(s) label_included" in result.output
    assert "Traceback" not in result.output
    result = CliRunner().invoke(main, ["simulate", str(tmp_path / "none.csv")])
    assert result.exit_code == 1 and "cannot read the file" in result.output


def test_development_set_replay_is_far_better_than_random(screening_sets: Path) -> None:
    path = screening_sets / "cohen2006_estrogens.csv"
    assert path.exists(), f"{path} is missing from ../shared/benchmarks/screening"
    dataset = simulation.read_dataset(path)
    sim = simulation.simulate(dataset, "nb", seeds=1)
    rand = simulation.simulate(dataset, "random", seeds=1)
    assert sim.summary()["wss95"] > rand.summary()["wss95"] + 0.15
    assert sim.runs[0].stop_at is not None and sim.runs[0].screening.recall_at_stop >= 0.95


def test_a_query_replaces_the_random_start() -> None:
    dataset = tiny_dataset()
    features, query = simulation.features_with_query(dataset, "peer support community")
    done = simulation.replay(features, dataset.labels, "svm", seed=3, query=query)
    assert done.prior == []
    # records placed from the query alone, up to the first include, count as unranked
    first = next(i for i, row in enumerate(done.order) if dataset.labels[row])
    assert done.ranked_from == first + 1
    assert all(v is not None for v in done.versions)  # every record placed by a model run
    assert dataset.labels[done.order[0]] == 1  # the query's best match is an include
    assert sorted(done.order) == list(range(60))
    # no random start: the seed changes nothing (the README and `simulate` say so)
    assert simulation.replay(features, dataset.labels, "svm", seed=4, query=query).order == \
        done.order
    with pytest.raises(Exception, match="no word of the query"):
        simulation.features_with_query(dataset, "zzzz qqqq")
    with pytest.raises(Exception, match="the query is empty"):
        simulation.features_with_query(dataset, "  ")


def test_cli_simulate_with_a_query(tmp_path: Path) -> None:
    path = tiny_csv(tmp_path)
    result = CliRunner().invoke(main, ["simulate", str(path), "--seeds", "2", "--format",
                                       "json", "--query", "peer support community"])
    assert result.exit_code == 0, result.output
    out = json.loads(result.output)
    assert out["query"] == "peer support community"
    assert all(r["screening"]["records_to_95"] <= 15 for r in out["runs"])
    assert not any("random start" in a for a in out["stopping_assumptions"])
    assert "from the query alone" in out["stopping_assumptions"][0]
    table = CliRunner().invoke(main, ["simulate", str(path), "--seeds", "1", "--query",
                                      "peer support"])
    assert table.exit_code == 0 and "no random start, the query ranks first, so every seed " \
        "gives the same replay" in table.output
    refused = CliRunner().invoke(main, ["simulate", str(path), "--model", "random", "--query",
                                        "peer"])
    assert refused.exit_code == 2 and "--query needs a ranking model" in refused.output
