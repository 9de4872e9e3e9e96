"""Review findings and GRADE-CERQual on a real review (SQLite and PostgreSQL): writing,
linking only included studies, extracts from the final entries, leads only, the validation of
judgements, the audit log, the two tables and their exports, and the command line."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner
from docx import Document
from openpyxl import load_workbook

from review.accounts import AccessError
from review.amendments import amend_protocol
from review.audit_trail import audit_rows
from review.cli.main import main
from review.demo.build import build_demo
from review.errors import ReviewError
from review.extraction.cerqual import assess
from review.extraction.entries import save_entry
from review.extraction.export import export, markdown_text
from review.extraction.findings import (
    Extract,
    add_finding,
    edit_finding,
    get_finding,
    link_studies,
    list_findings,
    remove_finding,
    set_studies,
    unlink_studies,
)
from review.extraction.reconcile import reconcile
from review.extraction.tables import NOT_ASSESSED, build_tables
from review.screening.votes import cast_vote
from tests.extraction_fixtures import WORKS, included_review, protocol_text
from tests.test_extraction import ALL_YES

FOUR = {"methodological_limitations": ("minor", "One study did not report reflexivity."),
        "coherence": ("none", "All three studies describe the same sense of acceptance."),
        "adequacy": ("moderate", "Three small studies with fairly thin data."),
        "relevance": ("minor", "Mostly online forums; one face-to-face group.")}


def _final(store, study_id: int, author_year: str, themes: dict) -> None:
    for person in ("Priya", "Tom"):
        save_entry(store, study_id, person, values={"author_year": author_year},
                   themes=themes, answers=ALL_YES, rating="high", done=True)
    reconcile(store, study_id, by="Lee")


@pytest.fixture
def store(db_url: str, tmp_path: Path):
    built = included_review(db_url, tmp_path, works=(*WORKS, (
        "Dunn, Lou", "2020", "A study screened out at full text")))
    # the fourth work: both reviewers exclude it at full text, so it is no included study
    cast_vote(built, "Priya", 4, "exclude", stage="full_text", reason="Clinical setting",
              note="Read the published article")
    cast_vote(built, "Tom", 4, "exclude", stage="full_text", reason="Clinical setting",
              note="Read the published article")
    _final(built, 1, "Alder 2015", {"belonging": ("We felt understood", "p. 4", "participant")})
    _final(built, 2, "Birch 2019", {
        "belonging": ("Nobody judged me", "Results", "participant"),
        "safe_space": ("Members described the forum as safe", "p. 5", "author", "Trust"),
        "triggering": ("Some posts were hard to read", "p. 9", "participant")})
    yield built
    built.close()


def test_a_finding_with_its_studies_and_extracts(store) -> None:
    found = add_finding(store, "Belonging", "  Members felt  accepted. ", by="Lee",
                        studies=[1, 2, 3])
    assert (found.theme_id, found.statement, found.studies) == ("belonging",
                                                               "Members felt accepted.",
                                                               (1, 2, 3))
    assert found.theme_label == "Community and belonging" and found.kind == "benefits"
    # the extracts come from the final entries; study 3 has none yet
    # an analytical theme's finding also rests on its descriptive themes' extracts
    assert found.extracts == (
        Extract(1, "We felt understood", "p. 4", "participant", "", "belonging"),
        Extract(2, "Nobody judged me", "Results", "participant", "", "belonging"),
        Extract(2, "Members described the forum as safe", "p. 5", "author", "Trust",
                "safe_space"))
    assert found.overall is None and found.reassess == ()
    changed = edit_finding(store, found.id, by="Ola", statement="Members felt accepted by "
                           "peers.", theme="triggering")
    assert changed.theme_id == "triggering" and changed.updated_by == "Ola"
    assert changed.extracts == (Extract(2, "Some posts were hard to read", "p. 9",
                                        "participant", "", "triggering"),)
    narrow = edit_finding(store, found.id, by="Lee", theme="safe_space")
    assert [e.quote for e in narrow.extracts] == ["Members described the forum as safe"]
    edit_finding(store, found.id, by="Lee", theme="triggering")
    assert unlink_studies(store, found.id, [3], by="Lee").studies == (1, 2)
    assert link_studies(store, found.id, [3, 1], by="Lee").studies == (1, 2, 3)
    assert set_studies(store, found.id, [2], by="Lee").studies == (2,)
    actions = [r["action"] for r in audit_rows(store) if r["entity"] == "finding"]
    assert actions == ["add finding", "edit finding", "edit finding", "edit finding",
                       "unlink finding studies",
                       "link finding studies", "set finding studies"]
    edit = next(r for r in audit_rows(store, action="edit finding"))
    assert edit["detail"]["before"] == {"statement": "Members felt accepted.",
                                        "theme_id": "belonging"}


def test_findings_are_listed_in_theme_order(store) -> None:
    later = add_finding(store, "triggering", "Some content unsettled readers.", by="Lee")
    first = add_finding(store, "belonging", "Members felt accepted.", by="Lee")
    assert [f.id for f in list_findings(store)] == [first.id, later.id]


@pytest.mark.parametrize(("call", "message"), [
    (lambda s: add_finding(s, "belonging", "   ", by="Lee"), "a finding needs a statement"),
    (lambda s: add_finding(s, "belonging", "x" * 2001, by="Lee"), "at most 2000 characters"),
    (lambda s: add_finding(s, "hope", "Hope", by="Lee"), "no theme 'hope' in this review"),
    (lambda s: add_finding(s, "belonging", "Text", by="Lee", studies=[4]),
     "study 4 is not an included study"),
    (lambda s: add_finding(s, "belonging", "Text", by="Lee", studies=[99]),
     "study 99 is not an included study"),
    (lambda s: edit_finding(s, 42, by="Lee", statement="x"), "no finding 42"),
    (lambda s: unlink_studies(s, add_finding(s, "belonging", "T", by="Lee").id, [2], by="Lee"),
     "study 2 is not linked to finding"),
])
def test_bad_findings_are_refused_plainly(store, call, message: str) -> None:
    with pytest.raises(ReviewError, match=message):
        call(store)


def test_only_leads_write_findings(store) -> None:
    with pytest.raises(AccessError, match="only a lead writes review findings"):
        add_finding(store, "belonging", "Members felt accepted.", by="Priya")
    found = add_finding(store, "belonging", "Members felt accepted.", by="Lee", studies=[1])
    for call in (lambda: edit_finding(store, found.id, by="Tom", statement="x"),
                 lambda: link_studies(store, found.id, [2], by="Tom"),
                 lambda: assess(store, found.id, by="Tom", components={
                     "coherence": ("none", "Fits.")}),
                 lambda: remove_finding(store, found.id, by="Priya")):
        with pytest.raises(AccessError):
            call()
    assert get_finding(store, found.id).studies == (1,)


def test_assessment_needs_four_components_and_explanations(store) -> None:
    found = add_finding(store, "belonging", "Members felt accepted.", by="Lee", studies=[1, 2])
    with pytest.raises(ReviewError, match="coherence: explain the judgement"):
        assess(store, found.id, by="Lee", components={"coherence": ("none", "  ")})
    with pytest.raises(ReviewError, match="unknown level of concern 'some'"):
        assess(store, found.id, by="Lee", components={"coherence": ("some", "Why")})
    with pytest.raises(ReviewError, match="unknown CERQual component 'clarity'"):
        assess(store, found.id, by="Lee", components={"clarity": ("none", "Why")})
    half = assess(store, found.id, by="Lee", components={
        "Methodological limitations": ("Minor concerns", "One study did not report "
                                                         "reflexivity."),
        "coherence": ("No or very minor concerns", "Both studies agree.")})
    assert {c: j.level for c, j in half.judgements.items()} == {
        "methodological_limitations": "minor", "coherence": "none"}
    with pytest.raises(ReviewError, match="judge adequacy, relevance first"):
        assess(store, found.id, by="Lee", overall=("moderate", "Some concerns."))
    with pytest.raises(ReviewError, match="unknown overall confidence 'medium'"):
        assess(store, found.id, by="Lee", components=FOUR, overall=("medium", "x"))
    with pytest.raises(ReviewError, match="overall confidence: explain the judgement"):
        assess(store, found.id, by="Lee", components=FOUR, overall=("moderate", ""))
    assert set(get_finding(store, found.id).judgements) == {"methodological_limitations",
                                                             "coherence"}  # nothing landed
    done = assess(store, found.id, by="Lee", components=FOUR,
                  overall=("Moderate confidence", "Moderate concerns about adequacy."))
    assert done.overall is not None and done.overall.level == "moderate"
    assert done.overall.study_ids == (1, 2) and done.reassess == ()
    with pytest.raises(ReviewError, match="the overall confidence rests on all four"):
        assess(store, found.id, by="Lee", clear=["adequacy"])
    cleared = assess(store, found.id, by="Lee", clear=["overall", "adequacy"])
    assert "adequacy" not in cleared.judgements and cleared.overall is None
    logged = audit_rows(store, action="assess finding")
    assert logged[-1]["detail"]["before"]["overall"] == {
        "level": "moderate", "explanation": "Moderate concerns about adequacy."}


def test_a_finding_without_studies_gets_no_confidence(store) -> None:
    found = add_finding(store, "belonging", "Members felt accepted.", by="Lee")
    with pytest.raises(ReviewError, match="has no included study behind it"):
        assess(store, found.id, by="Lee", components=FOUR, overall=("low", "Thin."))


def test_changed_studies_or_components_ask_for_reassessment(store) -> None:
    found = add_finding(store, "belonging", "Members felt accepted.", by="Lee", studies=[1, 2])
    assess(store, found.id, by="Lee", components=FOUR, overall=("moderate", "Why."))
    assert link_studies(store, found.id, [3], by="Lee").reassess == (
        "its studies changed since the overall confidence was judged",)
    assert assess(store, found.id, by="Lee", overall=("moderate", "Again.")).reassess == ()
    later = assess(store, found.id, by="Lee", components={"coherence": ("minor", "Less so.")})
    assert later.reassess == ("a component was judged again after the overall confidence",)


def test_removing_a_finding_keeps_it_in_the_audit_log(store) -> None:
    found = add_finding(store, "belonging", "Members felt accepted.", by="Lee", studies=[1])
    assess(store, found.id, by="Lee", components={"coherence": ("none", "Fits.")})
    remove_finding(store, found.id, by="Lee")
    assert list_findings(store) == []
    gone = audit_rows(store, action="remove finding")[0]["detail"]
    assert gone["statement"] == "Members felt accepted." and gone["studies"] == [1]
    assert gone["judgements"] == {"coherence": {"level": "none", "explanation": "Fits."}}


def test_a_theme_with_a_finding_stays_in_the_protocol(store, tmp_path: Path) -> None:
    add_finding(store, "competition", "Some members compared themselves.", by="Lee")
    text = protocol_text()
    start = text.index('id = "competition"')
    block = text.rindex("[[extraction.themes.risks]]", 0, start)
    amended = tmp_path / "amended.toml"
    amended.write_text(text[:block] + text[text.index("[[", start):], encoding="utf-8")
    with pytest.raises(ReviewError, match=r"themes with data entered must stay: \['competition'\]"):
        amend_protocol(store, amended, by="Lee", note="fewer risks")


def test_the_two_tables(store, tmp_path: Path) -> None:
    assert [t.key for t in build_tables(store).tables] == [
        "characteristics", "themes", "quotes", "appraisal", "excluded",
        "references"]  # no findings: no findings tables
    one = add_finding(store, "belonging", "Members felt accepted.", by="Lee",
                      studies=[1, 2, 3])
    assess(store, one.id, by="Lee", components=FOUR,
           overall=("moderate", "Moderate concerns about adequacy."))
    add_finding(store, "triggering", "Some content unsettled readers.", by="Lee", studies=[2])
    built = build_tables(store)
    summary, profile = built["findings"], built["cerqual"]
    assert summary.columns == ("No.", "Theme", "Review finding",
                               "Studies contributing to the finding",
                               "GRADE-CERQual assessment of confidence",
                               "Explanation of GRADE-CERQual assessment")
    assert summary.rows == (
        (1, "Community and belonging", "Members felt accepted.",
         "Alder (2015) [1]; Birch (2019) [2]; Cedar (2021) [3]", "Moderate confidence",
         "Moderate concerns about adequacy."),
        (2, "Triggering content", "Some content unsettled readers.", "Birch (2019) [2]",
         NOT_ASSESSED, ""))
    assert profile.columns == ("No.", "Review finding", "Methodological limitations",
                               "Coherence", "Adequacy", "Relevance", "Overall confidence",
                               "Explanation of overall confidence",
                               "Studies contributing to the finding")
    assert profile.rows[0] == (
        1, "Members felt accepted.", "Minor concerns: One study did not report reflexivity.",
        "No or very minor concerns: All three studies describe the same sense of acceptance.",
        "Moderate concerns: Three small studies with fairly thin data.",
        "Minor concerns: Mostly online forums; one face-to-face group.",
        "Moderate confidence", "Moderate concerns about adequacy.",
        "Alder (2015) [1]; Birch (2019) [2]; Cedar (2021) [3]")
    assert profile.rows[1][2:7] == (NOT_ASSESSED,) * 5
    written = export(built.tables, tmp_path / "out")
    names = {p.name for p in written}
    assert {"findings.csv", "cerqual.csv", "evidence-tables.xlsx"} <= names
    book = load_workbook(tmp_path / "out" / "evidence-tables.xlsx")
    assert book.sheetnames[4:6] == ["Qualitative findings", "CERQual evidence profile"]
    assert book["CERQual evidence profile"]["C2"].value.startswith("Minor concerns: ")
    document = Document(str(tmp_path / "out" / "evidence-tables.docx"))
    headings = [p.text for p in document.paragraphs if p.style.name.startswith("Heading")]
    assert "Table 5. Summary of qualitative findings" in headings
    assert "Table 6. GRADE-CERQual evidence profile" in headings
    assert "| 1 | Community and belonging | Members felt accepted. |" in \
        markdown_text(built.tables)


def run(db: str, *args: str, ok: bool = True) -> str:
    result = CliRunner().invoke(main, [*args, "--db", db], catch_exceptions=False)
    assert (result.exit_code == 0) == ok, result.output
    return result.output


def test_findings_commands(store, db_url: str, tmp_path: Path) -> None:
    out = run(db_url, "findings", "add", "--theme", "belonging", "--statement",
              "Members felt accepted.", "--study", "1", "--study", "2", "--by", "Lee")
    assert "Added Finding 1 (Community and belonging; 2 studies; not assessed yet)" \
        in out
    assert "only a lead writes review findings" in run(
        db_url, "findings", "add", "--theme", "belonging", "--statement", "x", "--by", "Tom",
        ok=False)
    assert "study 4 is not an included study" in run(
        db_url, "findings", "link", "1", "--study", "4", "--by", "Lee", ok=False)
    assert "studies 1, 2, 3" in run(db_url, "findings", "link", "1", "--study", "3", "--by",
                                    "Lee")
    assert "studies 1, 2." in run(db_url, "findings", "link", "1", "--study", "3", "--remove",
                                  "--by", "Lee")
    refused = run(db_url, "findings", "assess", "1", "--by", "Lee", "--overall", "high",
                  "Strong.", ok=False)
    assert "judge methodological limitations, coherence, adequacy, relevance first" in refused
    out = run(db_url, "findings", "assess", "1", "--by", "Lee",
              "--judge", "methodological-limitations", "minor", "Reflexivity not reported.",
              "--judge", "coherence", "none", "Consistent.")
    assert "still to judge: adequacy, relevance" in out
    out = run(db_url, "findings", "assess", "1", "--by", "Lee",
              "--judge", "adequacy", "moderate", "Two studies.",
              "--judge", "relevance", "minor", "Online only.",
              "--overall", "very low", "Few, thin data.")
    assert "very low confidence" in out
    rows = json.loads(run(db_url, "findings", "list", "--format", "json"))
    assert rows == [{"id": 1, "theme": "belonging", "statement": "Members felt accepted.",
                     "studies": "1, 2", "judged": 4, "confidence": "very low",
                     "reassess": ""}]
    shown = json.loads(run(db_url, "findings", "show", "1", "--format", "json"))
    assert {"item": "extract: study 1", "value": "We felt understood (p. 4; participant)"} in shown
    assert {"item": "adequacy", "value": "Moderate concerns: Two studies."} in shown
    assert "Changed Finding 1" in run(db_url, "findings", "edit", "1", "--statement",
                                      "Members felt accepted by peers.", "--by", "Lee")
    run(db_url, "tables", "--out", str(tmp_path / "t"), "--format", "csv")
    text = (tmp_path / "t" / "findings.csv").read_text(encoding="utf-8-sig")
    assert ("Members felt accepted by peers.,Alder (2015) [1]; Birch (2019) [2],Very low "
            "confidence") in text
    assert (tmp_path / "t" / "cerqual.csv").exists()
    assert "Removed finding 1." in run(db_url, "findings", "remove", "1", "--by", "Lee")
    assert json.loads(run(db_url, "findings", "--format", "json")) == []


def test_the_demo_has_assessed_findings(tmp_path: Path) -> None:
    store = build_demo(tmp_path / "demo.db")
    found = list_findings(store)
    assessed = [f for f in found if f.overall is not None]
    assert len(assessed) >= 3 and len(found) > len(assessed)  # and one still in progress
    assert all(f.studies and len(f.judgements) == 5 and not f.reassess for f in assessed)
    assert any(len(f.extracts) >= 2 for f in assessed)
    built = build_tables(store)
    assert len(built["findings"].rows) == len(found)
    assert {row[4] for row in built["findings"].rows} >= {"Moderate confidence",
                                                          "Low confidence", NOT_ASSESSED}
    store.close()
