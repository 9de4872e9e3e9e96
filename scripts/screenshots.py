"""Regenerate the README's screenshots from the demo review (Debian Chromium + Playwright).

Run: .venv/bin/python scripts/screenshots.py
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from playwright.sync_api import expect, sync_playwright  # noqa: E402

from review.demo import build_demo  # noqa: E402
from tests.streamlit_server import CHROMIUM_FLAGS, chromium_path, start_app  # noqa: E402

OUT = ROOT / "docs"


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
                page = browser.new_page(viewport={"width": 1400, "height": 1900})
                page.goto(url)
                expect(page.get_by_role("heading", name="Records")).to_be_visible(timeout=30_000)
                search = page.get_by_role("textbox", name="Search")
                search.fill("moderated forum")
                search.press("Enter")
                expect(page.get_by_text("matching record(s)")).to_be_visible(timeout=15_000)
                record = page.get_by_role("spinbutton", name="Open record by ID")
                record.fill("21")
                record.press("Enter")
                expect(page.get_by_text("Provenance")).to_be_visible(timeout=15_000)
                page.wait_for_timeout(1500)
                page.screenshot(path=str(OUT / "records-browser.png"), full_page=True)
                browser.close()
        finally:
            process.terminate()
            process.wait(timeout=20)
    print(f"wrote {OUT / 'records-browser.png'}")


if __name__ == "__main__":
    main()
