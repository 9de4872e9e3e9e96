"""Batch dedupe of files (what scripts run): every input record comes out exactly once, with
its own id and fields unchanged, a group and one kept record per group."""

from __future__ import annotations

import csv
import io
from collections import Counter
from pathlib import Path

from click.testing import CliRunner

from review.cli.main import main
from review.io import read_file

ROOT = Path(__file__).resolve().parent.parent
PLAIN = (
    "record_id,author,year,title,journal,volume,number,pages,doi,isbn,abstract\n"
    "r-17,\"Okafor, A. and Lund, P.\",2019,Peer support in moderated online forums: a "
    "qualitative study,Crisis,40,2,101-10,10.5555/c.101,,\n"
    "x9,Okafor A; Lund P,2019,PEER SUPPORT IN MODERATED ONLINE FORUMS: A QUALITATIVE STUDY.,"
    "Crisis,40,2,101-110,,,Members valued belonging.\n"
    "0003,\"Hale, R.\",2015,Volunteer-led groups in a self-injury charity,Health & Social Care "
    "in the Community,23,1,50-8,,,\n"
)


def _rows(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text)))


def test_plain_csv_round_trip_keeps_ids_and_columns(tmp_path: Path) -> None:
    source = tmp_path / "plain.csv"
    source.write_text(PLAIN, encoding="utf-8")
    out, pairs, unique = tmp_path / "out.csv", tmp_path / "pairs.csv", tmp_path / "unique.ris"
    result = CliRunner().invoke(main, ["dedupe", str(source), "-o", str(out), "--pairs",
                                       str(pairs), "--unique", str(unique)])
    assert result.exit_code == 0, result.output
    assert "3 records, 2 groups, 1 duplicates, 0 uncertain pairs" in result.output
    rows = _rows(out.read_text(encoding="utf-8"))
    original = _rows(PLAIN)
    assert [r["record_id"] for r in rows] == ["r-17", "x9", "0003"]
    for row, before in zip(rows, original, strict=True):
        assert {k: row[k] for k in before} == before  # every column as it came in
    assert rows[0]["duplicate_id"] == rows[1]["duplicate_id"] != rows[2]["duplicate_id"]
    keeps = Counter((r["duplicate_id"], r["keep"]) for r in rows)
    assert keeps[(rows[0]["duplicate_id"], "true")] == 1
    assert rows[0]["keep"] == "true"  # the copy with a DOI is the more complete
    pair_rows = _rows(pairs.read_text(encoding="utf-8"))
    assert {(p["record_a"], p["record_b"]) for p in pair_rows if p["merged"] == "true"} == {
        ("r-17", "x9")}
    assert all(p["outcome"] and p["evidence"].startswith("{") for p in pair_rows)
    merged = read_file(unique).records
    assert len(merged) == 2
    assert merged[0].doi == "10.5555/c.101" and merged[0].abstract == "Members valued belonging."


def test_every_input_record_exactly_once_across_formats(tmp_path: Path) -> None:
    files = [ROOT / "sample_refs" / name for name in ("ovid_medline.ris", "pubmed.nbib",
                                                      "wos.ciw")]
    out = tmp_path / "out.ris"
    result = CliRunner().invoke(main, ["dedupe", *map(str, files), "-o", str(out)])
    assert result.exit_code == 0, result.output
    written = read_file(out).records
    counts = [len(read_file(f).records) for f in files]
    assert len(written) == sum(counts)
    groups = Counter(r.raw["ZD"][0] for r in written)
    kept = Counter(r.raw["ZD"][0] for r in written if r.raw["ZK"] == ["true"])
    assert set(kept) == set(groups) and set(kept.values()) == {1}
    ovid = read_file(files[0]).records
    assert [r.raw | {"ZD": [], "ZK": []} for r in written[: len(ovid)]] == [
        r.raw | {"ZD": [], "ZK": []} for r in ovid]  # RIS tags carried through unchanged


def test_batch_needs_an_output(tmp_path: Path) -> None:
    source = tmp_path / "plain.csv"
    source.write_text(PLAIN, encoding="utf-8")
    result = CliRunner().invoke(main, ["dedupe", str(source)])
    assert result.exit_code == 2 and "needs -o OUT" in result.output


def test_batch_csv_carries_formula_like_fields_through_unchanged(tmp_path: Path) -> None:
    """The batch output is a file for the next script (joined back on record_id), so it is not
    neutralised for spreadsheets as the review's own exports are: every field as it came in."""
    source = tmp_path / "hostile.csv"
    source.write_text("record_id,title,year\n-17,=HYPERLINK(\"http://example.org\"),2019\n"
                      "@x,+1 peer support groups,2020\n", encoding="utf-8")
    out = tmp_path / "out.csv"
    result = CliRunner().invoke(main, ["dedupe", str(source), "-o", str(out)])
    assert result.exit_code == 0, result.output
    rows = _rows(out.read_text(encoding="utf-8"))
    assert [(r["record_id"], r["title"]) for r in rows] == [
        ("-17", "=HYPERLINK(\"http://example.org\")"), ("@x", "+1 peer support groups")]
