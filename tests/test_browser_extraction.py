"""Data extraction end to end in a real browser: Debian's Chromium driven by Playwright against
one `streamlit run app.py` on a SQLite file.

Two reviewers (Priya, Tom) each extract the same included study in their own browser context:
characteristics, two coded extracts (a benefit in a participant's words, a risk in the
authors', each with its page or section) in the form's blank rows for new extracts, the
whole quality
checklist and a rating, then "Save and mark done". They differ in one field (Population).
While Tom has saved only a draft, Priya's page must show nothing of his entry (and his
nothing of hers). The lead (Lee) compares the two, takes Tom's population and reconciles; the
Tables page then shows the reconciled value, and its CSV and XLSX downloads carry it. Last,
through the services, the final entry and the evidence tables hold what the browsers did.
Between a person's saves the test opens another page and comes back, as a person changing
pages would; the second test saves three times in a row without leaving the page (a save was
once dropped there, when the Study selectbox's option text changed with the entry's status).

tests/test_ui_extraction.py covers the same pages through Streamlit's AppTest; this test is
what a browser adds: real widgets (selectboxes, multiselects, radios, forms), the dataframes
as Chromium draws them, and real downloads."""

from __future__ import annotations

import csv
import io
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.streamlit_server import sign_in, start_app

PASSWORDS = {"Lee": "lee-password", "Priya": "priya-password", "Tom": "tom-password"}
STUDY = 2  # the second included study, so the Study selectbox has to be used
STUDY_NAME = "Birch 2019"
COMMON = {"author_year": "Birch 2019", "country": "uk; Ireland", "sample_size": "14",
          "design": "Qualitative analysis of forum posts"}
POPULATION = {"Priya": "Young people aged 16 to 25",
              "Tom": "Forum members recruited via Harbourlight"}
# (theme id, the theme as the picker shows it, quote, location, voice)
EXTRACTS = (("belonging", "Benefits: Community and belonging",
             "We felt understood by people who had been there", "p. 4", "Participant"),
            ("triggering", "Risks: Triggering content", "Some posts were hard to read",
             "Results, para 3", "Author"))
WAIT = 30_000  # ms: a run on 2 cores under load, with three browser contexts open

# The visible text of the page plus the values in its inputs (what a person can read there):
# a form's inputs keep their values outside the text, and dataframes draw on a canvas whose
# cells are also in an accessible table inside it.
_READABLE = """() => [document.body.innerText,
  ...Array.from(document.querySelectorAll('input, textarea'), e => e.value),
  ...Array.from(document.querySelectorAll('table[role="grid"] td'), e => e.textContent)
].join('\\n')"""

# Settled: no script run in progress and nothing left over from the previous run.
_SETTLED = """() => !document.querySelector('[data-testid="stStatusWidget"]')
  && !document.querySelector('[data-stale="true"]')"""

# A dataframe's cells, row by row (header first), from the accessible table in its canvas.
_GRID = """e => Array.from(e.querySelectorAll('table[role="grid"] tr'),
  r => Array.from(r.querySelectorAll('th, td'), c => c.textContent))"""


@pytest.fixture
def review_db(tmp_path: Path) -> Path:
    """Two studies included at full text (dual extraction, the example protocol), with Lee
    (lead), Priya and Tom (reviewers) who sign in with passwords."""
    from review.accounts import set_password
    from tests.extraction_fixtures import WORKS, included_review

    db = tmp_path / "review.db"
    store = included_review(str(db), tmp_path, works=WORKS[:2])
    for name, password in PASSWORDS.items():
        set_password(store, name, password, actor="test")
    store.close()
    return db


@pytest.fixture
def store(review_db: Path):  # noqa: ANN201
    """The review as the services see it, to check what the browsers did."""
    from review.store import Store

    opened = Store.open(review_db)
    yield opened
    opened.close()


@pytest.fixture
def app_url(review_db: Path, tmp_path: Path) -> Iterator[str]:
    process, url = start_app(review_db, tmp_path / "streamlit.log")
    yield url
    process.terminate()
    process.wait(timeout=20)


class Person:
    """One person signed in in their own browser context (their own Streamlit session)."""

    def __init__(self, browser, url: str, name: str) -> None:  # noqa: ANN001
        self.name = name
        self.context = browser.new_context(viewport={"width": 1400, "height": 1000},
                                           accept_downloads=True)
        self.page = self.context.new_page()
        self.page.set_default_timeout(WAIT)
        self.dialogs: list[str] = []
        self.page.on("dialog", lambda d: (self.dialogs.append(d.message), d.dismiss()))
        self.page.goto(url)
        sign_in(self.page, name, PASSWORDS[name], timeout=WAIT)

    def settle(self) -> None:
        self.page.wait_for_function(_SETTLED, timeout=WAIT, polling=100)

    def readable(self) -> str:
        self.settle()
        return self.page.evaluate(_READABLE)

    def open(self, link: str) -> None:
        """A page of the app from the sidebar."""
        from playwright.sync_api import expect

        self.page.get_by_role("link", name=link, exact=True).click()
        expect(self.page.get_by_role("heading", name=link, exact=True)).to_be_visible()
        self.settle()

    def pick_study(self, study: int, status: str) -> None:
        """Choose the study in the Study selectbox; `status`: this person's entry as the
        page says under it (not started, in progress, done; reconciled)."""
        from playwright.sync_api import expect

        page = self.page
        page.get_by_role("combobox", name="Study").click()
        page.get_by_role("option", name=f"{study}. {STUDY_NAME}", exact=True).click()
        expect(page.get_by_role("combobox", name="Study")).to_have_value(
            f"{study}. {STUDY_NAME}")
        # the run that draws the chosen study may not have begun when the choice shows: wait
        # for what only that study's page says (its report is record `study` here)
        expect(page.get_by_text(f"Your entry: {status}. Reports (record ids): {study}.")
               ).to_be_visible(timeout=WAIT)
        self.settle()

    def close(self) -> None:
        self.context.close()


@pytest.fixture
def people(browser, app_url: str):  # noqa: ANN001, ANN201
    opened: list[Person] = []

    def sign_in_as(name: str) -> Person:
        opened.append(Person(browser, app_url, name))
        return opened[-1]

    yield sign_in_as
    for person in opened:
        person.close()


def _key(person: Person, reviewer_ids: dict[str, int]) -> str:
    """The prefix of the extraction form's widget keys (their st-key-... classes)."""
    return f"st-key-ext-{STUDY}-{reviewer_ids[person.name]}"


def choose(group, option: str) -> None:  # noqa: ANN001
    """Pick a radio button by its text, and see it picked: a click that lands while a
    dropdown is still closing only closes the dropdown."""
    from playwright.sync_api import expect

    for _ in range(3):
        group.get_by_text(option, exact=True).click()
        try:
            expect(group.get_by_role("radio", name=option, exact=True)).to_be_checked(
                timeout=3_000)
            return
        except AssertionError:
            continue
    expect(group.get_by_role("radio", name=option, exact=True)).to_be_checked()


def pick(page, box: str, option: str) -> None:  # noqa: ANN001
    """Choose an option of a selectbox by its text, and see it chosen: as with a radio, a
    click that lands while another dropdown is still closing only closes that one."""
    from playwright.sync_api import expect

    combobox = page.get_by_role("combobox", name=box, exact=True)
    for _ in range(3):
        combobox.click()
        try:
            expect(page.get_by_role("option", name=option, exact=True)).to_be_visible(
                timeout=3_000)
            break
        except AssertionError:
            page.keyboard.press("Escape")
    page.get_by_role("option", name=option, exact=True).click()
    expect(combobox).to_have_value(option)


def fill_entry(person: Person, reviewer_ids: dict[str, int]) -> None:
    """The whole form as an extractor fills it in, without saving."""
    from playwright.sync_api import TimeoutError as PlaywrightTimeout
    from playwright.sync_api import expect

    page, key = person.page, _key(person, reviewer_ids)
    values = {**COMMON, "population": POPULATION[person.name]}
    for field, text in values.items():
        page.locator(f".{key}-field-{field} input").fill(text)
    # the longer form (Table 1's fields) can still be settling when the first click lands,
    # which then only focuses the multiselect: click again until its list is open
    option = page.get_by_role("option", name="online forum", exact=True)
    for _ in range(3):
        page.get_by_role("combobox", name="Peer-support format").click()
        try:
            option.wait_for(timeout=5_000)
            break
        except PlaywrightTimeout:
            page.keyboard.press("Escape")
    option.click()
    page.keyboard.press("Escape")  # the multiselect's list stays open after a pick
    expect(page.get_by_role("listbox")).to_have_count(0)
    expect(page.get_by_role("button", name="Remove online forum")).to_be_visible()
    choose(page.get_by_role("radiogroup", name="Moderated"), "yes")
    for number, (_, shown, quote, where, voice) in enumerate(EXTRACTS, start=1):
        # each box is named for its row, for a screen reader as for this test
        row = f"new extract {number}"
        pick(page, f"Theme of {row}", shown)
        page.get_by_role("textbox", name=f"Quote, {row}", exact=True).fill(quote)
        page.get_by_role("textbox", name=f"Page or section, {row}", exact=True).fill(where)
        pick(page, f"Voice, {row}", voice)
    groups = page.locator(f"[class*='{key}-quality-'] [role='radiogroup']").all()
    assert len(groups) == 10  # the example protocol's checklist
    for group in groups:
        choose(group, "yes")
    page.get_by_role("combobox", name="Overall rating").click()
    page.get_by_role("option", name="high", exact=True).click()
    expect(page.get_by_role("combobox", name="Overall rating")).to_have_value("high")


def save(person: Person, button: str, status: str) -> None:
    from playwright.sync_api import expect

    person.page.get_by_role("button", name=button, exact=True).click()
    expect(person.page.get_by_text(
        f"Saved ({status}): 7 field(s), 2 extract(s) under 2 theme(s), 10 quality "
        "answer(s).")).to_be_visible()
    person.settle()


def test_two_extractors_reconciled_into_the_tables(people, store,  # noqa: ANN001
                                                  tmp_path: Path) -> None:
    from playwright.sync_api import expect

    from review.accounts import get_reviewer
    from review.extraction.entries import final_entries, my_entry
    from review.extraction.tables import build_tables

    started = time.monotonic()
    ids = {name: get_reviewer(store, name).id for name in PASSWORDS}

    # Priya extracts the study and marks it done
    priya = people("Priya")
    priya.open("Extraction")
    expect(priya.page.get_by_role("tab")).to_have_count(1)  # no comparison for a reviewer
    priya.pick_study(STUDY, "not started")
    fill_entry(priya, ids)
    save(priya, "Save and mark done", "done")
    assert my_entry(store, STUDY, "Priya").done

    # Tom in his own browser: the form is empty (nothing of Priya's), he saves a draft
    tom = people("Tom")
    tom.open("Extraction")
    tom.pick_study(STUDY, "not started")
    expect(tom.page.locator(f".{_key(tom, ids)}-field-author_year input")).to_have_value("")
    assert POPULATION["Priya"] not in tom.readable()
    fill_entry(tom, ids)
    save(tom, "Save draft", "in progress")
    draft = my_entry(store, STUDY, "Tom")
    assert not draft.done and draft.values["population"] == POPULATION["Tom"]

    # blinding: Tom has not finished; Priya's fresh page shows her entry and nothing of his
    priya.open("Progress")
    priya.open("Extraction")
    priya.pick_study(STUDY, "done")
    expect(priya.page.locator(f".{_key(priya, ids)}-field-population input")).to_have_value(
        POPULATION["Priya"])
    shown = priya.readable()
    assert POPULATION["Priya"] in shown and POPULATION["Tom"] not in shown
    assert "Harbourlight" not in shown

    tom.open("Progress")
    tom.open("Extraction")
    tom.pick_study(STUDY, "in progress")
    expect(tom.page.locator(f".{_key(tom, ids)}-field-population input")).to_have_value(
        POPULATION["Tom"])
    assert POPULATION["Priya"] not in tom.readable()
    save(tom, "Save and mark done", "done")
    extracted = time.monotonic()

    # the lead compares: one disagreement, Population; takes Tom's and reconciles
    lee = people("Lee")
    lee.open("Extraction")
    lee.pick_study(STUDY, "not started")
    lee.page.get_by_role("tab", name="Compare and reconcile").click()
    panel = lee.page.get_by_role("tabpanel", name="Compare and reconcile")
    expect(panel.get_by_text("Priya: done; Tom: done")).to_be_visible()
    grid = panel.locator("[data-testid='stDataFrame']")
    expect(grid.locator("table[role='grid'] td").first).to_be_attached()
    assert grid.evaluate(_GRID) == [
        ["Row", "Item", "Agree", "Priya", "Tom"],
        ["field:population", "Population", "no", POPULATION["Priya"], POPULATION["Tom"]]]
    choice = panel.get_by_role("radiogroup", name="Population: whose version?")
    choice.get_by_text("Tom", exact=True).click()
    panel.get_by_role("button", name="Reconcile into the final entry").click()
    expect(lee.page.get_by_text(f"Study {STUDY} reconciled by Lee.")).to_be_visible()
    lee.settle()

    # the extractors' entries are locked now; Priya sees the final entry, not a form
    priya.open("Progress")
    priya.open("Extraction")
    priya.pick_study(STUDY, "done; reconciled")
    expect(priya.page.get_by_text("This study has been reconciled; the entries are locked."))\
        .to_be_visible()
    expect(priya.page.get_by_role("button", name="Save and mark done")).to_have_count(0)
    final_shown = priya.page.locator("[data-testid='stDataFrame']")
    expect(final_shown.locator("table[role='grid'] td").first).to_be_attached()
    assert ["Population", POPULATION["Tom"]] in final_shown.evaluate(_GRID)  # labels, not ids

    # Tables: the reconciled value in the characteristics table and in the downloads
    lee.open("Tables")
    page = lee.page
    expect(page.get_by_text("1 study with a final entry; not reconciled yet: Alder 2015."))\
        .to_be_visible()
    first = page.locator("[data-testid='stDataFrame']").first
    expect(first.locator("table[role='grid'] td").first).to_be_attached()
    # the grid holds the columns Chromium has drawn (it scrolls sideways for the rest)
    shown = first.evaluate(_GRID)
    assert len(shown) == 2 and shown[0][:3] == ["No.", "Study", "Country"]
    assert shown[1][:3] == ["2", "Birch (2019)", "United Kingdom; Ireland"]
    assert POPULATION["Priya"] not in lee.readable()

    with page.expect_download() as caught:
        page.get_by_role("button", name="Download CSV (characteristics)").click()
    download = caught.value
    assert download.suggested_filename == "characteristics.csv"
    raw = Path(download.path()).read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")  # a byte-order mark, for Excel
    table = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"))))
    assert len(table) == 2 and [r[:len(s)] for r, s in zip(table, shown, strict=True)] == shown
    row = dict(zip(*table, strict=True))  # the file says what the page shows, and the rest
    assert row == {"No.": "2", "Study": "Birch (2019)", "Country": "United Kingdom; Ireland",
                   "Setting or organisation": "NR", "Aims": "NR",
                   "Population": POPULATION["Tom"], "Study design": COMMON["design"],
                   "Data collection": "NR", "Analysis": "NR", "Sample size": "14",
                   "Type of self-harm": "NR", "Peer-support format": "online forum",
                   "Moderated": "yes", "Appraisal": "high"}

    with page.expect_download() as caught:
        page.get_by_role("button", name="Download XLSX").click()
    assert caught.value.suggested_filename == "evidence-tables.xlsx"
    from openpyxl import load_workbook

    saved = tmp_path / caught.value.suggested_filename
    caught.value.save_as(saved)
    book = load_workbook(saved, read_only=True)
    sheet = [[c for c in r if c is not None]
             for r in book["Characteristics"].iter_rows(values_only=True)]
    note = build_tables(store, by="Lee")["characteristics"].note
    assert [[str(c) for c in r] for r in sheet if r] == [*table, [note]]  # note under it
    quotes = [r for r in book["Quotes"].iter_rows(values_only=True)][1:]
    assert [(r[1], r[6], r[5], r[4]) for r in quotes if r[0] and r[1]] == [
        (shown.split(": ", 1)[1], quote, where, voice)
        for _, shown, quote, where, voice in EXTRACTS]
    book.close()
    assert priya.dialogs == tom.dialogs == lee.dialogs == []

    # what the browsers did, through the services
    final = final_entries(store)[STUDY]
    assert final.reconciled_by == "Lee" and final.done
    assert final.values == {"author_year": "Birch 2019", "country": ("United Kingdom", "Ireland"),
                            "population": POPULATION["Tom"], "design": COMMON["design"],
                            "sample_size": 14, "format": ("online forum",), "moderated": True}
    assert [(e.theme_id, e.quote, e.location, e.voice) for e in final.extracts] == [
        (theme, quote, where, voice.lower()) for theme, _, quote, where, voice in EXTRACTS]
    assert len(final.answers) == 10 and set(final.answers.values()) == {"yes"}
    assert final.rating == "high"
    assert 1 not in final_entries(store)  # the other study is not extracted
    built = build_tables(store, by="Lee")
    assert tuple(str(v) for v in built["characteristics"].rows[0]) == tuple(table[1])
    assert my_entry(store, STUDY, "Priya").values["population"] == POPULATION["Priya"]
    print(f"extraction by two reviewers {extracted - started:.1f} s; "
          f"total {time.monotonic() - started:.1f} s")


def test_saving_again_stays_on_the_chosen_study(people, store) -> None:  # noqa: ANN001
    """Three drafts in a row on the second study: each lands, and the page stays on it."""
    from playwright.sync_api import expect

    from review.accounts import get_reviewer
    from review.extraction.entries import my_entry

    priya = people("Priya")
    priya.open("Extraction")
    priya.pick_study(STUDY, "not started")
    key = _key(priya, {"Priya": get_reviewer(store, "Priya").id})
    for number, country in enumerate(("France", "Spain", "Italy"), start=1):
        priya.settle()
        box = priya.page.locator(f".{key}-field-country input")
        box.fill(country)
        expect(box).to_have_value(country)
        priya.page.get_by_role("button", name="Save draft", exact=True).click()
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            saved = my_entry(store, STUDY, "Priya")
            if saved is not None and saved.values.get("country") == (country,):
                break
            time.sleep(0.2)
        else:
            raise AssertionError(f"save {number} ({country}) did not land")  # the bug: save 3
        priya.settle()
        expect(priya.page.get_by_text(f"Reports (record ids): {STUDY}.")).to_be_visible()
