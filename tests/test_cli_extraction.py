"""The extraction commands through click's CliRunner on a real review."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner
from openpyxl import load_workbook

from review.cli.main import main
from tests.extraction_fixtures import included_review
from tests.test_extraction import QUESTIONS


@pytest.fixture
def db(db_url: str, tmp_path: Path) -> str:
    included_review(db_url, tmp_path).close()
    return db_url


def run(db: str, *args: str, ok: bool = True) -> str:
    result = CliRunner().invoke(main, [*args, "--db", db], catch_exceptions=False)
    assert (result.exit_code == 0) == ok, result.output
    return result.output


def test_extract_compare_reconcile_and_tables(db: str, tmp_path: Path) -> None:
    assert "Alder 2015" in run(db, "studies")
    answers = [a for q in QUESTIONS for a in ("--answer", f"{q}=yes")]
    out = run(db, "extract", "1", "--extractor", "Priya", "--field", "author_year=Alder 2015",
              "--field", "format=online forum", "--field", "format=one-to-one",
              "--extract", "safe_space:Being believed", "participant", "p. 4",
              "We felt understood",
              "--extract", "safe_space", "author", "p. 5", "Members felt less alone")
    assert ("Priya: study 1 saved (in progress; 2 field(s), 2 extract(s) under 1 theme(s)"
            in out)
    assert "appraised with the Qualitative studies (CASP-style) checklist (10 answer(s), " \
           "rating high; done)" in run(db, "quality", "1", "--by", "Priya", *answers,
                                       "--rating", "high", "--done")
    entry = tmp_path / "tom.toml"
    entry.write_text('done = true\n[fields]\nauthor_year = "Alder 2015"\n'
                     'format = ["online forum"]\n[[extracts]]\ntheme = "safe_space"\n'
                     'quote = "We felt understood"\nlocation = "p. 4"\nvoice = "participant"\n'
                     'sub_theme = "Being believed"\n[quality]\nrating = "high"\n'
                     '[quality.answers]\n'
                     + "".join(f'{q} = "yes"\n' for q in QUESTIONS), encoding="utf-8")
    run(db, "extract", "1", "--extractor", "Tom", "--from", str(entry))
    more = tmp_path / "extracts.csv"
    more.write_text("theme,voice,page,quote\r\ncodependency,participant,p. 8,"
                    '"Some relied on one peer, too much"\r\n', encoding="utf-8-sig")
    out = run(db, "extract", "1", "--extractor", "Tom", "--extracts", str(more))
    assert "2 extract(s) under 2 theme(s)" in out and "(done;" in out
    shown = json.loads(run(db, "extract", "1", "--extractor", "Tom", "--show",
                           "--format", "json"))
    assert {"item": "field:format", "label": "Peer-support format",
            "value": "online forum"} in shown
    assert {"item": "extract:2", "label": "Extract 2: Burden on peer supporters › "
                                          "Co-dependency",
            "value": "Some relied on one peer, too much (p. 8; participant)"} in shown
    run(db, "extract", "1", "--extractor", "Tom", "--remove-extract", "2")
    denied = run(db, "extraction", "compare", "1", "--by", "Tom", ok=False)
    assert "only a lead compares" in denied
    rows = json.loads(run(db, "extraction", "compare", "1", "--by", "Lee", "--disagreements",
                          "--format", "json"))
    assert rows == [{"row": "field:format", "agree": "NO",
                     "Priya": "online forum; one-to-one", "Tom": "online forum"},
                    {"row": "extract:safe_space:2", "agree": "NO",
                     "Priya": "Members felt less alone (p. 5; author)", "Tom": ""}]
    refused = run(db, "extraction", "reconcile", "1", "--by", "Lee", ok=False)
    assert "decide these disagreements first" in refused and "field:format" in refused
    assert "reconciled by Lee: 2 field(s), 2 extract(s)" in run(
        db, "extraction", "reconcile", "1", "--by", "Lee", "--pick", "format=Tom",
        "--edit", "extract:safe_space:2", "author", "p. 5", "Members felt less alone there")
    out = run(db, "themes", "add", "--kind", "risks", "--id", "stigma", "--label", "Stigma",
              "--parent", "group_dynamics", "--by", "Lee")
    assert out.strip() == "Added theme 'stigma' (Stigma) to risks under 'Unhelpful group " \
                          "dynamics'."
    assert "unknown kind 'outcome'" in run(db, "themes", "add", "--kind", "outcome", "--id",
                                           "x", "--label", "X", "--by", "Lee", ok=False)
    assert "to outcome." in run(db, "themes", "add", "--kind", "outcome", "--new-kind",
                                "--id", "x", "--label", "X", "--by", "Lee")
    listed = json.loads(run(db, "themes", "list", "--format", "json"))
    assert {"kind": "risks", "id": "stigma", "parent": "group_dynamics", "label": "Stigma",
            "added_by": "Lee"} in listed
    out = run(db, "tables", "--out", str(tmp_path / "t"), "--format", "xlsx")
    assert "1 study in the tables; not reconciled yet: Birch 2019, Cedar 2021." in out
    book = load_workbook(tmp_path / "t" / "evidence-tables.xlsx")
    assert book["Characteristics"]["L1"].value == "Peer-support format"
    assert book["Characteristics"]["L2"].value == "online forum"
    quotes = [[c.value for c in row] for row in book["Quotes"].iter_rows(max_row=3)]
    assert quotes == [
        ["Kind", "Theme", "Sub-theme", "Study", "Voice", "Location", "Quote"],
        ["Benefits", "Community and belonging › A safe, non-judgemental space",
         "Being believed", "Alder (2015) [1]", "Participant", "p. 4", "We felt understood"],
        ["Benefits", "Community and belonging › A safe, non-judgemental space",
         None, "Alder (2015) [1]", "Author", "p. 5", "Members felt less alone there"]]


def test_cli_errors_are_one_line(db: str, tmp_path: Path) -> None:
    out = run(db, "extract", "1", "--extractor", "Priya", "--field", "sample_size=lots",
              ok=False)
    assert out.strip() == "Error: sample_size: expected a number, like 42 or 3.5, got 'lots'"
    out = run(db, "extract", "1", "--extractor", "Priya", "--extract", "belonging", ok=False)
    assert "'--extract' requires 4 arguments" in out
    out = run(db, "extract", "1", "--extractor", "Priya", "--extract", "belonging", "someone",
              "p. 2", "Quote", ok=False)
    assert out.strip() == ("Error: --extract 1: voice is participant (their own words) or "
                           "author (the authors' interpretation), got 'someone'")
    bad = tmp_path / "bad.csv"
    bad.write_text("theme,quote,colour\nbelonging,q,red\n", encoding="utf-8")
    out = run(db, "extract", "1", "--extractor", "Priya", "--extracts", str(bad), ok=False)
    assert out.strip() == (f"Error: {bad}, line 2: unknown column 'colour' (columns: theme, "
                           "quote, location, voice, sub_theme)")
    bad.write_text("theme,quote,location\nbelonging,q,p. 2\nnope,q,p. 3\n", encoding="utf-8")
    out = run(db, "extract", "1", "--extractor", "Priya", "--extracts", str(bad), ok=False)
    assert out.strip().startswith("Error: no theme 'nope' in this review")
    bad = tmp_path / "bad.json"
    bad.write_text('{"fields": {"design": "x"},\n "colour": 1}', encoding="utf-8")
    out = run(db, "extract", "1", "--extractor", "Priya", "--from", str(bad), ok=False)
    assert f"{bad}: unknown key 'colour'" in out
    bad.write_text('{"fields":\n  {"design": }}', encoding="utf-8")
    assert f"{bad}, line 2:" in run(db, "extract", "1", "--extractor", "Priya", "--from",
                                    str(bad), ok=False)


def test_studies_link(db: str) -> None:
    out = run(db, "studies", "link", "3", "--study", "2")
    assert out.strip() == "Study 2 (Birch 2019) has reports of records 2, 3."
    listed = json.loads(run(db, "studies", "--format", "json"))
    assert [(r["study"], r["records"]) for r in listed] == [(1, "1"), (2, "2, 3")]
