"""Regenerate the README's screenshots from the demo review (Debian Chromium + Playwright):
docs/screen.png (Priya screening), docs/conflicts.png (Morgan, the lead) and
docs/records-browser.png.

Run: .venv/bin/python scripts/screenshots.py
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from playwright.sync_api import expect, sync_playwright  # noqa: E402

from review.demo.build import build_demo  # noqa: E402
from review.demo.screening import demo_password  # noqa: E402
from tests.streamlit_server import CHROMIUM_FLAGS, chromium_path, sign_in, start_app  # noqa: E402

OUT = ROOT / "docs"


def _signed_in(browser, url: str, name: str, height: int):  # noqa: ANN001, ANN202
    context = browser.new_context(viewport={"width": 1400, "height": height})
    page = context.new_page()
    page.goto(url)
    sign_in(page, name, demo_password(name))
    return context, page


def _shoot(page, name: str) -> None:  # noqa: ANN001
    page.wait_for_timeout(1500)  # let charts and fonts settle
    page.screenshot(path=str(OUT / name), full_page=True)
    print(f"wrote {OUT / name}")


def main() -> None:
    chromium = chromium_path()
    if chromium is None:
        sys.exit("Chromium not found: apt-get install chromium")
    OUT.mkdir(exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        db = Path(tmp) / "demo.db"
        build_demo(db).close()
        process, url = start_app(db, Path(tmp) / "streamlit.log")
        try:
            with sync_playwright() as p:
                browser = p.chromium.launch(executable_path=chromium, args=CHROMIUM_FLAGS)

                context, page = _signed_in(browser, url, "Priya", 1150)
                expect(page.get_by_text("at titles and abstracts").first).to_be_visible(
                    timeout=30_000)
                # tall enough for the criteria panel, the vote buttons and My votes: the app
                # scrolls inside its own container, which full_page does not reach
                page.set_viewport_size({"width": 1400, "height": 2300})
                _shoot(page, "screen.png")
                page.get_by_role("link", name="Records").click()
                expect(page.get_by_role("heading", name="Records")).to_be_visible(
                    timeout=30_000)
                search = page.get_by_role("textbox", name="Search")
                search.fill("moderated forum")
                search.press("Enter")
                expect(page.get_by_text("matching record(s)")).to_be_visible(timeout=15_000)
                record = page.get_by_role("spinbutton", name="Open record by ID")
                record.fill("21")
                record.press("Enter")
                expect(page.get_by_text("Provenance")).to_be_visible(timeout=15_000)
                page.set_viewport_size({"width": 1400, "height": 1900})
                _shoot(page, "records-browser.png")
                context.close()

                context, page = _signed_in(browser, url, "Morgan", 1500)
                page.get_by_role("link", name="Conflicts").click()
                expect(page.get_by_role("heading", name="Conflicts")).to_be_visible(
                    timeout=30_000)
                expect(page.get_by_role("button", name="Resolve").first).to_be_visible()
                _shoot(page, "conflicts.png")
                context.close()
                browser.close()
        finally:
            process.terminate()
            process.wait(timeout=20)


if __name__ == "__main__":
    main()
