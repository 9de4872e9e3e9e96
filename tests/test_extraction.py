"""Extraction entries and reconciliation on a real review (SQLite and PostgreSQL): the form
from the protocol, validation, coded extracts (several per theme, voice, sub-theme),
independence of the two extractors, locking, added themes, single extraction, and a lead's
reconciliation extract by extract."""

from __future__ import annotations

from pathlib import Path

import pytest
import sqlalchemy as sa

from review.accounts import AccessError
from review.errors import ReviewError
from review.extraction.entries import (
    DONE,
    FINAL,
    Extract,
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
    assert [t.id for t in form.themes_of("risks")] == [
        "triggering", "sharing_methods", "group_dynamics", "must_self_harm_to_belong",
        "competition", "labelling_bullying", "supporter_burden", "emotional_burden",
        "codependency"]
    assert list(form.kinds) == ["benefits", "risks", "mitigations", "acceptability"]
    assert [t.id for t in form.children("belonging")] == ["safe_space", "less_isolation"]
    assert form.theme_path("safe_space") == "Community and belonging › A safe, " \
        "non-judgemental space"
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
    assert entry.themes == {"belonging": (Extract("belonging", "We felt understood.", "p. 4"),)}
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
    ({"extracts": [{"theme": "safe_space", "quote": "q", "location": "p. 2",
                    "voice": "narrator"}]}, "extract 1: voice is participant .* or author"),
    ({"extracts": [{"theme": "safe_space", "quote": "q", "location": "p. 2",
                    "sub_theme": "x" * 201}]}, "extract 1: a sub-theme is a short name"),
    ({"extracts": [{"theme": "safe_space", "quote": "q", "page": "2"}]},
     "extract 1: unknown key 'page'"),
    ({"extracts": [{"quote": "q", "location": "p. 2"}]}, "extract 1: say which theme"),
    ({"remove_extracts": [3]}, "no extract 3 in your entry"),
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


def _x(theme: str, quote: str, location: str = "p. 4", voice: str | None = "participant",
       sub_theme: str = "") -> dict:
    return {"theme": theme, "quote": quote, "location": location, "voice": voice,
            "sub_theme": sub_theme}


def test_extracts_several_per_theme_added_edited_and_removed(store) -> None:
    first = save_entry(store, 1, "Priya", extracts=[
        _x("safe_space", "Nobody judged me", "p. 4", "participant", "Being believed"),
        _x("triggering", "Some posts were hard to read", "p. 6", "author")])
    entry = save_entry(store, 1, "Priya", extracts=[
        _x("Safe_Space", "The group felt safe", "pp. 5-6", "Authors"),
        _x("safe_space", "Nobody judged me", "p. 4", "participant", "Being believed")])
    assert first.extracts[0] in entry.extracts and len(entry.extracts) == 3  # no duplicate
    assert [(e.theme_id, e.voice) for e in entry.extracts] == [
        ("safe_space", "participant"), ("safe_space", "author"), ("triggering", "author")]
    assert [e.quote for e in entry.themes["safe_space"]] == ["Nobody judged me",
                                                             "The group felt safe"]
    assert entry.extracts[0].sub_theme == "Being believed"
    fewer = save_entry(store, 1, "Priya", remove_extracts=[2])
    assert [e.quote for e in fewer.extracts] == ["Nobody judged me",
                                                 "Some posts were hard to read"]
    retold = save_entry(store, 1, "Priya", themes={"safe_space": [
        ("We were believed", "p. 3", "participant"), ("Less alone", "p. 8")]})
    assert [(e.quote, e.voice) for e in retold.themes["safe_space"]] == [
        ("We were believed", "participant"), ("Less alone", None)]
    assert "triggering" in retold.themes
    with pytest.raises(ReviewError, match=r"missing: the voice of extract 2 \(A safe, "
                                          r"non-judgemental space\): participant or author"):
        save_entry(store, 1, "Priya", values={"author_year": "Alder 2015"}, answers=ALL_YES,
                   rating="high", done=True)
    audit = t.audit_log
    with store.read() as conn:
        last = conn.execute(sa.select(audit.c.detail).where(
            audit.c.action == "save extraction").order_by(audit.c.id.desc())).first()
    assert [e["quote"] for e in last.detail["extracts_added"]] == ["We were believed",
                                                                   "Less alone"]
    assert [e["quote"] for e in last.detail["extracts_removed"]] == ["Nobody judged me"]


def test_comparison_pairs_extracts_by_theme_and_quote(store) -> None:
    save_entry(store, 1, "Priya", values={"sample_size": 12, "country": "UK"}, extracts=[
        _x("safe_space", "It was the first place I felt understood.", "p. 5"),
        _x("safe_space", "Members valued a space without judgement", "p. 6", "author"),
        _x("triggering", "Some posts were hard to read", "p. 6")])
    save_entry(store, 1, "Tom", values={"sample_size": "12", "country": "Ireland"}, extracts=[
        _x("safe_space", "Members valued a space without judgement.", "page 6", "author"),
        _x("safe_space", "the first place I felt understood", "p. 5"),
        _x("empowerment", "Helping others helped me", "p. 9")])
    found = compare(store, 1, by="Lee")
    assert found.extractors == ("Priya", "Tom")
    assert found.statuses == {"Priya": "in progress", "Tom": "in progress"}
    assert [r.key for r in found.disagreements] == [
        "field:country", "extract:safe_space:1", "extract:empowerment:1",
        "extract:triggering:1"]
    first = found.row("extract:safe_space:1")  # fewer words of the same passage: one row
    assert first.values["Tom"].quote == "the first place I felt understood"
    assert first.similarity == 100 and first.kind == "benefits" and not first.agree
    second = found.row("extract:safe_space:2")  # same words, place and voice: agree
    assert second.agree and second.values["Tom"].location == "page 6"
    assert found.row("extract:triggering:1").values == {
        "Priya": Extract("triggering", "Some posts were hard to read", "p. 6", "participant"),
        "Tom": None}
    assert first.label == "Community and belonging › A safe, non-judgemental space"
    assert found.row("sample_size").agree and found.row("sample_size").values == {
        "Priya": 12, "Tom": 12}
    assert found.row("field:design").values == {"Priya": None, "Tom": None}
    with pytest.raises(ReviewError, match="names several rows"):
        found.row("design")  # a field and a quality question
    with pytest.raises(ReviewError, match="names 2 rows"):
        found.row("theme:safe_space")


def test_reconcile_needs_done_entries_and_every_disagreement_decided(store) -> None:
    save_entry(store, 1, "Priya", values={"author_year": "Alder 2015", "country": "UK"},
               extracts=[_x("belonging", "We felt understood", "p. 4")], answers=ALL_YES,
               rating="high", done=True)
    save_entry(store, 1, "Tom", values={"author_year": "Alder 2015", "country": "Ireland"},
               extracts=[_x("belonging", "Members felt understood", "Results", "author"),
                         _x("codependency", "Some relied on one peer", "p. 8")],
               answers={**ALL_YES, "ethics": "can't tell"}, rating="moderate")
    with pytest.raises(ReviewError, match="Tom has not marked the extraction done"):
        reconcile(store, 1, by="Lee", take="Priya")
    save_entry(store, 1, "Tom", done=True)
    with pytest.raises(ReviewError, match=r"decide these disagreements first \(.*\): "
                                          "extract:belonging:1, extract:codependency:1, "
                                          "quality:ethics, rating$"):
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
    assert final.extracts == (
        Extract("belonging", "Members felt understood", "Results", "author"),
        Extract("codependency", "Some relied on one peer", "p. 8", "participant"))
    assert final.answers == ALL_YES and final.rating == "high"
    assert final_entries(store)[1] == final
    with pytest.raises(ReviewError, match="has been reconciled"):
        save_entry(store, 1, "Tom", values={"country": "UK"})
    again = reconcile(store, 1, by="Ola", take="Tom")  # a lead may settle it again
    assert again.values["country"] == ("Ireland",) and again.reconciled_by == "Ola"
    assert len(again.extracts) == 2
    both = reconcile(store, 1, by="Ola", take="Priya", picks={
        "extract:belonging:1": "both", "codependency": "drop"})
    assert [e.quote for e in both.extracts] == ["We felt understood", "Members felt understood"]
    edited = reconcile(store, 1, by="Lee", take="Priya", edits={
        "extract:belonging:1": {"quote": "Members said they felt understood",
                                "location": "p. 4", "voice": "author",
                                "sub_theme": "Being understood"}})
    assert edited.extracts == (Extract("belonging", "Members said they felt understood",
                                       "p. 4", "author", "Being understood"),)
    with pytest.raises(ReviewError, match=r"the final entry would lack: the voice of "
                                          r"extract 1"):
        reconcile(store, 1, by="Lee", take="Priya",
                  edits={"extract:belonging:1": ("Members felt understood", "p. 4")})
    audit = t.audit_log
    with store.read() as conn:
        actions = [r.action for r in conn.execute(sa.select(audit.c.action).where(
            audit.c.entity == "study").order_by(audit.c.id))]
    assert actions.count("save extraction") == 3 and actions.count("reconcile extraction") == 4


def test_agreeing_entries_reconcile_without_decisions(store) -> None:
    for person in ("Priya", "Tom"):
        finish(store, 2, person, sample_size=30)
    final = reconcile(store, 2, by="Lee")
    assert final.values == {"author_year": "Alder 2015", "sample_size": 30}


def test_lead_adds_themes_during_extraction(store) -> None:
    with pytest.raises(AccessError, match="only a lead adds themes"):
        add_theme(store, "risks", "stigma", "Stigma", by="Priya")
    theme = add_theme(store, "risks", "stigma", "Stigma from others", "Being judged", by="Lee")
    assert theme.added_by == "Lee" and theme.parent is None
    under = add_theme(store, "risks", "pile_on", "Piling on", by="Lee", parent="Group_Dynamics")
    assert under.parent == "group_dynamics"
    below = add_theme(store, "risks", "name_calling", "Name-calling", by="Lee", parent="stigma")
    with pytest.raises(ReviewError, match="already a theme with id 'Triggering'"):
        add_theme(store, "benefits", "Triggering", "Again", by="Lee")
    with pytest.raises(ReviewError, match="unknown kind 'harms'; choose one of benefits, "
                                          "risks, mitigations, acceptability"):
        add_theme(store, "harms", "x", "X", by="Lee")
    with pytest.raises(ReviewError, match="'competition' is itself under 'group_dynamics'"):
        add_theme(store, "risks", "x", "X", by="Lee", parent="competition")
    with pytest.raises(ReviewError, match="'belonging' is a theme of Benefits, not Risks"):
        add_theme(store, "risks", "x", "X", by="Lee", parent="belonging")
    outcome = add_theme(store, "outcomes", "fewer_visits", "Fewer hospital visits", by="Lee",
                        new_kind=True)
    form = extraction_form(store)
    assert [t.id for t in form.themes_of("risks")] == [
        "triggering", "sharing_methods", "group_dynamics", "must_self_harm_to_belong",
        "competition", "labelling_bullying", "pile_on", "supporter_burden",
        "emotional_burden", "codependency", "stigma", "name_calling"]
    assert below.parent == "stigma" and form.kinds["outcomes"] == "Outcomes"
    assert form.themes_of("outcomes") == (outcome,)
    entry = save_entry(store, 1, "Priya", themes={"stigma": ("People judged us", "p. 2")})
    assert entry.themes == {"stigma": (Extract("stigma", "People judged us", "p. 2"),)}
    audit = t.audit_log
    with store.read() as conn:
        rows = conn.execute(sa.select(audit).where(audit.c.action == "add theme")
                            .order_by(audit.c.id)).all()
    assert rows[0].actor == "Lee" and rows[0].detail["label"] == "Stigma from others"
    assert rows[1].detail["parent"] == "group_dynamics"
    assert rows[-1].detail["new_kind"] is True


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


def test_migration_18_makes_each_theme_coding_one_extract(db_url: str,
                                                          monkeypatch: pytest.MonkeyPatch
                                                          ) -> None:
    """A review at the schema before coded extracts (one quote per theme per entry, themes
    added by a lead of the three fixed kinds) keeps every coding as one extract with its
    quote and location, voice not recorded, and every added theme; then takes extracts with a
    voice and themes of any kind under a parent."""
    import review.store as store_module
    from review.store import Store
    from review.store.migrations import LATEST, MIGRATIONS

    old = tuple(m for m in MIGRATIONS if m[0] < 18)
    monkeypatch.setattr(store_module, "MIGRATIONS", old)
    monkeypatch.setattr(store_module, "LATEST", max(m[0] for m in old))
    store = Store.create(db_url)
    md = sa.MetaData()
    md.reflect(store.engine)
    assert "theme_extracts" not in md.tables
    when = "2026-01-01T00:00:00Z"
    with store.write() as conn:
        conn.execute(md.tables["studies"].insert(), [
            {"id": 1, "label": "Alder 2015", "created_at": when, "created_by": "t"},
            {"id": 2, "label": "Birch 2019", "created_at": when, "created_by": "t"}])
        conn.execute(md.tables["extraction_entries"].insert(), [
            {"id": 10, "study_id": 1, "extractor": "final", "status": "done",
             "created_at": when, "updated_at": when},
            {"id": 11, "study_id": 2, "extractor": "final", "status": "done",
             "created_at": when, "updated_at": when}])
        conn.execute(md.tables["theme_codings"].insert(), [
            {"entry_id": 10, "theme_id": "triggering", "quote": "Hard to read", "location": "p. 9"},
            {"entry_id": 10, "theme_id": "belonging", "quote": "We felt understood",
             "location": "Results"},
            {"entry_id": 11, "theme_id": "stigma", "quote": "People judged us",
             "location": "p. 2"}])
        conn.execute(md.tables["extra_themes"].insert().values(
            id="stigma", kind="risks", label="Stigma", description="", added_by="Lee",
            added_at=when))
    store.close()
    monkeypatch.undo()

    store = Store.open(db_url)  # migrates
    assert store.schema_version() == LATEST
    coded = t.theme_extracts
    with store.read() as conn:
        rows = conn.execute(sa.select(coded.c.entry_id, coded.c.position, coded.c.theme_id,
                                      coded.c.quote, coded.c.location, coded.c.voice,
                                      coded.c.sub_theme).order_by(coded.c.id)).all()
        added = conn.execute(sa.select(t.extra_themes)).all()
        assert not sa.inspect(conn).has_table("theme_codings")
    assert [tuple(r) for r in rows] == [
        (10, 1, "belonging", "We felt understood", "Results", None, None),
        (10, 2, "triggering", "Hard to read", "p. 9", None, None),
        (11, 1, "stigma", "People judged us", "p. 2", None, None)]
    assert [(r.id, r.kind, r.label, r.parent) for r in added] == [
        ("stigma", "risks", "Stigma", None)]
    with store.write() as conn:  # any kind now, and a parent
        conn.execute(t.extra_themes.insert().values(
            id="fewer_visits", kind="outcomes", label="Fewer visits", description="",
            added_by="Lee", added_at=when, parent="stigma"))
        conn.execute(coded.insert().values(entry_id=11, position=2, theme_id="stigma",
                                           quote="Q", location="p. 1", voice="author"))
    with pytest.raises(sa.exc.IntegrityError), store.write() as conn:
        conn.execute(coded.insert().values(entry_id=11, position=3, theme_id="stigma",
                                           quote="Q", location="p. 1", voice="narrator"))
    with pytest.raises(sa.exc.IntegrityError), store.write() as conn:  # one per place
        conn.execute(coded.insert().values(entry_id=11, position=2, theme_id="stigma",
                                           quote="Q2", location="p. 1", voice="author"))
    if "://" not in db_url:
        with store.read() as conn:
            assert conn.exec_driver_sql("PRAGMA foreign_key_check").all() == []
    store.close()
