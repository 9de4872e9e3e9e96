"""The Findings page through AppTest: a lead writes a finding, judges it with GRADE-CERQual
(a refusal first, shown plainly), and the Tables page then shows the two CERQual tables."""

from __future__ import annotations

from review.extraction.findings import add_finding, get_finding, list_findings
from tests import test_ui_extraction

store, page = test_ui_extraction.store, test_ui_extraction.page  # the review fixture, a page


def test_a_lead_writes_and_judges_a_finding(store) -> None:
    app = page(store, "findings.py", "Lee")
    assert not app.exception and app.title[0].value == "Findings"
    app.selectbox(key="finding-new-theme").set_value("belonging")
    app.text_area(key="finding-new-statement").input("Members felt accepted by peers.")
    app.multiselect(key="finding-new-studies").select(1).select(2)
    app.button[0].click().run()  # Add finding
    assert not app.exception and not app.error
    assert app.success[0].value == "Added finding 1 under Community and belonging."
    found = list_findings(store)
    assert [(f.statement, f.studies) for f in found] == [("Members felt accepted by peers.",
                                                          (1, 2))]
    fid = found[0].id
    app.selectbox(key=f"finding-{fid}-coherence").set_value("minor")
    app.selectbox(key=f"finding-{fid}-overall").set_value("low")
    app.text_area(key=f"finding-{fid}-overall-why").input("Two small studies.")
    app.button(key=f"FormSubmitter:finding-{fid}-assess-Save assessment").click().run()
    assert "coherence: explain the judgement" in app.error[0].value
    assert get_finding(store, fid).judgements == {}  # nothing landed
    for cid, level in (("methodological_limitations", "none"), ("coherence", "minor"),
                       ("adequacy", "serious"), ("relevance", "moderate")):
        app.selectbox(key=f"finding-{fid}-{cid}").set_value(level)
        app.text_area(key=f"finding-{fid}-{cid}-why").input(f"Why {cid}.")
    app.button(key=f"FormSubmitter:finding-{fid}-assess-Save assessment").click().run()
    assert not app.exception and not app.error
    judged = get_finding(store, fid)
    assert judged.overall is not None and judged.overall.level == "low"
    assert judged.judgements["adequacy"].explanation == "Why adequacy."
    tables = page(store, "tables.py", "Lee")
    assert not tables.exception
    titles = [h.value for h in tables.subheader]
    assert "Table 5. Summary of qualitative findings" in titles
    assert "Table 6. GRADE-CERQual evidence profile" in titles
    summary = tables.dataframe[4].value
    assert list(summary["GRADE-CERQual assessment of confidence"]) == ["Low confidence"]


def test_a_reviewer_is_turned_away(store) -> None:
    add_finding(store, "belonging", "Members felt accepted.", by="Lee", studies=[1])
    app = page(store, "findings.py", "Priya")
    assert "written by the review's leads" in app.error[0].value
    assert not app.dataframe
