"""The many-reviews benchmark (benchmarks/reviews.py) runs end to end at a tiny size on the
test PostgreSQL server and writes the figures the README reads: each database's queue-read and
vote times, their ratios and the verdict."""

from __future__ import annotations

import json
from pathlib import Path

from benchmarks import reviews as bench
from tests.conftest import PostgresServer


def test_reviews_benchmark_writes_its_figures(postgres: PostgresServer, tmp_path: Path) -> None:
    out = tmp_path / "reviews.json"
    figures = bench.main(["--reviews", "3", "--records", "200", "--votes", "10",
                          "--server", postgres.url()], out=out)
    written = json.loads(out.read_text(encoding="utf-8"))
    assert written["benchmark"] == "reviews" and written["figures"] == figures
    f = written["figures"]
    assert (f["database"], f["reviews"], f["records"], f["votes"]) == ("PostgreSQL", 3, 200, 10)
    assert f["review_timed"] == "r2"
    for where in ("shared", "alone"):
        for what in ("queue_read", "vote"):
            assert set(f[where][what]) == {"median_ms", "p95_ms", "max_ms"}
            assert 0 < f[where][what]["median_ms"] <= f[where][what]["p95_ms"]
    assert set(f["ratio"]) == {"queue_read_median", "queue_read_p95", "vote_median",
                               "vote_p95"}
    assert f["target_ratio"] == 1.5 and isinstance(f["met"], bool)
    assert set(f["build_s"]) == {"shared", "alone", "per_review_import_s",
                                 "per_review_dedupe_s"}
