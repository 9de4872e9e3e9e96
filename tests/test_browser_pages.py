"""In Chromium: the Conflicts page's Previous and Next through the conflicts, and the
Duplicates page's pages of pairs (every pair reachable)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.streamlit_server import sign_in, start_app
from tests.test_ui import PEOPLE


@pytest.fixture
def lead_page(browser, tmp_path: Path, request: pytest.FixtureRequest) -> Iterator:  # noqa: ANN001
    db: Path = request.getfixturevalue(request.param)
    process, url = start_app(db, tmp_path / "streamlit.log")
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    page = context.new_page()
    page.goto(url)
    sign_in(page, "Lee", PEOPLE["Lee"][1])
    yield page
    context.close()
    process.terminate()
    process.wait(timeout=20)


@pytest.fixture
def conflicted(review_db: Path) -> Path:
    """The small hostile review with both of its records in conflict (Ana against Ben)."""
    from review.duplicates import run_dedupe
    from review.screening.votes import cast_vote
    from review.store import Store
    from tests.test_ui import add_people

    store = Store.open(review_db)
    run_dedupe(store, actor="test")
    store.close()
    add_people(review_db)
    store = Store.open(review_db)
    for record in (1, 2):
        cast_vote(store, "Ana", record, "include", origin="test")
        cast_vote(store, "Ben", record, "exclude", origin="test")
    store.close()
    return review_db


@pytest.fixture
def paired(tmp_path: Path, protocol_path: Path) -> Path:
    """30 works, each with a bare copy: 30 pairs waiting for a person (two pages of 25)."""
    from tests.test_ui_pages import _many_pairs

    return _many_pairs(tmp_path, protocol_path, n=30)


@pytest.mark.parametrize("lead_page", ["conflicted"], indirect=True)
def test_conflicts_previous_and_next_in_chromium(lead_page) -> None:  # noqa: ANN001
    from playwright.sync_api import expect

    page = lead_page
    page.get_by_role("link", name="Conflicts").click()
    expect(page.get_by_text("Conflict 1 of 2")).to_be_visible(timeout=30_000)
    expect(page.get_by_role("heading", name="Titles and abstracts: record 1")).to_be_visible()
    expect(page.get_by_role("button", name="Previous")).to_be_disabled()
    page.get_by_role("button", name="Next").click()
    expect(page.get_by_text("Conflict 2 of 2")).to_be_visible(timeout=15_000)
    expect(page.get_by_role("heading", name="Titles and abstracts: record 2")).to_be_visible()
    expect(page.get_by_role("button", name="Next")).to_be_disabled()
    page.get_by_role("button", name="Previous").click()
    expect(page.get_by_text("Conflict 1 of 2")).to_be_visible(timeout=15_000)
    expect(page.get_by_role("heading", name="Titles and abstracts: record 1")).to_be_visible()


@pytest.mark.parametrize("lead_page", ["paired"], indirect=True)
def test_duplicates_pages_in_chromium(lead_page) -> None:  # noqa: ANN001
    from playwright.sync_api import expect

    page = lead_page
    page.get_by_role("link", name="Duplicates").click()
    expect(page.get_by_text("Page 1 of 2: pairs 1-25 of 30")).to_be_visible(timeout=30_000)
    expect(page.get_by_role("checkbox")).to_have_count(25)
    page.get_by_role("button", name="Next page").click()
    expect(page.get_by_text("Page 2 of 2: pairs 26-30 of 30")).to_be_visible(timeout=15_000)
    expect(page.get_by_role("checkbox")).to_have_count(5)
    expect(page.get_by_role("button", name="Next page")).to_be_disabled()
    page.get_by_role("button", name="Previous page").click()
    expect(page.get_by_text("Page 1 of 2: pairs 1-25 of 30")).to_be_visible(timeout=15_000)
