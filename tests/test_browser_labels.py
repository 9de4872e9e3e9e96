"""Labels and the Records page end to end in Chromium: a label stays its reviewer's own until
the record's votes are in (another reviewer and the lead see nothing of it before; the lead
sees it after), and a filtered set downloads as RIS that rispy reads back."""

from __future__ import annotations

from pathlib import Path

import rispy

from tests.test_browser import Session, app_url, session, team  # noqa: F401


def _open_record(page, record_id: int) -> None:  # noqa: ANN001
    from playwright.sync_api import expect

    page.get_by_role("link", name="Records").click()
    expect(page.get_by_role("heading", name="Records")).to_be_visible(timeout=30_000)
    box = page.get_by_role("spinbutton", name="Open record by ID")
    box.fill(str(record_id))
    box.press("Enter")
    expect(page.get_by_text("Provenance")).to_be_visible(timeout=15_000)


def test_a_label_is_private_until_the_votes_are_in(session, tmp_path: Path) -> None:  # noqa: ANN001, F811
    from playwright.sync_api import expect

    ana = session().sign_in("Ana")
    page = ana.page
    expect(page.get_by_text("0 of 2 voted at titles and abstracts")).to_be_visible(timeout=15_000)
    labels = page.get_by_role("combobox", name="My labels")
    labels.click()
    labels.fill("ask Sam")
    labels.press("Enter")
    page.keyboard.press("Escape")
    _open_record(page, 1)
    expect(page.get_by_text("Labels: ask Sam")).to_be_visible(timeout=15_000)
    page.get_by_role("link", name="Screen").click()
    page.get_by_role("button", name="Include").click()
    expect(page.get_by_text("Vote saved: include on record 1.")).to_be_visible(timeout=15_000)

    ben = session().sign_in("Ben")
    expect(ben.page.get_by_text("0 of 2 voted at titles and abstracts")).to_be_visible(
        timeout=15_000)
    expect(ben.page.get_by_text("ask Sam")).to_have_count(0)
    lee = session().sign_in("Lee")
    _open_record(lee.page, 1)
    expect(lee.page.get_by_text("ask Sam")).to_have_count(0)  # one vote of two: still blind

    ben.page.get_by_role("button", name="Include").click()
    expect(ben.page.get_by_text("Vote saved: include on record 1.")).to_be_visible(
        timeout=15_000)
    expect(ben.page.get_by_text("ask Sam")).to_have_count(0)
    lee.page.get_by_role("link", name="Progress").click()
    expect(lee.page.get_by_role("heading", name="Progress")).to_be_visible(timeout=30_000)
    _open_record(lee.page, 1)
    expect(lee.page.get_by_text("Labels: ask Sam (Ana)")).to_be_visible(timeout=15_000)
    lee.page.screenshot(path=str(tmp_path / "labels.png"), full_page=True)
    assert ana.dialogs == ben.dialogs == lee.dialogs == []


def test_a_filtered_set_downloads_as_ris(session, tmp_path: Path) -> None:  # noqa: ANN001, F811
    from playwright.sync_api import expect

    ana = session().sign_in("Ana")
    page = ana.page
    page.get_by_role("link", name="Records").click()
    expect(page.get_by_role("heading", name="Records")).to_be_visible(timeout=30_000)
    search = page.get_by_role("textbox", name="Search")
    search.fill("overgaard")
    search.press("Enter")
    expect(page.get_by_text("1 matching record(s)")).to_be_visible(timeout=15_000)
    with page.expect_download(timeout=30_000) as caught:
        page.get_by_role("button", name="Download RIS").click()
    path = tmp_path / "references.ris"
    caught.value.save_as(path)
    [entry] = rispy.loads(path.read_text(encoding="utf-8"))
    assert entry["title"] == "Peer mentoring in a voluntary organisation"
    assert entry["type_of_reference"] == "JOUR" and entry["year"] == "2018"
