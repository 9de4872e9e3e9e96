"""End to end in a real browser: Debian's Chromium driven by Playwright against `streamlit run`."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from review.store import schema as t
from tests.streamlit_server import sign_in, start_app
from tests.test_ui import PEOPLE, tiny_pdf


@pytest.fixture
def team(review_db: Path) -> Path:
    """The small hostile review, deduplicated, with a lead (Lee) and two reviewers."""
    from review.accounts import add_reviewer
    from review.duplicates import run_dedupe
    from review.store import Store

    store = Store.open(review_db)
    run_dedupe(store, actor="test")
    for name, (role, password) in PEOPLE.items():
        add_reviewer(store, name, role=role, password=password, actor="test")
    store.close()
    return review_db


@pytest.fixture
def app_url(team: Path, tmp_path: Path) -> Iterator[str]:
    process, url = start_app(team, tmp_path / "streamlit.log")
    yield url
    process.terminate()
    process.wait(timeout=20)



class Session:
    """One person's browser context (their own Streamlit session), dialogs recorded."""

    def __init__(self, browser, url: str) -> None:  # noqa: ANN001
        self.context = browser.new_context(viewport={"width": 1400, "height": 1000})
        self.page = self.context.new_page()
        self.dialogs: list[str] = []
        self.page.on("dialog", lambda d: (self.dialogs.append(d.message), d.dismiss()))
        self.page.goto(url)

    def sign_in(self, name: str) -> Session:
        sign_in(self.page, name, PEOPLE[name][1])
        return self

    def close(self) -> None:
        self.context.close()


@pytest.fixture
def session(browser, app_url: str):  # noqa: ANN001
    opened: list[Session] = []

    def open_session() -> Session:
        opened.append(Session(browser, app_url))
        return opened[-1]

    yield open_session
    for s in opened:
        s.close()


def test_records_browser_in_chromium(session, tmp_path: Path) -> None:  # noqa: ANN001
    from playwright.sync_api import expect

    ana = session().sign_in("Ana")
    page = ana.page
    page.get_by_role("link", name="Records").click()
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
    expect(page.locator("img[src*='example.org']")).to_have_count(0)  # no image from a title
    page.screenshot(path=str(tmp_path / "records.png"), full_page=True)
    assert ana.dialogs == []
    assert page.locator("script", has_text="alert('x')").count() == 0


def test_two_reviewers_conflict_and_the_lead_resolves(session, team: Path,  # noqa: ANN001
                                                      tmp_path: Path) -> None:
    from playwright.sync_api import expect

    from review.store import Store

    ana = session().sign_in("Ana")
    page = ana.page
    expect(page.get_by_text("0 of 2 voted at titles and abstracts (2 left)")).to_be_visible(
        timeout=15_000)
    # record 1's hostile title is shown as text; nothing in it runs
    expect(page.get_by_text("<script>alert('x')</script>", exact=False).first).to_be_visible()
    expect(page.locator("img[src*='example.org']")).to_have_count(0)
    page.get_by_role("heading", name="Screen: titles and abstracts").click()  # focus the page
    page.keyboard.press("i")  # the Include button's shortcut
    expect(page.get_by_text("Vote saved: include on record 1.")).to_be_visible(timeout=15_000)
    expect(page.get_by_text("1 of 2 voted at titles and abstracts (1 left)")).to_be_visible()

    ben = session().sign_in("Ben")
    expect(ben.page.get_by_text("0 of 2 voted at titles and abstracts")).to_be_visible(
        timeout=15_000)
    # blind: nothing of Ana's vote (her name as a word: the question says "managed")
    expect(ben.page.get_by_text(re.compile(r"\bAna\b"))).to_have_count(0)
    ben.page.get_by_role("button", name="Exclude").click()
    expect(ben.page.get_by_text("Vote saved: exclude on record 1.")).to_be_visible(
        timeout=15_000)

    lee = session().sign_in("Lee")
    lee.page.get_by_role("link", name="Conflicts").click()
    expect(lee.page.get_by_role("heading", name="Titles and abstracts: record 1")).to_be_visible(
        timeout=15_000)
    expect(lee.page.get_by_text("Conflict 1 of 1")).to_be_visible()
    expect(lee.page.get_by_text("Ana: include")).to_be_visible()
    expect(lee.page.get_by_text("Ben: exclude")).to_be_visible()
    lee.page.get_by_text("Include", exact=True).click()  # the Decision radio
    lee.page.get_by_role("textbox", name="Note (optional)").fill("Charity setting")
    lee.page.get_by_role("button", name="Resolve").click()
    expect(lee.page.get_by_text("Record 1 resolved: include.")).to_be_visible(timeout=15_000)
    expect(lee.page.get_by_text("No conflicts are waiting.")).to_be_visible()
    lee.page.screenshot(path=str(tmp_path / "resolved.png"), full_page=True)
    assert ana.dialogs == ben.dialogs == lee.dialogs == []

    store = Store.open(team)
    with store.read() as conn:
        rows = conn.execute(t.resolutions.select()).mappings().all()
    assert [(r["stage"], r["decision"], r["note"]) for r in rows] == [
        ("title_abstract", "include", "Charity setting")]
    from review.screening.conflicts import conflicts

    assert conflicts(store, "Lee") == []
    store.close()


def test_screen_criteria_marks_progress_and_moving_through_my_votes(
        session, tmp_path: Path) -> None:  # noqa: ANN001
    """The Screen page in Chromium: the question and criteria in a panel that folds, marks in
    their colours, progress as voted of total, P and N through one's votes, My votes clickable."""
    from playwright.sync_api import expect

    page = session().sign_in("Ana").page
    panel = page.get_by_text("What are the effectiveness, acceptability and potential harms "
                             "of peer support", exact=False)
    expect(panel).to_be_visible(timeout=15_000)
    expect(page.get_by_text("Participants have lived experience of self-harm",
                            exact=False)).to_be_visible()  # a criterion's full text, in view
    page.get_by_text("Review question and criteria").click()  # folds
    expect(panel).to_be_hidden()
    page.get_by_text("Review question and criteria").click()
    expect(panel).to_be_visible()
    expect(page.get_by_text("0 of 2 voted at titles and abstracts (2 left)")).to_be_visible()
    title = page.locator(".st-key-screen-record h3")
    expect(title).to_contain_text("<script>")
    page.get_by_role("heading", name="Screen: titles and abstracts").click()  # focus the page
    page.keyboard.press("i")
    expect(page.get_by_text("1 of 2 voted at titles and abstracts (1 left)")).to_be_visible(
        timeout=15_000)
    expect(title).to_contain_text("Peer mentoring")
    marked = title.locator("mark.term-include")
    expect(marked).to_have_text("voluntary")
    assert marked.evaluate("e => getComputedStyle(e).color") == "rgb(11, 77, 30)"
    assert marked.evaluate("e => getComputedStyle(e).fontWeight") == "700"
    expect(page.locator("mark.term-exclude").first).to_have_css("text-decoration-line",
                                                                "underline")
    settled = ("() => !document.querySelector('[data-testid=\"stStatusWidget\"]')"
               " && !document.querySelector('[data-stale=\"true\"]')")
    page.wait_for_function(settled)  # a key pressed mid-run can go to a widget being replaced
    page.keyboard.press("p")  # back to the vote just cast
    expect(page.get_by_text("Record 1 reopened: your vote is include")).to_be_visible(
        timeout=15_000)
    expect(title).to_contain_text("<script>")
    page.wait_for_function(settled)
    page.keyboard.press("n")  # past the latest vote: the queue again
    expect(title).to_contain_text("Peer mentoring", timeout=15_000)
    page.get_by_text("My votes", exact=True).click()
    page.get_by_role("button", name="1 · include · waiting", exact=False).click()
    expect(page.get_by_text("Record 1 reopened: your vote is include")).to_be_visible(
        timeout=15_000)
    page.screenshot(path=str(tmp_path / "screen.png"), full_page=True)


def test_fulltext_pdf_shows_beside_the_form(session, team: Path,  # noqa: ANN001
                                            tmp_path: Path) -> None:
    from playwright.sync_api import expect

    from review.screening import votes as screening
    from review.store import Store

    store = Store.open(team)
    for name in ("Ana", "Ben"):
        screening.cast_vote(store, name, 1, "include", origin="test")
    store.close()
    pdf = tmp_path / "report.pdf"
    pdf.write_bytes(tiny_pdf("Peer support report"))
    ana = session().sign_in("Ana")
    page = ana.page
    page.get_by_role("link", name="Full text").click()
    expect(page.get_by_text("No PDF attached yet")).to_be_visible(timeout=15_000)
    page.locator("input[type=file]").set_input_files(str(pdf))
    expect(page.get_by_text("Attached report.pdf to record 1.")).to_be_visible(timeout=20_000)
    # st.pdf (streamlit-pdf, pdf.js) draws the pages itself: no browser PDF plugin needed
    viewer = page.get_by_role("region", name="Full text of record 1")
    expect(viewer.locator("canvas").first).to_be_visible(timeout=20_000)
    page.screenshot(path=str(tmp_path / "fulltext.png"), full_page=True)
    page.keyboard.press("e")
    expect(page.get_by_text("needs a reason from the protocol's list")).to_be_visible(
        timeout=15_000)
