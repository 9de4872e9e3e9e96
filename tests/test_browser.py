"""End to end in a real browser: Debian's Chromium driven by Playwright against `streamlit run`."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import missing
from tests.streamlit_server import CHROMIUM_FLAGS, chromium_path, start_app


@pytest.fixture
def chromium() -> str:
    path = chromium_path()
    if path is None:
        missing("Chromium", "install Debian's chromium package (make test does, as root)")
    return path


@pytest.fixture
def app_url(review_db: Path, tmp_path: Path) -> Iterator[str]:
    process, url = start_app(review_db, tmp_path / "streamlit.log")
    yield url
    process.terminate()
    process.wait(timeout=20)


@pytest.fixture
def page(chromium: str, app_url: str):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium, args=CHROMIUM_FLAGS)
        context = browser.new_context(viewport={"width": 1400, "height": 1000})
        page = context.new_page()
        dialogs: list[str] = []
        page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
        page.dialogs = dialogs  # type: ignore[attr-defined]
        page.goto(app_url)
        yield page
        context.close()
        browser.close()


def test_records_browser_in_chromium(page, tmp_path: Path) -> None:
    from playwright.sync_api import expect

    expect(page.get_by_role("heading", name="Records")).to_be_visible(timeout=30_000)
    expect(page.get_by_text("Records imported")).to_be_visible()
    search = page.get_by_role("textbox", name="Search")
    search.fill("overgaard")
    search.press("Enter")
    expect(page.get_by_text("1 matching record(s)")).to_be_visible(timeout=15_000)

    record_id = page.get_by_role("spinbutton", name="Open record by ID")
    record_id.fill("1")
    record_id.press("Enter")
    # the hostile title shows as literal text and nothing in it runs
    expect(page.get_by_text("<script>alert('x')</script>", exact=False).first).to_be_visible(
        timeout=15_000)
    expect(page.get_by_text("Provenance")).to_be_visible()
    page.screenshot(path=str(tmp_path / "records.png"), full_page=True)
    assert page.dialogs == []
    assert page.locator("script", has_text="alert('x')").count() == 0
