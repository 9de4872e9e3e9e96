"""Normalisers: each with the forms real databases write, and idempotence (a normalised value
normalises to itself, so writing and re-reading a record changes nothing)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from review.records import (
    clean_text,
    clean_title,
    fold,
    normalise_author,
    normalise_doi,
    normalise_language,
    normalise_pages,
    normalise_pmid,
    normalise_pub_type,
    normalise_year,
    pick_abstract,
    split_issn_isbn,
)


@pytest.mark.parametrize(("value", "expected"), [
    ("10.1002/cpp.2398", "10.1002/cpp.2398"),
    ("http://dx.doi.org/10.1002/CPP.2398", "10.1002/cpp.2398"),
    ("https://doi.org/10.1016/j.agee.2016.06.041.", "10.1016/j.agee.2016.06.041"),
    ("10.1016/j.scitotenv.2017.04.075 [doi]", "10.1016/j.scitotenv.2017.04.075"),
    ("doi:10.1080/16066359.2022.2113071", "10.1080/16066359.2022.2113071"),
    ("https://www.scopus.com/inward/record.uri?eid=2-s2.0-1&doi=10.1080%2f2096.1722034&partnerID=40",
     "10.1080/2096.1722034"),
    ("no doi here", None),
    ("", None),
])
def test_doi(value: str, expected: str | None) -> None:
    assert normalise_doi(value) == expected


@pytest.mark.parametrize(("value", "expected"), [
    ("28441597", "28441597"), ("PMID: 21553931", "21553931"), ("00012345", "12345"),
    ("https://pubmed.ncbi.nlm.nih.gov/30689646/", "30689646"), ("2019-65183-001", None),
])
def test_pmid(value: str, expected: str | None) -> None:
    assert normalise_pmid(value) == expected


@pytest.mark.parametrize(("value", "expected"), [
    ("Smith, Jane A", "Smith JA"), ("Smith JA", "Smith JA"), ("SMITH, J. A.", "Smith JA"),
    ("Jane A. Smith", "Smith JA"), ("Liu R.", "Liu R"), ("Adler D.G.", "Adler DG"),
    ("Rodríguez-Pastor, Ruth", "Rodríguez-Pastor R"), ("van der Berg, Anna", "van der Berg A"),
    ("Anna van der Berg", "van der Berg A"), ("Jean-Paul Sartre", "Sartre JP"),
    ("Buzatti KCDLR", "Buzatti KCDLR"), ("JOHN SMITH", "Smith J"),
    ("Smith, John, Jr.", "Smith J"), ("朱 宏", "朱 宏"),
    ("Harbour Peer Support Trust", "Harbour Peer Support Trust"), ("[Anonymous]", None),
])
def test_author(value: str, expected: str | None) -> None:
    assert normalise_author(value) == expected


@pytest.mark.parametrize(("start", "end", "expected"), [
    ("123-9", None, ("123", "129")), ("123-129", None, ("123", "129")),
    ("1199-201", None, ("1199", "1201")), ("S12-9", None, ("S12", "S19")),
    ("45–52", None, ("45", "52")), ("pp. 10-12", None, ("10", "12")),
    ("e0209483", None, ("e0209483", None)), ("206", "217", ("206", "217")),
    ("12", "12", ("12", None)), ("", None, (None, None)), ("123-", None, ("123", None)),
])
def test_pages(start: str, end: str | None, expected: tuple) -> None:
    assert normalise_pages(start, end) == expected


@pytest.mark.parametrize(("value", "expected"), [
    ("2016/09//", 2016), ("2019 Mar 12", 2019), ("2014//", 2014), ("MAY", None),
    ("c1999", 1999), ("12345", None),
])
def test_year(value: str, expected: int | None) -> None:
    assert normalise_year(value) == expected


def test_issn_isbn_split() -> None:
    issn, isbn = split_issn_isbn(["01678809", "1932-6203 (Electronic)", "1932-6203 (Linking)",
                                  "978-3-16-148410-0", "0-306-40615-2", "12345"])
    assert issn == ["0167-8809", "1932-6203"]
    assert isbn == ["9783161484100", "0306406152"]


def test_title_and_abstract() -> None:
    assert clean_title("  A  wrapped\n title. ") == "A wrapped title"
    assert clean_title("Why not?") == "Why not?"
    assert clean_title("Et al..") == "Et al.."
    real = "Peer support groups were studied in three charities. Members valued belonging."
    assert pick_abstract([real, "Copyright of Crisis is the property of Hogrefe and its content "
                                "may not be copied or emailed."]) == real
    assert pick_abstract([real + " (PsycInfo Database Record (c) 2020 APA, all rights reserved)"]
                         ) == real
    assert pick_abstract(["(c) 2020 Elsevier Ltd. All rights reserved."]) is not None


@pytest.mark.parametrize(("values", "expected"), [
    (["JOUR"], "journal article"), (["Conference Abstract", "JOUR"], "conference abstract"),
    (["Journal Article", "Comment"], "comment"), (["Erratum"], "erratum"),
    (["RPRT"], "report"), (["THES"], "thesis"), (["CHAP"], "book chapter"),
    (["Article", "J"], "journal article"), (["Retracted Publication"], "retraction"),
])
def test_pub_type(values: list[str], expected: str) -> None:
    assert normalise_pub_type(values) == expected


def test_language_and_fold() -> None:
    assert normalise_language("eng") == normalise_language("English") == "English"
    assert normalise_language("ger; eng") == "German"
    assert fold("José Øvergaard Müller Łukasz Straße") == "jose overgaard muller lukasz strasse"


_word = st.text(alphabet=st.sampled_from("abcdefghijklmnopqrstuvwxyzéøüñ"), min_size=2,
                max_size=10).map(str.capitalize)
_surname = st.one_of(_word, st.tuples(_word, _word).map("-".join),
                     st.tuples(st.sampled_from(["van", "de", "von der"]), _word).map(" ".join))
_given_part = st.one_of(_word, _word.map(lambda w: w[0]), _word.map(lambda w: w[0] + "."))
_given = st.lists(_given_part, min_size=1, max_size=3)


@st.composite
def author_names(draw: st.DrawFn) -> str:
    """Authors as databases write them: 'Smith, Jane A', 'Smith JA', 'Jane A Smith', upper case."""
    surname, given = draw(_surname), draw(_given)
    initials = "".join(p[0] for p in given)
    form = draw(st.sampled_from(["comma", "initials", "given-first"]))
    name = {"comma": f"{surname}, {' '.join(given)}", "initials": f"{surname} {initials}",
            "given-first": f"{' '.join(given)} {surname}"}[form]
    return name.upper() if draw(st.booleans()) and form == "comma" else name


@given(author_names())
def test_author_is_idempotent(value: str) -> None:
    once = normalise_author(value)
    if once is not None:
        assert normalise_author(once) == once


@given(st.from_regex(r"[Se]?[0-9]{1,5}(-[Se]?[0-9]{1,5})?", fullmatch=True))
def test_pages_are_idempotent(value: str) -> None:
    start, end = normalise_pages(value)
    assert normalise_pages(start, end) == (start, end)


@given(st.text(max_size=80))
def test_title_is_idempotent(value: str) -> None:
    once = clean_title(value)
    assert clean_title(once) == once


@given(st.text(alphabet=st.sampled_from(list("ab.é ") + ["\t", "\n", "\r", "\x0b", "\x0c",
                                                   "\x1c", "\x1f", "\xa0", "\u2028"]),
               max_size=200))
def test_clean_text_collapses_whitespace_exactly(value: str) -> None:
    """The quick check for long clean text must agree with collapsing every run of whitespace,
    and hand back the very same string when nothing changes."""
    for text in (value, value * 5 + "x" * 81):  # past 80 characters the quick check runs
        collapsed = " ".join(text.split())
        if collapsed == text:
            assert clean_text(text) is text
        else:
            assert clean_text(text) == (collapsed or None)
