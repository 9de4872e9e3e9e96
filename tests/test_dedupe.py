"""The dedupe engine: each normaliser-driven match and each refuse-to-merge rule on realistic
record pairs, clustering without weak chains, and order independence (hypothesis)."""

from __future__ import annotations

import csv
from collections import defaultdict
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from review.dedupe import DUPLICATE, NOT_DUPLICATE, UNCERTAIN, deduplicate, merge_group
from review.dedupe.compare import compare
from review.dedupe.keys import make_keys, repair_mojibake
from review.records import Record, build_record

ROOT = Path(__file__).resolve().parent.parent

BASE = dict(title="Peer support in moderated online forums for young people who self-harm: "
                  "a qualitative study",
            authors=["Okafor, Ada", "Lund, Per K", "Brennan, J. G."], year="2019",
            journal="Archives of Suicide Research", volume="23", issue="4", pages="512-27",
            doi="10.5555/asr.2019.0512")


def rec(**fields: object) -> Record:
    """A record built through the normalisers, as an import would build it."""
    data = {**BASE, **fields}
    candidates = {
        "title": [data["title"]] if data.get("title") else [],
        "authors": list(data.get("authors") or []),
        "year": [str(data["year"])] if data.get("year") else [],
        "journal": [data["journal"]] if data.get("journal") else [],
        "volume": [data["volume"]] if data.get("volume") else [],
        "issue": [data["issue"]] if data.get("issue") else [],
        "pages_start": [data["pages"]] if data.get("pages") else [],
        "doi": [data["doi"]] if data.get("doi") else [],
        "pmid": [data["pmid"]] if data.get("pmid") else [],
        "pub_type": [data["pub_type"]] if data.get("pub_type") else [],
        "abstract": [data["abstract"]] if data.get("abstract") else [],
    }
    return build_record({}, candidates, format="test", line=1)


def outcome(a: Record, b: Record) -> tuple[str, str]:
    result = compare(make_keys("a", a), make_keys("b", b))
    return result.outcome, result.reason


# --- copies of one work that must merge -------------------------------------------------------

@pytest.mark.parametrize("variant", [
    dict(doi="https://doi.org/10.5555/ASR.2019.0512"),  # DOI as URL, other case
    dict(title="PEER SUPPORT IN MODERATED ONLINE FORUMS FOR YOUNG PEOPLE WHO SELF-HARM: A "
               "QUALITATIVE STUDY.", doi=None),  # WoS upper case, Ovid full stop, no DOI
    dict(authors=["Okafor A", "Lund PK", "Brennan JG"], journal="Arch Suicide Res", doi=None),
    dict(pages="512-527", doi=None, title="Peer support in moderated online forums for young "
                                          "people who self harm - a qualitative study"),
    dict(year="2020", doi=None),  # online first, print a year later
])
def test_copies_of_one_work_merge(variant: dict) -> None:
    assert outcome(rec(), rec(**variant))[0] == DUPLICATE


def test_diacritics_and_mojibake_do_not_separate_copies() -> None:
    a = rec(authors=["Øvergaard, Liv", "Müller, Jörg"], title="Über Peer-Support in Foren")
    b = rec(authors=["Overgaard L", "Muller J"], title="Uber Peer-Support in Foren", doi=None)
    assert outcome(a, b)[0] == DUPLICATE
    assert repair_mojibake("KÃ¶nig") == "König"


def test_title_without_its_subtitle_and_a_translated_title() -> None:
    short = rec(title="Peer support in moderated online forums for young people who self-harm",
                doi=None)
    assert outcome(rec(), short)[0] == DUPLICATE
    translated = rec(title="Peer-Support in moderierten Online-Foren [Peer support in moderated "
                           "online forums for young people who self-harm: a qualitative study]",
                     doi=None)
    assert outcome(rec(), translated)[0] == DUPLICATE


# --- fields that prove two different works ----------------------------------------------------

@pytest.mark.parametrize(("other", "reason"), [
    (dict(title="Erratum: Peer support in moderated online forums for young people who "
                "self-harm: a qualitative study", pages="600", doi=None), "erratum notice"),
    (dict(title="Correction to: Peer support in moderated online forums for young people who "
                "self-harm: a qualitative study", doi="10.5555/asr.2019.0600"), "erratum"),
    (dict(title="Comment on: Peer support in moderated online forums for young people who "
                "self-harm: a qualitative study", authors=["Hale, Ruth"], doi=None), "comment"),
    (dict(title="Reply to: Peer support in moderated online forums for young people who "
                "self-harm: a qualitative study", doi=None, pages="530"), "reply"),
    (dict(title="Retraction notice: Peer support in moderated online forums for young people "
                "who self-harm: a qualitative study", doi=None), "retraction"),
    (dict(pub_type="Conference Abstract", journal="BJPsych Open", volume="5", issue="Suppl 1",
          pages="S12", doi=None), "conference abstract against a full paper"),
    (dict(title="Peer support in moderated online forums for young people who self-harm: "
                "protocol for a qualitative study", year="2018", doi=None), "protocol"),
    (dict(doi="10.5555/asr.2019.0999", year="2020"), "different DOIs"),
    (dict(pages="530-41", doi=None, authors=["Hale, Ruth"]),
     "pages 512-527 and 530-541 do not overlap in one journal issue"),
    (dict(pmid="91234567"), "different PubMed ids"),
    (dict(year="2015", doi=None), "years apart"),
])
def test_refuse_to_merge(other: dict, reason: str) -> None:
    base = rec(pmid="97654321") if "pmid" in other else rec()
    result, why = outcome(base, rec(**other))
    assert result == NOT_DUPLICATE, why
    assert reason in why


def test_part_one_against_part_two() -> None:
    one = rec(title="Moderated online peer support for self-harm, part 1: members' views",
              doi=None, pages="100-110")
    two = rec(title="Moderated online peer support for self-harm, part 2: moderators' views",
              doi=None, pages="111-120")
    result, why = outcome(one, two)
    assert result == NOT_DUPLICATE and "different parts" in why
    roman = rec(title="Moderated online peer support for self-harm. Part II", doi=None)
    assert outcome(rec(title="Moderated online peer support for self-harm. Part I", doi=None),
                   roman)[0] == NOT_DUPLICATE


def test_recurring_titles_in_other_issues_stay_apart() -> None:
    editorial = dict(title="Editor's comments", authors=["Lee, A S"], journal="MIS Quarterly",
                     volume="24", doi=None, pages=None)
    result, why = outcome(rec(**editorial, issue="1"), rec(**editorial, issue="2"))
    assert result == NOT_DUPLICATE and "recurring title" in why


def test_shared_doi_with_a_different_title_is_an_error_not_a_merge() -> None:
    other = rec(title="A different conference abstract on inhibitors in mice", authors=[
        "Terasaki M"], pages="A134")
    assert outcome(rec(pages="A134"), other)[0] == NOT_DUPLICATE


@pytest.mark.parametrize(("other", "reason"), [
    (dict(doi="10.5555/asr.2019.0999"), "everything matches but the DOIs differ"),
    (dict(pages="530-41", doi=None), "pages 512-527 and 530-541 do not overlap in one journal "
                                     "issue, but title and authors are identical"),
])
def test_identical_but_for_one_field_waits_for_a_person(other: dict, reason: str) -> None:
    result, why = outcome(rec(), rec(**other))
    assert result == UNCERTAIN and reason in why


def test_conference_paper_and_journal_version_a_year_apart() -> None:
    paper = rec(journal=None, volume=None, issue=None, pages="1-15", doi=None, year="2017",
                authors=["Guo, Xiao", "Gong, Jin"])
    article = rec(doi=None, year="2018", pages=None,
                  authors=["Gong J", "Guo X"])  # the authors listed in another order
    result, why = outcome(paper, article)
    assert result == DUPLICATE and "identical title and author list" in why


def test_identical_title_with_name_order_swapped() -> None:
    """ICIS paper exported twice, once with given names read as surnames ('Andrea, C.')."""
    bare = dict(title="We don't need no education: required abilities in online labor "
                      "markets", journal=None, volume=None, issue=None, doi=None, year="2010")
    a = rec(**bare, pages="1-15", authors=["Carignani, Andrea", "Negri, Lorenzo"])
    b = rec(**bare, pages=None, authors=["Andrea, C.", "Lorenzo, N."])
    result, why = outcome(a, b)
    assert result == DUPLICATE and "surnames swapped" in why
    # two of three swapped, the first among them (a middle name garbled by the database)
    wang = dict(bare, title="Risk control and estimation of online services market "
                            "segmentation", year="2007", pages=None)
    c = rec(**wang, authors=["Wang, X.", "Wang, L.", "Liu, J."])
    d = rec(**wang, authors=["Xiaoguang, Wang", "Yusheng, Wangliang", "Junping, Liu"])
    assert outcome(c, d)[0] == DUPLICATE
    # a year apart, swapped names are not enough
    assert outcome(a, rec(**{**bare, "year": "2011"}, authors=["Andrea, C.", "Lorenzo, N."])
                   )[0] != DUPLICATE
    # the same title by other people is not a swapped author list
    other = rec(**bare, authors=["Bauer, Karl", "Lorenzo, N."])
    assert outcome(a, other)[0] != DUPLICATE


def test_one_part_of_a_compound_surname_matches() -> None:
    """CHI paper: 'Anderson, T. Jennings' in one database, 'Jennings Anderson, T.' in another,
    and one copy without its subtitle."""
    common = dict(journal=None, volume=None, issue=None, year="2015", pages="4113-4122")
    a = rec(**common, title="Success & Scale in a Data-Producing Organization",
            authors=["Palen, Leysia", "Soden, Robert", "Anderson, T. Jennings",
                     "Barrenechea, Mario"], doi="10.1145/2702123.2702294")
    b = rec(**common, title="Success & scale in a data-producing organization: the "
                            "socio-technical evolution of openstreetmap in response to "
                            "humanitarian events",
            authors=["Palen, L.", "Soden, R.", "Jennings Anderson, T.", "Barrenechea, M."],
            doi=None)
    result = compare(make_keys("a", a), make_keys("b", b))
    assert result.evidence["authors"] == "same" and result.evidence["author_overlap"] == 1.0
    assert result.outcome == DUPLICATE
    # a surname inside a longer one of one word is another name ('Mann' / 'Hoffmann')
    for one, other in (("Mann, K.", "Hoffmann, K."), ("Lin, J.", "Linares, J.")):
        pair = compare(make_keys("a", rec(authors=[one])), make_keys("b", rec(authors=[other])))
        assert pair.evidence["authors"] == "different"


def test_heading_volume_as_year_and_month_issue() -> None:
    """Harvard Business Review: a column heading before the title, the year given as the
    volume, the issue as a month ('May') in one copy and its number (5) in the other."""
    common = dict(journal="Harvard Business Review", year="2016", doi=None)
    a = rec(**common, title="Upwork's CEO on how an introverted engineer learned to lead",
            authors=["Kasriel, S."], volume="2016", issue="May", pages=None)
    b = rec(**common, title="How did it ... Upwork's CEO on how an introverted engineer "
                            "learned to lead", authors=["Kasriel, Stephane"], volume="94",
            issue="5", pages="35+")
    result = compare(make_keys("a", a), make_keys("b", b))
    assert result.evidence["volume"] == "missing" and result.evidence["issue"] == "same"
    assert result.evidence["title"] == 95.0
    assert result.outcome == DUPLICATE
    # a month against another number is no evidence either way (quarterlies number 1-4)
    march = compare(make_keys("a", rec(issue="Mar")), make_keys("b", rec(issue="1")))
    assert march.evidence["issue"] == "missing"


def test_translated_title_in_one_page_range_of_one_issue() -> None:
    """A German journal lists an article under its German and its English title: same
    authors, journal, volume, issue and full page range."""
    common = dict(journal="Industrielle Beziehungen", volume="27", issue="2", year="2020",
                  authors=["Greef, Samuel", "Schroeder, Wolfgang", "Sperling, Hans Joachim"])
    german = rec(**common, pages="205-226", doi="10.3224/indbez.v27i2.06",
                 title="Plattformökonomie und Crowdworking als Herausforderungen für das "
                       "deutsche Modell der Arbeitsbeziehungen")
    english = rec(**common, pages="205-226", doi=None,
                  title="Platform economy and crowdworking as challenges for the German model "
                        "of industrial relations")
    result, why = outcome(german, english)
    assert result == DUPLICATE and "one page range" in why
    # two abstracts on one page of a supplement by one group stay apart
    one_page = dict(common, pages="134", doi=None)
    assert outcome(rec(**one_page, title=german.title), rec(**one_page, title=english.title)
                   )[0] != DUPLICATE
    # a first page only is not a page range: only one copy says how long the item is
    assert outcome(german, rec(**common, pages="205", doi=None, title=english.title)
                   )[0] != DUPLICATE
    # another author list in the same place is not the same article
    assert outcome(german, rec(**{**common, "authors": ["Greef, Samuel"]}, pages="205-226",
                               doi=None, title=english.title))[0] != DUPLICATE


def test_close_but_unconfirmed_is_uncertain() -> None:
    bare = dict(journal=None, volume=None, issue=None, pages=None, doi=None,
                authors=["Okafor, Ada"])
    a = rec(**bare, year="2017")
    b = rec(**bare, year="2018")
    result, why = outcome(a, b)
    assert result == UNCERTAIN and "little else" in why


def test_every_pair_keeps_its_evidence() -> None:
    result = compare(make_keys("a", rec()), make_keys("b", rec(doi=None, pages="512-527")))
    assert result.evidence["title"] == 100.0
    assert result.evidence["authors"] == "same" and result.evidence["pages"] == "same"
    assert result.evidence["doi"] == "missing" and result.evidence["journal"] == "same"


# --- companion papers, two DOIs, titles that name no work -------------------------------------
# Each pair below is one group's two works that agree on authors, journal, volume, issue and
# year; each rule must keep them apart and say why in the evidence a person sees, while its
# control (the same pair without the difference) still merges.

COMPANION = dict(title="Sodium-glucose cotransporter 2 inhibition and plaque stability in "
                       "diabetic mice", authors=["Terashima, Keiko", "Hollis, Mark", "Ngata, R."],
                 journal="Atherosclerosis", volume="241", issue="2", doi=None, year="2015")


def companion(**fields: object) -> Record:
    return rec(**{**COMPANION, **fields})


def judged(a: Record, b: Record) -> tuple[str, str, list[str]]:
    result = compare(make_keys("a", a), make_keys("b", b))
    return result.outcome, result.reason, result.evidence.get("different_works", [])


def test_adjacent_page_ranges_in_one_issue_are_two_articles() -> None:
    first = companion(title=COMPANION["title"] + ": plaque composition", pages="112-119")
    second = companion(title=COMPANION["title"] + ": plaque composition over time",
                       pages="120-127")
    result, why, evidence = judged(first, second)
    assert result == NOT_DUPLICATE, why
    assert evidence == ["pages 112-119 and 120-127 do not overlap in one journal issue"]
    assert judged(first, companion(title=second.title, pages="112-19"))[0] == DUPLICATE
    # identical titles on adjacent pages: never merged, a person checks for a typing error
    result, why, _ = judged(companion(pages="112-119"), companion(pages="120-127"))
    assert result == UNCERTAIN and "do not overlap" in why


def test_two_article_numbers_in_one_volume_are_two_articles() -> None:
    a = companion(title=COMPANION["title"] + ": a histology study", pages="e0143396")
    b = companion(title=COMPANION["title"] + ": an imaging study", pages="e0143397")
    result, _, evidence = judged(a, b)
    assert result == NOT_DUPLICATE
    assert evidence == ["article numbers 143396 and 143397 differ in one journal issue"]


def test_two_dois_of_one_publisher_are_two_works() -> None:
    a = companion(pages=None, doi="10.1016/j.atherosclerosis.2015.05.012")
    b = companion(pages=None, doi="10.1016/j.atherosclerosis.2015.05.031")
    result, why, evidence = judged(a, b)
    assert result != DUPLICATE and "DOIs" in why
    assert evidence == ["different DOIs of one publisher (10.1016/j.atherosclerosis.2015.05.012,"
                        " 10.1016/j.atherosclerosis.2015.05.031)"]
    assert judged(a, companion(pages=None, doi=a.doi))[0] == DUPLICATE


@pytest.mark.parametrize(("first", "second", "relation"), [
    ("10.1101/2020.03.14.20035220", "10.1016/j.atherosclerosis.2015.05.012", "version"),
    ("10.1002/14651858.CD004123.pub2", "10.1002/14651858.CD004123.pub3", "version"),
    ("10.1371/journal.pone.0143396.g001", "10.1371/journal.pone.0143396", "component"),
])
def test_a_preprint_or_version_pair_is_not_two_works(first: str, second: str,
                                                     relation: str) -> None:
    result = compare(make_keys("a", companion(pages="112-19", doi=first)),
                     make_keys("b", companion(pages="112-19", doi=second)))
    assert result.evidence["doi"] == relation
    assert "different_works" not in result.evidence
    # a preprint and its article, two versions: one study, two reports, for a person
    assert result.outcome == (DUPLICATE if relation == "component" else UNCERTAIN)


def test_a_doi_from_another_publisher_on_one_page_range_is_misattached() -> None:
    a = companion(pages="112-119", doi="10.1016/j.atherosclerosis.2015.05.012")
    b = companion(pages="112-119", doi="10.4161/onci.29029")
    result, why, _ = judged(a, b)
    assert result == DUPLICATE and "wrong record" in why
    assert judged(a, companion(pages=None, doi="10.4161/onci.29029"))[0] != DUPLICATE


@pytest.mark.parametrize(("first", "second", "expected"), [
    ("Part 1", "Part 2", "different parts of a series (part 1 against part 2)"),
    ("Part II", "Part III", "different parts of a series (part 2 against part 3)"),
    ("Part A", "Part B", "different parts of a series (part A against part B)"),
])
def test_part_numbers_and_letters_are_different_works(first: str, second: str,
                                                      expected: str) -> None:
    a = companion(title=f"{COMPANION['title']}. {first}: plaque composition")
    b = companion(title=f"{COMPANION['title']}. {second}: plaque composition")
    result, why, _ = judged(a, b)
    assert result == NOT_DUPLICATE and why == expected
    # a shared DOI (one issue's DOI given to both) does not override a part number
    assert judged(companion(title=a.title, doi="10.5555/x"),
                  companion(title=b.title, doi="10.5555/x"))[0] == NOT_DUPLICATE
    assert judged(a, companion(title=a.title))[0] == DUPLICATE


def test_taking_part_is_no_part_number() -> None:
    a = companion(title="Taking part: a qualitative study of carers in cardiac rehabilitation")
    b = companion(title="Taking part - a qualitative study of carers in cardiac rehabilitation")
    assert make_keys("a", a).part is None
    assert judged(a, b)[0] == DUPLICATE


@pytest.mark.parametrize(("first", "second", "said"), [
    ("Empagliflozin and plaque stability in vitro", "Empagliflozin and plaque stability in vivo",
     "'vitro' against 'vivo'"),
    ("Chloroquine blocks autophagy in atherosclerotic plaque macrophages",
     "Hydroxychloroquine blocks autophagy in atherosclerotic plaque macrophages",
     "'hydroxy' added"),
    ("Hyperglycaemia and plaque stability in diabetic mice after carotid ligation",
     "Hypoglycaemia and plaque stability in diabetic mice after carotid ligation",
     "'hyper' against 'hypo'"),
    ("Plaque stability in type 1 diabetic mice after carotid ligation",
     "Plaque stability in type 2 diabetic mice after carotid ligation", "'1' against '2'"),
    ("Plaque stability in diabetic mice after carotid ligation II",
     "Plaque stability in diabetic mice after carotid ligation III", "'ii' against 'iii'"),
    ("Liraglutide and plaque stability in diabetic mice after carotid ligation",
     "Semaglutide and plaque stability in diabetic mice after carotid ligation",
     "'liraglutide' against 'semaglutide'"),
    ("Plaque stability in diabetic men after carotid endarterectomy",
     "Plaque stability in diabetic women after carotid endarterectomy", "'men' against 'women'"),
])
def test_one_study_changing_word_keeps_titles_apart(first: str, second: str, said: str) -> None:
    result, why, evidence = judged(companion(title=first), companion(title=second))
    assert result == NOT_DUPLICATE and said in why
    assert any(said in line for line in evidence)
    # the same DOI on both: one record is wrong, a person decides
    shared = judged(companion(title=first, doi="10.5555/x"),
                    companion(title=second, doi="10.5555/x"))
    assert shared[0] == UNCERTAIN and said in shared[1]


def test_one_word_on_one_doi_and_one_page_is_a_title_error() -> None:
    """One DOI, author list, year and first page of one journal volume: one article whatever
    one word of a title says (a database's error); the word stays in the evidence. Without the
    page, or for a stem, number or contrasting word, a person still decides."""
    first = "Plaque stability in diabetic mice after carotid ligation and statin treatment"
    second = "Plaque stability in diabetic mice after carotid banding and statin treatment"
    said = "'ligation' against 'banding'"
    a = companion(title=first, doi="10.5555/x", pages="112-119")
    result, why, evidence = judged(a, companion(title=second, doi="10.5555/x", pages="112-19"))
    assert result == DUPLICATE and "one article" in why and said in why
    assert any(said in line for line in evidence)
    # one journal named two ways, the issue agreeing: still one place
    assert judged(a, companion(title=second, doi="10.5555/x", pages="112-19",
                               journal="Atheroscler Thromb Vasc Biol"))[0] == DUPLICATE
    for other in (dict(pages=None), dict(pages="120-127"), dict(issue="3"), dict(year="2016"),
                  dict(volume="242"),
                  dict(authors=["Terashima, Keiko", "Baptiste, Lea", "Moreau, Ines"]),
                  dict(doi=None, pmid="26012345")):
        b = companion(**{"title": second, "doi": "10.5555/x", "pages": "112-119", **other})
        if "pmid" in other:
            a_pmid = companion(title=first, doi=None, pmid="26012345", pages="112-119")
            assert judged(a_pmid, b)[0] == UNCERTAIN, other
            continue
        assert judged(a, b)[0] != DUPLICATE, other
    # not without the DOI: two works in one issue may share little else but pages typed alike
    assert judged(companion(title=first, pages="112-119"),
                  companion(title=second, pages="112-119"))[0] == NOT_DUPLICATE
    stems = judged(companion(title="Liraglutide and plaque stability in diabetic mice after "
                                   "carotid ligation", doi="10.5555/x", pages="112-119"),
                   companion(title="Semaglutide and plaque stability in diabetic mice after "
                                   "carotid ligation", doi="10.5555/x", pages="112-119"))
    assert stems[0] == UNCERTAIN


@pytest.mark.parametrize(("first", "second"), [
    ("Haemoglobin A1c and plaque stability in diabetic mice",
     "Hemoglobin A1c and plaque stability in diabetic mice"),  # spelling
    ("Oesophageal plaque stability in diabetic mice after ligation",
     "Esophageal plaque stability in diabetic mice after ligation"),
    ("Plaque phenotypes in diabetic mice after carotid ligation",
     "Plaque phonotypes in diabetic mice after carotid ligation"),  # a typing error
    ("Amyloid-β deposition and plaque stability in diabetic mice",
     "Amyloid-ß deposition and plaque stability in diabetic mice"),  # ß typed for β
    ("TNF-α and plaque stability in diabetic mice after ligation",
     "TNF-alpha and plaque stability in diabetic mice after ligation"),
    ("Plaque stabilities in diabetic mice after carotid ligation",
     "Plaque stability in diabetic mice after carotid ligation"),
])
def test_spellings_are_not_study_changing_words(first: str, second: str) -> None:
    result, why, evidence = judged(companion(title=first, pages="112-19"),
                                   companion(title=second, pages="112-19"))
    assert result == DUPLICATE and not evidence, why


@pytest.mark.parametrize("placeholder", ["#NAME?", "#VALUE!", "#REF!", "#N/A", "[No title]",
                                         "[No title available]", "Untitled", "N/A", "???",
                                         "#DIV/0!"])
def test_a_placeholder_title_is_never_merged_on_other_fields(placeholder: str) -> None:
    from review.dedupe.keys import is_placeholder
    assert is_placeholder(placeholder)
    a = companion(title=placeholder, pages="112-119")
    other_work = companion(title=placeholder, pages="112-119")  # two works, both titles lost
    result, why, evidence = judged(a, other_work)
    assert result != DUPLICATE and "placeholder" in why and "placeholder" in evidence[0]
    assert judged(a, companion(pages="112-119"))[0] != DUPLICATE
    # only a shared identifier merges it
    assert judged(companion(title=placeholder, doi="10.5555/x"),
                  companion(doi="10.5555/x"))[0] == DUPLICATE
    assert judged(companion(title=placeholder, pmid="26012345"),
                  companion(pmid="26012345"))[0] == DUPLICATE


def test_real_titles_are_not_placeholders() -> None:
    from review.dedupe.keys import is_placeholder
    for title in ("NA+/K+ ATPase in the kidney", "Title IX and sport", "N/A: a novel agent",
                  "Untitled: art therapy in dementia", "Null results in trials"):
        assert not is_placeholder(title), title


def test_companion_papers_do_not_chain_through_a_copy() -> None:
    """Part 1 has a copy without pages; part 2 must not join them through it."""
    part_1 = companion(title=COMPANION["title"] + ". Part 1: composition", pages="112-119")
    copy = companion(title=COMPANION["title"] + ". Part 1: composition", pages=None)
    part_2 = companion(title=COMPANION["title"] + ". Part 2: composition", pages="120-127")
    result = deduplicate([part_1, copy, part_2], ["p1", "copy", "p2"])
    assert result.group[0] == result.group[1] != result.group[2]


# --- titles in other scripts and bracketed titles ----------------------------------------------

@pytest.mark.parametrize(("first", "second"), [
    ("Платформенная занятость: масштабы и признаки неустойчивости",
     "ПЛАТФОРМЕННАЯ ЗАНЯТОСТЬ. МАСШТАБЫ И ПРИЗНАКИ НЕУСТОЙЧИВОСТИ"),
    ("零工工作者感知算法控制：概念化、测量与服务绩效影响验证",
     "零工工作者感知算法控制: 概念化、测量与服务绩效影响验证"),
    ("플랫폼 노동시장의 구직기간 단축 결정요인: 웹크롤링과 생존모형을 이용한 분석",
     "플랫폼 노동시장의 구직기간 단축 결정요인 - 웹크롤링과 생존모형을 이용한 분석"),
])
def test_titles_in_other_scripts_are_compared(first: str, second: str) -> None:
    assert make_keys("a", rec(title=first)).title
    assert outcome(rec(title=first, doi=None), rec(title=second, doi=None))[0] == DUPLICATE
    assert outcome(rec(title=first, doi=None),
                   rec(title="Занятость на платформах в Украине", doi=None))[0] == NOT_DUPLICATE


def test_a_wholly_bracketed_title_is_the_title() -> None:
    """MEDLINE brackets the English title of a foreign-language article; a language note
    after it ('[Japanese]') is no title."""
    bracketed = rec(title="[Protective effects of incretin on atherosclerosis in diabetic "
                          "mice]. [Japanese]", doi=None)
    assert make_keys("a", bracketed).title == ("protective effects of incretin on "
                                               "atherosclerosis in diabetic mice")
    plain = rec(title="Protective effects of incretin on atherosclerosis in diabetic mice")
    assert outcome(bracketed, plain)[0] == DUPLICATE


def test_an_article_number_in_the_issue_field_is_no_issue() -> None:
    """PLoS One exports that put 'e0143396' in the issue, or '10 (11)' in the volume, must not
    split the copies of one article by 'different issues'."""
    base = dict(journal="PLoS One", pages="e0143396", doi=None, volume="10", issue="11")
    a = rec(**base)
    b = rec(**{**base, "pages": None, "volume": "10 (11) (no pagination)",
               "issue": "e0143396", "doi": "10.1371/journal.pone.0143396"})
    c = rec(**{**base, "doi": "10.1371/journal.pone.0143396"})
    assert make_keys("b", b).issue == "11"
    assert deduplicate([a, b, c], ["a", "b", "c"]).groups == 1


def test_a_journal_doi_is_no_evidence() -> None:
    issn = rec(doi="10.1002/(ISSN)1744-4292")
    assert make_keys("a", issn).doi == ""
    assert outcome(issn, rec())[0] == DUPLICATE


# --- clustering -------------------------------------------------------------------------------

def test_no_chaining_through_a_weak_link() -> None:
    """A and C conflict (different pages in one volume); B has no pages, so it looks like a
    copy of both. B may join one of them, but A and C must never end in one group."""
    a = rec(doi=None, pages="512-27")
    b = rec(doi=None, pages=None)
    c = rec(doi=None, pages="530-41")
    result = deduplicate([a, b, c], ["a", "b", "c"])
    assert result.group[0] != result.group[2]
    assert result.group[1] in (result.group[0], result.group[2])
    waiting = {(p.a, p.b) for p in result.uncertain()}
    assert ("a", "c") in waiting


def test_people_decide_over_rules() -> None:
    a, b = rec(), rec(doi=None)
    assert deduplicate([a, b], ["a", "b"]).groups == 1
    assert deduplicate([a, b], ["a", "b"], rejected=[("a", "b")]).groups == 2
    c = rec(doi="10.5555/other")
    assert deduplicate([a, c], ["a", "c"]).groups == 2
    assert deduplicate([a, c], ["a", "c"], confirmed=[("a", "c")]).groups == 1


def test_anchored_groups_are_not_joined_by_rules() -> None:
    a, b = rec(), rec(doi=None)
    assert deduplicate([a, b], ["a", "b"], anchors=[1, 2]).groups == 2
    assert deduplicate([a, b], ["a", "b"], anchors=[1, None]).groups == 1


def test_kept_record_is_the_most_complete_and_merge_fills_gaps() -> None:
    sparse = rec(doi=None, abstract=None, issue=None)
    full = rec(abstract="Members valued belonging and practical advice.")
    result = deduplicate([sparse, full], ["s", "f"])
    assert result.kept == [False, True]
    merged = merge_group([sparse, full], kept=0)
    assert merged.doi == "10.5555/asr.2019.0512" and merged.issue == "4"
    assert merged.abstract.startswith("Members valued")


# --- order independence ------------------------------------------------------------------------

def _sample_records() -> tuple[list[Record], list[str]]:
    from review.io import read_file

    records, uids = [], []
    for path in sorted((ROOT / "sample_refs").glob("*.ris"))[:3]:
        for position, record in enumerate(read_file(path).records, start=1):
            records.append(record)
            uids.append(f"{path.name}:{position}")
    return records, uids


SAMPLE_RECORDS, SAMPLE_UIDS = _sample_records()


def _partition(uids: list[str], group: list[int]) -> set[frozenset[str]]:
    members: dict[int, set[str]] = defaultdict(set)
    for uid, g in zip(uids, group, strict=True):
        members[g].add(uid)
    return {frozenset(m) for m in members.values()}


BASELINE = deduplicate(SAMPLE_RECORDS, SAMPLE_UIDS)


@settings(max_examples=15, deadline=None)
@given(st.permutations(range(len(SAMPLE_RECORDS))))
def test_a_permutation_gives_the_same_groups(order: list[int]) -> None:
    records = [SAMPLE_RECORDS[i] for i in order]
    uids = [SAMPLE_UIDS[i] for i in order]
    result = deduplicate(records, uids)
    assert _partition(uids, result.group) == _partition(SAMPLE_UIDS, BASELINE.group)
    kept = {u for u, k in zip(uids, result.kept, strict=True) if k}
    assert kept == {u for u, k in zip(SAMPLE_UIDS, BASELINE.kept, strict=True) if k}


@settings(max_examples=10, deadline=None)
@given(st.lists(st.integers(0, len(SAMPLE_RECORDS) - 1), min_size=2, max_size=60, unique=True))
def test_the_same_input_gives_the_same_groups(chosen: list[int]) -> None:
    records = [SAMPLE_RECORDS[i] for i in chosen]
    uids = [SAMPLE_UIDS[i] for i in chosen]
    first, second = deduplicate(records, uids), deduplicate(records, uids)
    assert first.group == second.group and first.kept == second.kept
    assert [(p.a, p.b, p.outcome) for p in first.pairs] == \
           [(p.a, p.b, p.outcome) for p in second.pairs]


# --- the sample exports' ground truth ---------------------------------------------------------

def test_sample_exports_group_exactly_as_their_ground_truth() -> None:
    """sample_refs/truth.csv says which records are copies of one work, including the tricky
    pairs (errata, abstracts, protocols, parts, letters) that must stay apart."""
    from review.dedupe.batch import run_batch

    files = sorted(p for p in (ROOT / "sample_refs").iterdir()
                   if p.suffix in {".ris", ".nbib", ".ciw"})
    data, result = run_batch(files)
    with open(ROOT / "sample_refs" / "truth.csv", encoding="utf-8", newline="") as handle:
        truth = {(r["file"], int(r["position"])): r["work_id"] for r in csv.DictReader(handle)}
    works = [truth[origin] for origin in data.origins]
    predicted = _partition([f"{i}" for i in range(len(works))], result.group)
    expected: dict[str, set[str]] = defaultdict(set)
    for i, work in enumerate(works):
        expected[work].add(f"{i}")
    assert predicted == {frozenset(m) for m in expected.values()}
    assert result.uncertain() == []
