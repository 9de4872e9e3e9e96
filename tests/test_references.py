"""References out, on SQLite and PostgreSQL: one merged record per work as RIS that rispy (and
so Zotero and EndNote) reads back, CSV with formula neutralising, the same filters as the
Records page, the command's errors, and on the demo review: the included set at full text is
PRISMA's included reports."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest
import rispy
from click.testing import CliRunner

from review.cli.main import main
from review.errors import ReviewError
from review.prisma.counts import compute
from review.screening.filters import Filter
from review.screening.fulltext import attach_pdf
from review.screening.labels import add_label
from review.screening.references import export_references, format_for
from review.tabular import restore
from tests.test_screening import PDF, WORKS, both, build

# the first work again, from a second database, with what the first copy lacks
COPY = ("TY  - JOUR\nTI  - Peer mentoring for young people in a voluntary organisation\n"
        "AU  - Author1, Alex\nPY  - 2016\nJO  - Journal of Example Studies 1\nVL  - 1\n"
        "SP  - 10\nDO  - 10.1000/peer.1\nKW  - mentoring\nER  - \n"
        "TY  - JOUR\nTI  - =HYPERLINK(\"http://x.example\") formula title\nPY  - 2020\nER  - \n")


@pytest.fixture
def review(db_url: str, tmp_path: Path):
    store = build(db_url, tmp_path, extra=COPY)
    yield store
    store.close()


def test_ris_has_one_merged_record_per_work_and_reads_back(review) -> None:
    text, n = export_references(review, None, Filter(), "ris")
    entries = rispy.loads(text)
    assert n == len(entries) == len(WORKS) + 1  # the copy merged into its work
    blocks = [b for b in text.strip().split("ER  - ") if b.strip()]
    assert all(b.lstrip().startswith("TY  - ") for b in blocks)
    assert text.rstrip().endswith("ER  -")
    first = next(e for e in entries if e["title"] == WORKS[0][0])
    assert first["id"] in ("1", "9") and first["year"] == "2016"  # the kept record's id
    assert first["doi"] == "10.1000/peer.1" and first["keywords"] == ["mentoring"]
    assert first["authors"] == ["Author1, A"]  # surname, initials: as Zotero splits names
    assert first["type_of_reference"] == "JOUR"
    assert "duplicates merged from records 1, 9" in " ".join(first["notes"])
    assert first["name_of_database"] == "PsycINFO (Ovid); MEDLINE (Ovid)"


def test_filters_select_what_is_exported_and_labels_travel(review) -> None:
    both(review, 1, "include", "include")
    both(review, 2, "exclude", "exclude")
    add_label(review, "Ana", 1, "key paper")
    text, n = export_references(review, "Ana", Filter(state="included"), "ris")
    [entry] = rispy.loads(text)
    assert n == 1 and entry["title"] == WORKS[0][0]
    assert "Review labels: key paper" in entry["notes"]
    text, _ = export_references(review, "Ben", Filter(state="included"), "ris")
    assert "key paper" not in text  # Ana's label, not Ben's
    text, n = export_references(review, None, Filter(label="KEY PAPER"), "ris")
    assert n == 1 and "key paper (Ana)" in text
    _, n = export_references(review, None, Filter(state="excluded"), "csv")
    assert n == 1
    assert export_references(review, None, Filter(words="nothing-like-this"), "ris") == ("", 0)


def test_csv_neutralises_formulas_and_reads_back(review) -> None:
    text, n = export_references(review, None, Filter(year_from=2020), "csv")
    rows = list(csv.DictReader(io.StringIO(text, newline="")))
    assert n == len(rows) == 2
    formula = next(r for r in rows if "formula title" in r["title"])
    assert formula["title"].startswith("'=HYPERLINK")
    assert restore(formula["title"]).startswith("=HYPERLINK")
    assert {r["year"] for r in rows} == {"2020", "2021"}


def test_included_at_full_text_is_prismas_included_reports(review) -> None:
    for record in (1, 2, 3):
        both(review, record, "include", "include")
    for record in (1, 2):
        attach_pdf(review, record, PDF, "paper.pdf", actor="Ana")
    both(review, 1, "include", "include", stage="full_text")
    both(review, 2, "exclude", "exclude", stage="full_text",
         ana={"reason": "Not peer support"}, ben={"reason": "Not peer support"})
    text, n = export_references(review, None, Filter(stage="full_text", state="included"),
                                "ris")
    assert n == compute(review).new_reports == 1
    assert [e["title"] for e in rispy.loads(text)] == [WORKS[0][0]]


def test_demo_included_reports_equal_prisma(tmp_path: Path) -> None:
    from review.demo.build import build_demo

    store = build_demo(tmp_path / "demo.db")
    text, n = export_references(store, None, Filter(stage="full_text", state="included"),
                                "ris")
    prisma = compute(store)
    assert n == prisma.new_reports > 0
    assert len(rispy.loads(text)) == n
    store.close()


def test_the_command_writes_ris_and_csv_and_refuses_bad_options(review, tmp_path: Path) -> None:
    runner = CliRunner()
    db = review.url
    out = tmp_path / "all.ris"
    result = runner.invoke(main, ["export-references", str(out), "--db", db])
    assert result.exit_code == 0, result.output
    assert f"Wrote {len(WORKS) + 1} reference(s)" in result.output
    assert len(rispy.loads(out.read_text(encoding="utf-8"))) == len(WORKS) + 1
    out = tmp_path / "some.csv"
    result = runner.invoke(main, ["export-references", str(out), "--year-from", "2019",
                                  "--year-to", "2019", "--db", db])
    assert result.exit_code == 0 and "Wrote 1 reference(s)" in result.output
    assert "Moderated online forums" in out.read_text(encoding="utf-8")
    bad = runner.invoke(main, ["export-references", str(tmp_path / "x.txt"), "--db", db])
    assert bad.exit_code == 1 and "x.txt: name the file .ris" in bad.output
    assert not (tmp_path / "x.txt").exists()
    bad = runner.invoke(main, ["export-references", str(tmp_path / "x.ris"), "--state", "done",
                               "--db", db])
    assert bad.exit_code == 2 and "'done' is not one of" in bad.output
    bad = runner.invoke(main, ["export-references", str(tmp_path / "x.ris"), "--stage", "nope",
                               "--db", db])
    assert bad.exit_code == 1 and "no stage 'nope'" in bad.output
    assert not (tmp_path / "x.ris").exists()
    bad = runner.invoke(main, ["export-references", str(tmp_path / "no" / "x.ris"), "--db", db])
    assert bad.exit_code == 1 and "there is no folder" in bad.output
    with pytest.raises(ReviewError, match="name the file .ris"):
        format_for("refs.bib")
