"""The Move in page end to end in Chromium: a lead uploads Rayyan's article export, is shown
the row that matches no record with its list to download, and imports the rest."""

from __future__ import annotations

from pathlib import Path

from review.accounts import add_reviewer
from tests.streamlit_server import sign_in, start_app
from tests.test_moving_in import GOOD, ROW_UNMATCHED, make_review, votes


def test_a_lead_moves_rayyan_votes_in_from_the_app(browser, tmp_path: Path) -> None:  # noqa: ANN001
    from playwright.sync_api import expect

    db = tmp_path / "review.db"
    store = make_review(str(db), tmp_path)
    add_reviewer(store, "Lee", role="lead", password="lee-password", actor="lead")
    store.close()
    export = tmp_path / "articles.csv"
    export.write_text(GOOD + ROW_UNMATCHED, encoding="utf-8")
    process, url = start_app(db, tmp_path / "streamlit.log")
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    try:
        page = context.new_page()
        page.goto(url)
        sign_in(page, "Lee", "lee-password")
        page.get_by_role("link", name="Move in").click()
        expect(page.get_by_role("heading", name="Move in")).to_be_visible(timeout=30_000)
        page.locator("input[type=file]").first.set_input_files(str(export))
        page.get_by_role("textbox", name="Reviewers (optional)").fill("Ana Silva=Ana")
        page.get_by_role("button", name="Import decisions").click()
        expect(page.get_by_text("nothing imported: 1 row(s) are not matched")).to_be_visible(
            timeout=30_000)
        expect(page.get_by_role("button", name="Download the rows to settle (CSV)")
               ).to_be_visible()
        page.get_by_test_id("stCheckbox").get_by_text("Leave out rows that match no record").click()
        page.get_by_role("button", name="Import decisions").click()
        expect(page.get_by_text("Votes at titles and abstracts: 6 added")).to_be_visible(
            timeout=30_000)
        expect(page.get_by_text("Skipped 1 row(s): row 5")).to_be_visible()
    finally:
        context.close()
        process.terminate()
        process.wait(timeout=20)
    from review.store import Store

    store = Store.open(db)
    assert len(votes(store)) == 6 and {v["origin"] for v in votes(store).values()} == {"rayyan"}
    store.close()
