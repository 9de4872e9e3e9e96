"""Every page guards itself, not only the menu: each page script in review/ui/pages is run
directly (as a URL or a stale tab would open it) for every role, and a person the page is not
for sees its refusal and nothing else. One table says who may open which page; a page script
not in it fails, and the table must agree with the menu (review/ui/app.py's NAV). Plus one
real-browser run: a reviewer going to a lead page's URL path does not get the page (a lead
going the same way does)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from review.accounts import Reviewer, add_reviewer, get_reviewer
from review.duplicates import run_dedupe
from review.importing import SourceInfo, import_files
from review.project import create_review
from review.store import Store
from tests.conftest import HOSTILE

ROOT = Path(__file__).resolve().parent.parent
PAGES = ROOT / "review" / "ui" / "pages"

# role -> the person signed in with it (None: nobody is signed in)
PEOPLE = {"signed out": None, "observer": "Olu", "reviewer": "Ana", "third reviewer": "Tia",
          "lead": "Lee"}
PASSWORDS = {"Lee": "lee-password", "Ana": "ana-password"}
SIGNED_IN = frozenset(PEOPLE) - {"signed out"}
SCREENERS = frozenset({"reviewer", "third reviewer", "lead"})
LEADS = frozenset({"lead"})
OBSERVERS_AWAY = "Observers follow the review on the Progress page."

# page script -> (its title for those it is for, who it is for, what the others are told)
GUARDS: dict[str, tuple[str, frozenset[str], str | None]] = {
    "sign_in.py": ("Sign in", frozenset(PEOPLE), None),
    "screen.py": ("Screen: titles and abstracts", SCREENERS, OBSERVERS_AWAY),
    "fulltext.py": ("Full text", SCREENERS, OBSERVERS_AWAY),
    "records.py": ("Records", SCREENERS, OBSERVERS_AWAY),
    "extraction.py": ("Extraction", SCREENERS, OBSERVERS_AWAY),
    "conflicts.py": ("Conflicts", SCREENERS, OBSERVERS_AWAY),
    "progress.py": ("Progress", SIGNED_IN, None),
    "prisma.py": ("PRISMA", frozenset({"observer", "lead"}),
                  "This page is for the review's leads and observers."),
    "duplicates.py": ("Duplicates", LEADS, "Deciding duplicates is for the review's leads."),
    "import_exports.py": ("Import", LEADS, "Importing is for the review's leads."),
    "move_in.py": ("Move in", LEADS, "Moving a review in is for the review's leads."),
    "findings.py": ("Findings", LEADS, "Review findings and their GRADE-CERQual assessments "
                                       "are written by the review's leads."),
    "tables.py": ("Tables", LEADS, "The evidence tables are exported by the review's leads."),
    "accounts.py": ("Accounts", LEADS, "Accounts are managed by the review's leads."),
    # for a server administrator (an account's, not a role here: tests/test_ui_reviews.py)
    "administration.py": ("Administration", frozenset(),
                          "This page is for the server's administrators."),
}
# parts of a page open to everyone it is for, but with parts for some: (a heading, who sees it)
PARTS = {"progress.py": ("Agreement", frozenset({"observer", "third reviewer", "lead"}))}


def _guards_review(db: Path, folder: Path, slug: str | None = None) -> None:
    """The small hostile review, deduplicated, with one person of every role."""
    store = create_review(ROOT / "protocols" / "peer-support-self-harm.toml", db, actor="lead",
                          review=slug)
    export = folder / "forum.ris"
    export.write_text(HOSTILE, encoding="utf-8")
    import_files(store, [export], SourceInfo("CINAHL (EBSCO)", "database", "2025-02-01"),
                 actor="lead")
    run_dedupe(store, actor="lead")
    add_reviewer(store, "Lee", role="lead", password=PASSWORDS["Lee"], actor="lead")
    add_reviewer(store, "Ana", password=PASSWORDS["Ana"], actor="lead")
    add_reviewer(store, "Tia", resolver=True, actor="lead")
    add_reviewer(store, "Olu", role="observer", actor="lead")
    store.close()


@pytest.fixture(scope="module")
def review_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("guards")
    db = folder / "review.db"
    _guards_review(db, folder)
    return db


@pytest.fixture(scope="module")
def beside_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The same review as the second of a database whose first review gives its people other
    roles (Lee an observer there, Olu a lead): every page must go by this review's roles."""
    folder = tmp_path_factory.mktemp("guards-beside")
    db = folder / "server.db"
    other = create_review(ROOT / "protocols" / "peer-support-self-harm.toml", db, actor="lead",
                          review="other")
    add_reviewer(other, "Lee", role="observer", password=PASSWORDS["Lee"], actor="lead")
    add_reviewer(other, "Olu", role="lead", actor="lead")
    add_reviewer(other, "Ana", role="lead", password=PASSWORDS["Ana"], actor="lead")
    other.close()
    _guards_review(db, folder, slug="guards")
    return db


@pytest.fixture(params=["alone", "beside another review"])
def store(request: pytest.FixtureRequest) -> Iterator[Store]:
    if request.param == "alone":
        opened = Store.open(request.getfixturevalue("review_file"))
    else:
        opened = Store.open(request.getfixturevalue("beside_file"), "guards")
    yield opened
    opened.close()


def run_page(store: Store, script: str, person: Reviewer | None) -> AppTest:
    """The page script on its own, as st.navigation runs it for a URL, with the session's
    review and signed-in person set as review/ui/app.py sets them."""
    app = AppTest.from_file(str(PAGES / script), default_timeout=60)
    app.session_state["store"] = store
    if person is not None:
        app.session_state["reviewer"] = person
    app.run()
    assert not app.exception, app.exception
    return app


def _elements(app: AppTest) -> list:
    """Every element drawn, in the main area and the sidebar, nested blocks included."""
    found = []

    def walk(node) -> None:  # noqa: ANN001
        children = getattr(node, "children", None)
        if children is None:
            found.append(node)
            return
        for child in children.values():
            walk(child)

    walk(app.main)
    walk(app.sidebar)
    return found


def test_every_page_script_is_in_the_table() -> None:
    scripts = {p.name for p in PAGES.glob("*.py")} - {"__init__.py"}
    assert scripts == set(GUARDS), ("give every page a line in GUARDS (who it is for and "
                                    f"what the others are told): {scripts ^ set(GUARDS)}")


def test_the_table_agrees_with_the_menu() -> None:
    from review.ui.app import NAV

    def person(role: str) -> Reviewer:
        kind = "reviewer" if role == "third reviewer" else role
        return Reviewer(1, "x", kind, role == "third reviewer", True)

    assert {p.script for p in NAV} == set(GUARDS) - {"sign_in.py", "administration.py"}
    for page in NAV:
        menu = {role for role in SIGNED_IN if page.allowed(person(role))}
        assert menu == GUARDS[page.script][1] - {"signed out"}, page.script


@pytest.mark.parametrize("role", PEOPLE)
@pytest.mark.parametrize("script", GUARDS)
def test_each_page_guards_itself(store: Store, script: str, role: str) -> None:
    title, allowed, refusal = GUARDS[script]
    name = PEOPLE[role]
    person = None if name is None else get_reviewer(store, name)
    app = run_page(store, script, person)
    if role in allowed:
        assert [t.value for t in app.title] == [title]
        assert not app.warning or "Sign in first" not in app.warning[0].value
        assert not [e.value for e in app.error if "You are signed in as" in e.value]
        if script in PARTS:
            heading, who = PARTS[script]
            shown = [h.value for h in app.subheader]
            assert (heading in shown) == (role in who), (heading, shown)
        return
    drawn = _elements(app)
    if person is None:
        assert [w.value for w in app.warning] == ["Sign in first."]
    else:
        said = f"{refusal} You are signed in as {name}, {person.with_article()}."
        assert [e.value for e in app.error] == [said]
    assert len(drawn) == 1, [type(e).__name__ for e in drawn]  # the refusal, nothing else


GO_TO = """path => { history.pushState({}, '', path);
                   window.dispatchEvent(new PopStateEvent('popstate')); }"""


def test_a_reviewer_opening_a_lead_page_by_its_url_is_refused(browser, review_file: Path,
                                                             tmp_path: Path) -> None:
    """Streamlit serves each page at its own URL path. Within a signed-in session, a changed
    address (what the back and forward buttons do) opens the Duplicates page for a lead and
    sends a reviewer to their main page; typed into the address bar, the path opens a new
    page (signed in again by the session cookie) that meets "Page not found" and her main
    page, never Duplicates."""
    from playwright.sync_api import expect

    from tests.streamlit_server import sign_in, start_app

    process, url = start_app(review_file, tmp_path / "streamlit.log")
    contexts = []

    def signed_in(name: str):  # noqa: ANN202
        contexts.append(browser.new_context(viewport={"width": 1400, "height": 1000}))
        page = contexts[-1].new_page()
        page.goto(url)
        sign_in(page, name, PASSWORDS[name])
        return page

    duplicates = {"role": "heading", "name": "Duplicates"}
    try:
        lee = signed_in("Lee")  # the way in works: a lead gets the page at that path
        lee.evaluate(GO_TO, "/duplicates")
        expect(lee.get_by_role(**duplicates)).to_be_visible(timeout=30_000)

        ana = signed_in("Ana")
        ana.evaluate(GO_TO, "/duplicates")
        expect(ana).to_have_url(f"{url}/", timeout=30_000)  # sent back to her main page
        expect(ana.get_by_role("heading", name="Screen: titles and abstracts")).to_be_visible()
        expect(ana.get_by_role(**duplicates)).to_have_count(0)
        expect(ana.get_by_role("button", name="Find duplicates")).to_have_count(0)

        # typed into the address bar (a new page, signed in by the session cookie): not found
        ana.goto(f"{url}/duplicates")
        expect(ana.get_by_text("Page not found")).to_be_visible(timeout=30_000)
        ana.keyboard.press("Escape")
        expect(ana.get_by_text("Signed in as Ana")).to_be_visible(timeout=30_000)
        expect(ana.get_by_role("heading", name="Screen: titles and abstracts")).to_be_visible()
        expect(ana.get_by_role(**duplicates)).to_have_count(0)
        expect(ana.get_by_role("button", name="Find duplicates")).to_have_count(0)
    finally:
        for context in contexts:
            context.close()
        process.terminate()
        process.wait(timeout=30)
