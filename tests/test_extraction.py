"""Extraction entries and reconciliation on a real review (SQLite and PostgreSQL): the form
from the protocol, validation, independence of the two extractors, locking, added themes,
single extraction, and a lead's reconciliation."""

from __future__ import annotations

from pathlib import Path

import pytest
import sqlalchemy as sa

from review.accounts import AccessError
from review.errors import ReviewError
from review.extraction.entries import (
    DONE,
    FINAL,
    Coding,
    add_theme,
    extraction_form,
    extraction_status,
    final_entries,
    my_entry,
    save_entry,
)
from review.extraction.quality import appraise
from review.extraction.reconcile import compare, reconcile
from review.extraction.studies import link_report
from review.fields import FieldValueError
from review.store import schema as t
from tests.extraction_fixtures import included_review

QUESTIONS = ("aims", "qualitative_fit", "design", "recruitment", "data_collection",
             "reflexivity", "ethics", "analysis", "findings", "value")
ALL_YES = dict.fromkeys(QUESTIONS, "yes")


def finish(store, study_id: int, person: str, rating: str = "high", **values) -> None:
    save_entry(store, study_id, person, values={"author_year": "Alder 2015", **values},
               answers=ALL_YES, rating=rating, done=True)


@pytest.fixture
def store(db_url: str, tmp_path: Path):
    built = included_review(db_url, tmp_path)
    yield built
    built.close()


def test_form_comes_from_the_protocol(store) -> None:
    form = extraction_form(store)
    assert [f.id for f in form.fields] == ["author_year", "country", "setting", "aims",
                                           "population", "design", "data_collection",
                                           "analysis", "sample_size", "sample_unit",
                                           "self_harm_type", "format", "moderated",
                                           "facilitated_by", "participant_role", "age",
                                           "gender", "organisation_type", "funding", "themes"]
    assert form.dual is True
    assert [t.id for t in form.themes_of("risks")] == ["triggering", "competition",
                                                      "codependency"]
    assert form.checklist is not None and len(form.checklist.questions) == 10


def test_values_are_normalised_and_merged(store) -> None:
    save_entry(store, 1, "Priya", values={"country": "uk; Ireland", "sample_size": "40",
                                          "format": "One-to-one; online forum",
                                          "moderated": "y"})
    entry = save_entry(store, 1, "Priya", values={"population": "  Young adults  "},
                       themes={"Belonging": {"quote": " We  felt understood. ",
                                             "location": "p. 4"}})
    assert entry.values == {"country": ("United Kingdom", "Ireland"),
                            "population": "Young adults", "sample_size": 40,
                            "format": ("online forum", "one-to-one"), "moderated": True}
    assert entry.themes == {"belonging": Coding("We felt understood.", "p. 4")}
    assert entry.status == "in progress"
    cleared = save_entry(store, 1, "Priya", values={"population": ""},
                         remove_themes=["belonging"])
    assert "population" not in cleared.values and cleared.themes == {}


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"values": {"sample_size": "forty"}}, "sample_size: expected a number"),
    ({"values": {"format": "podcast"}}, "format: expected one of: online forum"),
    ({"values": {"moderated": "sometimes"}}, "moderated: expected yes or no"),
    ({"values": {"country": "42"}}, "country: expected a country name"),
    ({"values": {"colour": "blue"}}, "colour: no such field in the extraction form"),
    ({"themes": {"unknown": ("q", "p. 1")}}, "no theme 'unknown' in this review"),
    ({"themes": {"belonging": ("", "p. 1")}}, "theme belonging: give a supporting quote"),
    ({"themes": {"belonging": ("We met weekly", " ")}}, "say where the quote is"),
    ({"answers": {"aims": "maybe"}}, "quality question aims: answer one of yes, no"),
    ({"answers": {"nope": "yes"}}, "quality: no question 'nope'"),
    ({"rating": "excellent"}, "quality rating: choose one of high, moderate, low"),
])
def test_bad_input_is_refused_whole(store, kwargs, message) -> None:
    save_entry(store, 1, "Priya", values={"design": "Interviews"})
    with pytest.raises(ReviewError, match=message):
        save_entry(store, 1, "Priya", **{"values": {"population": "Adults"}, **kwargs})
    assert my_entry(store, 1, "Priya").values == {"design": "Interviews"}  # nothing landed


def test_field_errors_are_field_value_errors(store) -> None:
    with pytest.raises(FieldValueError) as caught:
        save_entry(store, 1, "Priya", values={"sample_size": "many"})
    assert caught.value.field_id == "sample_size"


def test_done_needs_required_fields_and_the_appraisal(store) -> None:
    with pytest.raises(ReviewError, match=r"missing: Author and year \(required\); quality "
                                          "question aims;.*overall quality rating"):
        save_entry(store, 1, "Priya", values={"design": "Interviews"}, done=True)
    entry = save_entry(store, 1, "Priya", values={"author_year": "Alder 2015"},
                       answers=ALL_YES, rating="High", done=True)
    assert entry.status == DONE and entry.rating == "high"
    with pytest.raises(ReviewError, match="cannot be marked done"):
        save_entry(store, 1, "Priya", values={"author_year": ""})


def test_extractors_never_see_each_other(store) -> None:
    save_entry(store, 1, "Priya", values={"design": "Interviews"})
    save_entry(store, 1, "Tom", values={"design": "Survey"})
    assert my_entry(store, 1, "Priya").values == {"design": "Interviews"}
    assert my_entry(store, 1, "Tom").values == {"design": "Survey"}
    assert my_entry(store, 2, "Tom") is None
    status = {r["study"]: r for r in extraction_status(store, "Tom")}
    assert status[1] == {"study": 1, "label": "Alder 2015", "reports": 1, "records": [1],
                         "started": 2, "done": 0, "final": False, "mine": "in progress"}
    with pytest.raises(AccessError, match="only a lead compares"):
        compare(store, 1, by="Tom")


def test_a_third_extractor_is_refused_with_dual_extraction(store) -> None:
    save_entry(store, 1, "Priya", values={"design": "Interviews"})
    save_entry(store, 1, "Tom", values={"design": "Interviews"})
    with pytest.raises(ReviewError, match="already has 2 extractor"):
        save_entry(store, 1, "Lee", values={"design": "Interviews"})


def test_unknown_study_and_person(store) -> None:
    with pytest.raises(ReviewError, match="no included study 99"):
        save_entry(store, 99, "Priya", values={"design": "x"})
    with pytest.raises(ReviewError, match="no reviewer called 'Nobody'"):
        save_entry(store, 1, "Nobody", values={"design": "x"})


def test_comparison_field_by_field_and_theme_by_theme(store) -> None:
    save_entry(store, 1, "Priya", values={"sample_size": 12, "country": "UK"},
               themes={"belonging": ("We felt understood", "p. 4"),
                       "triggering": ("Some posts were hard to read", "p. 6")})
    save_entry(store, 1, "Tom", values={"sample_size": "12", "country": "Ireland"},
               themes={"belonging": ("Members felt understood", "Results")})
    found = compare(store, 1, by="Lee")
    assert found.extractors == ("Priya", "Tom")
    assert found.statuses == {"Priya": "in progress", "Tom": "in progress"}
    assert [r.key for r in found.disagreements] == ["field:country", "theme:triggering"]
    assert found.row("sample_size").agree and found.row("sample_size").values == {
        "Priya": 12, "Tom": 12}
    belonging = found.row("theme:belonging")
    assert belonging.agree and belonging.kind == "benefits"  # both coded: quotes may differ
    assert found.row("field:design").values == {"Priya": None, "Tom": None}
    with pytest.raises(ReviewError, match="names several rows"):
        found.row("design")  # a field and a quality question


def test_reconcile_needs_done_entries_and_every_disagreement_decided(store) -> None:
    save_entry(store, 1, "Priya", values={"author_year": "Alder 2015", "country": "UK"},
               themes={"belonging": ("We felt understood", "p. 4")}, answers=ALL_YES,
               rating="high", done=True)
    save_entry(store, 1, "Tom", values={"author_year": "Alder 2015", "country": "Ireland"},
               themes={"belonging": ("Members felt understood", "Results"),
                       "codependency": ("Some relied on one peer", "p. 8")},
               answers={**ALL_YES, "ethics": "can't tell"}, rating="moderate")
    with pytest.raises(ReviewError, match="Tom has not marked the extraction done"):
        reconcile(store, 1, by="Lee", take="Priya")
    save_entry(store, 1, "Tom", done=True)
    with pytest.raises(ReviewError, match=r"decide these disagreements first \(.*\): "
                                          "theme:codependency, quality:ethics, rating$"):
        reconcile(store, 1, by="Lee", picks={"country": "Tom"})
    with pytest.raises(AccessError):
        reconcile(store, 1, by="Priya", take="Priya")
    with pytest.raises(ReviewError, match="'Ola' did not extract study 1"):
        reconcile(store, 1, by="Lee", take="Ola")
    final = reconcile(store, 1, by="Lee", take="Priya",
                      picks={"theme:codependency": "Tom", "belonging": "Tom"},
                      values={"population": "Young adults"})
    assert final.extractor == FINAL and final.reconciled_by == "Lee" and final.done
    assert final.values == {"author_year": "Alder 2015", "country": ("United Kingdom",),
                            "population": "Young adults"}
    assert final.themes == {"belonging": Coding("Members felt understood", "Results"),
                            "codependency": Coding("Some relied on one peer", "p. 8")}
    assert final.answers == ALL_YES and final.rating == "high"
    assert final_entries(store)[1] == final
    with pytest.raises(ReviewError, match="has been reconciled"):
        save_entry(store, 1, "Tom", values={"country": "UK"})
    again = reconcile(store, 1, by="Ola", take="Tom")  # a lead may settle it again
    assert again.values["country"] == ("Ireland",) and again.reconciled_by == "Ola"
    audit = t.audit_log
    with store.read() as conn:
        actions = [r.action for r in conn.execute(sa.select(audit.c.action).where(
            audit.c.entity == "study").order_by(audit.c.id))]
    assert actions.count("save extraction") == 3 and actions.count("reconcile extraction") == 2


def test_agreeing_entries_reconcile_without_decisions(store) -> None:
    for person in ("Priya", "Tom"):
        finish(store, 2, person, sample_size=30)
    final = reconcile(store, 2, by="Lee")
    assert final.values == {"author_year": "Alder 2015", "sample_size": 30}


def test_lead_adds_themes_during_extraction(store) -> None:
    with pytest.raises(AccessError, match="only a lead adds themes"):
        add_theme(store, "risks", "stigma", "Stigma", by="Priya")
    theme = add_theme(store, "risks", "stigma", "Stigma from others", "Being judged", by="Lee")
    assert theme.added_by == "Lee"
    with pytest.raises(ReviewError, match="already a theme with id 'Triggering'"):
        add_theme(store, "benefits", "Triggering", "Again", by="Lee")
    with pytest.raises(ReviewError, match="unknown kind"):
        add_theme(store, "harms", "x", "X", by="Lee")
    form = extraction_form(store)
    assert [t.id for t in form.themes_of("risks")] == ["triggering", "competition",
                                                      "codependency", "stigma"]
    entry = save_entry(store, 1, "Priya", themes={"stigma": ("People judged us", "p. 2")})
    assert entry.themes == {"stigma": Coding("People judged us", "p. 2")}
    audit = t.audit_log
    with store.read() as conn:
        row = conn.execute(sa.select(audit).where(audit.c.action == "add theme")).one()
    assert row.actor == "Lee" and row.detail["label"] == "Stigma from others"


def test_single_extraction_entry_is_final_once_done(db_url: str, tmp_path: Path) -> None:
    store = included_review(db_url, tmp_path, dual=False)
    try:
        assert extraction_form(store).dual is False
        save_entry(store, 1, "Priya", values={"author_year": "Alder 2015"})
        assert final_entries(store) == {}
        with pytest.raises(ReviewError, match="the protocol asks for 1"):
            save_entry(store, 1, "Tom", values={"author_year": "Alder 2015"})
        entry = appraise(store, 1, "Priya", answers=ALL_YES, rating="low", done=True)
        assert final_entries(store) == {1: entry}
        corrected = reconcile(store, 1, by="Lee", values={"sample_size": 5})
        assert corrected.values["sample_size"] == 5 and final_entries(store)[1] == corrected
    finally:
        store.close()


def test_a_study_with_extraction_keeps_its_report(store) -> None:
    save_entry(store, 1, "Priya", values={"design": "Interviews"})
    with pytest.raises(ReviewError, match="study 1 has extracted data"):
        link_report(store, 1, 2, actor="Lee")
    moved = link_report(store, 3, 2, actor="Lee")  # an untouched study's report moves
    assert moved.records == (2, 3)
    assert [r["study"] for r in extraction_status(store)] == [1, 2]
