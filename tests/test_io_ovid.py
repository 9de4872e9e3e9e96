"""Ovid's own tagged format (the "Citavi" export option): a fixture of our own making in the
layout Ovid writes (tests/fixtures/ovid_citavi_peer_support.ovd, invented records), told apart
by content under any file name, mapped into the same fields as RIS and MEDLINE, and damage
refused with the file and line."""

from __future__ import annotations

import codecs
from pathlib import Path

import pytest

from review.errors import InputError
from review.io import detect_format, read_bytes, read_file, write_ris
from review.io.ovid import source_parts
from review.io.ris import record_to_ris
from tests.conftest import export_index

FIXTURE = Path(__file__).parent / "fixtures" / "ovid_citavi_peer_support.ovd"


def _text() -> str:
    return FIXTURE.read_text(encoding="utf-8")


def test_fixture_reads_every_record_with_its_first_line() -> None:
    parsed = read_file(FIXTURE)
    assert parsed.format == "ovid"
    assert len(parsed.records) == _text().count("\n<") + 1 == 4
    lines = _text().splitlines()
    assert [lines[r.line - 1] for r in parsed.records] == ["<1. >", "<2. >", "<3. >", "<4. >"]


def test_embase_journal_article_fields() -> None:
    first = read_file(FIXTURE).records[0]
    assert first.title == ("Online peer support forums for young people who self-harm: a "
                           "qualitative study of moderators' views")
    assert first.authors == ["Okafor N", "Lindqvist HE", "Brennan-Price S"]
    assert (first.year, first.journal, first.volume, first.issue) == (
        2022, "Journal of Community Mental Health Practice", "14", "2")
    assert (first.pages_start, first.pages_end) == ("101", "115")
    assert first.doi == "10.5555/jcmhp.2022.0142"  # from Ovid's dx.doi.org URL
    assert first.pmid is None  # an Embase UI is not a PubMed id
    assert first.accession == "2031456789"
    assert first.issn == ["2045-0001"]
    assert first.pub_type == "journal article"
    assert first.language == "English"
    assert first.abstract is not None and first.abstract.startswith("Background: Online forums")
    # author keywords split at ';', then the Emtree headings without the major-topic star
    assert first.keywords[:3] == ["online forum", "peer moderation", "help-seeking"]
    assert "automutilation" in first.keywords and "*peer group" not in first.keywords
    # a 6-space continuation of IN is a second institution, kept as its own value
    assert len(first.raw["IN"]) == 2 and first.raw["IN"][1].startswith("(Lindqvist)")
    assert len(first.raw["MH"]) == 9


def test_conference_abstract_without_abstract_takes_journal_from_so() -> None:
    second = read_file(FIXTURE).records[1]
    assert second.abstract is None
    assert "AB" not in second.raw
    assert second.pub_type == "conference abstract"
    assert (second.journal, second.volume, second.issue) == (
        "Psychiatric Services Research", "31", "Supplement 1")
    assert second.pages_start is None  # '(no pagination)'
    assert second.year == 2021


def test_ovid_medline_record_gives_pmid_and_full_names() -> None:
    third = read_file(FIXTURE).records[2]
    assert third.pmid == "36001234"
    assert third.authors == ["Farrell A", "Delacroix M", "Sato K"]
    # a wrapped abstract: its continuation line joins the value
    assert third.abstract is not None and "reduced distress while waiting" in third.abstract
    assert len(third.raw["AB"]) == 1
    assert "Self-Injurious Behavior/therapy" in third.keywords
    assert (third.volume, third.issue, third.pages_start, third.pages_end) == (
        "43", "4", "288", "297")


def test_psycinfo_record() -> None:
    fourth = read_file(FIXTURE).records[3]
    assert fourth.accession == "2020-55501-001"
    assert fourth.authors == ["Nakamura Y", "O'Donnell C", "Van der Berg L"]
    assert fourth.doi == "10.5555/jpss.2020.0007"
    assert fourth.abstract is None
    assert fourth.pub_type == "journal article"  # 'Peer Reviewed Journal' is not a review


@pytest.mark.parametrize("name", ["embase.ovd", "embase.txt", "embase.ris", "embase"])
def test_detected_by_content_under_any_name(name: str) -> None:
    parsed = read_bytes(FIXTURE.read_bytes(), name)
    assert parsed.format == "ovid" and len(parsed.records) == 4


def test_bom_and_crlf_read_the_same() -> None:
    data = codecs.BOM_UTF8 + _text().replace("\n", "\r\n").encode("utf-8")
    parsed = read_bytes(data, "windows.ovd")
    assert parsed.line_endings == "CRLF"
    assert [r.normalised() for r in parsed.records] == [
        r.normalised() for r in read_file(FIXTURE).records]


def test_search_history_before_the_first_record_is_skipped() -> None:
    history = ("Database: Embase <1974 to 2024 March 14>\nSearch Strategy:\n" + "-" * 40 + "\n"
               "1     exp automutilation/ (23456)\n2     peer support.ti,ab. (3456)\n"
               "3     1 and 2 (123)\n\n")
    parsed = read_bytes((history + _text()).encode(), "with-history.txt")
    assert parsed.format == "ovid" and len(parsed.records) == 4
    assert parsed.records[0].line == 8


def test_records_without_numbers_start_at_vn() -> None:
    text = "\n".join(line for line in _text().splitlines() if not line.startswith("<"))
    assert detect_format(text.splitlines()) == "ovid"
    assert len(read_bytes(text.encode(), "plain.txt").records) == 4


def test_a_lost_number_line_does_not_merge_two_records() -> None:
    text = _text().replace("<3. >\n", "", 1)
    records = read_bytes(text.encode(), "lost.ovd").records
    assert len(records) == 4
    assert records[2].pmid == "36001234" and records[1].pmid is None


def test_written_as_ris_keeps_every_normalised_field() -> None:
    records = read_file(FIXTURE).records
    again = read_bytes(write_ris(record_to_ris(r) for r in records).encode(), "a.ris").records
    assert [r.normalised() for r in again] == [r.normalised() for r in records]


def test_field_line_before_any_record_names_the_line() -> None:
    text = "TI  - A stray title\n" + _text()
    with pytest.raises(InputError, match="outside any record") as info:
        read_bytes(text.encode(), "stray.ovd")
    assert info.value.line == 1 and str(info.value).startswith("stray.ovd, line 1")


def test_empty_record_names_its_line() -> None:
    text = _text().replace("<2. >\n", "<2. >\n\n<9. >\n", 1)
    with pytest.raises(InputError, match=r"record <2\. > has no fields") as info:
        read_bytes(text.encode(), "cut.ovd")
    lines = text.splitlines()
    assert lines[info.value.line - 1] == "<2. >"


def test_text_that_is_no_field_right_after_the_number_names_the_line() -> None:
    text = _text().replace("<2. >\nVN  - Ovid Technologies", "<2. >\nOvid Technologies", 1)
    with pytest.raises(InputError, match="expected an Ovid field line") as info:
        read_bytes(text.encode(), "bad.ovd")
    assert text.splitlines()[info.value.line - 1] == "Ovid Technologies"


def test_untagged_lines_inside_a_record_continue_the_field() -> None:
    # BIOSIS on Ovid puts 'Series Information:' unindented under SO
    text = _text().replace("PG  - 33-49\n", "PG  - 33-49\nSeries Information:  Volume 7.\n", 1)
    fourth = read_bytes(text.encode(), "biosis.ovd").records[3]
    assert fourth.raw["PG"] == ["33-49 Series Information:  Volume 7."]
    assert len(read_bytes(text.encode(), "biosis.ovd").records) == 4


def test_journals_at_ovid_labels_and_author_marks() -> None:
    text = ("<5. >\nVN  - Ovid Technologies\nDB  - Journals@Ovid\n"
            "AN  - 00001234-202001000-00001.\nAU  - Quinn, Maeve MD, PhD *\n"
            "AU  - Ortiz, Pablo 1,2,+\nAU  - Smith MD\n"
            "TI  - Peer mentoring after self-harm.  [Article]\n"
            "SO  - Journal of Peer Support Studies January 2020;7(1):1-9\nYR  - 2020\n")
    record = read_bytes(text.encode(), "jovid.txt").records[0]
    assert record.title == "Peer mentoring after self-harm"
    assert record.authors == ["Quinn M", "Ortiz P", "Smith MD"]


@pytest.mark.parametrize(("source", "parts"), [
    ("Crisis. 40(2):85-93, 2019.", {"journal": "Crisis", "volume": "40", "issue": "2",
                                    "pages": "85-93"}),
    ("Archives of Suicide Research. 25 (3) (pp 512-530), 2021.",
     {"journal": "Archives of Suicide Research", "volume": "25", "issue": "3",
      "pages": "512-530"}),
    ("Journal of Affective Disorders. 245 (pp 123-130), 2019. Date of Publication: 2019.",
     {"journal": "Journal of Affective Disorders", "volume": "245", "pages": "123-130"}),
    ("BMC Psychiatry. 21 (1) (no pagination), 2021. Article Number: 112.",
     {"journal": "BMC Psychiatry", "volume": "21", "issue": "1"}),
])
def test_source_field_parts(source: str, parts: dict[str, str]) -> None:
    assert source_parts(source) == parts


def test_shared_exports_are_taken_for_ovid_tagged_only_when_they_are(exports) -> None:
    """The shared exports hold no Ovid tagged file today (their Ovid export is Ovid's RIS);
    test_io reads each with its exact count. None may be taken for Ovid tagged unless its
    INDEX.csv row says it is one."""
    for row in export_index():
        is_ovid_tagged = "ovid tagged" in row["format"].lower() or "citavi" in row[
            "format"].lower()
        assert (read_file(exports / row["file"]).format == "ovid") == is_ovid_tagged


@pytest.mark.parametrize("chunk", [1, 3, 64])
def test_ovid_streamed_reading_does_not_depend_on_chunk_size(tmp_path: Path, monkeypatch,
                                                        chunk: int) -> None:
    crlf = tmp_path / "crlf.ovd"
    crlf.write_bytes(codecs.BOM_UTF8 + _text().replace("\n", "\r\n").encode("utf-8"))
    whole = [read_file(FIXTURE), read_file(crlf)]
    monkeypatch.setattr("review.io.decode.CHUNK", chunk)
    streamed = [read_file(FIXTURE), read_file(crlf)]
    for one, other in zip(whole, streamed, strict=True):
        assert [(r.raw, r.normalised(), r.line) for r in one.records] == \
            [(r.raw, r.normalised(), r.line) for r in other.records]
        assert one.sha256 == other.sha256


def test_endnote_option_breaks_the_abstract_into_unindented_paragraph_lines() -> None:
    """Ovid's "EndNote" option (.cgi) writes the same layout, but starts each section of a
    structured abstract on a new line with no indent: the lines belong to the abstract."""
    text = _text().replace(" Method(s): We interviewed", " \nMethod(s): We interviewed", 1)
    text = text.replace(" Result(s): Moderators", " \nResult(s): Moderators", 1)
    assert "\nMethod(s): We interviewed" in text
    records = read_bytes(text.encode(), "embase.cgi").records
    assert [r.normalised() for r in records] == [r.normalised() for r in read_file(
        FIXTURE).records]
    assert len(records[0].raw["AB"]) == 1 and "Method(s): We interviewed" in records[0].raw[
        "AB"][0]
