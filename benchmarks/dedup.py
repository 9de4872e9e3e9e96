"""Duplicate detection against labelled sets: accuracy (ASySD's record-level scoring and
pairwise F1), uncertain pairs left for people, wall time and peak memory.

The labelled sets come from the bib-dedupe 0.7.2 wheel on PyPI (downloaded into .bench/, never
committed). Development sets: ASySD Diabetes and Neuroimaging, SRA Cytology, bib-dedupe's
digital_work and special_cases. The others in the wheel are held out for evaluation: run them
with --held-out only to report, never to tune. --scale N adds a synthetic set of N records
built from the development sets, for speed and memory at size.

The figures go to benchmarks/results/dedup.json (development sets and the synthetic set) and,
with --held-out, benchmarks/results/dedup-held-out.json, kept apart so that a development run
never overwrites the held-out report; the README's tables are generated from them.

Run: .venv/bin/python benchmarks/dedup.py [--held-out] [--scale 80000]
"""

from __future__ import annotations

import argparse
import io
import itertools
import json
import random
import re
import subprocess
import sys
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.results import record  # noqa: E402

CACHE = ROOT / ".bench"
WHEEL = "bib-dedupe==0.7.2"
DEVELOPMENT = ["diabetes", "neuroimaging", "cytology_screening", "digital_work", "special_cases"]
HELD_OUT = ["cardiac", "depression", "haematology", "respiratory", "srsr", "stroke"]
LABELS = {"diabetes": "ASySD Diabetes", "neuroimaging": "ASySD Neuroimaging",
          "cytology_screening": "SRA Cytology", "digital_work": "bib-dedupe digital_work",
          "special_cases": "bib-dedupe special_cases"}


def label(name: str) -> str:
    """The set's name as the README's tables show it."""
    if name.startswith("scale:"):
        return f"Synthetic, {int(name.split(':')[1]):,} records"
    return LABELS.get(name, name)


def wheel_path() -> Path:
    found = sorted(CACHE.glob("bib_dedupe-0.7.2-*.whl"))
    if not found:
        CACHE.mkdir(exist_ok=True)
        subprocess.run([sys.executable, "-m", "pip", "download", "--no-deps", "--quiet",
                        "-d", str(CACHE), WHEEL], check=True)
        found = sorted(CACHE.glob("bib_dedupe-0.7.2-*.whl"))
    return found[0]


def load_set(name: str) -> tuple[bytes, list[list[str]]]:
    """The set's records (CSV bytes, parts joined) and its true duplicate groups."""
    with zipfile.ZipFile(wheel_path()) as wheel:
        base = f"bib_dedupe/data/{name}/"
        parts = sorted(n for n in wheel.namelist()
                       if n.startswith(base) and re.fullmatch(r".*/records_pre_merged(_part\d+)?"
                                                              r"\.csv", n))
        chunks = [wheel.read(p).decode("utf-8") for p in parts]
        text = chunks[0] + "".join(c.split("\n", 1)[1] for c in chunks[1:])
        groups_text = wheel.read(base + "merged_record_ids.csv").decode("utf-8")
    groups = [line.strip().strip('"').split(";") for line in groups_text.splitlines()[1:]
              if line.strip()]
    return text.encode("utf-8"), groups


def score(uids: list[str], group: list[int], kept: list[bool],
          truth: list[list[str]]) -> dict[str, float]:
    """ASySD's record-level scoring: per true group one record must be kept; per unique record
    it must be kept. A removed unique record, or a true group with none kept, is a false
    positive (a study lost); a second kept copy of a group is a false negative."""
    kept_ids = {u for u, k in zip(uids, kept, strict=True) if k}
    in_group = {u for g in truth for u in g}
    tp = fp = tn = fn = 0
    for uid in uids:
        if uid not in in_group:
            if uid in kept_ids:
                tn += 1
            else:
                fp += 1
    for members in truth:
        n_kept = sum(1 for u in members if u in kept_ids)
        if n_kept == 0:
            fp += 1
            tp += len(members) - 1
        else:
            tn += 1
            fn += n_kept - 1
            tp += len(members) - n_kept
    # pairwise: pairs of records predicted in one group against pairs truly in one group
    predicted = {}
    for uid, g in zip(uids, group, strict=True):
        predicted.setdefault(g, []).append(uid)
    pred_pairs = {frozenset(p) for m in predicted.values() for p in itertools.combinations(m, 2)}
    true_pairs = {frozenset(p) for m in truth for p in itertools.combinations(m, 2)}
    hit = len(pred_pairs & true_pairs)
    precision_pairs = hit / len(pred_pairs) if pred_pairs else 1.0
    recall_pairs = hit / len(true_pairs) if true_pairs else 1.0
    f1 = (2 * precision_pairs * recall_pairs / (precision_pairs + recall_pairs)
          if precision_pairs + recall_pairs else 0.0)
    return {
        "TP": tp, "FN": fn, "FP": fp, "TN": tn,
        "sensitivity": tp / (tp + fn) if tp + fn else 1.0,
        "specificity": tn / (tn + fp) if tn + fp else 1.0,
        "precision": tp / (tp + fp) if tp + fp else 1.0,
        "pair_f1": f1,
    }


CHILD = r"""
import json, resource, sys, time
sys.path.insert(0, sys.argv[2])
from benchmarks.dedup import load_set, score, scale_set
from review.dedupe import deduplicate
from review.io import read_bytes
name = sys.argv[1]
if name.startswith("scale:"):
    data, truth = scale_set(int(name.split(":")[1]))
else:
    data, truth = load_set(name)
t0 = time.perf_counter()
records = read_bytes(data, name + ".csv").records
uids = [r.raw["ID"][0] for r in records]
t1 = time.perf_counter()
result = deduplicate(records, uids)
t2 = time.perf_counter()
out = {"set": name, "records": len(records), "read_s": t1 - t0, "dedupe_s": t2 - t1,
       "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
       "uncertain": len(result.uncertain()), "pairs": len(result.pairs)}
out.update(score(uids, result.group, result.kept, truth))
# a person then checks the uncertain pairs (simulated from the labels): figures after review
true_group = {u: n for n, g in enumerate(truth) for u in g}
same = lambda p: true_group.get(p.a, p.a) == true_group.get(p.b, p.b)
waiting = result.uncertain()
after = deduplicate(records, uids, confirmed=[(p.a, p.b) for p in waiting if same(p)],
                    rejected=[(p.a, p.b) for p in waiting if not same(p)])
reviewed = score(uids, after.group, after.kept, truth)
out["sens_reviewed"], out["FP_reviewed"] = reviewed["sensitivity"], reviewed["FP"]
if len(sys.argv) > 3:
    uid_group = dict(zip(uids, result.group))
    true_group = {u: n for n, g in enumerate(truth) for u in g}
    by_group = {}
    for u in uids:
        by_group.setdefault(uid_group[u], []).append(u)
    lost = [m for m in by_group.values() if len({true_group.get(u, u) for u in m}) > 1]
    missed = [g for g in truth if len({uid_group[u] for u in g}) > 1]
    out["false_merges"] = lost[:40]
    out["missed"] = missed[:40]
    out["uncertain_pairs"] = [(p.a, p.b, p.reason) for p in result.uncertain()][:40]
print(json.dumps(out))
"""


def swap(word: str, copy: int, vocabulary: list[str]) -> str:
    local = random.Random(f"{word.lower()}|{copy}")
    return local.choice(vocabulary) if local.random() < 0.35 else word


def scale_set(n: int, seed: int = 11) -> tuple[bytes, list[list[str]]]:
    """N records for speed and memory: the development sets, then copies of them made into
    other works (title words replaced, year moved, DOI changed), keeping real duplicate rates."""
    import csv

    rng = random.Random(seed)
    rows: list[dict[str, str]] = []
    truth: list[list[str]] = []
    sources = []
    for name in DEVELOPMENT:
        data, groups = load_set(name)
        reader = list(csv.DictReader(io.StringIO(data.decode("utf-8"))))
        sources.append((name, reader, groups))
    vocabulary = sorted({w for _, rs, _ in sources for r in rs for w in r["title"].split()
                         if w.isalpha() and len(w) > 3})
    copy = 0
    while len(rows) < n:
        for name, reader, groups in sources:
            for r in reader:
                row = {k: r.get(k, "") for k in ("ID", "author", "year", "title", "journal",
                                                 "volume", "number", "pages", "doi", "abstract")}
                row["ID"] = f"{name}-{copy}-{r['ID']}"
                if copy:  # one word substitution per copy, so duplicates stay duplicates
                    row["title"] = " ".join(
                        swap(word, copy, vocabulary) for word in row["title"].split())
                    if row["year"].isdigit():
                        row["year"] = str(int(row["year"]) - 3 * copy)
                    if row["doi"]:
                        row["doi"] = f"{row['doi']}.v{copy}"
                rows.append(row)
            truth += [[f"{name}-{copy}-{u}" for u in g] for g in groups]
            if len(rows) >= n:
                break
        copy += 1
    rows = rows[:n]
    kept_ids = {row["ID"] for row in rows}
    truth = [[u for u in g if u in kept_ids] for g in truth]
    truth = [g for g in truth if len(g) > 1]
    rng.shuffle(rows)
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=list(rows[0]))
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue().encode("utf-8"), truth


def run(name: str, detail: bool = False) -> dict:
    args = [sys.executable, "-c", CHILD, name, str(ROOT)] + (["detail"] if detail else [])
    done = subprocess.run(args, check=True, capture_output=True, text=True, cwd=ROOT)
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--held-out", action="store_true",
                        help="also evaluate the held-out sets (report only; never tune on them)")
    parser.add_argument("--scale", type=int, default=0, help="add a synthetic set of N records")
    parser.add_argument("--sets", nargs="*", help="only these sets")
    parser.add_argument("--detail", action="store_true",
                        help="print false merges, missed groups and uncertain pairs (dev sets)")
    args = parser.parse_args()
    names = args.sets or (DEVELOPMENT + (HELD_OUT if args.held_out else []))
    if args.scale:
        names.append(f"scale:{args.scale}")
    header = (f"{'set':<20}{'records':>8}{'TP':>7}{'FN':>6}{'false merges':>13}{'sens':>7}"
              f"{'spec':>7}{'pairF1':>7}{'for a person':>13}{'sens*':>7}{'FP*':>4}"
              f"{'wall s':>7}{'dedupe s':>9}{'peak MB':>8}")
    print(header)
    print("(false merges: ASySD's FP, a study lost: a unique record removed or a true group with "
          "none kept; for a person: uncertain pairs left for a person, counted as missed in "
          "sens; sens*, FP*: after a person has checked them, simulated from the labels; wall "
          "s: reading plus deduplicating; peak MB includes reading)")
    development: list[dict] = []
    held_out: list[dict] = []
    for name in names:
        if args.detail and name in HELD_OUT:
            raise SystemExit("--detail is for development sets only")
        r = run(name, detail=args.detail)
        figures = {k: v for k, v in r.items()
                   if k not in ("false_merges", "missed", "uncertain_pairs")}
        figures["label"] = label(name)
        figures["synthetic"] = name.startswith("scale:")
        figures["wall_s"] = r["read_s"] + r["dedupe_s"]
        figures["person_limit"] = person_limit(r["records"])
        (held_out if name in HELD_OUT else development).append(figures)
        over = "" if r["uncertain"] <= figures["person_limit"] or figures["synthetic"] \
            else " (over the limit: 1% of the records, 10 on a set under 1,000)"
        print(f"{name:<20}{r['records']:>8}{r['TP']:>7}{r['FN']:>6}{r['FP']:>13}"
              f"{r['sensitivity']:>7.3f}{r['specificity']:>7.3f}{r['pair_f1']:>7.3f}"
              f"{r['uncertain']:>13}{r['sens_reviewed']:>7.3f}{r['FP_reviewed']:>4}"
              f"{figures['wall_s']:>7.1f}{r['dedupe_s']:>9.1f}{r['peak_mb']:>8.0f}{over}",
              flush=True)
        if args.detail:
            for key in ("false_merges", "missed", "uncertain_pairs"):
                for item in r.get(key, []):
                    print(f"    {key}: {item}")
    for kind, sets in (("development", development), ("held-out", held_out)):
        summary = pooled(sets)
        if summary:
            print(f"pooled over the {kind} sets: sensitivity {summary['sensitivity']:.4f} "
                  f"(pairs left for a person counted as missed), {summary['false_merges']} "
                  f"false merges, {summary['for_a_person']} pairs for a person")
    if development:
        record("dedup", {"wheel": WHEEL, "sets": development, "pooled": pooled(development)})
    if held_out:
        record("dedup-held-out", {"wheel": WHEEL, "sets": held_out, "pooled": pooled(held_out)})


def person_limit(records: int) -> int:
    """Pairs a person may be left at most: 1% of the records, 10 on a set under 1,000."""
    return max(10, records // 100)


def pooled(sets: list[dict]) -> dict | None:
    """Sensitivity over the labelled sets together (the synthetic set has no labels)."""
    real = [s for s in sets if not s.get("synthetic")]
    if not real:
        return None
    tp, fn = sum(s["TP"] for s in real), sum(s["FN"] for s in real)
    return {"sensitivity": tp / (tp + fn) if tp + fn else 1.0, "TP": tp, "FN": fn,
            "false_merges": sum(s["FP"] for s in real),
            "for_a_person": sum(s["uncertain"] for s in real)}


if __name__ == "__main__":
    main()
