"""The README's figure tables, rendered as Markdown from benchmarks/results/NAME.json, so every
figure a reader sees was measured and says when, where and by which command.

README.md calls these from cog blocks; `make readme` regenerates them (`cog -r`) and
`make test` checks that they are in sync (`cog --check`). A benchmark that has not written its
JSON yet renders a line saying so, never a stale or invented figure.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from benchmarks.results import RESULTS

Result = dict[str, Any]


def load(name: str, results: Path = RESULTS) -> Result | None:
    """One benchmark's recorded figures, or None when it has not been run."""
    path = results / f"{name}.json"
    if not path.exists():
        return None
    return json.loads(path.read_text(encoding="utf-8"))


def not_run(name: str, command: str) -> str:
    return (f"*Not measured yet: `python benchmarks/{command}` writes "
            f"`benchmarks/results/{name}.json`, then `make readme` fills this in.*")


def measured(result: Result) -> str:
    """When, on what and by which command: the line under every generated table."""
    m = result.get("machine", {})
    system = str(m.get("system", "")).split(" ")[0] or "an unknown system"
    parts = [f"{m['cpus']} cores" if m.get("cpus") else None,
             f"({m['cpu']})" if m.get("cpu") else None]
    cores = " ".join(p for p in parts if p)
    memory = f", {m['memory_gib']} GiB" if m.get("memory_gib") else ""
    load_avg = m.get("load_at_start")
    busy = f", load {load_avg[0]:.1f} when it started" if load_avg else ""
    return (f"Measured {result['date']} on {system}{', ' + cores if cores else ''}{memory}, "
            f"Python {m.get('python', '?')}{busy}, with "
            f"`python benchmarks/{result['command']}`.")


def table(header: list[str], rows: list[list[str]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return "\n".join(lines)


def block(*paragraphs: str) -> str:
    """Paragraphs as cog's output: blank lines around, so Markdown sees the table apart from
    the cog markers (HTML comments) beside it."""
    return "\n" + "\n\n".join(p.strip("\n") for p in paragraphs if p) + "\n\n"


def _rendered(name: str, command: str, results: Path,
              render: Callable[[Result], list[str]]) -> str:
    result = load(name, results)
    if result is None:
        return block(not_run(name, command))
    return block(*render(result), measured(result))


# --- import ---------------------------------------------------------------------------------


def import_table(results: Path = RESULTS) -> str:
    """Reading and importing an RIS export: benchmarks/import.py."""
    def render(result: Result) -> list[str]:
        f = result["figures"]
        rows = [[step["step"], f"{step['records_per_s']:,.0f}", f"{step['seconds']:.1f}",
                 f"{step['peak_mb']:,.0f} MB"] for step in f["steps"]]
        ratios = f["ratios"]
        sentence = (f"On a {f['file_mb']:.0f} MB export of {f['records']:,} records "
                    f"({f['runs']} runs each), our reader takes {ratios['read_time']:.1f} times "
                    f"as long as plain `rispy.load` and {ratios['read_memory']:.1f} times its "
                    f"peak memory.")
        return [table(["step", "records/s", "seconds", "peak memory"], rows), sentence]
    return _rendered("import", "import.py", results, render)


# --- dedupe ---------------------------------------------------------------------------------


def _share(part: float, whole: float) -> str:
    if not whole:
        return "0%"
    share = 100 * part / whole
    return "0%" if share == 0 else f"{share:.2f}%"


def dedup_table(results: Path = RESULTS) -> str:
    """Duplicate detection on the labelled development sets and the synthetic set."""
    def render(result: Result) -> list[str]:
        rows = []
        for s in result["figures"]["sets"]:
            seconds = f"{s['read_s'] + s['dedupe_s']:.1f}"
            peak = f"{s['peak_mb']:,.0f}"
            if s.get("synthetic"):
                rows.append([s["label"], f"{s['records']:,}", *["–"] * 6, seconds, peak])
                continue
            rows.append([s["label"], f"{s['records']:,}", f"{s['sensitivity']:.3f}",
                         f"{s['specificity']:.3f}", f"{s['precision']:.3f}",
                         f"{s['pair_f1']:.3f}", str(s["FP"]),
                         f"{s['uncertain']} ({_share(s['uncertain'], s['records'])})",
                         seconds, peak])
        header = ["Set", "Records", "Sensitivity", "Specificity", "Precision", "Pairwise F1",
                  "False merges", "Pairs for a person (% of records)", "Time (s)", "Peak MB"]
        pooled = result["figures"].get("pooled")
        summary = (f"Pooled over these labelled sets: sensitivity {pooled['sensitivity']:.4f} "
                   f"(pairs left for a person counted as missed), {pooled['false_merges']} "
                   f"false merges, {pooled['for_a_person']} pairs for a person."
                   if pooled else "")
        return [table(header, rows), summary]
    return _rendered("dedup", "dedup.py --scale 80000", results, render)


def dedup_held_out(results: Path = RESULTS) -> str:
    """The held-out sets in one sentence: reported, never tuned on."""
    def render(result: Result) -> list[str]:
        sets = ", ".join(f"{s['label']} {s['sensitivity']:.3f} / {s['FP']} / "
                         f"{_share(s['uncertain'], s['records'])}"
                         for s in result["figures"]["sets"])
        return [f"Held-out sets (sensitivity / false merges / uncertain pairs as % of "
                f"records): {sets}."]
    return _rendered("dedup-held-out", "dedup.py --held-out", results, render)


# --- prioritised screening ------------------------------------------------------------------


def ranking_table(results: Path = RESULTS) -> str:
    """The default model against each single model, ASReview (when run) and random order, per
    development set and on average, with both stopping rules."""
    def render(result: Result) -> list[str]:
        f = result["figures"]
        if not f.get("sets"):
            return ["*Only the speed part was run (`--speed-only`): no set was screened.*"]
        ours, version = f["default_model"], f.get("asreview")
        methods = [ours] + [m for m in f["sets"][0]["summaries"]
                            if m not in (ours, "random", "asreview")]
        methods += [m for m in ("asreview", "random") if m in f["sets"][0]["summaries"]]
        header = ["set", "WSS@95 " + " / ".join(_method_name(m) for m in methods),
                  f"recall@10% {ours}", f"records to 95% / 100% ({ours})",
                  f"buscar (bias {f.get('stopping_bias', 1):g}) stop: recall, work saved",
                  "buscar bias 1: recall, work saved", "target method: recall, work saved"]
        rows = []
        for s in f["sets"]:
            rows.append(_ranking_row(s["set"], s["summaries"], methods, ours))
        if len(f["sets"]) > 1 and f.get("average"):
            rows.append(_ranking_row("**mean**", f["average"], methods, ours))
        retrain = f.get("retrain_every", 1)
        schedule = ("record" if retrain == 1 else "1% of the labels (a lagging background "
                    "retraining)" if retrain == "1%" else f"{retrain} records")
        intro = (f"The default model ({ours}), each single model, "
                 + (f"ASReview {version.split()[-1]} (`asreview simulate`, its default model, "
                    "the same random start) " if version else "")
                 + f"and random order, {f['seeds']} seeds, retrained after every {schedule}"
                 + ("; the final includes are the reviewer's answers" if f.get("labels") ==
                    "final" else "; the title/abstract decisions are the reviewer's answers "
                    "where a set has them" if f.get("labels") == "screening" else "") + ":")
        return [intro, table(header, rows), _ranking_summary(f, methods)]
    return _rendered("ranking", "ranking.py", results, render)


# variant: (what it is, kept or not and why); the figures come from the results file
VARIANT_ROWS = {
    "svm": ("the SVM (the default)", "–"),
    "nb": ("naive Bayes", "no"),
    "lr": ("logistic regression", "no"),
    "score_fusion_svm_nb": ("SVM and naive Bayes, standardised scores averaged", "no"),
    "rank_fusion_svm_nb": ("SVM and naive Bayes, ranks averaged (rank fusion)", "no"),
    "svm_c0.3": ("SVM, C 0.3 (default 0.11)", "no"),
    "svm_c0.04": ("SVM, C 0.04", "no: within the seeds' noise"),
    "svm_ratio3": ("SVM, includes weighing 3 times the excludes (default 9.8)", "no"),
    "svm_ratio30": ("SVM, includes weighing 30 times the excludes",
                    "no: within the seeds' noise"),
    "svm_pseudo300": ("300 pseudo-excludes (default 100)", "no"),
    "svm_stop_words": ("English stop words removed", "no"),
    "svm_title_until_include": ("the set's title as the query until the first include, no "
                                "random start (the cold start)",
                                "**yes**: a short, fixed start instead of a random one "
                                "(see below)"),
    "svm_title_always": ("the set's title kept as an include throughout",
                         "no: no better on average, down on nagtegaal_2019"),
    "plain_lr": ("plain logistic regression: scikit-learn's defaults on single-word TF-IDF, "
                 "balanced classes, no pseudo-excludes", "–"),
    "plain_svm": ("plain linear SVM, likewise", "–"),
}


def ranking_variants_table(results: Path = RESULTS) -> str:
    """Each variant of the ranking model against the default: benchmarks/ranking_variants.py."""
    def render(result: Result) -> list[str]:
        f = result["figures"]
        names = f["sets"]
        base = f["variants"].get("svm")
        rows = []
        for variant, figures in f["variants"].items():
            label, kept = VARIANT_ROWS.get(variant, (variant, ""))
            per_set = " / ".join(f"{figures['sets'][n]['wss95']:.3f}" for n in names)
            change = worst = "–"
            if base is not None and variant != "svm":
                change = f"{figures['mean_wss95'] - base['mean_wss95']:+.3f}"
                gaps = [figures["sets"][n]["wss95"] - base["sets"][n]["wss95"] for n in names]
                worst = f"{min(gaps):+.3f}"
            recall = " / ".join(f"{figures['sets'][n]['recall_at_10']:.2f}" for n in names)
            first = " / ".join(f"{figures['sets'][n]['first_include']:.0f}"
                               if "first_include" in figures["sets"][n] else "?" for n in names)
            rows.append([label, f"{figures['mean_wss95']:.3f}", change, worst, per_set, recall,
                         first, kept])
        header = ["variant", "mean WSS@95", "against the SVM", "worst set against the SVM",
                  "WSS@95 per set (" + " / ".join(names) + ")", "recall@10% per set",
                  "records to the first include, per set", "kept"]
        intro = (f"Each variant differs from the default in one thing; {f['seeds']} seeds, "
                 "retrained after every record (as `review simulate` does), the final includes "
                 "as the reviewer's answers, the same random start for every variant but "
                 "those with a query (which have none):")
        return [intro, table(header, rows)]
    return _rendered("ranking_variants", "ranking_variants.py", results, render)


def _method_name(method: str) -> str:
    return "ASReview" if method == "asreview" else method


def _ranking_row(name: str, m: Result, methods: list[str], ours: str) -> list[str]:
    wss = " / ".join(f"{m[x]['wss95']:.3f}" if x in m else "not run" for x in methods)
    o = m[ours]
    target = (f"{o['target_recall_at_stop']:.3f}, {o['target_work_saved']:.0%}"
              if "target_work_saved" in o else "not run")
    plain = (f"{o['buscar1_recall_at_stop']:.3f}, {o['buscar1_work_saved']:.0%}"
             if "buscar1_work_saved" in o else "not run")
    return [name, wss, f"{o['recall_at_10']:.3f}",
            f"{o['records_to_95']:.0f} / {o['records_to_100']:.0f}",
            f"{o['recall_at_stop']:.3f}, {o['work_saved_at_stop']:.0%}", plain, target]


def _ranking_summary(f: Result, methods: list[str]) -> str:
    ours = f["default_model"]
    target = f.get("recall_target", 0.95)
    sentences = []
    singles = [m for m in methods
               if m not in (ours, "random", "asreview", f.get("cold_start"))]
    if singles:
        gaps = [s["summaries"][ours]["wss95"] - max(s["summaries"][m]["wss95"] for m in singles)
                for s in f["sets"]]
        within = sum(1 for g in gaps if round(g, 3) >= -0.02)
        sentences.append(f"WSS@95 of the default model against the best single model of each "
                         f"set: at most 0.02 below on {within} of {len(gaps)} sets (gaps "
                         f"{min(gaps):+.3f} to {max(gaps):+.3f}).")
    compared = [s for s in f["sets"] if "asreview" in s["summaries"]]
    if compared:
        def diff(s: Result) -> float:
            return s["summaries"][ours]["wss95"] - s["summaries"]["asreview"]["wss95"]
        better = sum(1 for s in compared if round(diff(s), 3) > 0)
        equal = sum(1 for s in compared if round(diff(s), 3) == 0)
        worse = len(compared) - better - equal
        sentences.append(f"WSS@95 of our default model against ASReview's: higher on {better}, "
                         f"equal (to three decimals) on {equal}, lower on {worse} of "
                         f"{len(compared)} sets.")
    recalls = [r for s in f["sets"] for r in s["stop_recalls"][ours]]
    reached = sum(1 for r in recalls if r >= target - 1e-12)
    early = sum(round(s["summaries"][ours]["stopped_early"] * s["seeds"]) for s in f["sets"])
    sentences.append(f"The buscar stopping rule (bias {f.get('stopping_bias', 1):g}) reached "
                     f"{target:.0%} recall in {reached} of {len(recalls)} runs and stopped "
                     f"before the end in {early} of them.")
    speed = f.get("speed")
    if speed:
        retrain = [v for k, v in speed.items() if k.startswith(f"{ours}_retrain_seconds_")]
        sentences.append(
            f"Retraining the default model (fit and scoring) at {speed['records']:,} records, "
            f"10% to 90% of them labelled: {min(retrain):.1f}-{max(retrain):.1f} s (target: "
            f"under 2 s); building the TF-IDF features there "
            f"takes {speed['feature_seconds']:.1f} s, once, and they are kept between "
            f"retrainings while the records do not change.")
    sets = f.get("sets_measured")
    if sets:
        sentences.append(f"The sets were screened on {sets['date']} with "
                         f"`python benchmarks/{sets['command']}`; the speed was measured "
                         f"again afterwards, as below.")
    return " ".join(sentences)


# --- screening speed ------------------------------------------------------------------------


def screening_table(results: Path = RESULTS) -> str:
    """Vote to next record at 50,000 records: benchmarks/screening.py."""
    def render(result: Result) -> list[str]:
        f = result["figures"]
        rows = []
        for run in f["runs"]:
            times = " / ".join(f"{run[k]:,.0f} ms" for k in ("median_ms", "p95_ms", "max_ms"))
            if run["prevoted"]:
                label = (f"the same after {run['prevoted']:,} votes each "
                         f"(`--prevoted {run['prevoted']}`)")
            else:
                label = "vote → next record ready, median / p95 / max"
            rows.append([label, times])
        b = f["build"]
        total = sum(v for k, v in b.items() if k.endswith("_s"))
        rows.append([f"building the review (import {b['import_s']:.0f} s, dedupe "
                     f"{b['dedupe_s']:.0f} s)", f"{total:.0f} s, peak {b['peak_mb']:,.0f} MB"])
        first = f["runs"][0]
        rows.append(["dedupe's screening sync over every group / a whole idempotent dedupe run",
                     f"{first['sync_screening_s']:.1f} s / {first['rerun_dedupe_s']:.0f} s"])
        rows.append(["peak memory while screening", f"{first['peak_mb_screening']:,} MB"])
        target = f["target_median_ms"]
        verdicts = [("met" if run["median_ms"] < target else "NOT met")
                    + f" ({run['median_ms']:,.0f} ms) "
                    + (f"after {run['prevoted']:,} votes each" if run["prevoted"]
                       else "from the start") for run in f["runs"]]
        verdict = (f"{f['records']:,} records, {f['votes']} timed votes per run. Target, a "
                   f"median under {target} ms: " + "; ".join(verdicts) + ".")
        if b.get("date", "")[:10] != result["date"][:10]:
            verdict += f" The cached review was built {b.get('date', 'at an unrecorded time')}."
        return [table(["figure", "value"], rows), verdict]
    return _rendered("screening", "screening.py --rebuild --prevoted 0 25000", results, render)


def filters_table(results: Path = RESULTS) -> str:
    """Records page filters, bulk actions and reference export at 50,000 records:
    benchmarks/filters.py."""
    def render(result: Result) -> list[str]:
        f = result["figures"]
        rows = [[f"filter: {name}", f"{row['matching']:,}",
                 f"{row['median_ms']:,.0f} ms / {row['max_ms']:,.0f} ms"]
                for name, row in f["filters"].items()]
        e, lab, ex = f["export_ris"], f["bulk_label"], f["bulk_exclude"]
        rows.append([f"RIS export ({e['filter']})", f"{e['works']:,}", f"{e['ms']:,} ms"])
        rows.append(["bulk labelling (the same set)", f"{lab['works']:,}", f"{lab['ms']:,} ms"])
        rows.append([f"lead's bulk exclusion by the year rule ({ex['filter']}): check / "
                     f"exclude ({ex['left_out_voted']:,} left out, voted on)",
                     f"{ex['excluded']:,} of {ex['selected']:,}",
                     f"{ex['dry_run_ms']:,} ms / {ex['ms']:,} ms"])
        worst = max(row["median_ms"] for row in f["filters"].values())
        target = f["target_page_ms"]
        verdict = (f"{f['groups']:,} works, {f['prevoted']:,} votes by each of two reviewers, "
                   f"a label on every tenth work; each filter {f['repeat']} times as the "
                   f"Records page runs it (the count and a page of {f['page_rows']} rows). "
                   f"Target, every filter's median under {target} ms: "
                   + ("met" if worst < target else "NOT met") + f" (slowest {worst:,.0f} ms).")
        return [table(["what", "works", "median / max"], rows), verdict]
    return _rendered("filters", "filters.py", results, render)
def screening_browser_table(results: Path = RESULTS) -> str:
    """Key press to the next title in headless Chromium: benchmarks/screening_browser.py."""
    def render(result: Result) -> list[str]:
        f = result["figures"]
        targets = f["targets"]

        def times(figures: Result | None) -> str:
            if not figures:
                return "–"
            return " / ".join(f"{figures[k]:,.0f} ms" for k in ("median_ms", "p95_ms", "max_ms"))

        rows, verdicts = [], []
        for run in f["runs"]:
            key, page = run["key_to_title"], run.get("page_run")
            cpu = run.get("page_run_cpu")
            rows.append([f"{run['records']:,}", str(run["votes"] - run["warm_up"]), times(key),
                         times(page), f"{cpu['median_ms']:,.0f} ms" if cpu else "–"])
            met = (key["median_ms"] <= targets["key_to_title_median_ms"]
                   and key["max_ms"] < targets["key_to_title_max_ms"]
                   and page is not None
                   and page["median_ms"] <= targets["page_run_median_ms"])
            verdicts.append(f"{'met' if met else 'NOT met'} at {run['records']:,} records")
        header = ["records", "timed votes", "key press → next title, median / p95 / max",
                  "page run, median / p95 / max", "page run, CPU median"]
        verdict = (f"Targets: key press to the next title at most "
                   f"{targets['key_to_title_median_ms']} ms at the median and under "
                   f"{targets['key_to_title_max_ms']} ms at most, the page run at most "
                   f"{targets['page_run_median_ms']} ms at the median: "
                   + "; ".join(verdicts) + ". Wall-clock figures grow with the machine's load "
                   "(below); the CPU figure much less.")
        return [table(header, rows), verdict]
    return _rendered("screening_browser", "screening_browser.py --records 2000 50000",
                     results, render)


# --- a team on one database -----------------------------------------------------------------


def team_table(results: Path = RESULTS) -> str:
    """Reviewer processes voting at once through the services, on SQLite and PostgreSQL."""
    rows, lines = [], []
    for name, command in (("team-sqlite", "team.py"),
                          ("team-postgresql", "team.py --db postgresql://...")):
        result = load(name, results)
        if result is None:
            lines.append(not_run(name, command))
            continue
        f = result["figures"]
        rows.append([f["database"], str(f["reviewers"]), f"{f['records']:,}", f"{f['votes']:,}",
                     f"{f['votes_per_s']:.0f}", f"{f['p50_ms']:,.0f} ms", f"{f['p95_ms']:,.0f} ms",
                     f"{f['max_ms']:,.0f} ms"])
        lines.append(f"{f['database']}: {measured(result)}")
    header = ["database", "reviewers", "records", "votes", "votes/s (team)", "vote p50",
              "vote p95", "vote max"]
    return block(table(header, rows) if rows else "", *lines)


# --- many reviews on one server -------------------------------------------------------------


def reviews_table(results: Path = RESULTS) -> str:
    """A review among many in one PostgreSQL database against it alone: benchmarks/reviews.py."""
    def render(result: Result) -> list[str]:
        f = result["figures"]
        rows = []
        for what, label in (("queue_read", "queue read (`next_item`)"),
                            ("vote", "vote (`cast_vote`, committed)")):
            for stat in ("median", "p95"):
                rows.append([f"{label}, {stat}", f"{f['shared'][what][f'{stat}_ms']:,.1f} ms",
                             f"{f['alone'][what][f'{stat}_ms']:,.1f} ms",
                             f"{f['ratio'][f'{what}_{stat}']:.2f}×"])
        header = [f"review {f['review_timed']}", f"among {f['reviews']} reviews", "alone",
                  "ratio"]
        verdict = (f"{f['reviews']} reviews of {f['records']:,} records each in one PostgreSQL "
                   f"database, against the same review alone in a database of its own; "
                   f"{f['votes']} timed turns in each, the two databases timed in alternation. "
                   f"Goal, every ratio within {f['target_ratio']}×: "
                   f"{'met' if f['met'] else 'NOT met'}.")
        return [table(header, rows), verdict]
    return _rendered("reviews", "reviews.py", results, render)
