"""Sessions that survive, in real Chromium against `streamlit run app.py`: after signing in, a
reload, a second tab and the back button are still signed in; the session cookie is HttpOnly
and SameSite=Lax and holds nothing the database keeps; signing out in one tab ends the session
for the other at its next click and clears the cookie; disabling the account signs its open
page out at the next click, and a reload does not bring it back. One app, one browser, one
test: each browser test costs seconds. (Behind nginx with two app processes:
tests/test_proxy.py; single sign-on: tests/test_oidc.py.)"""

from __future__ import annotations

import hashlib
import time
from pathlib import Path

import sqlalchemy as sa

from review.store import schema as t
from tests.streamlit_server import sign_in, start_app
from tests.test_ui import PEOPLE

TIMEOUT = 30_000


def _team(db: Path) -> None:
    from review.accounts import add_reviewer
    from review.duplicates import run_dedupe
    from review.store import Store

    store = Store.open(db)
    run_dedupe(store, actor="test")
    for name, (role, password) in PEOPLE.items():
        add_reviewer(store, name, role=role, password=password, actor="test")
    store.close()


def _session_cookie(context) -> dict | None:  # noqa: ANN001
    found = [c for c in context.cookies() if c["name"] == "review_session"]
    return found[0] if found else None


def _until(condition, what: str) -> None:  # noqa: ANN001
    deadline = time.monotonic() + TIMEOUT / 1000
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"waited {TIMEOUT / 1000:g} s for {what}")
        time.sleep(0.1)


def _signed_in(page, name: str) -> None:  # noqa: ANN001
    from playwright.sync_api import expect

    expect(page.get_by_text(f"Signed in as {name}")).to_be_visible(timeout=TIMEOUT)


def _signed_out(page, notice: str) -> None:  # noqa: ANN001
    from playwright.sync_api import expect

    expect(page.get_by_role("heading", name="Sign in")).to_be_visible(timeout=TIMEOUT)
    expect(page.get_by_text(notice)).to_be_visible(timeout=TIMEOUT)
    expect(page.get_by_text("Signed in as")).to_have_count(0)


def test_a_session_survives_reload_tabs_and_back_and_ends_everywhere(
        review_db: Path, browser, tmp_path: Path) -> None:  # noqa: ANN001
    from playwright.sync_api import expect

    from review import accounts
    from review.store import Store

    _team(review_db)
    log = tmp_path / "streamlit.log"
    process, url = start_app(review_db, log)
    try:
        context = browser.new_context(viewport={"width": 1400, "height": 1000})
        first = context.new_page()
        first.goto(url)
        sign_in(first, "Ana", PEOPLE["Ana"][1])
        cookie = _session_cookie(context)
        assert cookie is not None, context.cookies()
        assert cookie["httpOnly"] and cookie["sameSite"] == "Lax" and cookie["path"] == "/"
        assert first.evaluate("() => document.cookie").find("review_session") == -1

        # the database keeps a hash of the cookie's id, never the id
        token = cookie["value"].split(".")[0]
        store = Store.open(review_db)
        with store.read() as conn:
            rows = conn.execute(sa.select(t.sessions)).all()
        assert [r.token_hash for r in rows] == [hashlib.sha256(token.encode()).hexdigest()]
        assert token not in " ".join(str(v) for r in rows for v in r)

        first.reload()  # a reload is a new Streamlit session: the cookie signs it in
        _signed_in(first, "Ana")
        first.goto(f"{url}/progress")  # another page by its address, then back
        _signed_in(first, "Ana")
        first.go_back()
        _signed_in(first, "Ana")
        second = context.new_page()  # a second tab
        second.goto(url)
        _signed_in(second, "Ana")

        # sign out in the first tab: the cookie goes; the second tab is out at its next click
        first.get_by_role("button", name="Sign out").click()
        _until(lambda: _session_cookie(context) is None, "the sign-out to clear the cookie")
        expect(first.get_by_role("heading", name="Sign in")).to_be_visible(timeout=TIMEOUT)
        second.get_by_role("link", name="Progress").click()
        _signed_out(second, "You signed out")
        first.reload()
        expect(first.get_by_role("heading", name="Sign in")).to_be_visible(timeout=TIMEOUT)

        # a lead disables the account: the open page is out at its next click, and stays out
        sign_in(second, "Ana", PEOPLE["Ana"][1])
        _until(lambda: _session_cookie(context) is not None, "the new session's cookie")
        accounts.set_active(store, "Ana", False, actor="Lee")
        second.get_by_role("link", name="Progress").click()
        _signed_out(second, "Your account has been disabled")
        second.reload()
        _signed_out(second, "Your account has been disabled")

        actions = [(r["action"], r["actor"]) for r in accounts_audit(store)]
        assert actions == [("start session", "Ana"), ("end session", "Ana"),
                           ("start session", "Ana"), ("end sessions", "Lee")], actions
        store.close()
        context.close()
    finally:
        process.terminate()
        process.wait(timeout=20)
    text = log.read_text()
    assert "Traceback" not in text, text


def accounts_audit(store) -> list[dict]:  # noqa: ANN001
    from review.audit_trail import audit_rows

    return [r for r in audit_rows(store) if "session" in r["action"]]
