"""Command-line start-up time: how long `review --help` and quick commands take against the
time Python needs to import click and SQLAlchemy alone (target: within 2.5x for every command
that does not rank).

Each command runs N times in a fresh interpreter; the runs are interleaved (one of each
command per round) so a load spike on a shared machine hits every command alike. The median
and the fastest run are reported, with the median's ratio to the baseline's median. The
`sources --db` row runs a real command on a tiny SQLite review built first (untimed) from the
example protocol and one sample export.

Run: .venv/bin/python benchmarks/startup.py [--runs 15]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from benchmarks.results import record  # noqa: E402

PROTOCOL = ROOT / "protocols" / "peer-support-self-harm.toml"
SAMPLE = ROOT / "sample_refs" / "grey_literature.ris"
BASELINE = "import click, sqlalchemy"
CLI = "import sys; from review.cli.main import main; sys.exit(main())"


def _env() -> dict[str, str]:
    """This checkout's code, whatever `review` is installed in the environment."""
    env = dict(os.environ)
    env["PYTHONPATH"] = str(ROOT) + os.pathsep + env.get("PYTHONPATH", "")
    env["REVIEW_USER"] = "bench"
    return env


def _review(*args: str) -> list[str]:
    return [sys.executable, "-c", CLI, *args]


def _tiny_review(folder: Path) -> Path:
    db = folder / "tiny.db"
    for args in (("init", "--protocol", str(PROTOCOL), "--db", str(db)),
                 ("import", str(SAMPLE), "--source", "Grey literature", "--kind", "other",
                  "--db", str(db))):
        subprocess.run(_review(*args), env=_env(), cwd=ROOT, check=True,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return db


def _time(argv: list[str]) -> float:
    start = time.perf_counter()
    subprocess.run(argv, env=_env(), cwd=ROOT, check=True, stdout=subprocess.DEVNULL,
                   stderr=subprocess.DEVNULL)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=15, help="runs of each command")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        db = _tiny_review(Path(tmp))
        commands = {
            "python -c 'import click, sqlalchemy'": [sys.executable, "-c", BASELINE],
            "review --help": _review("--help"),
            "review sources --help": _review("sources", "--help"),
            "review prisma --help": _review("prisma", "--help"),
            "review sources --db TINY": _review("sources", "--db", str(db)),
            "review rank --help": _review("rank", "--help"),
        }
        for argv in commands.values():  # warm the file cache and .pyc files, untimed
            _time(argv)
        times: dict[str, list[float]] = {name: [] for name in commands}
        for _ in range(args.runs):
            for name, argv in commands.items():
                times[name].append(_time(argv))

    baseline = statistics.median(next(iter(times.values())))
    figures: dict[str, dict[str, float]] = {}
    print(f"{'command':<40} {'median s':>9} {'min s':>7} {'x baseline':>11}")
    for name, values in times.items():
        median = statistics.median(values)
        figures[name] = {"median_s": round(median, 4), "min_s": round(min(values), 4),
                         "ratio_to_baseline": round(median / baseline, 2), "runs": len(values)}
        print(f"{name:<40} {median:9.3f} {min(values):7.3f} {median / baseline:11.2f}")
    record("startup", figures)


if __name__ == "__main__":
    main()
