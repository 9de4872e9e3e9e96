"""The Conflicts and Duplicates pages and the smaller findings of issue 14, through AppTest on
real review databases: one conflict at a time with filters and a discussion, duplicate pairs a
page at a time with field-by-field differences and decisions on a checked set, the database
path for leads only, one name for the third reviewer, plain Progress headings, decision
colours, and import messages that name the file literally."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from review.duplicates import CONFIRMED, NEEDS_REVIEW, list_pairs, run_dedupe
from review.screening import discussion
from review.screening import votes as screening
from review.store import Store
from review.store import schema as t
from tests.test_duplicate_pairs import _works
from tests.test_ui import (
    PAGES,
    _app,
    _click,
    _sign_in,
    _signed_in,
    _texts,
    _widget,
    add_people,
)


@pytest.fixture
def team_db(review_db: Path) -> Path:
    """As tests/test_ui.py's: the small hostile review in screening, a lead, two reviewers."""
    store = Store.open(review_db)
    run_dedupe(store, actor="test")
    store.close()
    add_people(review_db)
    return review_db


ABSTRACT = "&lt;b&gt;not bold&lt;/b&gt; \\[link\\]"  # record 1's abstract, escaped


def _two_conflicts(db: Path) -> None:
    """Record 1: Ana include, Ben exclude; record 2: Ana include, Dev exclude. Tia is the
    third reviewer."""
    add_people(db, {"Dev": ("reviewer", "dev-password"), "Tia": ("reviewer", "tia-password")})
    store = Store.open(db)
    from review import accounts

    accounts.set_role(store, "Tia", "reviewer", resolver=True, actor="test")
    for record, other in ((1, "Ben"), (2, "Dev")):
        screening.cast_vote(store, "Ana", record, "include", origin="test")
        screening.cast_vote(store, other, record, "exclude", origin="test",
                            note=f"{other}'s private note")
    store.close()


def _markdown(app) -> list[str]:  # noqa: ANN001
    return [m.value for m in app.markdown]


def test_conflicts_one_at_a_time_with_next_previous_and_filters(team_db: Path,
                                                                monkeypatch) -> None:
    _two_conflicts(team_db)
    app = _signed_in(team_db, monkeypatch, "Lee", "conflicts")
    assert "**Conflict 1 of 2**" in _markdown(app)
    assert app.header[0].value == "Titles and abstracts: record 1"
    # the abstract is open, not folded away
    assert any(ABSTRACT in m for m in _markdown(app))
    assert not app.expander or all(e.label != "The record" for e in app.expander)
    assert _widget(app.button, "Previous").disabled
    _click(app, "Next")
    assert "**Conflict 2 of 2**" in _markdown(app)
    assert app.header[0].value == "Titles and abstracts: record 2"
    assert _widget(app.button, "Next").disabled
    _click(app, "Previous")
    assert app.header[0].value == "Titles and abstracts: record 1"
    pair = _widget(app.selectbox, "Reviewer pair")
    assert pair.options == ["All reviewer pairs", "Ana / Ben", "Ana / Dev"]
    pair.set_value("Ana / Dev").run()
    assert "**Conflict 1 of 1**" in _markdown(app)
    assert app.header[0].value == "Titles and abstracts: record 2"
    _widget(app.selectbox, "Reviewer pair").set_value("All reviewer pairs").run()
    _widget(app.selectbox, "Stage").set_value("Full texts").run()
    assert "No conflicts match these filters (2 in all)." in [s.value for s in app.success]


def test_conflict_discussion_for_voters_and_leads_and_resolution_moves_on(
        team_db: Path, monkeypatch) -> None:
    _two_conflicts(team_db)
    app = _signed_in(team_db, monkeypatch, "Lee", "conflicts")
    assert "No comments yet." in _texts(app)
    _widget(app.text_area, "Add to the discussion").input("Is the *forum* moderated?")
    _click(app, "Post")
    assert "Is the \\*forum\\* moderated?" in _markdown(app)  # shown literally
    # Ana voted on record 1: she sees the conflict with her own vote and the thread, no form
    ana = _signed_in(team_db, monkeypatch, "Ana", "conflicts")
    text = _texts(ana)
    assert "**Conflict 1 of 2**" in _markdown(ana)
    assert "Ben" not in text and "private note" not in text
    assert "Is the \\*forum\\* moderated?" in _markdown(ana)
    assert not [b for b in ana.button if b.label == "Resolve"]
    _widget(ana.text_area, "Add to the discussion").input("Yes, by trained volunteers.")
    _click(ana, "Post")
    store = Store.open(team_db)
    assert [c.author for c in discussion.thread(store, 1, by="Lee")] == ["Lee", "Ana"]
    # Ben, who did not vote on record 2, sees only record 1
    ben = _signed_in(team_db, monkeypatch, "Ben", "conflicts")
    assert "**Conflict 1 of 1**" in _markdown(ben)
    # the lead resolves record 1 as excluded with a reason from the protocol's list (at
    # titles and abstracts too) and the page moves on to the next conflict
    _widget(app.radio, "Decision").set_value("exclude")
    reasons = _widget(app.selectbox, "Exclusion reason (for exclude; optional)")
    assert reasons.options[:2] == ["Not about self-harm", "Not peer support"]
    reasons.set_value("Not peer support")
    _click(app, "Resolve")
    assert app.success[0].value == "Record 1 resolved: exclude."
    assert "**Conflict 1 of 1**" in _markdown(app)
    assert app.header[0].value == "Titles and abstracts: record 2"
    with store.read() as conn:
        row = conn.execute(t.resolutions.select()).mappings().one()
    assert (row["decision"], row["reason"]) == ("exclude", "Not peer support")
    store.close()


def test_third_reviewer_sees_every_conflict_and_resolves(team_db: Path, monkeypatch) -> None:
    _two_conflicts(team_db)
    app = _sign_in(_app(team_db, monkeypatch), "Tia", "tia-password")
    app.switch_page(f"{PAGES}/conflicts.py").run()
    assert "**Conflict 1 of 2**" in _markdown(app)
    assert "**Ben**: exclude" in _markdown(app)
    assert [b.label for b in app.button if b.label == "Resolve"] == ["Resolve"]


# --- Duplicates ---------------------------------------------------------------------------

def _many_pairs(tmp_path: Path, protocol_path: Path, n: int = 23) -> Path:
    from review.importing import SourceInfo, import_files
    from review.project import create_review

    db = tmp_path / "pairs.db"
    store = create_review(protocol_path, db, actor="lead")
    full, bare = _works(n)
    for name, text in (("full.ris", full), ("bare.ris", bare)):
        path = tmp_path / name
        path.write_text(text, encoding="utf-8")
        import_files(store, [path], SourceInfo(name, "database"), actor="lead")
    run_dedupe(store, actor="lead")
    store.close()
    add_people(db)
    return db


def test_duplicates_paged_every_pair_reachable(tmp_path: Path, protocol_path: Path,
                                               monkeypatch) -> None:
    db = _many_pairs(tmp_path, protocol_path)
    app = _signed_in(db, monkeypatch, "Lee", "duplicates")
    _widget(app.selectbox, "Pairs per page").set_value(10).run()
    assert "**Page 1 of 3**: pairs 1-10 of 23" in _markdown(app)
    seen = {c.label for c in app.checkbox}
    _click(app, "Next page")
    _click(app, "Next page")
    assert "**Page 3 of 3**: pairs 21-23 of 23" in _markdown(app)
    assert _widget(app.button, "Next page").disabled
    seen |= {c.label for c in app.checkbox}
    _click(app, "Previous page")
    seen |= {c.label for c in app.checkbox}
    store = Store.open(db)
    every = {p["id"] for p in list_pairs(store, status=NEEDS_REVIEW)}
    assert {int(label.split(":")[0].removeprefix("Pair ")) for label in seen} == every
    store.close()
    # the field-by-field table says the verdict in words
    table = app.dataframe[0].value
    assert list(table["Field"][:8]) == ["title", "authors", "year", "journal", "volume",
                                        "issue", "pages", "doi"]
    assert list(table["Match"][:3]) == ["✓ same", "∅ missing", "✓ same"]


def test_duplicates_decided_as_a_checked_set_and_no_same_work_when_together(
        tmp_path: Path, protocol_path: Path, monkeypatch) -> None:
    db = _many_pairs(tmp_path, protocol_path, n=4)
    app = _signed_in(db, monkeypatch, "Lee", "duplicates")
    assert _widget(app.button, "Same work (checked pairs)").disabled
    boxes = list(app.checkbox)
    boxes[0].check()
    boxes[2].check()
    app.run()
    assert "**Checked pairs: 2**" in _markdown(app)
    _click(app, "Same work (checked pairs)")
    store = Store.open(db)
    confirmed = list_pairs(store, status=CONFIRMED)
    assert len(confirmed) == 2 and {p["decided_by"] for p in confirmed} == {"Lee"}
    assert len(list_pairs(store, status=NEEDS_REVIEW)) == 2
    store.close()
    assert len(app.checkbox) == 2 and "**Checked pairs: 0**" in _markdown(app)
    # confirmed pairs are one work: no "Same work" on them, "Different works" still offered
    _widget(app.selectbox, "Pairs").set_value(CONFIRMED).run()
    labels = [b.label for b in app.button]
    assert "Same work" not in labels and labels.count("Different works") == 2
    assert "Already one work" in _texts(app)


# --- the smaller findings -------------------------------------------------------------------

def _sidebar_text(app) -> str:  # noqa: ANN001
    return " ".join(str(c.value) for c in app.sidebar.caption)


def test_database_path_is_shown_to_leads_only(team_db: Path, monkeypatch) -> None:
    ana = _signed_in(team_db, monkeypatch, "Ana")
    assert "Database:" not in _sidebar_text(ana) and str(team_db) not in _texts(ana)
    lee = _signed_in(team_db, monkeypatch, "Lee")
    assert "Database: " in _sidebar_text(lee) and str(team_db) in _sidebar_text(lee)


def test_third_reviewer_named_alike_on_progress(team_db: Path, monkeypatch) -> None:
    _two_conflicts(team_db)
    app = _signed_in(team_db, monkeypatch, "Lee", "progress")
    people = app.dataframe[1].value
    roles = dict(zip(people["Reviewer"], people["Role"], strict=False))
    assert roles["Tia"] == "third reviewer" and roles["Ana"] == "reviewer"
    assert roles["Lee"] == "lead"
    assert {"Records waiting for their vote", "Records in stage"} <= set(people.columns)
    assert "Waiting for them" not in people.columns and "Of" not in people.columns


def test_a_reviewers_chart_colours_follow_the_decision(team_db: Path, monkeypatch) -> None:
    from review.ui.progress_page import DECISION_COLOURS

    store = Store.open(team_db)
    screening.cast_vote(store, "Ana", 1, "exclude", origin="test")  # exclude first: no
    screening.cast_vote(store, "Ana", 2, "maybe", origin="test")  # colour by order of arrival
    store.close()
    app = _signed_in(team_db, monkeypatch, "Ana", "progress")
    [chart] = app.get("vega_lite_chart")
    spec = json.loads(chart.proto.spec)
    scale = spec["encoding"]["color"]["scale"]
    colours = dict(zip(scale["domain"], scale["range"], strict=True))
    assert colours == DECISION_COLOURS
    assert colours["include"] != colours["exclude"] != colours["maybe"]
    # the stage chart's included and excluded states take the same colours
    lee = _signed_in(team_db, monkeypatch, "Lee", "progress")
    stage_chart = json.loads(lee.get("vega_lite_chart")[0].proto.spec)
    states = dict(zip(stage_chart["encoding"]["color"]["scale"]["domain"],
                      stage_chart["encoding"]["color"]["scale"]["range"], strict=True))
    assert (states["Included"], states["Excluded"]) == (colours["include"], colours["exclude"])


def test_import_error_names_the_file_literally(team_db: Path, monkeypatch) -> None:
    app = _signed_in(team_db, monkeypatch, "Lee", "import_exports")
    broken = "TY  - JOUR\nTI  - One\nTY  - JOUR\nTI  - Two\nER  - \n"
    app.file_uploader[0].upload("*x*.ris", broken.encode(), "text/plain")
    _widget(app.text_input, "Source name").input("Embase")
    _click(app, "Import")
    assert app.error[0].value.startswith("\\*x\\*\\.ris, line 3")  # not *x* in italics


def test_import_names_a_file_that_is_not_an_export(team_db: Path, monkeypatch) -> None:
    from review.store import records as store_records

    app = _signed_in(team_db, monkeypatch, "Lee", "import_exports")
    app.file_uploader[0].upload("figure_1.png", b"\x89PNG\r\n\x1a\n", "image/png")
    _widget(app.text_input, "Source name").input("Embase")
    _click(app, "Import")
    message = app.error[0].value
    assert "Choose at least one export file" not in message
    assert message.startswith("Not imported: figure\\_1\\.png is not an export that review "
                              "reads.")
    assert "\\.ris" in message and "\\.nbib" in message and "\\.bib" in message
    store = Store.open(team_db)
    assert len(store_records.list_sources(store)) == 1  # nothing imported
    store.close()
