"""Quality appraisal: answers and ratings checked against the protocol's checklist, appraisal
as part of an extractor's entry, and the ready checklist blocks in protocols/blocks/."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from review.amendments import amend_protocol
from review.demo.build import build_demo
from review.errors import ProtocolError, ReviewError
from review.extraction.checklist import check_answers, check_rating
from review.extraction.entries import extraction_form, final_entries, my_entry, save_entry
from review.extraction.quality import (
    appraisal_by_checklist,
    appraisal_tools,
    appraise,
    summary,
)
from review.extraction.reconcile import compare, reconcile
from review.extraction.studies import list_studies
from review.extraction.tables import build_tables
from review.protocol import parse_protocol
from review.ui.appraisal_form import appraisal_to_save
from tests.extraction_fixtures import PROTOCOL, included_review

BLOCKS = Path(__file__).resolve().parent.parent / "protocols" / "blocks"


def with_block(block: str) -> str:
    """The example protocol with its [quality] table replaced by the block."""
    text = PROTOCOL.read_text(encoding="utf-8")
    start = text.index("\n[quality]")
    return text[:start] + "\n" + block


@pytest.fixture(scope="module")
def checklist():
    return parse_protocol(PROTOCOL.read_text(encoding="utf-8")).quality


def test_answers_take_the_checklists_spelling(checklist) -> None:
    assert check_answers(checklist, {"AIMS": " Yes ", "ethics": "CAN'T TELL"}) == {
        "aims": "yes", "ethics": "can't tell"}
    assert check_rating(checklist, "Moderate") == "moderate"
    with pytest.raises(ReviewError, match="answer one of yes, no, can't tell"):
        check_answers(checklist, {"aims": "partly"})
    with pytest.raises(ReviewError, match="no question 'novelty'"):
        check_answers(checklist, {"novelty": "yes"})
    with pytest.raises(ReviewError, match="choose one of high, moderate, low"):
        check_rating(checklist, "5 stars")
    with pytest.raises(ReviewError, match="no \\[quality\\] checklist"):
        check_rating(None, "high")


def test_summary_counts_answers(checklist) -> None:
    assert summary(checklist, {"aims": "yes", "ethics": "no", "value": "yes"}) == {
        "yes": 2, "no": 1, "can't tell": 0}


def test_appraisal_is_part_of_the_entry(db_url: str, tmp_path: Path) -> None:
    store = included_review(db_url, tmp_path)
    try:
        entry = appraise(store, 1, "Priya", answers={"aims": "yes"}, rating="low")
        assert entry.answers == {"aims": "yes"} and entry.rating == "low"
        entry = appraise(store, 1, "Priya", answers={"value": "no"})
        assert entry.answers == {"aims": "yes", "value": "no"} and entry.rating == "low"
        with pytest.raises(ReviewError, match="give at least one answer"):
            appraise(store, 1, "Priya")
        with pytest.raises(ReviewError, match="quality question design"):
            appraise(store, 1, "Priya", answers={"design": "maybe"}, done=True)
    finally:
        store.close()


@pytest.mark.parametrize(("name", "count", "answers"), [
    ("casp-qualitative.toml", 10, ("yes", "no", "can't tell")),
    ("mmat-style.toml", 17, ("yes", "no", "can't tell", "not applicable")),
])
def test_blocks_parse_in_a_protocol(name: str, count: int, answers: tuple[str, ...]) -> None:
    block = (BLOCKS / name).read_text(encoding="utf-8")
    protocol = parse_protocol(with_block(block), name)
    assert protocol.quality is not None
    assert len(protocol.quality.questions) == count
    assert protocol.quality.answers == answers
    assert protocol.quality.ratings == ("high", "moderate", "low")
    assert all(text.endswith("?") for _, text in protocol.quality.questions)
    assert re.search(r"own wording|project's own", block)  # paraphrased, and says so


# --- checklists by design --------------------------------------------------------------------

SHIPPED = PROTOCOL.read_text(encoding="utf-8")
SURVEY = {"sample_frame": "yes", "sample_described": "yes", "response": "can't tell",
          "measures": "yes", "self_harm_defined": "no", "analysis": "yes", "ethics": "yes",
          "conclusions": "yes"}
QUALITATIVE = {q: "yes" for q in ("aims", "qualitative_fit", "design", "recruitment",
                                  "data_collection", "reflexivity", "ethics", "analysis",
                                  "findings", "value")}


def by_design(quality: str, fields: str = "") -> str:
    """A small protocol: a design field (choice unless `fields` says otherwise) and the given
    [quality] tables."""
    fields = fields or ('[[extraction.fields]]\nid = "design"\nlabel = "Study design"\n'
                        'type = "choice"\nchoices = ["Qualitative", "Survey", "Other"]\n')
    return (f'title = "T"\nquestion = "Q?"\n[screening]\nexclusion_reasons = ["Other"]\n'
            f"[extraction]\n{fields}\n{quality}")


TWO = '''[quality]
ratings = ["good", "poor"]

[[quality.checklists]]
id = "qual"
label = "Qualitative"
designs = ["qualitative"]
[[quality.checklists.questions]]
id = "aims"
text = "Aims clear?"

[[quality.checklists]]
id = "svy"
label = "Survey"
designs = ["Survey"]
answers = ["yes", "no"]
[[quality.checklists.questions]]
id = "aims"
text = "Aims of the survey clear?"
[[quality.checklists.questions]]
id = "response"
text = "Response rate given?"
'''


def test_checklists_by_design_parse() -> None:
    protocol = parse_protocol(by_design(TWO))
    assert protocol.design_field == "design"
    qual, svy = protocol.checklists
    assert protocol.quality == qual
    assert qual.designs == ("Qualitative",)  # the field's spelling of the choice
    assert (qual.answers, qual.ratings) == (("yes", "no", "can't tell"), ("good", "poor"))
    assert (svy.answers, svy.ratings) == (("yes", "no"), ("good", "poor"))
    assert svy.question("response") == "Response rate given?" and svy.question("x") == ""
    single = parse_protocol(with_block((BLOCKS / "casp-qualitative.toml").read_text()))
    assert single.design_field is None and single.checklists == (single.quality,)


@pytest.mark.parametrize(("quality", "fields", "key", "message"), [
    (TWO.replace('designs = ["Survey"]', 'designs = ["Qualitative"]'), "",
     "quality.checklists[1].designs[0]",
     "design 'Qualitative' already has a checklist (qual); a design takes one"),
    (TWO.replace('designs = ["Survey"]', 'designs = ["Interviews"]'), "",
     "quality.checklists[1].designs[0]",
     "'Interviews' is not a choice of field 'design' (choices: Qualitative, Survey, Other)"),
    (TWO.replace('designs = ["Survey"]', "designs = []"), "", "quality.checklists[1].designs",
     "list the values of 'design' this checklist appraises"),
    (TWO.replace("[quality]\n", '[quality]\ndesign_field = "method"\n'), "",
     "quality.design_field", "no extraction field 'method'"),
    (TWO, '[[extraction.fields]]\nid = "design"\nlabel = "D"\ntype = "number"\n',
     "quality.design_field", "field 'design' is number"),
    (TWO.replace('id = "svy"', 'id = "qual"'), "", "quality.checklists[1].id",
     'duplicate checklist id "qual"'),
    (TWO.replace("[quality]\n", '[quality]\nid = "x"\n'), "", "quality.id", 'unknown key "id"'),
    ('[quality]\nchecklists = []\n', "", "quality.checklists", "list at least one checklist"),
])
def test_checklists_by_design_are_checked(quality: str, fields: str, key: str,
                                          message: str) -> None:
    with pytest.raises(ProtocolError) as caught:
        parse_protocol(by_design(quality, fields), "p.toml")
    assert caught.value.key == key and message in str(caught.value)


@pytest.fixture
def shipped_review(db_url: str, tmp_path: Path):
    store = included_review(db_url, tmp_path, text=SHIPPED)
    yield store
    store.close()


def test_the_design_picks_the_checklist(shipped_review) -> None:
    store = shipped_review
    save_entry(store, 2, "Tom", values={"population": "Adults"})
    rows = [r.key for r in compare(store, 2, by="Lee").rows if r.section == "quality"]
    assert rows == ["rating"]  # no design yet: no checklist's questions to compare
    with pytest.raises(ReviewError, match="fill in the Study design field first: the study's "
                                          "design picks its appraisal checklist"):
        appraise(store, 1, "Priya", answers={"aims": "yes"})
    save_entry(store, 1, "Priya", values={"design": "cross-sectional survey"})
    with pytest.raises(ReviewError, match="no question 'reflexivity' in the checklist "
                                          "'Cross-sectional surveys"):
        appraise(store, 1, "Priya", answers={"reflexivity": "yes"})
    with pytest.raises(ReviewError, match="missing: .*quality question sample_frame"):
        appraise(store, 1, "Priya", answers={"response": "no"}, done=True)
    entry = appraise(store, 1, "Priya", answers=SURVEY, rating="moderate")
    assert list(entry.answers) == list(SURVEY)  # in the checklist's order
    # a new design with another checklist: the old appraisal does not silently carry over
    with pytest.raises(ReviewError, match="is now 'Qualitative', appraised with the "
                                          "Qualitative studies .* made with the "
                                          "Cross-sectional surveys"):
        save_entry(store, 1, "Priya", values={"design": "Qualitative"})
    assert my_entry(store, 1, "Priya").answers == SURVEY  # nothing landed
    entry = save_entry(store, 1, "Priya", values={"design": "Qualitative"},
                       answers={"aims": "yes"})
    assert entry.answers == {"aims": "yes"} and entry.rating is None  # a new appraisal
    entry = save_entry(store, 1, "Priya", values={"design": "Qualitative", "author_year": "A 1"},
                       answers=QUALITATIVE, rating="high", done=True)
    assert entry.done and entry.answers == QUALITATIVE


def test_a_design_without_a_checklist_says_so(db_url: str, tmp_path: Path) -> None:
    text = by_design(TWO, '[[extraction.fields]]\nid = "design"\nlabel = "Study design"\n'
                          'type = "text"\n')
    store = included_review(db_url, tmp_path, text=text)
    try:
        save_entry(store, 1, "Priya", values={"design": "Case report"})
        with pytest.raises(ReviewError, match=r"no appraisal checklist for the design 'Case "
                                              r"report' \(the Study design field\); the "
                                              r"protocol's checklists: Qualitative "
                                              r"\(qualitative\); Survey \(Survey\)"):
            appraise(store, 1, "Priya", rating="good")
        with pytest.raises(ReviewError, match="an appraisal checklist for the design 'Case "
                                              "report'"):
            save_entry(store, 1, "Priya", done=True)
        entry = save_entry(store, 1, "Priya", values={"design": " SURVEY "},
                           answers={"AIMS": "Yes", "response": "no"}, rating="Good", done=True)
        assert entry.answers == {"aims": "yes", "response": "no"} and entry.rating == "good"
    finally:
        store.close()


def test_the_page_moves_an_appraised_study_to_a_design_without_a_checklist(
        db_url: str, tmp_path: Path) -> None:
    """The Extraction page sends the form's answers back with the new design; for a design no
    checklist appraises it leaves them out (a radio cannot be cleared), so the save goes
    through instead of being refused for answers with no checklist."""
    text = by_design(TWO, '[[extraction.fields]]\nid = "design"\nlabel = "Study design"\n'
                          'type = "text"\n')
    store = included_review(db_url, tmp_path, text=text)
    try:
        entry = save_entry(store, 1, "Priya", values={"design": "Survey"},
                           answers={"aims": "yes"}, rating="good")
        form = extraction_form(store)
        shown = form.checklist_of(entry.values)
        assert shown is not None
        values = {**entry.values, "design": "Case report"}
        answers, rating, notice = appraisal_to_save(form, shown, values, dict(entry.answers),
                                                     entry.rating)
        assert (answers, rating) == ({}, None) and "no appraisal checklist" in notice
        moved = save_entry(store, 1, "Priya", values=values, answers=answers, rating=rating,
                           replace=True)
        assert moved.values["design"] == "Case report" and moved.answers == {}
    finally:
        store.close()


def _both(store, study: int, priya: tuple[str, dict, str], tom: tuple[str, dict, str]) -> None:
    for person, (design, answers, rating) in (("Priya", priya), ("Tom", tom)):
        save_entry(store, study, person, values={"author_year": f"Alder {2000 + study}",
                                                 "design": design},
                   answers=answers, rating=rating, done=True)


def test_reconciling_different_designs_keeps_the_designs_appraisal(shipped_review) -> None:
    store = shipped_review
    _both(store, 1, ("Qualitative", QUALITATIVE, "high"),
          ("Cross-sectional survey", SURVEY, "low"))
    found = compare(store, 1, by="Lee")
    quality = [r for r in found.rows if r.section == "quality"]
    assert quality[0].label == "Qualitative studies (CASP-style): Are the aims of the study " \
                               "stated clearly?"
    assert any(r.label.startswith("Cross-sectional surveys (JBI-style): ") for r in quality)
    assert found.row("quality:response").values == {"Priya": None, "Tom": "can't tell"}
    assert found.appraisal_follows_design
    assert [r.key for r in found.to_decide] == ["field:design"]
    with pytest.raises(ReviewError, match="decide these disagreements first .*: field:design$"):
        reconcile(store, 1, by="Lee")  # the appraisal rows follow the design row
    with pytest.raises(ReviewError, match="the appraisal follows the design: pick the design "
                                          r"\(field:design\), not quality:response"):
        reconcile(store, 1, by="Lee", picks={"field:design": "Tom", "response": "Priya"})
    final = reconcile(store, 1, by="Lee", picks={"field:design": "Tom"})
    assert final.values["design"] == "Cross-sectional survey"
    assert final.answers == SURVEY and final.rating == "low"
    _both(store, 2, ("Qualitative", QUALITATIVE, "high"),
          ("Cross-sectional survey", SURVEY, "low"))
    with pytest.raises(ReviewError, match="the final design is appraised with the Mixed-methods "
                                          "studies \\(MMAT-style\\) checklist, which neither "
                                          "extractor used"):
        reconcile(store, 2, by="Lee", values={"design": "Mixed methods"})


def test_the_per_question_table_groups_studies_by_checklist(shipped_review) -> None:
    store = shipped_review
    _both(store, 1, ("Cross-sectional survey", SURVEY, "moderate"),
          ("Cross-sectional survey", SURVEY, "moderate"))
    _both(store, 2, ("Qualitative", QUALITATIVE, "high"), ("Qualitative", QUALITATIVE, "high"))
    _both(store, 3, ("Cross-sectional survey", {**SURVEY, "ethics": "no"}, "low"),
          ("Cross-sectional survey", {**SURVEY, "ethics": "no"}, "low"))
    for study in (1, 2, 3):
        reconcile(store, study, by="Lee")
    table = build_tables(store)["appraisal"]
    assert table.columns == ("Checklist", "Study", *(f"Q{i}" for i in range(1, 11)),
                             "Overall rating")
    qual, svy = "Qualitative studies (CASP-style)", "Cross-sectional surveys (JBI-style)"
    assert table.rows == (
        (qual, "Alder (2002) [2]", *("yes",) * 10, "high"),
        (svy, "Alder (2001) [1]", "yes", "yes", "can't tell", "yes", "no", "yes", "yes", "yes",
         "", "", "moderate"),
        (svy, "Alder (2003) [3]", "yes", "yes", "can't tell", "yes", "no", "yes", "no", "yes",
         "", "", "low"))
    assert f"{qual}: Q1: Are the aims of the study stated clearly?" in table.note
    assert f"{svy}: Q1: Is it clear who was invited" in table.note
    assert "Mixed-methods" not in table.note  # checklists no study used are left out
    with store.read() as conn:
        form = extraction_form(store, conn)
        finals = final_entries(store, conn, form)
    studies = list_studies(store)
    groups, unappraised = appraisal_by_checklist(form, studies, finals,
                                                 ["A", "B", "C"])
    assert [(g.checklist.id, [name for name, _, _ in g.rows]) for g in groups] == [
        ("qualitative", ["B"]), ("survey", ["A", "C"])]
    assert groups[1].columns == ("Study", *(f"Q{i}" for i in range(1, 9)), "Overall rating")
    assert unappraised == ()
    assert appraisal_tools(form).startswith(
        "the Qualitative studies (CASP-style) checklist for Qualitative; the Mixed-methods")
    characteristics = build_tables(store)["characteristics"]
    assert "Appraisal: overall rating with the Qualitative studies (CASP-style) checklist for " \
           "Qualitative;" in characteristics.note


def test_an_amendment_keeps_each_appraisal_with_its_checklist(shipped_review,
                                                             tmp_path: Path) -> None:
    store = shipped_review
    save_entry(store, 1, "Priya", values={"design": "Cross-sectional survey"},
               answers={"response": "yes"})
    amended = tmp_path / "amended.toml"
    moved = SHIPPED.replace('designs = ["Cross-sectional survey"]', 'designs = ["Mixed methods"]'
                            ).replace('designs = ["Mixed methods"]\n',
                                      'designs = ["Cross-sectional survey"]\n', 1)
    assert moved != SHIPPED
    amended.write_text(moved, encoding="utf-8")
    with pytest.raises(ReviewError, match=r"appraisals must keep the checklist their study's "
                                          r"design had \(studies \[1\]\)"):
        amend_protocol(store, amended, by="Lee", note="surveys with the mixed-methods list")
    # a checklist for a new design touches no appraisal made: accepted
    added = SHIPPED.replace('    "Controlled or before-and-after evaluation",\n',
                            '    "Controlled or before-and-after evaluation",\n'
                            '    "Case study of an organisation",\n').replace(
        'designs = ["Controlled or before-and-after evaluation"]',
        'designs = ["Controlled or before-and-after evaluation", '
        '"Case study of an organisation"]')
    amended.write_text(added, encoding="utf-8")
    protocol = amend_protocol(store, amended, by="Lee", note="organisational case studies")
    assert "Case study of an organisation" in protocol.checklists[-1].designs
    assert my_entry(store, 1, "Priya").answers == {"response": "yes"}


def test_an_amendment_keeps_every_answered_question_in_its_checklist(shipped_review,
                                                                     tmp_path: Path) -> None:
    """Question ids repeat across checklists: dropping an answered question from the
    qualitative checklist alone is refused, though other checklists still ask it."""
    store = shipped_review
    save_entry(store, 2, "Priya", values={"design": "Qualitative"}, answers={"ethics": "yes"})
    block = ('[[quality.checklists.questions]]\nid = "ethics"\ntext = "Were ethical issues, '
             "including participants' safety and consent, addressed?\"\n\n")
    assert SHIPPED.count(block) >= 2  # the qualitative checklist's and another's
    amended = tmp_path / "amended.toml"
    amended.write_text(SHIPPED.replace(block, "", 1), encoding="utf-8")
    with pytest.raises(ReviewError, match=r"\(studies \[2\]\)"):
        amend_protocol(store, amended, by="Lee", note="no ethics question for interviews")
    assert my_entry(store, 2, "Priya").answers == {"ethics": "yes"}


def test_the_demo_appraises_a_study_with_every_checklist(tmp_path: Path) -> None:
    store = build_demo(tmp_path / "demo.db")
    try:
        form = extraction_form(store)
        finals = final_entries(store)
        table = build_tables(store)["appraisal"]
    finally:
        store.close()
    assert {row[0] for row in table.rows} == {c.name for c in form.all_checklists}
    assert all(row[-1] in ("high", "moderate", "low") for row in table.rows)
    assert any("can't tell" in row or "no" in row for row in table.rows)
    for entry in finals.values():
        checklist = form.checklist_for(entry.values)
        assert set(entry.answers) == {q for q, _ in checklist.questions}
        assert {"facilitated_by", "participant_role", "age", "organisation_type"} <= set(
            entry.values)
    formats = {f for entry in finals.values() for f in entry.values.get("format", ())}
    assert {"text message", "app"} <= formats


def test_methods_word_each_checklist_with_its_own_answers_and_ratings() -> None:
    """The survey checklist answers only yes or no: the methods say so for it, and the
    qualitative one's "can't tell"; when every checklist shares them, they are said once."""
    from review.extraction.entries import Form
    from review.report.methods import appraisal_sentence

    def sentence(quality: str) -> str:
        protocol = parse_protocol(by_design(quality))
        return appraisal_sentence(Form((), (), False, protocol.quality,
                                       checklists=protocol.checklists,
                                       design_field=protocol.design_field))

    own = sentence(TWO.replace('answers = ["yes", "no"]\n',
                               'answers = ["yes", "no"]\nratings = ["usable", "not usable"]\n'))
    assert own == ("Each included study was appraised with the checklist for its design: "
                   "Qualitative (1 question, answered “yes”, “no” or “can't tell”; overall "
                   "rating good or poor) for “Qualitative”; Survey (2 questions, answered "
                   "“yes” or “no”; overall rating usable or not usable) for “Survey”, by one "
                   "reviewer.")
    answers_only = sentence(TWO)
    assert "Survey (2 questions, answered “yes” or “no”; overall rating good or poor)" in (
        answers_only)
    shared = sentence(TWO.replace('answers = ["yes", "no"]\n', ""))
    assert shared == ("Each included study was appraised with the checklist for its design: "
                      "Qualitative (1 question) for “Qualitative”; Survey (2 questions) for "
                      "“Survey”; each question answered “yes”, “no” or “can't tell”, with an "
                      "overall rating of good or poor, by one reviewer.")
