"""The README's figures come from the benchmarks' JSON: every recorded result says when, where
and how it was measured, the tables render from it (or say the benchmark has not run), and
README.md is what `make readme` would make of the recorded results."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from benchmarks import readme_tables
from benchmarks.results import RESULTS, machine, record

ROOT = Path(__file__).resolve().parent.parent

MACHINE = {"cpus": 2, "cpu": "Test CPU @ 2.00GHz", "memory_gib": 7.8,
           "system": "Linux 6.1.0", "python": "3.11.7", "load_at_start": [3.25, 2.0, 1.0]}


def write(folder: Path, name: str, figures: dict, command: str) -> None:
    body = {"benchmark": name, "date": "2026-12-06 14:03 UTC", "machine": MACHINE,
            "command": command, "figures": figures}
    (folder / f"{name}.json").write_text(json.dumps(body), encoding="utf-8")


@pytest.mark.parametrize("path", sorted(RESULTS.glob("*.json")), ids=lambda p: p.name)
def test_every_recorded_result_says_when_where_and_how(path: Path) -> None:
    result = json.loads(path.read_text(encoding="utf-8"))
    assert result["benchmark"] == path.stem
    assert result["date"].endswith(" UTC") and len(result["date"]) == len("2026-12-06 14:03 UTC")
    for key in ("cpus", "cpu", "memory_gib", "system", "python"):
        assert result["machine"].get(key), f"{path.name}: machine has no {key}"
    assert result["command"].startswith(path.stem.split("-")[0])
    assert isinstance(result["figures"], dict) and result["figures"]


def test_readme_is_in_sync_with_the_recorded_results() -> None:
    done = subprocess.run([sys.executable, "-m", "cogapp", "-I", str(ROOT), "--check",
                           str(ROOT / "README.md")], capture_output=True, text=True, cwd=ROOT)
    assert done.returncode == 0, f"README.md is out of date, run `make readme`: {done.stdout}"


def test_record_writes_date_machine_command_and_figures(tmp_path: Path) -> None:
    path = record("example", {"seconds": 1.5}, out=tmp_path / "example.json")
    written = json.loads(path.read_text(encoding="utf-8"))
    assert written["benchmark"] == "example" and written["figures"] == {"seconds": 1.5}
    assert written["machine"]["cpus"] == machine()["cpus"]
    assert written["date"].endswith(" UTC")


@pytest.mark.parametrize("render", [readme_tables.import_table, readme_tables.dedup_table,
                                    readme_tables.dedup_held_out, readme_tables.ranking_table,
                                    readme_tables.screening_table, readme_tables.team_table,
                                    readme_tables.screening_browser_table,
                                    readme_tables.reviews_table])
def test_a_benchmark_not_run_says_so(render, tmp_path: Path) -> None:
    out = render(tmp_path)
    assert "Not measured yet" in out and "|" not in out


def test_measured_line_names_date_machine_load_and_command(tmp_path: Path) -> None:
    write(tmp_path, "team-sqlite", {"database": "SQLite", "records": 2000, "reviewers": 10,
                                    "votes": 4000, "seconds": 40.0, "votes_per_s": 100.0,
                                    "p50_ms": 9.04, "p95_ms": 93.0, "max_ms": 400.0,
                                    "refused": 3, "votes_per_reviewer": [390, 410]},
          "team.py")
    out = readme_tables.team_table(tmp_path)
    assert "| SQLite | 10 | 2,000 | 4,000 | 100 | 9 ms | 93 ms | 400 ms |" in out
    assert ("Measured 2026-12-06 14:03 UTC on Linux, 2 cores (Test CPU @ 2.00GHz), 7.8 GiB, "
            "Python 3.11.7, load 3.2 when it started, with `python benchmarks/team.py`.") in out
    assert "team-postgresql" in out  # the other database: not measured yet, said plainly


def test_import_table_from_the_import_benchmark_shape(tmp_path: Path) -> None:
    steps = [("rispy.load (plain)", 50000, 4.6, 10870.0, 224.0),
             ("review read_file", 50000, 20.8, 2403.8, 553.4),
             ("review import (SQLite)", 50000, 33.1, 1510.6, 576.0)]
    write(tmp_path, "import", {
        "records": 50000, "file_mb": 61.2, "runs": 3,
        "steps": [{"step": s, "records": n, "seconds": t, "records_per_s": r, "peak_mb": m}
                  for s, n, t, r, m in steps],
        "ratios": {"read_time": 4.52, "read_memory": 2.47}}, "import.py --records 50000")
    out = readme_tables.import_table(tmp_path)
    assert "| step | records/s | seconds | peak memory |" in out
    assert "| rispy.load (plain) | 10,870 | 4.6 | 224 MB |" in out
    assert "| review import (SQLite) | 1,511 | 33.1 | 576 MB |" in out
    assert "4.5 times as long as plain `rispy.load` and 2.5 times its peak memory" in out
    assert "61 MB export of 50,000 records (3 runs each)" in out


def test_dedup_table_shows_accuracy_for_labelled_sets_only(tmp_path: Path) -> None:
    labelled = {"set": "diabetes", "label": "ASySD Diabetes", "synthetic": False,
                "records": 1845, "sensitivity": 0.9968, "specificity": 1.0, "precision": 1.0,
                "pair_f1": 0.9961, "FP": 0, "uncertain": 14, "read_s": 0.25, "dedupe_s": 0.3,
                "peak_mb": 63.4}
    synthetic = {"set": "scale:80000", "label": "Synthetic, 80,000 records", "synthetic": True,
                 "records": 80000, "sensitivity": 0.9, "specificity": 0.9, "precision": 0.9,
                 "pair_f1": 0.9, "FP": 7, "uncertain": 100, "read_s": 9.0, "dedupe_s": 20.5,
                 "peak_mb": 1004.2}
    pooled = {"sensitivity": 0.99757, "TP": 3694, "FN": 9, "false_merges": 0, "for_a_person": 21}
    write(tmp_path, "dedup", {"sets": [labelled, synthetic], "pooled": pooled},
          "dedup.py --scale 80000")
    out = readme_tables.dedup_table(tmp_path)
    assert ("Pooled over these labelled sets: sensitivity 0.9976 (pairs left for a person "
            "counted as missed), 0 false merges, 21 pairs for a person.") in out
    assert ("| ASySD Diabetes | 1,845 | 0.997 | 1.000 | 1.000 | 0.996 | 0 | 14 (0.76%) | 0.6 "
            "| 63 |") in out
    assert "| Synthetic, 80,000 records | 80,000 | – | – | – | – | – | – | 29.5 | 1,004 |" in out


def test_ranking_table_and_its_summary(tmp_path: Path) -> None:
    def summary(wss95: float, stop_recall: float) -> dict:
        return {"wss95": wss95, "wss100": 0.3, "recall_at_10": 0.5, "records_to_95": 120.0,
                "records_to_100": 300.4, "recall_at_stop": stop_recall,
                "work_saved_at_stop": 0.19, "stopped_early": 1.0,
                "target_recall_at_stop": 0.99, "target_work_saved": 0.051,
                "buscar1_recall_at_stop": 1.0, "buscar1_work_saved": 0.12}
    sets = [{"set": "a", "seeds": 2, "summaries": {"ensemble": summary(0.5012, 1.0),
                                                   "svm": summary(0.52, 1.0),
                                                   "random": summary(0.02, 1.0),
                                                   "asreview": summary(0.5009, 1.0)},
             "stop_recalls": {"ensemble": [1.0, 0.9]}},
            {"set": "b", "seeds": 2, "summaries": {"ensemble": summary(0.3, 1.0),
                                                   "svm": summary(0.35, 1.0),
                                                   "random": summary(0.01, 1.0)},
             "stop_recalls": {"ensemble": [0.96, 1.0]}}]
    average = {m: summary(0.4, 0.98) for m in ("ensemble", "svm", "random")}
    write(tmp_path, "ranking", {"default_model": "ensemble", "seeds": 2, "retrain_every": "1%",
                                "labels": "final",
                                "sets_measured": {"date": "2026-12-06 05:15 UTC",
                                                  "command": "ranking.py --seeds 5"},
                                "recall_target": 0.95, "asreview": "asreview 3.0.8",
                                "stopping_bias": 2.0,
                                "sets": sets, "average": average,
                                "speed": {"records": 20000, "feature_seconds": 12.34,
                                          "ensemble_retrain_seconds_10pct_labelled": 0.8,
                                          "ensemble_retrain_seconds_90pct_labelled": 1.71,
                                          "svm_retrain_seconds_90pct_labelled": 0.1}},
          "ranking.py")
    out = readme_tables.ranking_table(tmp_path)
    assert "ASReview 3.0.8 (`asreview simulate`" in out and "2 seeds" in out
    assert "after every 1% of the labels" in out
    assert "the final includes are the reviewer's answers" in out
    assert "| set | WSS@95 ensemble / svm / ASReview / random |" in out
    assert "buscar (bias 2) stop: recall, work saved | buscar bias 1: recall, work saved |" in out
    assert ("| a | 0.501 / 0.520 / 0.501 / 0.020 | 0.500 | 120 / 300 | 1.000, 19% | 1.000, 12% "
            "| 0.990, 5% |") in out
    assert "| b | 0.300 / 0.350 / not run / 0.010 |" in out
    assert "| **mean** | 0.400 / 0.400 / not run / 0.400 |" in out
    assert "at most 0.02 below on 1 of 2 sets (gaps -0.050 to -0.019)" in out
    assert "equal (to three decimals) on 1, lower on 0 of 1 sets" in out
    assert "reached 95% recall in 3 of 4 runs and stopped before the end in 4 of them" in out
    assert "at 20,000 records, 10% to 90% of them labelled: 0.8-1.7 s" in out  # default only
    assert "takes 12.3 s" in out
    assert "screened on 2026-12-06 05:15 UTC with `python benchmarks/ranking.py --seeds 5`" \
        in out


def test_screening_table_with_its_build_and_target(tmp_path: Path) -> None:
    run = {"records": 50000, "groups": 50000, "votes": 300, "prevoted": 0, "median_ms": 38.2,
           "p95_ms": 53.0, "max_ms": 154.4, "sync_screening_s": 2.31, "rerun_dedupe_s": 48.7,
           "peak_mb_screening": 52, "peak_mb_with_dedupe": 900}
    later = dict(run, prevoted=25000, median_ms=151.0)
    build = {"write_ris_s": 2.0, "import_s": 9.2, "dedupe_s": 49.8, "peak_mb": 1025.3,
             "date": "2026-12-01 10:00 UTC"}
    write(tmp_path, "screening", {"records": 50000, "votes": 300, "target_median_ms": 150,
                                  "build": build, "runs": [run, later]},
          "screening.py --prevoted 0 25000")
    out = readme_tables.screening_table(tmp_path)
    assert "| vote → next record ready, median / p95 / max | 38 ms / 53 ms / 154 ms |" in out
    assert "| the same after 25,000 votes each (`--prevoted 25000`) | 151 ms" in out
    assert "| building the review (import 9 s, dedupe 50 s) | 61 s, peak 1,025 MB |" in out
    assert ("Target, a median under 150 ms: met (38 ms) from the start; NOT met (151 ms) after "
            "25,000 votes each.") in out
    assert "The cached review was built 2026-12-01 10:00 UTC." in out


def test_screening_browser_table_with_its_targets(tmp_path: Path) -> None:
    def figures(median: float, p95: float, top: float) -> dict:
        return {"median_ms": median, "p95_ms": p95, "max_ms": top, "n": 95}

    quick = {"records": 2000, "votes": 100, "warm_up": 5, "seconds": 40.0,
             "key_to_title": figures(80.4, 120.0, 150.2), "page_run": figures(20.0, 30.0, 41.0),
             "page_run_cpu": figures(15.2, 20.0, 30.0)}
    large = dict(quick, records=50000, key_to_title=figures(130.0, 190.0, 260.0))
    write(tmp_path, "screening_browser",
          {"targets": {"key_to_title_median_ms": 100, "key_to_title_max_ms": 200,
                       "page_run_median_ms": 40}, "runs": [quick, large]},
          "screening_browser.py --records 2000 50000")
    out = readme_tables.screening_browser_table(tmp_path)
    assert "| 2,000 | 95 | 80 ms / 120 ms / 150 ms | 20 ms / 30 ms / 41 ms | 15 ms |" in out
    assert "| 50,000 | 95 | 130 ms / 190 ms / 260 ms |" in out
    assert "met at 2,000 records; NOT met at 50,000 records." in out


def test_reviews_table_from_the_reviews_benchmark_shape(tmp_path: Path) -> None:
    def timed(median: float, p95: float) -> dict:
        return {"median_ms": median, "p95_ms": p95, "max_ms": p95 * 2}

    write(tmp_path, "reviews", {
        "database": "PostgreSQL", "reviews": 20, "records": 5000, "votes": 200, "warm_up": 3,
        "review_timed": "r19",
        "shared": {"queue_read": timed(12.04, 20.0), "vote": timed(9.5, 16.0)},
        "alone": {"queue_read": timed(11.0, 18.0), "vote": timed(9.0, 8.0)},
        "ratio": {"queue_read_median": 1.09, "queue_read_p95": 1.11, "vote_median": 1.06,
                  "vote_p95": 2.0},
        "target_ratio": 1.5, "met": False,
        "build_s": {"shared": 200.0, "alone": 10.0, "per_review_import_s": 0.7,
                    "per_review_dedupe_s": 7.5}}, "reviews.py --records 5000")
    out = readme_tables.reviews_table(tmp_path)
    assert "| queue read (`next_item`), median | 12.0 ms | 11.0 ms | 1.09× |" in out
    assert "| vote (`cast_vote`, committed), p95 | 16.0 ms | 8.0 ms | 2.00× |" in out
    assert "20 reviews of 5,000 records each" in out and "within 1.5×: NOT met." in out
    assert "with `python benchmarks/reviews.py --records 5000`." in out


def test_ranking_table_does_not_count_the_cold_start_as_a_single_model(tmp_path: Path) -> None:
    def summary(wss95: float) -> dict:
        return {"wss95": wss95, "wss100": 0.3, "recall_at_10": 0.5, "records_to_95": 120.0,
                "records_to_100": 300.0, "recall_at_stop": 1.0, "work_saved_at_stop": 0.2,
                "stopped_early": 1.0}
    summaries = {"svm": summary(0.5), "nb": summary(0.49), "svm+title": summary(0.9),
                 "random": summary(0.0)}
    write(tmp_path, "ranking", {"default_model": "svm", "seeds": 1, "cold_start": "svm+title",
                                "sets": [{"set": "a", "seeds": 1, "summaries": summaries,
                                          "stop_recalls": {"svm": [1.0]}}]}, "ranking.py")
    out = readme_tables.ranking_table(tmp_path)
    assert "| set | WSS@95 svm / nb / svm+title / random |" in out
    assert "at most 0.02 below on 1 of 1 sets (gaps +0.010 to +0.010)" in out


def test_ranking_variants_table(tmp_path: Path) -> None:
    def figures(wss: list[float]) -> dict:
        return {"mean_wss95": sum(wss) / len(wss),
                "sets": {n: {"wss95": w, "recall_at_10": 0.5} for n, w in zip("ab", wss,
                                                                              strict=True)}}
    write(tmp_path, "ranking_variants", {"seeds": 3, "sets": ["a", "b"], "variants": {
        "svm": figures([0.5, 0.7]), "nb": figures([0.55, 0.6]), "new_thing": figures([0.5, 0.8])}},
        "ranking_variants.py")
    out = readme_tables.ranking_variants_table(tmp_path)
    assert "3 seeds, retrained after every record" in out
    assert ("| the SVM (the default) | 0.600 | – | – | 0.500 / 0.700 | 0.50 / 0.50 | ? / ? | – |"
            in out)
    assert "| naive Bayes | 0.575 | -0.025 | -0.100 | 0.550 / 0.600 |" in out
    assert "| new_thing | 0.650 | +0.050 | +0.000 | 0.500 / 0.800 |" in out
    assert "`python benchmarks/ranking_variants.py`" in out
    assert "not measured yet" in readme_tables.ranking_variants_table(tmp_path / "none").lower()
