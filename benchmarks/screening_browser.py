"""Screening speed as a reviewer feels it: from the key press of a vote to the next record's
title on screen, in headless Chromium against `streamlit run app.py`, in a review of 50,000
records (targets: median at most 100 ms, max under 200 ms), and the server's own run of the
page for each vote (target: median at most 40 ms).

The review is the one benchmarks/screening.py builds and caches under .bench/ (a synthetic RIS
export of distinct works, imported and deduplicated, reviewers Ana and Ben); each run screens a
fresh copy of it, with a password given to Ana. The browser is Debian's Chromium driven by
Playwright, with the flags of the browser tests.

What is timed, in the page itself (performance.now(), so Playwright's own polling adds
nothing): a keydown listener notes the time of the key press; a MutationObserver sees the
record's title (the level-3 heading in the Screen page's record container) change to another
title, and the time of the next animation frame after that (the frame that paints it) is the
latency. The server's run time of each vote comes from the app itself: with
$REVIEW_TIMING_LOG set, review/ui/timing.py appends each run's milliseconds, from the start of
the vote's callback (saving the vote) to the end of the run of the voting area, and the
processor time the script thread spent in it (a loaded machine inflates the wall-clock figure
far more than this one).

The first --warm-up votes are left out of the figures (the first runs import and compile).
The decisions alternate at random between include and exclude (I and E), as a reviewer's would.

Run: .venv/bin/python benchmarks/screening_browser.py [--records 50000] [--votes 100]
     [--quick]   (--quick: 2,000 records and 40 votes, a smoke run of a minute or so)
"""

from __future__ import annotations

import argparse
import random
import shutil
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

CACHE = ROOT / ".bench"
PASSWORD = "ana-benchmark-password"
TARGETS = {"key_to_title_median_ms": 100, "key_to_title_max_ms": 200, "page_run_median_ms": 40}

# Installed once the first record is on screen: times each key press to the next title painted.
_WATCH = """() => {
  const title = () => {
    const h = document.querySelector('.st-key-screen-record h3');
    return h ? h.textContent : null;
  };
  window.__latencies = [];
  window.__first = [];
  window.__pressed = null;
  let last = title();
  document.addEventListener('keydown', () => { window.__pressed = performance.now(); }, true);
  new MutationObserver(() => {
    if (window.__pressed === null) return;
    const now = title();
    if (now === null || now === last) return;
    const pressed = window.__pressed;
    window.__pressed = null;
    last = now;
    window.__first.push((window.__firstMessage || performance.now()) - pressed);
    window.__firstMessage = null;
    requestAnimationFrame(() => window.__latencies.push(performance.now() - pressed));
  }).observe(document.body, {subtree: true, childList: true, characterData: true});
}"""


# Before the app's own scripts: note when the first websocket message after a key press comes
# in (the server's answer starting), to split the latency into server and browser.
_MESSAGES = """(() => {
  const Native = window.WebSocket;
  window.WebSocket = function (...args) {
    const socket = new Native(...args);
    socket.addEventListener('message', () => {
      if (window.__pressed != null && window.__firstMessage == null)
        window.__firstMessage = performance.now();
    });
    return socket;
  };
  window.WebSocket.prototype = Native.prototype;
  Object.assign(window.WebSocket, Native);
})();"""


# The page has finished its run: no status widget ("Running...") and nothing stale. A key
# pressed before that can go to a widget that is about to be replaced and be lost.
_SETTLED = ("() => !document.querySelector('[data-testid=\"stStatusWidget\"]')"
            " && !document.querySelector('[data-stale=\"true\"]')")


def cached_review(records: int) -> Path:
    """The review benchmarks/screening.py builds, built here (in its own process) if missing."""
    db = CACHE / f"screening-{records}.db"
    if not db.exists():
        print(f"building {db.relative_to(ROOT)} ({records:,} records)...", flush=True)
        subprocess.run([sys.executable, str(ROOT / "benchmarks" / "screening.py"),
                        "--records", str(records), "--step", "build"], check=True,
                       stdout=subprocess.DEVNULL)
    return db


def _percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[max(0, int(len(ordered) * share + 0.5) - 1)]


def summary(values: list[float]) -> dict[str, float]:
    return {"median_ms": round(statistics.median(values), 1),
            "p95_ms": round(_percentile(values, 0.95), 1),
            "max_ms": round(max(values), 1), "n": len(values)}


def measure(db: Path, votes: int, warm_up: int, seed: int = 5) -> dict[str, object]:
    """Copy the cached review, start the app on it, and vote `votes` times by keyboard."""
    from playwright.sync_api import expect, sync_playwright

    from review.accounts import set_password
    from review.store import Store
    from tests.streamlit_server import CHROMIUM_FLAGS, chromium_path, sign_in, start_app

    chromium = chromium_path()
    if chromium is None:
        sys.exit("Chromium not found: apt-get install chromium (or set $REVIEW_CHROMIUM)")
    rng = random.Random(seed)
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp) / "review.db"
        shutil.copyfile(db, work)
        store = Store.open(work)
        set_password(store, "Ana", PASSWORD, actor="bench")
        with store.read() as conn:
            total = conn.exec_driver_sql("SELECT count(*) FROM records").scalar()
        store.close()
        timing_log = Path(tmp) / "timing.log"
        process, url = start_app(work, Path(tmp) / "streamlit.log",
                                 env={"REVIEW_TIMING_LOG": str(timing_log)})
        try:
            with sync_playwright() as p:
                browser = p.chromium.launch(executable_path=chromium, args=CHROMIUM_FLAGS)
                context = browser.new_context(viewport={"width": 1400, "height": 1000})
                context.add_init_script(_MESSAGES)
                page = context.new_page()
                page.goto(url)
                sign_in(page, "Ana", PASSWORD, timeout=120_000)
                heading = page.get_by_role("heading", name="Screen: titles and abstracts")
                expect(heading).to_be_visible(timeout=120_000)
                expect(page.locator(".st-key-screen-record h3")).to_be_visible(
                    timeout=120_000)
                page.evaluate(_WATCH)
                heading.click()  # focus the page, not a text box, so a key is a shortcut
                timing_log.write_text("", encoding="utf-8")  # the runs before voting are not
                started = time.monotonic()
                for n in range(votes):
                    page.wait_for_function(_SETTLED, timeout=60_000, polling=10)
                    page.keyboard.press(rng.choice(("i", "e")))
                    page.wait_for_function(f"() => window.__latencies.length > {n}",
                                           timeout=60_000, polling=10)
                elapsed = time.monotonic() - started
                latencies = page.evaluate("() => window.__latencies")
                first_answer = page.evaluate("() => window.__first")
                browser.close()
        finally:
            process.terminate()
            process.wait(timeout=30)
        logged = [line.split() for line in timing_log.read_text(encoding="utf-8").splitlines()
                  if line.startswith("screen ")]
        runs = [float(fields[1]) for fields in logged]
        cpu = [float(fields[2]) for fields in logged]
    if len(latencies) != votes:
        raise SystemExit(f"{len(latencies)} titles changed for {votes} key presses")
    return {"records": total, "votes": votes, "warm_up": warm_up,
            "seconds": round(elapsed, 1),
            "key_to_title": summary(latencies[warm_up:]),
            "key_to_first_answer": summary(first_answer[warm_up:]),
            "page_run": summary(runs[warm_up:]) if len(runs) > warm_up else None,
            "page_run_cpu": summary(cpu[warm_up:]) if len(cpu) > warm_up else None,
            "page_runs_logged": len(runs)}


def report(result: dict[str, object]) -> None:
    key, run = result["key_to_title"], result["page_run"]
    print(f"{result['records']:,} records, {result['votes']} votes by keyboard "
          f"({result['warm_up']} warm-up left out), {result['seconds']} s")
    print(f"key press -> next title on screen: median {key['median_ms']} ms, p95 "  # type: ignore[index]
          f"{key['p95_ms']} ms, max {key['max_ms']} ms (targets: median <= "  # type: ignore[index]
          f"{TARGETS['key_to_title_median_ms']}, max < {TARGETS['key_to_title_max_ms']})")
    first = result["key_to_first_answer"]
    print(f"key press -> the server's first answer: median {first['median_ms']} ms, p95 "  # type: ignore[index]
          f"{first['p95_ms']} ms (the rest is the browser drawing the page)")
    if run:
        print(f"page run on the server: median {run['median_ms']} ms, p95 "  # type: ignore[index]
              f"{run['p95_ms']} ms, max {run['max_ms']} ms (target: median <= "  # type: ignore[index]
              f"{TARGETS['page_run_median_ms']})")
        cpu = result["page_run_cpu"]
        print(f"  of which processor time of the script thread: median "  # type: ignore[index]
              f"{cpu['median_ms']} ms, p95 {cpu['p95_ms']} ms", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--records", type=int, nargs="+", default=[50_000],
                        help="Review sizes to time (each its own cached review).")
    parser.add_argument("--votes", type=int, default=100)
    parser.add_argument("--warm-up", type=int, default=5)
    parser.add_argument("--quick", action="store_true",
                        help="2,000 records and 40 votes: a quick check, not the figure.")
    args = parser.parse_args()
    sizes, votes = ([2_000], 40) if args.quick else (args.records, args.votes)
    runs = []
    for size in sizes:
        result = measure(cached_review(size), votes, args.warm_up)
        report(result)
        runs.append(result)
    record("screening_browser-quick" if args.quick else "screening_browser",
           {"targets": TARGETS, "chromium": "headless, flags of tests/streamlit_server.py",
            "load_note": "2 cores shared with other work: see machine.load_at_start",
            "runs": runs})


if __name__ == "__main__":
    main()
