"""Vancouver references from records' bibliographic fields (review.extraction.citations)."""

from __future__ import annotations

from review.extraction.citations import first_author, short_pages, surname, vancouver


def test_a_journal_article() -> None:
    record = {"authors": ["Kowalczyk A", "Quinlan C", "Sahin TM"], "year": 2013,
              "title": "Peer support in a charity's forum.", "journal": "Journal of Mental Health",
              "journal_abbrev": "J. Ment. Health", "volume": "22", "issue": "3",
              "pages_start": "351", "pages_end": "363", "doi": "10.5555/jmh.2013.1"}
    assert vancouver(record) == ("Kowalczyk A, Quinlan C, Sahin TM. Peer support in a "
                                 "charity's forum. J Ment Health. 2013;22(3):351-63. "
                                 "doi:10.5555/jmh.2013.1")


def test_more_than_six_authors_and_a_question_for_a_title() -> None:
    record = {"authors": [f"Author{i} A" for i in range(1, 9)], "year": 2020,
              "title": "Does peer support help?", "journal": "Crisis", "volume": "41"}
    assert vancouver(record) == ("Author1 A, Author2 A, Author3 A, Author4 A, Author5 A, "
                                 "Author6 A, et al. Does peer support help? Crisis. 2020;41.")


def test_grey_literature_and_missing_parts() -> None:
    guidance = {"authors": ["Harbour Peer Support Trust"], "year": 2019,
                "title": "Running a self-harm support group", "publisher": "Harbour Trust",
                "url": "https://example.org/guide"}
    assert vancouver(guidance) == ("Harbour Peer Support Trust. Running a self-harm support "
                                   "group. Harbour Trust; 2019. Available from: "
                                   "https://example.org/guide")
    assert vancouver({"title": "Untitled notes"}) == "Untitled notes."
    assert vancouver({}) == "[Untitled]."


def test_pages_and_surnames() -> None:
    assert short_pages("351", "363") == "351-63"
    assert short_pages("1203", "1214") == "1203-14"
    assert short_pages("99", "104") == "99-104"
    assert short_pages("e85100", None) == "e85100"
    assert short_pages("e1", "e9") == "e1-e9"
    assert surname("van der Berg O") == "van der Berg"
    assert surname("Harbour Peer Support Trust") == "Harbour Peer Support Trust"
    assert first_author({"authors": [], "title": "A study of forums in five countries"}) == \
        "A study of forums"
