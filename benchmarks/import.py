"""Import speed and memory: 50,000 RIS records, our reader against plain rispy.load, and a full
import into an SQLite review.

Each measurement runs in a fresh Python process, so peak memory (ru_maxrss) is that step's own.
With --runs R every step runs R times, the steps taking turns so a busy machine weighs on each
alike, and the median seconds and median peak are kept. Figures go to
benchmarks/results/import.json (benchmarks/results.py).
Run: .venv/bin/python benchmarks/import.py [--records 50000] [--runs 3]
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.results import record  # noqa: E402

WORDS = ("peer support self-harm community online forum moderated group charity voluntary "
         "qualitative interview young people adults belonging stigma recovery wellbeing "
         "evaluation mixed methods survey service users experiences staff training").split()
JOURNALS = ("Archives of Suicide Research", "BJPsych Open", "Crisis", "BMC Psychiatry",
            "Journal of Medical Internet Research", "Health & Social Care in the Community")


def make_ris(path: Path, n: int, seed: int = 7) -> None:
    """A realistic RIS export: EBSCO-like tags, abstracts of a few hundred words, CRLF."""
    rng = random.Random(seed)
    with open(path, "w", encoding="utf-8", newline="\r\n") as out:
        for i in range(n):
            title = " ".join(rng.choice(WORDS) for _ in range(rng.randint(6, 16))).capitalize()
            out.write("TY  - JOUR\n")
            for _ in range(rng.randint(1, 6)):
                out.write(f"AU  - {rng.choice(WORDS).capitalize()}, "
                          f"{rng.choice('ABCDEFGHJKLMNPRST')}\n")
            out.write(f"T1  - {title}\n")
            out.write(f"JO  - {rng.choice(JOURNALS)}\n")
            out.write(f"Y1  - {rng.randint(1985, 2024)}/0{rng.randint(1, 9)}//\n")
            out.write(f"VL  - {rng.randint(1, 60)}\nIS  - {rng.randint(1, 12)}\n")
            start = rng.randint(1, 900)
            out.write(f"SP  - {start}\nEP  - {start + rng.randint(3, 20)}\n")
            out.write(f"SN  - {rng.randint(1000, 9999)}-{rng.randint(1000, 9999)}\n")
            abstract = " ".join(rng.choice(WORDS) for _ in range(rng.randint(120, 260)))
            out.write(f"AB  - {abstract}\n")
            out.write("AB  - Copyright of the journal is the property of its publisher.\n")
            for _ in range(rng.randint(2, 8)):
                out.write(f"KW  - {rng.choice(WORDS)}\n")
            out.write(f"L3  - 10.5555/bench.{i}\n")
            out.write(f"UR  - https://search.example.org/record?id={i}\n")
            out.write("DB  - psyh\nDP  - EBSCOhost\nER  - \n\n")


CHILD = r"""
import json, resource, sys, time
mode, path = sys.argv[1], sys.argv[2]
if mode == "rispy":
    import rispy
    from pathlib import Path
    t = time.perf_counter()
    n = len(rispy.load(Path(path), encoding="utf-8"))
elif mode == "read":
    from review.io import read_file
    t = time.perf_counter()
    n = len(read_file(path).records)
else:
    from review.importing import SourceInfo, import_files
    from review.project import create_review
    store = create_review(sys.argv[4], sys.argv[3], actor="bench")
    t = time.perf_counter()
    n = sum(f.records for f in import_files(store, [path], SourceInfo("Bench", "database"),
                                            actor="bench"))
seconds = time.perf_counter() - t
peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print(json.dumps({"records": n, "seconds": seconds, "peak_mb": peak_mb}))
"""


def measure(*args: str) -> dict:
    out = subprocess.run([sys.executable, "-c", CHILD, *args], check=True,
                         capture_output=True, text=True, cwd=ROOT)
    return json.loads(out.stdout.strip().splitlines()[-1])


STEPS = ("rispy.load (plain)", "review read_file", "review import (SQLite)")


def median_step(name: str, runs: list[dict]) -> dict:
    """One step's figures: the median seconds and the median peak of its runs."""
    seconds = statistics.median(r["seconds"] for r in runs)
    return {"step": name, "records": runs[0]["records"], "seconds": round(seconds, 3),
            "records_per_s": round(runs[0]["records"] / seconds),
            "peak_mb": round(statistics.median(r["peak_mb"] for r in runs), 1)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--records", type=int, default=50_000)
    parser.add_argument("--runs", type=int, default=3,
                        help="fresh processes per step; the medians are kept (default 3)")
    args = parser.parse_args()
    if args.runs < 1:
        parser.error("--runs must be at least 1")
    protocol = str(ROOT / "protocols" / "peer-support-self-harm.toml")
    runs: dict[str, list[dict]] = {name: [] for name in STEPS}
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "bench.ris"
        make_ris(path, args.records)
        size_mb = path.stat().st_size / 1e6
        print(f"{args.records} RIS records, {size_mb:.1f} MB, {args.runs} run(s) per step")
        for run in range(args.runs):
            runs[STEPS[0]].append(measure("rispy", str(path)))
            runs[STEPS[1]].append(measure("read", str(path)))
            runs[STEPS[2]].append(measure("import", str(path), str(Path(tmp) / f"b{run}.db"),
                                          protocol))
    steps = [median_step(name, runs[name]) for name in STEPS]
    print(f"{'step':<26}{'records':>9}{'seconds':>9}{'records/s':>11}{'peak MB':>9}")
    for step in steps:
        print(f"{step['step']:<26}{step['records']:>9}{step['seconds']:>9.2f}"
              f"{step['records_per_s']:>11}{step['peak_mb']:>9.0f}")
    rispy_step, read_step = steps[0], steps[1]
    ratios = {"read_time": round(read_step["seconds"] / rispy_step["seconds"], 2),
              "read_memory": round(read_step["peak_mb"] / rispy_step["peak_mb"], 2)}
    print(f"review read_file / rispy.load: {ratios['read_time']:.2f}x the time, "
          f"{ratios['read_memory']:.2f}x the peak memory")
    if rispy_step["records"] != args.records:
        print(f"note: plain rispy.load returned {rispy_step['records']} of {args.records} records")
    record("import", {"records": args.records, "file_mb": round(size_mb, 1), "runs": args.runs,
                      "steps": steps, "ratios": ratios})


if __name__ == "__main__":
    main()
