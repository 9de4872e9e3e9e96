"""The Extraction and Tables pages through AppTest, run as page scripts with a signed-in
reviewer in session state (as review.ui.session keeps it)."""

from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from review.accounts import get_reviewer
from review.extraction.entries import my_entry, save_entry
from review.extraction.reconcile import compare
from tests.extraction_fixtures import PROTOCOL, included_review
from tests.test_extraction import ALL_YES
from tests.test_quality import QUALITATIVE, SURVEY

PAGES = Path(__file__).resolve().parent.parent / "review" / "ui" / "pages"


@pytest.fixture
def store(tmp_path: Path):
    built = included_review(str(tmp_path / "review.db"), tmp_path)
    yield built
    built.close()


def page(store, name: str, who: str) -> AppTest:
    app = AppTest.from_file(str(PAGES / name), default_timeout=60)
    app.session_state["store"] = store
    app.session_state["reviewer"] = get_reviewer(store, who)
    return app.run()


def test_extractor_fills_the_form_and_saves(store) -> None:
    app = page(store, "extraction.py", "Priya")
    assert not app.exception
    assert app.title[0].value == "Extraction"
    assert len(app.tabs) == 1  # a reviewer has no comparison tab
    key = f"ext-1-{get_reviewer(store, 'Priya').id}"
    app.text_input(key=f"{key}-field-author_year").input("Alder 2015")
    app.text_input(key=f"{key}-field-country").input("uk; Ireland")
    app.text_input(key=f"{key}-field-sample_size").input("14")
    app.multiselect(key=f"{key}-field-format").select("online forum")
    app.radio(key=f"{key}-field-moderated").set_value("yes")
    new = f"{key}-new"  # the extract rows are keyed by the entry's last save; none yet
    app.selectbox(key=f"{new}-new1-theme").set_value("safe_space")
    app.text_area(key=f"{new}-new1-quote").input("We felt understood")
    app.text_input(key=f"{new}-new1-location").input("p. 4")
    app.selectbox(key=f"{new}-new1-voice").set_value("participant")
    app.selectbox(key=f"{new}-new2-theme").set_value("safe_space")
    app.text_area(key=f"{new}-new2-quote").input("Members were less alone")
    app.text_input(key=f"{new}-new2-location").input("p. 5")
    app.selectbox(key=f"{new}-new2-voice").set_value("author")
    app.text_input(key=f"{new}-new2-sub_theme").input("Trust")
    app.button[0].click().run()  # Save draft
    assert not app.exception and not app.error
    assert app.success[0].value.startswith("Saved (in progress): 5 field(s), 2 extract(s) "
                                           "under 1 theme(s)")
    entry = my_entry(store, 1, "Priya")
    assert entry.values == {"author_year": "Alder 2015", "country": ("United Kingdom", "Ireland"),
                            "sample_size": 14, "format": ("online forum",), "moderated": True}
    assert [(e.quote, e.location, e.voice, e.sub_theme) for e in entry.themes["safe_space"]] == [
        ("We felt understood", "p. 4", "participant", ""),
        ("Members were less alone", "p. 5", "author", "Trust")]
    # the saved extracts are listed under their theme, to edit or remove; the new rows are empty
    name = "A safe, non-judgemental space, extract"
    assert _labelled(app.text_area, f"Quote, {name} 2").value == "Members were less alone"
    assert _labelled(app.text_area, "Quote, new extract 1").value == ""
    _labelled(app.text_area, f"Quote, {name} 2").input("Members were less alone there")
    _labelled(app.checkbox, f"Remove {name} 1").check()
    _labelled(app.text_area, "Quote, new extract 1").input("A quote without a theme")
    app.button[0].click().run()
    assert "Not saved: new extract 1: choose its theme." == app.error[0].value
    _labelled(app.text_area, "Quote, new extract 1").input("")
    app.button[0].click().run()
    assert not app.error
    assert [e.quote for e in my_entry(store, 1, "Priya").extracts] == [
        "Members were less alone there"]
    app.button[1].click().run()  # mark done without the appraisal: refused, plainly
    assert "cannot be marked done yet" in app.error[0].value
    app.text_input(key=f"{key}-field-sample_size").input("many")
    app.button[0].click().run()
    assert "sample_size: expected a number" in app.error[0].value
    assert my_entry(store, 1, "Priya").values["sample_size"] == 14


def _labelled(widgets, label: str):  # noqa: ANN001, ANN202
    found = [w for w in widgets if w.label == label]
    assert found, f"no widget labelled {label!r} in {[w.label for w in widgets]}"
    return found[0]


def test_extractor_page_shows_only_their_own_entry(store) -> None:
    save_entry(store, 1, "Tom", values={"population": "Entered by Tom"})
    app = page(store, "extraction.py", "Priya")
    key = f"ext-1-{get_reviewer(store, 'Priya').id}"
    assert app.text_input(key=f"{key}-field-population").value == ""
    assert not any("Entered by Tom" in str(d.value) for d in app.dataframe)


def test_lead_compares_and_reconciles(store) -> None:
    for person, size in (("Priya", 12), ("Tom", 13)):
        save_entry(store, 1, person, values={"author_year": "Alder 2015", "sample_size": size},
                   answers=ALL_YES, rating="high", done=True)
    app = page(store, "extraction.py", "Lee")
    assert not app.exception and len(app.tabs) == 3
    table = app.dataframe[0].value
    assert list(table["Row"]) == ["field:sample_size"]
    assert list(table["Priya"]) == ["12"] and list(table["Tom"]) == ["13"]
    app.radio(key="pick-1-field:sample_size").set_value("Tom")
    app.button(key="FormSubmitter:reconcile-1-Reconcile into the final entry").click().run()
    assert not app.exception and not app.error
    assert app.success[-1].value == "Study 1 reconciled by Lee."
    assert compare(store, 1, by="Lee").final.values["sample_size"] == 13


def test_lead_reconciles_extract_by_extract(store) -> None:
    common = {"values": {"author_year": "Alder 2015"}, "answers": ALL_YES, "rating": "high",
              "done": True}
    save_entry(store, 1, "Priya", extracts=[
        {"theme": "safe_space", "quote": "It was the first place I felt understood",
         "location": "p. 5", "voice": "participant"},
        {"theme": "triggering", "quote": "Some posts were hard", "location": "p. 9",
         "voice": "author"}], **common)
    save_entry(store, 1, "Tom", extracts=[
        {"theme": "safe_space", "quote": "the first place I felt understood",
         "location": "p. 5", "voice": "participant"}], **common)
    app = page(store, "extraction.py", "Lee")
    table = app.dataframe[0].value
    assert list(table["Row"]) == ["extract:safe_space:1", "extract:triggering:1"]
    assert list(table["Tom"]) == ["the first place I felt understood (p. 5; participant)", ""]
    app.radio(key="pick-1-extract:triggering:1").set_value("drop")
    app.radio(key="pick-1-extract:safe_space:1").set_value("edit")
    app.text_area(key="edit-1-extract:safe_space:1-quote").input(
        "it was the first place I felt understood")
    app.text_input(key="edit-1-extract:safe_space:1-sub_theme").input("Being understood")
    app.button(key="FormSubmitter:reconcile-1-Reconcile into the final entry").click().run()
    assert not app.exception and not app.error
    final = compare(store, 1, by="Lee").final
    assert [(e.theme_id, e.quote, e.voice, e.sub_theme) for e in final.extracts] == [
        ("safe_space", "it was the first place I felt understood", "participant",
         "Being understood")]


def test_tables_page_shows_tables_and_downloads(store) -> None:
    for person in ("Priya", "Tom"):
        save_entry(store, 1, person, values={"author_year": "Alder 2015"},
                   themes={"belonging": ("We felt understood", "p. 4", "participant")},
                   answers=ALL_YES,
                   rating="high", done=True)
    from review.extraction.reconcile import reconcile

    reconcile(store, 1, by="Lee")
    refused = page(store, "tables.py", "Priya")  # a reviewer: the page and the service refuse
    assert not refused.exception and not refused.dataframe
    assert "exported by the review's leads" in refused.error[0].value
    app = page(store, "tables.py", "Lee")
    assert not app.exception
    assert [s.value for s in app.subheader][0] == "Table 1. Characteristics of included studies"
    first = app.dataframe[0].value
    assert list(first["Study"]) == ["Alder (2015)"] and list(first["Appraisal"]) == ["high"]
    assert list(first["No."]) == ["1"]
    assert app.button(key="make-report")  # the report is made on request, then offered
    app.button(key="make-report").click().run()
    assert not app.exception and not app.error
    labels = [b.label for b in app.get("download_button")]
    assert {"Download report.md", "Download report.docx",
            "Download prisma-flow.png"} <= set(labels)
    quotes = app.dataframe[2].value
    assert list(quotes["Quote"]) == ["We felt understood"]
    assert "not reconciled yet: Birch 2019, Cedar 2021" in app.caption[0].value


def test_the_form_shows_the_checklist_for_the_design(tmp_path: Path) -> None:
    """With the example protocol as shipped (a checklist per design): no questions until the
    design is chosen, then that design's checklist; a new design starts a new appraisal."""
    store = included_review(str(tmp_path / "review.db"), tmp_path,
                            text=PROTOCOL.read_text(encoding="utf-8"))
    try:
        app = page(store, "extraction.py", "Priya")
        key = f"ext-1-{get_reviewer(store, 'Priya').id}"
        assert "fill in the Study design field first" in app.info[0].value
        assert not [r for r in app.radio if str(r.key).startswith(f"{key}-quality-")]
        app.selectbox(key=f"{key}-field-design").set_value("Cross-sectional survey")
        app.button[0].click().run()  # Save draft
        assert not app.error, [e.value for e in app.error]
        assert "The design calls for the Cross-sectional surveys (JBI-style) checklist" \
            in app.success[0].value
        questions = [r for r in app.radio if str(r.key).startswith(f"{key}-quality-survey-")]
        assert len(questions) == 8
        for radio in questions:
            radio.set_value("yes")
        app.selectbox(key=f"{key}-rating-survey").set_value("moderate")
        app.button[0].click().run()
        assert not app.error, [e.value for e in app.error]
        entry = my_entry(store, 1, "Priya")
        assert entry.rating == "moderate" and set(entry.answers) == {
            "sample_frame", "sample_described", "response", "measures", "self_harm_defined",
            "analysis", "ethics", "conclusions"}
        app.selectbox(key=f"{key}-field-design").set_value("Qualitative")
        app.button[0].click().run()
        assert not app.error, [e.value for e in app.error]
        assert "the answers to the Cross-sectional surveys (JBI-style) checklist were not " \
               "kept" in app.success[0].value
        entry = my_entry(store, 1, "Priya")
        assert entry.values["design"] == "Qualitative" and entry.answers == {}
        assert len([r for r in app.radio
                    if str(r.key).startswith(f"{key}-quality-qualitative-")]) == 10
    finally:
        store.close()


def test_lead_keeps_a_design_and_its_appraisal(tmp_path: Path) -> None:
    """Two extractors who recorded different designs appraised with different checklists:
    the lead picks the design only, and the final entry takes that extractor's appraisal."""
    store = included_review(str(tmp_path / "review.db"), tmp_path,
                            text=PROTOCOL.read_text(encoding="utf-8"))
    try:
        for person, design, answers in (("Priya", "Qualitative", QUALITATIVE),
                                         ("Tom", "Cross-sectional survey", SURVEY)):
            save_entry(store, 1, person, values={"author_year": "Alder 2015", "design": design},
                       answers=answers, rating="moderate", done=True)
        app = page(store, "extraction.py", "Lee")
        assert not app.exception
        assert any("different checklists" in c.value for c in app.caption)
        picks = [r.key for r in app.radio if str(r.key).startswith("pick-1-")]
        assert picks == ["pick-1-field:design"]
        app.radio(key="pick-1-field:design").set_value("Tom")
        app.button(key="FormSubmitter:reconcile-1-Reconcile into the final entry").click().run()
        assert not app.exception and not app.error, [e.value for e in app.error]
        final = compare(store, 1, by="Lee").final
        assert final.values["design"] == "Cross-sectional survey" and final.answers == SURVEY
    finally:
        store.close()
