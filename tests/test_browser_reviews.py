"""One server, two reviews, in real Chromium against `streamlit run app.py`: the app offers
the reviews, the address names the one open, a person signed in to one of their reviews
moves to another of theirs without signing in again (one account, a session per review), and
signing out signs them out of both."""

from __future__ import annotations

import re
from pathlib import Path

from tests.streamlit_server import sign_in, start_app

TIMEOUT = 30_000
PASSWORD = "correct horse battery"


def _server(tmp_path: Path, protocol_path: Path) -> Path:
    from review.accounts import add_reviewer
    from review.project import create_review

    db = tmp_path / "server.db"
    alpha = create_review(protocol_path, db, actor="admin", review="alpha")
    add_reviewer(alpha, "Ana", role="lead", password=PASSWORD, actor="admin")
    alpha.close()
    beta = create_review(protocol_path, db, actor="admin", review="beta", title="Beta review")
    add_reviewer(beta, "Ana", role="reviewer", actor="admin")  # her account, one password
    beta.close()
    return db


def test_moving_between_ones_reviews_signs_in_once(tmp_path: Path, protocol_path: Path,
                                                   browser) -> None:  # noqa: ANN001
    from playwright.sync_api import expect

    db = _server(tmp_path, protocol_path)
    process, url = start_app(db, tmp_path / "streamlit.log")
    try:
        context = browser.new_context(viewport={"width": 1400, "height": 1000})
        page = context.new_page()
        page.goto(url)
        expect(page.get_by_role("heading", name="Choose a review")).to_be_visible(
            timeout=TIMEOUT)
        page.get_by_role("button", name="Beta review").click()
        sign_in(page, "Ana", PASSWORD)
        expect(page.get_by_text("Signed in as Ana (reviewer)")).to_be_visible(timeout=TIMEOUT)
        assert "review=beta" in page.url
        other = page.get_by_role("button", name=re.compile(r"Peer support .*\(lead\)"))
        expect(other).to_be_visible(timeout=TIMEOUT)
        other.click()  # her other review: signed in there by her session here
        expect(page.get_by_text("Signed in as Ana (lead)")).to_be_visible(timeout=TIMEOUT)
        assert "review=alpha" in page.url
        page.reload()
        expect(page.get_by_text("Signed in as Ana (lead)")).to_be_visible(timeout=TIMEOUT)
        names = {c["name"] for c in context.cookies()} & {"review_session", "review_session_beta"}
        assert names == {"review_session", "review_session_beta"}, names
        page.get_by_role("button", name="Sign out").click()  # out of every review here
        expect(page.get_by_role("heading", name="Sign in")).to_be_visible(timeout=TIMEOUT)
        assert not {c["name"] for c in context.cookies()} & names
        page.goto(f"{url}/?review=beta")
        expect(page.get_by_role("heading", name="Sign in")).to_be_visible(timeout=TIMEOUT)
        expect(page.get_by_text("Signed in as")).to_have_count(0)
        context.close()
    finally:
        process.terminate()
        process.wait(timeout=30)
