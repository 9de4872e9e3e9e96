"""Readers: every real export in ../shared with its exact record count, the quirks real
databases produce, and bad input that must fail with file and line."""

from __future__ import annotations

import codecs
from pathlib import Path

import pytest

from review.errors import InputError
from review.io import read_bytes, read_file, write_ris
from review.io.ris import parse_ris, record_to_ris
from tests.conftest import export_index, export_params


@pytest.mark.parametrize("row", export_params())
def test_every_shared_export_reads_with_its_exact_count(exports, row) -> None:
    parsed = read_file(exports / row["file"])
    assert len(parsed.records) == int(row["records"])
    # every one of these exports has a title on every record; none may be lost
    assert all(r.title for r in parsed.records), [r.line for r in parsed.records if not r.title]
    text = (exports / row["file"]).read_bytes().decode(parsed.encoding.replace("-sig", ""),
                                                       errors="replace")
    first_words = parsed.records[0].title.split()[0]
    assert first_words in text
    assert parsed.encoding.startswith("utf-8")


def test_format_is_detected_from_content_not_extension(exports) -> None:
    formats = {row["file"]: read_file(exports / row["file"]).format for row in export_index()}
    assert formats["asreview__web_of_science.txt"] == "ris"  # WoS RIS saved as .txt
    assert formats["synthesisr__PubMed_example.txt"] == "medline"
    assert formats["synthesisr__WoS_ciw_example.ciw"] == "wos"
    assert formats["citation-file-formatting___baseline_scopus.csv"] == "csv"
    assert formats["synthesisr__Scopus_bib_example.bib"] == "bibtex"
    assert formats["asreview__pubmed_endnote.txt"] == "ris"


def test_bom_keeps_the_first_record(exports) -> None:
    records = read_file(exports / "asreview__embase.ris").records
    assert records[0].title.startswith("Duplication cysts")
    assert records[0].authors == ["Liu R", "Adler DG"]
    assert records[0].raw["DB"] == ["Embase", "Medline"] or len(records[0].raw["DB"]) >= 1


def test_repeated_tags_keep_every_value(exports) -> None:
    records = read_file(exports / "asreview__embase.ris").records
    repeated = [r for r in records if len(r.raw.get("DB", [])) == 2]
    assert repeated, "Embase repeats DB (Embase, Medline) on some records"
    assert repeated[0].raw["DB"] == ["Embase", "Medline"]


def test_ebsco_doi_in_l3_and_copyright_abstract_loses(exports) -> None:
    records = read_file(exports / "synthesisr__ASP_ris_example.ris").records
    first = records[0]
    assert first.doi == "10.1016/j.agee.2016.06.041"
    assert len(first.raw["AB"]) == 2 and first.raw["AB"][1].startswith("Copyright")
    assert first.abstract.startswith("Small rodents")
    assert "Copyright" not in first.abstract and "[ABSTRACT FROM" not in first.abstract
    assert first.year == 2016


def test_ovid_numbering_links_and_doi_urls(exports) -> None:
    records = read_file(exports / "asreview__ovid_psycinfo.ris").records
    assert records[0].line == 2  # line 1 is Ovid's '1.'
    assert records[0].doi == "10.1002/cpp.2398"
    assert all("NL" not in r.raw for r in records)  # NL after ER is outside the record
    assert not records[0].abstract.endswith("all rights reserved)")


def test_endnote_keyword_continuation_is_not_a_tag(exports) -> None:
    records = read_file(exports / "asreview__pubmed_endnote.txt").records
    keywords = [k for r in records for k in r.keywords]
    assert "NF-kappa B/metabolism" in keywords
    assert "NF" not in {tag for r in records for tag in r.raw}
    assert records[0].pmid == "21553931"


def test_wos_tagged_multiline_fields(exports) -> None:
    first = read_file(exports / "synthesisr__WoS_ciw_example.ciw").records[0]
    assert len(first.authors) == 10 and first.authors[0] == "Li W"
    assert first.title.startswith("Soil fauna diversity at different stages of reed restoration "
                                  "in a lakeshore wetland")
    assert first.accession.startswith("WOS:")
    assert first.doi == "10.1080/20964129.2020.1722034"


def test_wos_ris_month_in_da_is_not_a_year(exports) -> None:
    records = read_file(exports / "asreview__web_of_science.txt").records
    assert all(r.year and 1900 < r.year < 2100 for r in records)


def test_medline_continuations_and_doi(exports) -> None:
    first = read_file(exports / "synthesisr__PubMed_example.txt").records[0]
    assert first.title == ("Differences in nitrate and phosphorus export between wooded and "
                           "grassed riparian zones from farmland to receiving waterways under "
                           "varying rainfall conditions")
    assert first.doi == "10.1016/j.scitotenv.2017.04.075"
    assert first.pmid == "28441597"
    assert (first.pages_start, first.pages_end) == ("188", "197")
    assert first.issn == ["1879-1026", "0048-9697"]


def test_scopus_csv_and_bibtex(exports) -> None:
    csv_first = read_file(exports / "citation-file-formatting___baseline_scopus.csv").records[0]
    assert csv_first.authors[:2] == ["Wilson LN", "Gardner JD"]
    assert csv_first.pmid == "38580657"
    assert csv_first.raw["Title"] == [csv_first.title]
    bib = read_file(exports / "synthesisr__Scopus_bib_example.bib").records
    assert [r.doi for r in bib][0] == "10.1080/20964129.2020.1722034"
    # the first entry repeats funding_details; both values are kept
    assert len(bib[0].raw["funding_details"]) == 2


@pytest.mark.parametrize("row", export_params("RIS"))
def test_ris_write_then_read_keeps_every_tag(exports, row) -> None:
    parsed = read_file(exports / row["file"])
    again = read_bytes(write_ris(r.raw for r in parsed.records).encode(), "again.ris").records
    assert [r.raw for r in again] == [r.raw for r in parsed.records]
    assert [r.normalised() for r in again] == [r.normalised() for r in parsed.records]


@pytest.mark.parametrize("row", export_params())
def test_any_format_written_as_ris_keeps_every_normalised_field(exports, row) -> None:
    parsed = read_file(exports / row["file"])
    text = write_ris(record_to_ris(r) for r in parsed.records)
    again = read_bytes(text.encode(), "again.ris").records
    assert [r.normalised() for r in again] == [r.normalised() for r in parsed.records]


# --- constructed input ----------------------------------------------------------------------

RIS = ("TY  - JOUR\nTI  - Peer support in community groups\nAU  - Müller, Jörg\nPY  - 2015\n"
       "DO  - 10.5555/X.1\nER  - \n\nTY  - JOUR\nTI  - Second record\nAU  - Smith, J\n"
       "PY  - 2016\nER  - \n")


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "utf-16", "utf-16-le", "cp1252",
                                      "latin-1"])
def test_encodings(encoding: str) -> None:
    data = RIS.encode(encoding)
    if encoding == "utf-16-le":
        data = RIS.encode("utf-16-le")  # no BOM
    parsed = read_bytes(data, "x.ris")
    assert [r.title for r in parsed.records] == ["Peer support in community groups",
                                                 "Second record"]
    assert parsed.records[0].authors == ["Müller J"]


@pytest.mark.parametrize("newline", ["\r\n", "\r", "\n"])
def test_line_endings(newline: str) -> None:
    parsed = read_bytes(RIS.replace("\n", newline).encode(), "x.ris")
    assert len(parsed.records) == 2 and parsed.records[1].year == 2016
    assert parsed.records[1].line == 8


def test_utf8_bom_with_rispy_would_drop_first() -> None:
    parsed = read_bytes(codecs.BOM_UTF8 + RIS.encode(), "bom.ris")
    assert parsed.records[0].title == "Peer support in community groups"


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "the file is empty"),
        (b"   \n\r\n", "the file is empty"),
        (bytes(range(256)) * 20, "binary file"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(300), "binary file"),
        (b"Hello, this is a letter.\nNothing bibliographic here.\n", "unknown format"),
        (b"PMID- 1\nTI  - A\n", None),
    ],
)
def test_bad_files(data: bytes, message: str | None) -> None:
    if message is None:
        assert len(read_bytes(data, "ok.txt").records) == 1
        return
    with pytest.raises(InputError, match=message) as info:
        read_bytes(data, "bad.ris")
    assert str(info.value).startswith("bad.ris")


def test_missing_er_is_an_error_naming_the_line() -> None:
    text = RIS.replace("ER  - \n\nTY  - JOUR\nTI  - Second", "\nTY  - JOUR\nTI  - Second", 1)
    with pytest.raises(InputError) as info:
        read_bytes(text.encode(), "two.ris")
    assert info.value.line == 7
    assert "two.ris, line 7" in str(info.value) and "ER line is missing" in str(info.value)


def test_truncated_ris() -> None:
    text = RIS.rsplit("ER  -", 1)[0]
    with pytest.raises(InputError, match="truncated") as info:
        read_bytes(text.encode(), "cut.ris")
    assert info.value.line is not None


def test_record_fields_outside_a_record() -> None:
    text = RIS.replace("TY  - JOUR\nTI  - Second", "TI  - Second", 1)
    with pytest.raises(InputError, match="outside any record") as info:
        read_bytes(text.encode(), "noty.ris")
    assert info.value.line == 8


def test_zero_records() -> None:
    data = b"Record\tTitle\n"
    with pytest.raises(InputError, match="no records found"):
        read_bytes(data, "empty.csv")


def test_invalid_utf8_falls_back_to_cp1252_and_forced_encoding_is_strict() -> None:
    data = RIS.replace("Müller", "M\u00fcller").encode("cp1252")
    assert read_bytes(data, "x.ris").encoding == "cp1252"
    with pytest.raises(InputError, match="cannot be read as utf-8"):
        read_bytes(data, "x.ris", encoding="utf-8")


def test_medline_missing_blank_line() -> None:
    text = "PMID- 1\nTI  - First\n      continued\nPMID- 2\nTI  - Second\n"
    with pytest.raises(InputError, match="blank line") as info:
        read_bytes(text.encode(), "m.nbib")
    assert info.value.line == 4


def test_wos_missing_er_and_truncation() -> None:
    good = "FN Clarivate Analytics Web of Science\nVR 1.0\nPT J\nAU Smith, J\n   Jones, K\n" \
           "TI A title\n   continued\nPY 2020\nER\n\nPT J\nTI Two\nER\n\nEF\n"
    records = read_bytes(good.encode(), "w.ciw").records
    assert records[0].authors == ["Smith J", "Jones K"]
    assert records[0].title == "A title continued"
    with pytest.raises(InputError, match="ER line is missing") as info:
        read_bytes(good.replace("PY 2020\nER\n", "PY 2020\n").encode(), "w.ciw")
    assert info.value.line == 10
    with pytest.raises(InputError, match="truncated"):
        read_bytes(good.split("ER\n\nPT J")[0].encode(), "w.ciw")


def test_csv_layouts_and_errors() -> None:
    plain = ("record_id,author,year,title,journal,volume,number,pages,doi,isbn,abstract\n"
             "r1,\"Smith, J. and Jones, K.\",2019,A study,Crisis,40,2,123-9,"
             "https://doi.org/10.5555/C.1,,\"Line one\nline two\"\n"
             "r2,Brown L.,2020,Another,BJPsych Open,6,1,e12,,,\n")
    records = read_bytes(plain.encode(), "plain.csv").records
    assert [r.raw["record_id"] for r in records] == [["r1"], ["r2"]]
    assert records[0].authors == ["Smith J", "Jones K"]
    assert (records[0].pages_start, records[0].pages_end) == ("123", "129")
    assert records[0].doi == "10.5555/c.1"
    assert records[1].line == 4
    with pytest.raises(InputError, match="unclosed quote|cannot be parsed") as info:
        read_bytes((plain + 'r3,"unclosed,2021,T\n').encode(), "bad.csv")
    assert info.value.line is not None
    with pytest.raises(InputError, match="12 fields where the header has 11") as info:
        read_bytes((plain + "r3,a,2021,T,J,1,1,1,d,i,a,EXTRA\n").encode(), "bad.csv")
    assert info.value.line == 5


def test_bibtex_syntax_error_names_line() -> None:
    text = "@article{a,\n title={One},\n year={2020}\n}\n\n@article{b,\n title={Two\n"
    with pytest.raises(InputError) as info:
        read_bytes(text.encode(), "b.bib")
    assert info.value.line == 6


def test_parse_ris_never_merges_records_without_er() -> None:
    lines = ["TY  - JOUR", "TI  - One", "TY  - JOUR", "TI  - Two", "ER  - "]
    with pytest.raises(InputError, match="line 3"):
        parse_ris(lines, "m.ris")


@pytest.mark.parametrize("chunk", [1, 2, 3, 7, 64])
def test_streamed_reading_does_not_depend_on_chunk_size(exports, monkeypatch, chunk: int) -> None:
    """Chunk ends fall inside characters, lines and CRLF pairs; nothing may change."""
    files = ["asreview__ovid_psycinfo.ris", "asreview__embase.ris",
             "synthesisr__PubMed_example.txt"]
    whole = [read_file(exports / name) for name in files]
    mixed = RIS.replace("\n", "\r\n", 3).replace("Peer", "\ufeffPeer").encode("utf-8-sig")
    constructed = [read_bytes(RIS.replace("\n", nl).encode(enc), "x.ris")
                   for nl in ("\r\n", "\r", "\n") for enc in ("utf-8", "utf-16")]
    constructed.append(read_bytes(mixed, "mixed.ris"))
    monkeypatch.setattr("review.io.decode.CHUNK", chunk)
    streamed = [read_file(exports / name) for name in files]
    again = [read_bytes(RIS.replace("\n", nl).encode(enc), "x.ris")
             for nl in ("\r\n", "\r", "\n") for enc in ("utf-8", "utf-16")]
    again.append(read_bytes(mixed, "mixed.ris"))
    for one, other in zip(whole + constructed, streamed + again, strict=True):
        assert (one.encoding, one.line_endings, one.sha256, one.size) == \
            (other.encoding, other.line_endings, other.sha256, other.size)
        assert [(r.raw, r.normalised(), r.line) for r in one.records] == \
            [(r.raw, r.normalised(), r.line) for r in other.records]
    assert {p.line_endings for p in constructed} == {"CRLF", "CR", "LF", "CRLF+LF"}


CSV = ("record_id,author,year,title,journal,volume,number,pages,doi,isbn,abstract\n"
       "r1,\"Smith, J. and Jones, K.\",2019,A study,Crisis,40,2,123-9,,,\"Line one\nline two\n"
       "\nline four\"\n"
       "r2,Brown L.,2020,Another,BJPsych Open,6,1,e12,,,\n"
       "r3,\"Ng, T. (5715)\",2021,A third,Crisis,41\n"
       "r4,Ode A.,2022,Last; no ending,Crisis,42,1,1-9,,,")


@pytest.mark.parametrize("chunk", [1, 2, 3, 7, 64])
def test_csv_is_read_line_by_line_as_from_its_whole_text(monkeypatch, chunk: int) -> None:
    """A CSV export is parsed from its lines as they stream in, never its whole text held:
    every chunk end, inside a CRLF or a quoted field of several lines, gives the records that
    the whole text gives, with their lines, and the line endings the file has."""
    from review.io.csvfile import parse_csv

    monkeypatch.setattr("review.io.decode.CHUNK", chunk)
    variants = {"CRLF": CSV.replace("\n", "\r\n"), "CR": CSV.replace("\n", "\r"), "LF": CSV,
                "CRLF+LF": CSV.replace("\n", "\r\n", 2)}
    abstracts = {"CRLF": "Line one\r\nline two\r\n\r\nline four",
                 "CR": "Line one\rline two\r\rline four", "LF": "Line one\nline two\n\nline four",
                 "CRLF+LF": "Line one\r\nline two\n\nline four"}
    for endings, text in variants.items():
        parsed = read_bytes(text.encode("utf-8"), "plain.csv")
        whole = parse_csv(text, "plain.csv")
        assert parsed.line_endings == endings
        assert [(r.raw, r.normalised(), r.line) for r in parsed.records] == \
            [(r.raw, r.normalised(), r.line) for r in whole]
        assert [r.line for r in parsed.records] == [2, 6, 7, 8]
        assert parsed.records[0].raw["abstract"] == [abstracts[endings]]  # as written
        short = parsed.records[2]  # a short row: its trailing columns empty
        assert short.authors == ["Ng T"] and short.raw["abstract"] == [""] and not short.abstract
        assert parsed.records[3].title == "Last; no ending"


def test_read_file_and_read_bytes_agree(exports) -> None:
    for row in export_index():
        path = exports / row["file"]
        on_disk, in_memory = read_file(path), read_bytes(path.read_bytes(), str(path))
        assert on_disk == in_memory


def test_a_file_that_changes_between_the_two_passes_is_refused(tmp_path: Path,
                                                                monkeypatch) -> None:
    """The first pass takes the hash the import is refused or recorded by; the second parses.
    An export still being written between them would be recorded with a hash that is not of
    the records imported, so it is refused, naming the file."""
    import review.io as io_module

    path = tmp_path / "growing.ris"
    path.write_text(RIS, encoding="utf-8")
    real = io_module.survey

    def then_appended(*args, **kwargs):  # type: ignore[no-untyped-def]
        found = real(*args, **kwargs)
        with open(path, "a", encoding="utf-8") as more:
            more.write(RIS)
        return found

    monkeypatch.setattr(io_module, "survey", then_appended)
    with pytest.raises(InputError, match="growing.ris.*changed while it was being read"):
        read_file(path)
