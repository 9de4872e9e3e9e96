"""Search documentation (PRISMA-S), on SQLite and PostgreSQL: each search's platform, date,
query, limits, records and records after deduplication; editing them after the import; the
search appendix as CSV and Markdown, read back; and `review sources` / `review searches`."""

from __future__ import annotations

import csv
import io
import json
import re
from pathlib import Path

import pytest
import sqlalchemy as sa
from click.testing import CliRunner

from review.accounts import AccessError, add_reviewer
from review.cli.main import main
from review.errors import ReviewError
from review.importing import SourceInfo, import_and_deduplicate
from review.prisma.searches import (
    TOTAL_LABEL,
    appendix_csv,
    appendix_markdown,
    edit_search,
    search_report,
    source_rows,
)
from review.project import create_review
from review.store import schema as t
from review.tabular import restore

ROOT = Path(__file__).resolve().parent.parent
OVID = ROOT / "tests" / "fixtures" / "ovid_citavi_peer_support.ovd"

# A second search, exported in two batches: the first copies the Ovid fixture's third record
# (same DOI and title), the second repeats one of the first batch's own records.
BATCH_A = ("TY  - JOUR\nTI  - Lived experience peer workers in emergency departments for people "
           "presenting with self-harm: a mixed-methods evaluation\nAU  - Farrell, Aoife\n"
           "PY  - 2022\nJO  - Crisis\nVL  - 43\nSP  - 288\nDO  - 10.5555/crisis.2022.0417\n"
           "ER  - \n\nTY  - JOUR\nTI  - Befriending schemes for adults who self-harm\n"
           "AU  - Kowalczyk, Ewa\nPY  - 2019\nDO  - 10.5555/bef.2019.1\nER  - \n")
BATCH_B = ("TY  - JOUR\nTI  - Befriending schemes for adults who self-harm\nAU  - Kowalczyk, Ewa\n"
           "PY  - 2019\nDO  - 10.5555/bef.2019.1\nER  - \n\nTY  - JOUR\n"
           "TI  - Text-based peer support lines: a service evaluation\nAU  - Adeyemi, Tunde\n"
           "PY  - 2023\nDO  - 10.5555/text.2023.9\nER  - \n")
EMBASE_QUERY = ("1 exp automutilation/\n2 (peer* adj3 support*).ti,ab.\n3 1 and 2\n"
                "4 limit 3 to english language\n")


@pytest.fixture
def review(db_url: str, protocol_path: Path):
    store = create_review(protocol_path, db_url, actor="lead")
    yield store
    store.close()


def _two_searches(store, tmp_path: Path) -> None:
    a, b = tmp_path / "pubmed-1.ris", tmp_path / "pubmed-2.ris"
    a.write_text(BATCH_A, encoding="utf-8")
    b.write_text(BATCH_B, encoding="utf-8")
    import_and_deduplicate(store, [OVID], SourceInfo(
        "Embase", "database", "2024-03-14", EMBASE_QUERY, "Ovid", "English; 2010-2024"),
        actor="lead")
    import_and_deduplicate(store, [a, b], SourceInfo(
        "PubMed", "database", "2024-03-15", "peer support[tiab] AND self-harm[tiab]",
        "pubmed.ncbi.nlm.nih.gov"), actor="lead")


def test_each_search_with_its_details_and_counts(review, tmp_path: Path) -> None:
    _two_searches(review, tmp_path)
    report = search_report(review)
    embase, pubmed = report.searches
    assert (embase.source, embase.platform, embase.searched_on, embase.limits) == (
        "Embase", "Ovid", "2024-03-14", "English; 2010-2024")
    assert embase.query == EMBASE_QUERY  # kept exactly, line breaks and all
    assert (embase.records, embase.after_deduplication, embase.unique) == (4, 4, 3)
    assert pubmed.files == ("pubmed-1.ris", "pubmed-2.ris")  # two batches, one search
    assert pubmed.limits is None
    # 4 records: one repeats another of the same search, one is also in Embase
    assert (pubmed.records, pubmed.after_deduplication, pubmed.unique) == (4, 3, 2)
    assert (report.records, report.after_deduplication, report.awaiting_deduplication) == (
        8, 6, 0)
    files = source_rows(review)
    assert [(r["file_name"], r["record_count"], r["after_deduplication"]) for r in files] == [
        ("ovid_citavi_peer_support.ovd", 4, 4), ("pubmed-1.ris", 2, 2), ("pubmed-2.ris", 2, 2)]
    assert files[0]["query"] == EMBASE_QUERY and files[0]["platform"] == "Ovid"


def test_a_previous_version_is_not_a_search(review, tmp_path: Path) -> None:
    """Its included reports are not records identified: the appendix leaves them out, and a
    search's unique records stay unique though the previous version holds one of them."""
    previous = tmp_path / "version-1.ris"
    previous.write_text(BATCH_B.split("\n\n")[1], encoding="utf-8")  # the text-line study
    import_and_deduplicate(review, [previous], SourceInfo("Version 1 (2021)", "previous"),
                           actor="lead")
    _two_searches(review, tmp_path)
    report = search_report(review)
    assert [s.source for s in report.searches] == ["Embase", "PubMed"]
    assert (report.records, report.after_deduplication) == (8, 6)
    assert report.searches[1].unique == 2


def test_records_not_yet_deduplicated_are_not_counted_as_deduplicated(review,
                                                                      tmp_path: Path) -> None:
    import_and_deduplicate(review, [OVID], SourceInfo("Embase", "database"), actor="lead",
                           dedupe=False)
    report = search_report(review)
    assert report.searches[0].after_deduplication is None
    assert report.searches[0].unique is None
    assert (report.after_deduplication, report.awaiting_deduplication) == (None, 4)
    assert source_rows(review)[0]["awaiting_deduplication"] == 4
    assert "not yet deduplicated" in appendix_markdown(report, title="T")


def test_edit_a_search_after_its_import(review, tmp_path: Path) -> None:
    _two_searches(review, tmp_path)
    ids = search_report(review).searches[1].source_ids
    edit_search(review, ids, actor="lead", limits="Humans", searched_on="2024-03-16")
    pubmed = search_report(review).searches[1]  # still one search: both files changed
    assert (pubmed.limits, pubmed.searched_on, pubmed.files) == (
        "Humans", "2024-03-16", ("pubmed-1.ris", "pubmed-2.ris"))
    assert pubmed.platform == "pubmed.ncbi.nlm.nih.gov"  # not given: unchanged
    edit_search(review, ids[:1], actor="lead", platform="")  # "" clears
    assert source_rows(review)[1]["platform"] is None
    with review.read() as conn:
        edits = conn.execute(sa.select(t.audit_log.c.entity_id, t.audit_log.c.detail)
                             .where(t.audit_log.c.action == "edit search")
                             .order_by(t.audit_log.c.id)).all()
    assert [e.entity_id for e in edits] == [str(i) for i in ids] + [str(ids[0])]
    assert edits[0].detail["search_limits"] == {"from": None, "to": "Humans"}
    assert edits[-1].detail == {"platform": {"from": "pubmed.ncbi.nlm.nih.gov", "to": None}}
    with pytest.raises(ReviewError, match="not a real date"):
        edit_search(review, ids, actor="lead", searched_on="2024-02-30")
    with pytest.raises(ReviewError, match="no source 99"):
        edit_search(review, [99], actor="lead", limits="x")
    with pytest.raises(ReviewError, match="nothing to change"):
        edit_search(review, ids, actor="lead")
    reviewer = add_reviewer(review, "Rae", role="reviewer", actor="lead")  # signed in to the app
    with pytest.raises(AccessError, match="only a lead documents searches"):
        edit_search(review, ids, actor=reviewer, limits="none")
    assert search_report(review).searches[1].searched_on == "2024-03-16"  # refusals changed nothing
    assert search_report(review).searches[1].limits == "Humans"


def test_appendix_csv_reads_back_and_is_safe_in_a_spreadsheet(review, tmp_path: Path) -> None:
    _two_searches(review, tmp_path)
    ids = search_report(review).searches[0].source_ids
    edit_search(review, ids, actor="lead", limits="=HYPERLINK(\"http://example.org\")")
    text = appendix_csv(search_report(review))
    rows = list(csv.DictReader(io.StringIO(text)))
    assert rows[0]["limits"].startswith("'=")  # a spreadsheet shows it, never runs it
    rows = [{k: restore(v) for k, v in row.items()} for row in rows]
    assert [r["source"] for r in rows] == ["Embase", "PubMed", TOTAL_LABEL]
    assert rows[0]["query"] == EMBASE_QUERY
    assert rows[0]["limits"] == "=HYPERLINK(\"http://example.org\")"
    assert (rows[1]["records"], rows[1]["after_deduplication"], rows[1]["unique"]) == (
        "4", "3", "2")
    assert rows[1]["files"] == "pubmed-1.ris; pubmed-2.ris"
    assert (rows[2]["records"], rows[2]["after_deduplication"]) == ("8", "6")


def test_appendix_markdown_keeps_each_strategy_as_written(review, tmp_path: Path) -> None:
    _two_searches(review, tmp_path)
    odd = "1 ```fenced``` | pipe\n2 *star* _under_ <tag>\n"
    edit_search(review, search_report(review).searches[1].source_ids, actor="lead", query=odd)
    text = appendix_markdown(search_report(review), title="Peer support", today="2024-04-01")
    assert text.startswith("# Search appendix: Peer support\n")
    assert "| 1 | Embase | Database | Ovid | 2024-03-14 | 4 | 4 | 3 |" in text
    assert "| 2 | PubMed | Database | pubmed.ncbi.nlm.nih.gov | 2024-03-15 | 4 | 3 | 2 |" in text
    assert "| | **Total** | | | | 8 | 6 | |" in text
    assert f"```text\n{EMBASE_QUERY.rstrip()}\n```" in text
    assert f"````text\n{odd.rstrip()}\n````" in text  # a longer fence than any inside
    assert "- Limits: English; 2010-2024" in text and "- Limits: none given" in text


# --- the command line -------------------------------------------------------------------------

@pytest.fixture
def run(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("REVIEW_DB", str(tmp_path / "cli.db"))
    monkeypatch.setenv("REVIEW_USER", "lead")
    runner = CliRunner()

    def invoke(*args: object, ok: bool = True):
        result = runner.invoke(main, [str(a) for a in args], catch_exceptions=False)
        if ok:
            assert result.exit_code == 0, result.output
        return result

    run = invoke
    run("init", "--protocol", ROOT / "protocols" / "peer-support-self-harm.toml")
    return run


def _cli_searches(run, tmp_path: Path) -> None:
    query = tmp_path / "embase.txt"
    query.write_text(EMBASE_QUERY, encoding="utf-8")
    export = tmp_path / "embase-export.txt"  # an Ovid tagged file under another name
    export.write_bytes(OVID.read_bytes())
    out = run("import", export, "--source", "Embase", "--platform", "Ovid", "--date",
              "2024-03-14", "--query-file", query, "--limits", "English; 2010-2024").output
    assert "embase-export.txt: 4 records (ovid, utf-8)" in out
    a, b = tmp_path / "pubmed-1.ris", tmp_path / "pubmed-2.ris"
    a.write_text(BATCH_A, encoding="utf-8")
    b.write_text(BATCH_B, encoding="utf-8")
    run("import", a, b, "--source", "PubMed", "--searched", "2024-03-15")


def test_sources_show_platform_date_query_and_records_after_deduplication(run,
                                                                          tmp_path: Path) -> None:
    _cli_searches(run, tmp_path)
    rows = json.loads(run("sources", "--format", "json").output)
    assert [(r["name"], r["platform"], r["searched_on"], r["record_count"],
             r["after_deduplication"]) for r in rows] == [
        ("Embase", "Ovid", "2024-03-14", 4, 4), ("PubMed", None, "2024-03-15", 2, 2),
        ("PubMed", None, "2024-03-15", 2, 2)]
    assert rows[0]["query"] == EMBASE_QUERY and rows[0]["limits"] == "English; 2010-2024"
    table = run("sources").output
    assert re.search(r"Embase\s+database\s+embase-export.txt\s+ovid\s+4\s+4\s+4\s+Ovid\s+"
                     r"2024-03-14\s+English; 2010-2024\s+1 exp automutilation/", table)
    assert "3 source file(s), 8 records" in table
    listed = json.loads(run("searches", "list", "--format", "json").output)
    assert [(s["source"], s["ids"], s["records"], s["after_deduplication"], s["unique"])
            for s in listed] == [("Embase", [1], 4, 4, 3), ("PubMed", [2, 3], 4, 3, 2)]
    assert "2 search(es), 8 records, after deduplication 6" in run("searches").output


def test_searches_export_csv_and_markdown(run, tmp_path: Path) -> None:
    _cli_searches(run, tmp_path)
    out_csv, out_md = tmp_path / "appendix.csv", tmp_path / "appendix.md"
    result = run("searches", "export", out_csv)
    assert "Wrote" in result.output and "PubMed" in result.stderr  # no strategy for PubMed
    raw = out_csv.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")  # a BOM, for spreadsheets
    rows = list(csv.DictReader(io.StringIO(raw.decode("utf-8-sig"), newline="")))
    assert [(r["source"], r["platform"], r["searched_on"], r["records"],
             r["after_deduplication"]) for r in rows] == [
        ("Embase", "Ovid", "2024-03-14", "4", "4"), ("PubMed", "", "2024-03-15", "4", "3"),
        (TOTAL_LABEL, "", "", "8", "6")]
    assert rows[0]["query"] == EMBASE_QUERY and rows[0]["limits"] == "English; 2010-2024"

    run("searches", "edit", "2", "3", "--platform", "PubMed (NLM)", "--query-file",
        tmp_path / "embase.txt")
    run("searches", "export", out_md)
    text = out_md.read_text(encoding="utf-8")
    assert "| 2 | PubMed | Database | PubMed (NLM) | 2024-03-15 | 4 | 3 | 2 |" in text
    assert text.count(f"```text\n{EMBASE_QUERY.rstrip()}\n```") == 2
    assert "- File(s): `pubmed-1.ris`, `pubmed-2.ris`" in text

    bad = run("searches", "export", tmp_path / "appendix.txt", ok=False)
    assert bad.exit_code == 1 and "written as .csv or .md" in bad.output
    wrong = run("searches", "edit", "2", "--date", "2024-13-01", ok=False)
    assert wrong.exit_code == 1 and "not a real date" in wrong.output


def test_strategy_files_from_windows_editors(run, tmp_path: Path) -> None:
    _cli_searches(run, tmp_path)
    utf16 = tmp_path / "notepad.txt"
    utf16.write_bytes("1 exp automutilation/\r\n2 Ærø peer support.ti,ab.\r\n".encode("utf-16"))
    run("searches", "edit", "1", "--query-file", utf16)
    rows = json.loads(run("sources", "--format", "json").output)
    assert rows[0]["query"] == "1 exp automutilation/\r\n2 Ærø peer support.ti,ab.\r\n"
    latin = tmp_path / "latin.txt"
    latin.write_bytes("2 Ærø peer support".encode("cp1252"))
    refused = run("import", tmp_path / "pubmed-1.ris", "--source", "X", "--query-file", latin,
                  ok=False)
    assert refused.exit_code == 1 and "latin.txt" in refused.output
    assert "not UTF-8 text" in refused.output and "Traceback" not in refused.output
