"""Two app server processes, one database, two reviewers voting at the same time in real
browsers: `streamlit run app.py` twice on loopback ports (as behind a proxy), Ana in Chromium on
the first, Ben on the second, each casting a vote on every record of the review with the
keyboard shortcuts (I include, E exclude) on the Screen page, as fast as the app answers.

Their decisions follow a rule on the record id shown, so what must come out is known: Ana
includes records with an even id, Ben those divisible by 3. Afterwards, through the services:
every record has exactly one vote from each, as decided, and a conflict exactly where the two
rules differ; the rest are decided as both voted. Once on one PostgreSQL database, once on one
SQLite file.

$REVIEW_TEAM_VOTES sets the number of records, so the votes each reviewer casts (default 200,
to keep the suite short: through a browser each vote is a page run, about 1.8 votes a second
for the two together on the 2-core CI machine; REVIEW_TEAM_VOTES=1000, the issue's figure,
took 19 minutes on SQLite there)."""

from __future__ import annotations

import asyncio
import os
import re
import time
from pathlib import Path

import pytest
import sqlalchemy as sa

from benchmarks.screening import make_ris
from review.accounts import add_reviewer
from review.duplicates import run_dedupe
from review.importing import SourceInfo, import_files
from review.project import create_review
from review.screening import conflicts
from review.store import Store
from tests.conftest import missing
from tests.streamlit_server import CHROMIUM_FLAGS, chromium_path, start_app

pytestmark = pytest.mark.browser

VOTES = int(os.environ.get("REVIEW_TEAM_VOTES", "200"))
PEOPLE = {"Ana": "ana-password", "Ben": "ben-password"}
RULES = {"Ana": lambda record: record % 2 == 0, "Ben": lambda record: record % 3 == 0}
_RECORD = re.compile(r"Record:\s*(\d+)")
TIMINGS: dict[str, float] = {}


def decision(name: str, record: int) -> str:
    return "include" if RULES[name](record) else "exclude"


def _review(db: str, tmp_path: Path, protocol_path: Path) -> None:
    store = create_review(protocol_path, db, actor="lead")
    export = tmp_path / "search.ris"
    make_ris(export, VOTES)
    import_files(store, [export], SourceInfo("PsycINFO (EBSCO)", "database"), actor="lead")
    assert run_dedupe(store, actor="lead").groups == VOTES
    add_reviewer(store, "Lee", role="lead", password="lee-password", actor="lead")
    for name, password in PEOPLE.items():
        add_reviewer(store, name, password=password, actor="lead")
    store.close()


_SETTLED = """() => !document.querySelector('[data-testid="stStatusWidget"]')
    && document.querySelectorAll('[data-stale="true"]').length === 0"""


async def _record_shown(page, previous: int | None) -> int | None:  # noqa: ANN001
    """The id of the record now on screen (None: the queue is empty), once the run is over."""
    from playwright.async_api import TimeoutError as PlaywrightTimeout

    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        try:
            await page.wait_for_function(_SETTLED, timeout=30_000, polling=50)
        except PlaywrightTimeout:
            continue
        if await page.get_by_text("Nothing is waiting for you").count():
            return None
        facts = page.locator("p", has_text="Record:")
        if await facts.count():
            found = _RECORD.search(await facts.first.inner_text())
            if found and int(found.group(1)) != previous:
                return int(found.group(1))
        await asyncio.sleep(0.05)
    raise AssertionError(f"no new record after record {previous} within 120 s")


async def _press_until(page, key: str, saved) -> None:  # noqa: ANN001
    """Press the shortcut until the vote is confirmed. A key pressed while the page was still
    being replaced can go to a widget that is gone (nothing happens); pressing again is safe,
    as the same vote on the same record changes nothing, and the record is checked first."""
    from playwright.async_api import TimeoutError as PlaywrightTimeout

    for _ in range(5):
        await page.keyboard.press(key)
        try:
            await saved.wait_for(state="visible", timeout=15_000)
            return
        except PlaywrightTimeout:
            await page.wait_for_function(_SETTLED, timeout=60_000, polling=50)
            if await saved.count():
                return
    raise AssertionError(f"the {key!r} key was not taken after 5 tries")


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
    voted: list[int] = []
    record = await _record_shown(page, None)
    await heading.click()  # focus on the page, not a text box, so a key is a shortcut
    while record is not None:
        choice = decision(name, record)
        saved = page.get_by_text(f"Vote saved: {choice} on record {record}.")
        started = time.monotonic()
        await _press_until(page, "i" if choice == "include" else "e", saved)
        TIMINGS[f"{name} vote"] = TIMINGS.get(f"{name} vote", 0) + time.monotonic() - started
        voted.append(record)
        started = time.monotonic()
        record = await _record_shown(page, record)
        TIMINGS[f"{name} next"] = TIMINGS.get(f"{name} next", 0) + time.monotonic() - started
    await context.close()
    assert dialogs == []
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


@pytest.fixture
def chromium() -> str:
    path = chromium_path()
    if path is None:
        missing("Chromium", "install Debian's chromium package (make test does, as root)")
    return path


@pytest.fixture(params=["postgresql", "sqlite"])
def team_db(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return str(tmp_path / "team.db")
    return request.getfixturevalue("postgres").new_database()


def test_two_app_processes_two_reviewers_voting_at_once(team_db: str, chromium: str,
                                                        tmp_path: Path,
                                                        protocol_path: Path) -> None:
    _review(team_db, tmp_path, protocol_path)
    TIMINGS.clear()
    servers = [start_app(team_db, tmp_path / f"streamlit-{i}.log") for i in (1, 2)]
    try:
        started = time.monotonic()
        voted = asyncio.run(_both(chromium, [url for _, url in servers]))
        seconds = time.monotonic() - started
    finally:
        for process, _ in servers:
            process.terminate()
        for process, _ in servers:
            process.wait(timeout=30)
    kind = "PostgreSQL" if "://" in team_db else "SQLite"
    TIMINGS[kind] = seconds
    print(f"\n{kind}: {2 * VOTES} votes through two app processes in {seconds:.0f} s "
          f"({2 * VOTES / seconds:.1f} votes/s); seconds in total waiting for "
          + ", ".join(f"{k} {v:.0f}" for k, v in TIMINGS.items() if " " in k))
    ids = list(range(1, VOTES + 1))
    assert [sorted(v) for v in voted] == [ids, ids]  # each saw every record once

    store = Store.open(team_db)
    t = store.tables
    decisions, reviewers, state, groups = (t["decisions"], t["reviewers"],
                                           t["screening_state"], t["duplicate_groups"])
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
    assert len(rows) == 2 * VOTES  # nothing lost, nothing doubled
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
