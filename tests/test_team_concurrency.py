"""Two app server processes, one database, two reviewers voting at the same time:
`streamlit run app.py` twice on loopback ports (as behind a proxy), Ana on the first, Ben on
the second, each casting a vote on every record of the review on the Screen page, as fast as
the app answers.

Their decisions follow a rule on the record id shown, so what must come out is known: Ana
includes records with an even id, Ben those divisible by 3. Afterwards, through the services:
every record has exactly one vote from each, as decided, and a conflict exactly where the two
rules differ; the rest are decided as both voted. Once on one PostgreSQL database, once on one
SQLite file, and with two drivers:

- each reviewer's session held over the server's websocket (tests/streamlit_client.py: what
  the browser's frontend sends when the Include or Exclude button is pressed, without drawing
  the page), 1,000 votes each ($REVIEW_TEAM_VOTES);
- each reviewer in real Chromium, pressing the keyboard shortcuts (I include, E exclude),
  100 votes each ($REVIEW_TEAM_BROWSER_VOTES): Chromium drawing the page is most of a vote's
  cost on 2 cores, so 1,000 through browsers would be about 10 minutes per database."""

from __future__ import annotations

import asyncio
import os
import re
import statistics
import subprocess
import time
from collections.abc import Awaitable, Iterable
from pathlib import Path

import pytest
import sqlalchemy as sa

from benchmarks.screening import make_ris
from review.accounts import add_reviewer
from review.duplicates import run_dedupe
from review.importing import SourceInfo, import_files
from review.project import create_review
from review.screening.conflicts import conflicts
from review.store import Store
from review.store import schema as t
from tests.conftest import ON_POSTGRES
from tests.streamlit_client import AppSession, Run
from tests.streamlit_server import CHROMIUM_FLAGS, start_app

VOTES = int(os.environ.get("REVIEW_TEAM_VOTES", "1000"))
BROWSER_VOTES = int(os.environ.get("REVIEW_TEAM_BROWSER_VOTES", "100"))
PEOPLE = {"Ana": "ana-password", "Ben": "ben-password"}
RULES = {"Ana": lambda record: record % 2 == 0, "Ben": lambda record: record % 3 == 0}
TIMINGS: dict[str, float] = {}


def decision(name: str, record: int) -> str:
    return "include" if RULES[name](record) else "exclude"


def _review(db: str, tmp_path: Path, protocol_path: Path, records: int) -> None:
    store = create_review(protocol_path, db, actor="lead")
    export = tmp_path / "search.ris"
    make_ris(export, records)
    import_files(store, [export], SourceInfo("PsycINFO (EBSCO)", "database"), actor="lead")
    assert run_dedupe(store, actor="lead").groups == records
    add_reviewer(store, "Lee", role="lead", password="lee-password", actor="lead")
    for name, password in PEOPLE.items():
        add_reviewer(store, name, password=password, actor="lead")
    store.close()


# One cheap look at the page, polled while it is not settled: Playwright's text locators walk
# every text node of the page on each poll, which on 2 cores cost more than the app itself.
# Settled: no script run in progress and no stale element. The answer: {"record": id} for the
# record now shown (a new one, not `previous`), {"record": null} once the queue is empty; only
# after `saved` (a vote's confirmation) is on screen, when one is awaited.
_LOOK = """([saved, previous]) => {
  if (document.querySelector('[data-testid="stStatusWidget"]')
      || document.querySelector('[data-stale="true"]')) return false;
  const alerts = Array.from(document.querySelectorAll('[data-testid="stAlert"]'),
                            e => e.textContent);
  if (saved !== null && !alerts.some(t => t.includes(saved))) return false;
  if (alerts.some(t => t.includes('Nothing is waiting for you'))) return {record: null};
  for (const p of document.querySelectorAll('[data-testid="stMarkdownContainer"] p')) {
    const found = /Record:\\s*(\\d+)/.exec(p.textContent);
    if (found && Number(found[1]) !== previous) return {record: Number(found[1])};
  }
  return false;
}"""


async def _look(page, saved: str | None, previous: int | None,  # noqa: ANN001
                timeout: float) -> dict | None:
    """What _LOOK answers within `timeout` seconds, or None."""
    from playwright.async_api import TimeoutError as PlaywrightTimeout

    try:
        handle = await page.wait_for_function(_LOOK, arg=[saved, previous],
                                              timeout=timeout * 1000, polling=50)
    except PlaywrightTimeout:
        return None
    return await handle.json_value()


async def _showing(page) -> str:  # noqa: ANN001
    """What the page shows, for a failure's message: the status widget, stale elements, the
    alerts and the start of the text."""
    return str(await page.evaluate("""() => ({
      status: document.querySelector('[data-testid="stStatusWidget"]')?.textContent ?? null,
      stale: document.querySelectorAll('[data-stale="true"]').length,
      alerts: Array.from(document.querySelectorAll('[data-testid="stAlert"]'),
                         e => e.textContent),
      text: document.body.innerText.slice(0, 1500)})"""))


async def _vote(page, key: str, saved: str, record: int) -> int | None:  # noqa: ANN001
    """Press the shortcut until the vote's confirmation and the next record are on screen; the
    next record's id (None: the queue is empty). A key pressed while the page was still being
    replaced can go to a widget that is gone (nothing happens); pressing again is safe, as the
    same vote on the same record changes nothing, and the record is checked first."""
    for _ in range(5):
        await page.keyboard.press(key)
        shown = await _look(page, saved, record, timeout=15)
        if shown is not None:
            return shown["record"]
        if await _look(page, None, None, timeout=60) is None:
            raise AssertionError(f"the page did not settle after the vote on record {record}; "
                                 f"what it showed:\n{await _showing(page)}")
        shown = await _look(page, saved, record, timeout=0.5)
        if shown is not None:
            return shown["record"]
    raise AssertionError(f"the {key!r} key was not taken on record {record} after 5 tries")


async def _screen(browser, url: str, name: str) -> list[int]:  # noqa: ANN001
    """Sign in on this server and vote through the whole queue; the ids voted, in order."""
    from playwright.async_api import expect

    context = await browser.new_context(viewport={"width": 1400, "height": 1000})
    page = await context.new_page()
    dialogs: list[str] = []
    page.on("dialog", lambda d: dialogs.append(d.message))
    await page.goto(url)
    await expect(page.get_by_role("heading", name="Sign in")).to_be_visible(timeout=60_000)
    await page.get_by_role("textbox", name="Name").fill(name)
    await page.get_by_role("textbox", name="Password").fill(PEOPLE[name])
    await page.get_by_role("button", name="Sign in").click()
    await expect(page.get_by_text(f"Signed in as {name}")).to_be_visible(timeout=60_000)
    heading = page.get_by_role("heading", name="Screen: titles and abstracts")
    await expect(heading).to_be_visible(timeout=60_000)
    shown = await _look(page, None, None, timeout=120)
    assert shown is not None, f"{name}: no record on the Screen page within 120 s"
    record = shown["record"]
    await heading.click()  # focus on the page, not a text box, so a key is a shortcut
    voted: list[int] = []
    started = time.monotonic()
    while record is not None:
        choice = decision(name, record)
        voted.append(record)
        record = await _vote(page, "i" if choice == "include" else "e",
                             f"Vote saved: {choice} on record {record}.", record)
    TIMINGS[f"{name} voting"] = time.monotonic() - started
    await context.close()
    assert dialogs == []
    return voted


_RECORD = re.compile(r"\*\*Record:\*\*\s*(\d+)")
LATENCIES: list[float] = []


def _record_on(run: Run) -> int | None:
    """The id of the record the Screen page shows (None: the reviewer's queue is empty)."""
    if run.has_text("Nothing is waiting for you", "alert"):
        return None
    found = [int(m.group(1)) for text in run.texts("markdown") if (m := _RECORD.search(text))]
    if len(found) != 1:
        raise AssertionError(f"no record on the Screen page: {run.texts()[:12]}")
    return found[0]


async def _screen_over_websocket(url: str, name: str) -> list[int]:
    """Sign in on this server and vote through the whole queue; the ids voted, in order."""
    async with AppSession(url) as app:
        run = await app.start()
        assert run.has_text("Sign in", "heading"), run.texts()
        run = await app.click(run, "Sign in", values={("text_input", "Name"): name,
                                                      ("text_input", "Password"): PEOPLE[name]})
        assert run.has_text(f"Signed in as {name}", "text"), run.texts()
        assert run.has_text("Screen: titles and abstracts", "heading"), run.texts()
        voted: list[int] = []
        record = _record_on(run)
        while record is not None:
            choice = decision(name, record)
            started = time.monotonic()
            run = await app.click(run, "Include" if choice == "include" else "Exclude")
            LATENCIES.append(time.monotonic() - started)
            assert run.has_text(f"Vote saved: {choice} on record {record}.", "alert"), \
                run.texts()[:12]
            voted.append(record)
            record = _record_on(run)
        return voted


async def _both(chromium: str, urls: list[str]) -> list[list[int]]:
    from playwright.async_api import async_playwright

    async with async_playwright() as p:
        browser = await p.chromium.launch(executable_path=chromium, args=CHROMIUM_FLAGS)
        try:
            return list(await asyncio.gather(*(_screen(browser, url, name)
                                               for url, name in zip(urls, PEOPLE, strict=True))))
        finally:
            await browser.close()


@pytest.fixture(params=[ON_POSTGRES, "sqlite"])
def team_db(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return str(tmp_path / "team.db")
    return request.getfixturevalue("postgres").new_database()


def _servers(db: str, tmp_path: Path) -> list[tuple[subprocess.Popen, str]]:
    return [start_app(db, tmp_path / f"streamlit-{i}.log") for i in (1, 2)]


def _stop(servers: list[tuple[subprocess.Popen, str]]) -> None:
    for process, _ in servers:
        process.terminate()
    for process, _ in servers:
        process.wait(timeout=30)


def _kind(db: str) -> str:
    return "PostgreSQL" if "://" in db else "SQLite"


def test_two_app_processes_two_reviewers_voting_at_once(team_db: str, tmp_path: Path,
                                                        protocol_path: Path) -> None:
    _review(team_db, tmp_path, protocol_path, VOTES)
    LATENCIES.clear()
    servers = _servers(team_db, tmp_path)
    try:
        started = time.monotonic()
        voted = asyncio.run(_gather(_screen_over_websocket(url, name)
                                    for (_, url), name in zip(servers, PEOPLE, strict=True)))
        seconds = time.monotonic() - started
    finally:
        _stop(servers)
    p95 = statistics.quantiles(LATENCIES, n=20)[-1] if len(LATENCIES) > 1 else LATENCIES[0]
    print(f"\n{_kind(team_db)}: {2 * VOTES} votes through two app processes (websocket "
          f"sessions) in {seconds:.0f} s ({2 * VOTES / seconds:.1f} votes/s); a vote's page "
          f"run: median {1000 * statistics.median(LATENCIES):.0f} ms, 95th percentile "
          f"{1000 * p95:.0f} ms")
    _check(team_db, voted, VOTES)


def test_two_reviewers_voting_at_once_in_real_browsers(team_db: str, chromium: str,
                                                       tmp_path: Path,
                                                       protocol_path: Path) -> None:
    _review(team_db, tmp_path, protocol_path, BROWSER_VOTES)
    TIMINGS.clear()
    servers = _servers(team_db, tmp_path)
    try:
        started = time.monotonic()
        voted = asyncio.run(_both(chromium, [url for _, url in servers]))
        seconds = time.monotonic() - started
    except AssertionError:
        for i in (1, 2):  # the servers' own account of what went on
            log = (tmp_path / f"streamlit-{i}.log").read_text(errors="replace")
            print(f"--- app server {i}'s log (end) ---\n{log[-4000:]}")
        raise
    finally:
        _stop(servers)
    print(f"\n{_kind(team_db)}: {2 * BROWSER_VOTES} votes through two app processes in "
          f"Chromium in {seconds:.0f} s ({2 * BROWSER_VOTES / seconds:.1f} votes/s)")
    _check(team_db, voted, BROWSER_VOTES)


async def _gather(work: Iterable[Awaitable[list[int]]]) -> list[list[int]]:
    return list(await asyncio.gather(*work))


def _check(db: str, voted: list[list[int]], records: int) -> None:
    """Each saw every record once; every vote is in the database once, as decided; conflicts and
    decided records are exactly as the two rules say."""
    ids = list(range(1, records + 1))
    assert [sorted(v) for v in voted] == [ids, ids]  # each saw every record once

    store = Store.open(db)
    decisions, reviewers, state, groups = (t.decisions, t.reviewers,
                                           t.screening_state, t.duplicate_groups)
    with store.read() as conn:
        rows = conn.execute(sa.select(reviewers.c.name, groups.c.kept_record_id,
                                      decisions.c.decision, decisions.c.changes,
                                      decisions.c.origin)
                            .join(reviewers, reviewers.c.id == decisions.c.reviewer_id)
                            .join(groups, groups.c.id == decisions.c.group_id)).all()
        states = {r.kept_record_id: (r.state, r.outcome) for r in conn.execute(
            sa.select(groups.c.kept_record_id, state.c.state, state.c.outcome)
            .join(groups, groups.c.id == state.c.group_id)
            .where(state.c.stage == "title_abstract"))}
    assert len(rows) == 2 * records  # nothing lost, nothing doubled
    assert {(r.name, r.kept_record_id) for r in rows} == {(n, i) for n in PEOPLE for i in ids}
    assert all(r.decision == decision(r.name, r.kept_record_id) for r in rows)
    assert all(r.changes == 0 and r.origin == "ui" for r in rows)
    expected_conflicts = {i for i in ids if RULES["Ana"](i) != RULES["Ben"](i)}
    assert {c.record_id for c in conflicts(store, "Lee")} == expected_conflicts
    for i in ids:
        if i in expected_conflicts:
            assert states[i] == ("conflict", None), i
        else:
            assert states[i] == ("decided", decision("Ana", i)), i
    store.close()
