"""The Records page in Streamlit's AppTest: filters (stage, state, own decision, label, source,
years, words) over the review's works, blinding in what a reviewer may filter by, bulk
labelling, and a lead's bulk exclusion by a protocol rule, which says what it left out."""

from __future__ import annotations

from pathlib import Path

import pytest

from review.importing import SourceInfo, import_and_deduplicate
from review.screening.labels import add_label, my_labels
from review.screening.votes import cast_vote
from review.store import Store
from tests.test_ui import _click, _signed_in, _widget, add_people

OLD = ("TY  - JOUR\nTI  - Lay crisis lines in 1990s Europe\nPY  - 1995\nER  - \n\n"
       "TY  - JOUR\nTI  - A helpline audit from 1992\nPY  - 1992\nER  - \n")


@pytest.fixture
def records_db(review_db: Path, tmp_path: Path) -> Path:
    """Records 1 (2020, hostile markup) and 2 (2018) from CINAHL; 3 (1995) and 4 (1992) from
    Embase; deduplicated; Lee leads, Ana and Ben review."""
    store = Store.open(review_db)
    export = tmp_path / "embase.ris"
    export.write_text(OLD, encoding="utf-8")
    import_and_deduplicate(store, [export], SourceInfo("Embase", "database"), actor="test")
    store.close()
    add_people(review_db)
    return review_db


def table_ids(app) -> list[int]:  # noqa: ANN001
    return [int(i) for i in app.dataframe[1].value["ID"]]


def test_filters_on_the_records_page(records_db: Path, monkeypatch) -> None:
    store = Store.open(records_db)
    cast_vote(store, "Ana", 2, "include")
    cast_vote(store, "Ana", 3, "exclude")
    add_label(store, "Ana", 4, "ask Sam")
    store.close()
    app = _signed_in(records_db, monkeypatch, "Ana", "records")
    assert table_ids(app) == [1, 2, 3, 4]
    _widget(app.selectbox, "My decision").set_value("include").run()
    assert table_ids(app) == [2]
    assert list(app.dataframe[1].value["My decision"]) == ["include"]
    _widget(app.selectbox, "My decision").set_value("none").run()
    assert table_ids(app) == [1, 4]
    _widget(app.selectbox, "Label").set_value("ask Sam").run()
    assert table_ids(app) == [4] and list(app.dataframe[1].value["Labels"]) == ["ask Sam"]
    _widget(app.selectbox, "My decision").set_value(None).run()
    _widget(app.selectbox, "Label").set_value(None).run()
    _widget(app.selectbox, "Source").set_value("Embase").run()
    assert table_ids(app) == [3, 4]
    _widget(app.number_input, "From year").set_value(1994).run()
    assert table_ids(app) == [3]
    _widget(app.selectbox, "Source").set_value(None).run()
    _widget(app.number_input, "To year").set_value(2019).run()
    assert table_ids(app) == [2, 3]
    _widget(app.text_input, "Search").input("crisis").run()
    assert table_ids(app) == [3]
    assert "1 matching record(s), one per work (duplicates merged)" in [
        c.value for c in app.caption]
    _widget(app.number_input, "To year").set_value(1990).run()
    assert "the year range 1994-1990 is empty" in app.error[0].value
    assert not app.exception


def test_a_reviewer_cannot_filter_by_conflict_or_see_others_labels(records_db: Path,
                                                                   monkeypatch) -> None:
    store = Store.open(records_db)
    cast_vote(store, "Ana", 1, "include")
    cast_vote(store, "Ben", 1, "exclude")  # a conflict
    add_label(store, "Ben", 1, "Ben's secret")
    store.close()
    app = _signed_in(records_db, monkeypatch, "Ana", "records")
    assert "conflict" not in _widget(app.selectbox, "State").options
    assert list(app.dataframe[1].value["State"])[0] == "pending"
    assert "Ben's secret" not in _widget(app.selectbox, "Label").options
    assert "Ben's secret" not in " ".join(app.dataframe[1].value["Labels"])
    lead = _signed_in(records_db, monkeypatch, "Lee", "records")
    _widget(lead.selectbox, "State").set_value("conflict").run()
    assert table_ids(lead) == [1]
    assert list(lead.dataframe[1].value["Labels"]) == ["Ben's secret (Ben)"]


def test_bulk_labelling_and_a_leads_bulk_exclusion(records_db: Path, monkeypatch) -> None:
    store = Store.open(records_db)
    cast_vote(store, "Ben", 4, "include")  # a vote: the rule must leave record 4 alone
    store.close()
    app = _signed_in(records_db, monkeypatch, "Ana", "records")
    _widget(app.number_input, "To year").set_value(1999).run()
    _widget(app.text_input, "Label to add").input("pre-2000")
    _click(app, "Label them all")
    assert "added to 2 record(s)" in app.success[0].value
    assert "Check what it would exclude" not in [b.label for b in app.button]  # a reviewer
    lead = _signed_in(records_db, monkeypatch, "Lee", "records")
    _widget(lead.number_input, "To year").set_value(1999).run()
    _widget(lead.selectbox, "Rule").set_value("year").run()
    _click(lead, "Check what it would exclude")
    assert "1 left out because someone has voted on them" in lead.info[0].value
    _click(lead, "Exclude 1 record(s)")
    assert lead.success[0].value.startswith("Done: 1 of 2 selected record(s) excluded")
    _widget(lead.selectbox, "State").set_value("excluded").run()
    assert table_ids(lead) == [3]
    assert list(lead.dataframe[1].value["State"]) == ["excluded (automation)"]
    store = Store.open(records_db)
    assert my_labels(store, "Ana", 3) == ["pre-2000"]
    from review.prisma.counts import compute

    assert compute(store).excluded_automatic == 1
    store.close()
    _widget(lead.number_input, "Open record by ID").set_value(3).run()
    assert any("Excluded in bulk by a rule" in m.value for m in lead.markdown)
    _click(lead, "Take the exclusion back")
    assert lead.success[-1].value == "Record 3 is back in screening."
    store = Store.open(records_db)
    assert compute(store).excluded_automatic == 0
    store.close()


def test_the_tags_as_exported_are_for_leads_only(records_db: Path, monkeypatch) -> None:
    """An export from another screening tool can carry its reviewers' votes in its notes (as
    Rayyan's does): a reviewer's record detail leaves the raw tags out, a lead's shows them."""
    shown = {}
    for name in ("Ana", "Lee"):
        app = _signed_in(records_db, monkeypatch, name, "records")
        _widget(app.number_input, "Open record by ID").set_value(1).run()
        assert any(m.value == "**Provenance**" for m in app.markdown)
        shown[name] = [e.label for e in app.expander]
    assert "Tags as exported" not in shown["Ana"]
    assert "Tags as exported" in shown["Lee"]
