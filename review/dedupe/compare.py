"""Pair scoring: field-by-field evidence, rules that refuse a merge where fields prove two
different works, and one of three outcomes with a reason a reviewer can check.

A wrong merge can silently remove an eligible study, a missed duplicate costs reviewers time:
so a merge needs agreement on the title and on independent evidence (authors, venue, pages,
identifiers), and anything short of that but close is left to a person as uncertain.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from rapidfuzz import fuzz, process

from review.dedupe.differences import WORD, disjoint_pages, doi_relation, title_change
from review.dedupe.keys import Keys

DUPLICATE = "duplicate"
NOT_DUPLICATE = "not duplicate"
UNCERTAIN = "uncertain"
OUTCOMES = (DUPLICATE, UNCERTAIN, NOT_DUPLICATE)


@dataclass(frozen=True, slots=True)
class PairResult:
    outcome: str
    score: float
    reason: str
    evidence: dict[str, Any]
    conflict: bool = False  # fields speak against one work: never join these through others


def _same(a: str, b: str) -> str:
    if not a or not b:
        return "missing"
    return "same" if a == b else "different"


def _issue(a: str, b: str) -> str:
    """Like `_same`, but an issue given as a month ('m5') only confirms the same number (a
    monthly issue): against another number it is 'missing', since quarterlies number theirs."""
    if a.startswith("m") != b.startswith("m"):
        return "same" if a and b and a.lstrip("m") == b.lstrip("m") else "missing"
    return _same(a, b)


def _misplaced_issue(a: Keys, b: Keys) -> bool:
    """One record's issue is the other's article number (some exports put it in the issue
    field): no evidence either way."""
    return bool(a.issue and b.issue and a.issue != b.issue
                and (a.issue == b.page or b.issue == a.page))


def _authors(a: Keys, b: Keys) -> tuple[str, float]:
    """('same'|'similar'|'swapped'|'different'|'missing', share of the shorter list matched
    0..1); spelling variants within 85% and one part of a compound surname count as a match.
    'swapped': given name and surname exchanged. The first twelve authors decide."""
    if not a.surnames or not b.surnames:
        return "missing", 0.0
    if a.surnames == b.surnames:  # one author list (most pairs worth weighing): all matched
        return "same", 1.0
    ends = {whole: (start, end) for whole, start, end in a.compounds + b.compounds} \
        if a.compounds or b.compounds else {}
    first = a.surnames[0] == b.surnames[0] or fuzz.ratio(a.surnames[0], b.surnames[0]) >= 85 \
        or _compound(a.surnames[0], b.surnames[0], ends)
    shorter, longer = a.surnames[:12], b.surnames[:12]
    if len(shorter) > len(longer):
        shorter, longer = longer, shorter
    common = set(shorter) & set(longer)
    matched = sum(1 for name in shorter if name in common)
    pool = [name for name in longer if name not in common]
    for name in shorter:
        if name in common or not pool:
            continue
        hit = process.extractOne(name, pool, scorer=fuzz.ratio, score_cutoff=85)
        position = hit[2] if hit is not None else None
        if position is None and ends:
            position = next((i for i, other in enumerate(pool)
                             if _compound(name, other, ends)), None)
        if position is not None:
            matched += 1
            pool.pop(position)
    overlap = min(1.0, matched / len(shorter))
    if (first or len(shorter) >= 2 and overlap == 1.0) and overlap >= 0.8:
        return "same", overlap  # every author found, maybe listed in another order
    if first or overlap >= 0.5:
        return "similar", overlap
    swapped = _swapped(a, b)
    if swapped:
        return "swapped", swapped
    return "different", overlap


def _compound(x: str, y: str, ends: dict[str, tuple[str, str]]) -> bool:
    """One surname is the first or last word of the other, a compound one ('anderson',
    'jennings anderson'; 'garcia', 'garcia-marquez'), as databases keep one word or both.
    `ends` maps each compound surname of the pair to its first and last word."""
    for single, whole in ((x, y), (y, x)):
        parts = ends.get(whole)
        if parts and len(single) >= 4 and single in parts:
            return True
    return False


def _swapped(a: Keys, b: Keys) -> float:
    """Share of authors, in order, whose given name and surname are swapped ('Carignani A' /
    'Andrea C', 'Wang X' / 'Xiaoguang W': East Asian name order, or a form filled the wrong way
    round); 0 unless the first author is among them and at least two thirds are."""
    if len(a.surnames) != len(b.surnames) or len(a.initials) != len(a.surnames) \
            or len(b.initials) != len(b.surnames):
        return 0.0
    hits = [bool(sa and sb and ia and ib and sa[0] == ib and sb[0] == ia)
            for sa, ia, sb, ib in zip(a.surnames, a.initials, b.surnames, b.initials,
                                      strict=True)]
    share = sum(hits) / len(hits)
    return share if hits[0] and share >= 2 / 3 else 0.0


def _journal(a: Keys, b: Keys) -> str:
    """'same', 'abbreviation' (each word of the shorter is a prefix of one in the longer,
    in order), 'different' or 'missing'."""
    if not a.journal or not b.journal:
        return "missing"
    if a.journal == b.journal or a.journal_words == b.journal_words:
        return "same"
    short, long_ = a.journal_words, b.journal_words
    if len(short) > len(long_):
        short, long_ = long_, short
    if short:
        position = 0
        for word in short:
            while position < len(long_) and not long_[position].startswith(word):
                position += 1
            if position == len(long_):
                break
            position += 1
        else:
            return "abbreviation"
    if fuzz.token_set_ratio(a.journal, b.journal) >= 90:
        return "same"
    return "different"


def _pages(a: Keys, b: Keys) -> str:
    """'same' first page, 'close' (overlapping ranges: two copies with a typo in the last
    page; or, where a last page is missing, first pages one apart), 'different' (ranges that
    do not overlap, adjacent ones included: 112-119 and 120-127 are two articles), or
    'missing' (also when one is an article number and the other a printed page)."""
    if not a.page or not b.page or a.locator != b.locator:
        return "missing"
    if a.page == b.page:
        if a.page_end and b.page_end and a.page_end != b.page_end:
            return "close"  # same first page, different last: a typo, or two short items
        return "same"
    if not a.locator and a.page.isdigit() and b.page.isdigit():
        a_start, b_start = int(a.page), int(b.page)
        if a.page_end.isdigit() and b.page_end.isdigit():
            if a_start <= int(b.page_end) and b_start <= int(a.page_end):
                return "close"
            return "different"
        a_end = int(a.page_end) if a.page_end.isdigit() else a_start
        b_end = int(b.page_end) if b.page_end.isdigit() else b_start
        if a_start <= b_end + 1 and b_start <= a_end + 1:
            return "close"
    return "different"


# How alike two titles must be where the records share a DOI or PubMed id: from IDENTIFIER_TITLE
# the identifier joins them; below TITLES_DIFFER the titles name different works (an identifier
# shared in error, or one shared by many, as a journal supplement's DOI by its abstracts);
# between the two the titles differ and a person decides.
IDENTIFIER_TITLE = 80.0
TITLES_DIFFER = 65.0


def title_similarity(a: Keys, b: Keys) -> float:
    """The engine's similarity 0-100 of two records' titles (0 when either has none)."""
    return _title(a, b)


def _title(a: Keys, b: Keys) -> float:
    """Similarity 0-100 of the titles; a title that is the other's main title (its subtitle
    dropped), its bracketed original (a translation) or its end (a heading before it dropped)
    scores 95, its start (cut short) 96."""
    if not a.title or not b.title:
        return 0.0
    if a.title_key == b.title_key:
        return 100.0
    score = fuzz.ratio(a.title, b.title)
    shorter, longer = a.title_key, b.title_key
    if len(shorter) > len(longer):
        shorter, longer = longer, shorter
    if len(shorter) >= 40:
        if longer.startswith(shorter):  # a title cut short by a database
            score = max(score, 96.0)
        elif longer.endswith(shorter):  # a column heading before it ('Case report: ...')
            score = max(score, 95.0)
    if score < 95 and ((a.main and fuzz.ratio(a.main, b.title) >= 95)
                       or (b.main and fuzz.ratio(b.main, a.title) >= 95)
                       or (a.alternative and fuzz.ratio(a.alternative, b.title) >= 90)
                       or (b.alternative and fuzz.ratio(b.alternative, a.title) >= 90)):
        score = 95.0
    return score


def evidence(a: Keys, b: Keys, title: float | None = None) -> dict[str, Any]:
    """Field by field, what the two records share; `title` is the titles' similarity when the
    caller has it already."""
    authors, overlap = _authors(a, b)
    year = "missing" if a.year is None or b.year is None else abs(a.year - b.year)
    return {
        "title": round(_title(a, b) if title is None else title, 1),
        "authors": authors,
        "author_overlap": round(overlap, 2),
        "year_difference": year,
        "journal": _journal(a, b),
        "volume": _same(a.volume, b.volume),
        "issue": _issue(a.issue, b.issue) if not _misplaced_issue(a, b) else "missing",
        "pages": _pages(a, b),
        "doi": doi_relation(a.doi, b.doi),
        "pmid": _same(a.pmid, b.pmid),
    }


def _hard_refusal(a: Keys, b: Keys, ev: dict[str, Any]) -> str | None:
    """A difference that proves two works whatever else agrees (even a shared DOI)."""
    if a.notice != b.notice:
        kind = a.notice or b.notice
        return f"one record is a {kind} notice and the other is not the same kind of record"
    if a.part != b.part and (a.part is not None or b.part is not None):
        return f"different parts of a series (part {a.part} against part {b.part})"
    if a.protocol != b.protocol:
        return "a protocol against a results paper"
    if a.conference_abstract != b.conference_abstract:
        return "a conference abstract against a full paper"
    if ev["pmid"] == "different":
        return f"different PubMed ids ({a.pmid}, {b.pmid})"
    if isinstance(ev["year_difference"], int) and ev["year_difference"] > 1:
        return f"published {ev['year_difference']} years apart ({a.year}, {b.year})"
    return None


def _soft_refusal(a: Keys, b: Keys, ev: dict[str, Any]) -> str | None:
    """Venue details that tell two works with the same or similar title apart; a shared DOI
    with a matching title outweighs them (the details are then more likely typing errors)."""
    if not _distinctive(a) or not _distinctive(b):
        for name in ("volume", "issue", "pages"):
            if ev[name] == "different":
                return f"a recurring title ({a.title!r}) in a different {name}"
        if ev["year_difference"] == 1:
            return f"a recurring title ({a.title!r}) in another year"
    if ev["journal"] in ("same", "abbreviation") and ev["volume"] == "different" \
            and ev["year_difference"] == 1:
        return f"another volume of one journal, a year apart ({a.volume}, {b.volume}): a " \
               "recurring title, or a conference abstract and the later article"
    if ev["journal"] in ("same", "abbreviation") and ev["volume"] == "same":
        if ev["pages"] == "different" and not (_distinctive(a) and ev["authors"] == "same"
                                               and ev["title"] >= 98):
            return f"different pages in one journal volume ({a.page}, {b.page})"
        if ev["issue"] == "different" and ev["pages"] != "same":
            return f"different issues of one journal volume ({a.issue}, {b.issue}): a " \
                   "recurring title such as an editorial"
    return None


def _distinctive(k: Keys) -> bool:
    """A title long enough that two works rarely share it (not 'Editorial', 'Introduction')."""
    return k.word_count >= 6 and len(k.title) >= 35


def _same_place(a: Keys, b: Keys, ev: dict[str, Any]) -> bool:
    """One journal, volume, issue and year, one printed page range of three pages or more,
    and one author list: a place only one article can fill, whatever its title says."""
    if not (ev["journal"] in ("same", "abbreviation") and ev["volume"] == "same"
            and ev["issue"] == "same" and ev["pages"] == "same" and ev["year_difference"] == 0
            and ev["authors"] == "same" and ev["author_overlap"] == 1.0
            and len(a.surnames) == len(b.surnames)):
        return False
    if a.locator or not a.page_end or a.page_end != b.page_end:
        return False
    return a.page.isdigit() and a.page_end.isdigit() and int(a.page_end) - int(a.page) >= 2


def _support(ev: dict[str, Any]) -> int:
    """Independent agreements beyond the title: authors, venue, volume, issue, pages, year."""
    points = 0
    points += {"same": 2, "similar": 1, "swapped": 1}.get(ev["authors"], 0)
    points += {"same": 1, "abbreviation": 1}.get(ev["journal"], 0)
    points += ev["volume"] == "same"
    points += ev["issue"] == "same"
    points += 2 * (ev["pages"] == "same")
    points += ev["year_difference"] == 0
    return points


def _against(ev: dict[str, Any]) -> int:
    """Disagreements that a copy of the same work rarely shows."""
    points = 0
    points += 2 * (ev["authors"] == "different")
    points += ev["journal"] == "different"
    points += ev["volume"] == "different"
    points += ev["pages"] == "different"
    points += ev["year_difference"] == 1
    return points


def _companions(a: Keys, b: Keys, ev: dict[str, Any]) -> list[tuple[str, str]]:
    """What marks two records as companion papers or two works despite alike fields, as
    (kind, description): pages that do not overlap in one journal volume ('pages'), a title
    changed in a number, a label or a study-changing word (the kinds of `title_change`), two
    DOIs of one publisher ('doi')."""
    found = []
    if ev["journal"] in ("same", "abbreviation") and (
            ev["volume"] == "same" or ev["volume"] == "missing" and ev["year_difference"] == 0):
        pages = disjoint_pages(a, b)
        if pages:
            where = "issue" if ev["issue"] == "same" else "volume"
            found.append(("pages", f"{pages} in one journal {where}"))
    if ev["title"] >= 60:
        change = title_change(a, b)
        if change:
            found.append(change)
    if ev["doi"] == "different":
        found.append(("doi", f"different DOIs of one publisher ({a.doi}, {b.doi})"))
    return found


def _one_article(ev: dict[str, Any], kinds: list[str]) -> bool:
    """One DOI, one author list, one year and one first page of one journal volume (its issue
    and journal not disagreeing): a place only one article fills. A title that differs there
    in one content word, unlike throughout, and nothing else is one database's error in that
    article's title, not a companion paper, which has pages of its own. Numbers, labels,
    contrasting words, prefixes and stems ('part 1'/'part 2', 'in vitro'/'in vivo',
    'liraglutide'/'semaglutide') still go to a person."""
    return (kinds == [WORD] and ev["doi"] == "same" and ev["authors"] == "same"
            and ev["author_overlap"] == 1.0 and ev["year_difference"] == 0
            and ev["pages"] == "same" and ev["volume"] == "same" and ev["issue"] != "different"
            and (ev["journal"] in ("same", "abbreviation") or ev["issue"] == "same"))


def _placeholder(a: Keys, b: Keys, ev: dict[str, Any], score: float) -> PairResult:
    """A placeholder title ('#NAME?', '[No title]') names no work: only a shared identifier
    merges it; all other fields agreeing leaves it to a person; never merged on them."""
    which = "both titles are" if a.placeholder and b.placeholder else "one title is"
    note = f"{which} a placeholder or a spreadsheet error ('#NAME?', '[No title]'), not a title"
    ev = {**ev, "title": 0.0, "different_works": [note]}
    if ev["doi"] == "same" or ev["pmid"] == "same":
        name = "DOI" if ev["doi"] == "same" else "PubMed id"
        return PairResult(DUPLICATE, score, f"same {name}; {note}", ev)
    if _support(ev) >= 7 and _against(ev) == 0 and ev["authors"] == "same":
        return PairResult(UNCERTAIN, score, f"authors, journal, volume, issue and pages agree, "
                          f"but {note}", ev)
    return PairResult(NOT_DUPLICATE, score, f"{note}: only a shared DOI or PubMed id could "
                      "match it", ev, conflict=_against(ev) > 0)


def _wrong_doi(a: Keys, b: Keys, ev: dict[str, Any]) -> bool:
    """DOIs of two publishers on records alike in everything else, a full page range of one
    journal issue included: one DOI is attached to the wrong record (a database's error), as
    one publisher's journal issue holds one article on those pages."""
    return ev["doi"] == "other registrant" and ev["title"] >= 97 and _same_place(a, b, ev)


def compare(a: Keys, b: Keys) -> PairResult:
    result = _compare(a, b)
    if result.outcome == DUPLICATE and result.evidence.get("doi") == "version":
        return PairResult(UNCERTAIN, result.score, f"{result.reason}, but the DOIs are a "
                          "preprint and its article or two versions of one article: one study "
                          "in two reports, for a person to decide", result.evidence)
    return result


# the reason of most pairs, made once ('titles only 23% alike'), not once per pair
_UNALIKE = tuple(f"titles only {percent}% alike" for percent in range(61))


def _compare(a: Keys, b: Keys) -> PairResult:
    quick = None
    if a.doi != b.doi or not a.doi:
        if (a.pmid != b.pmid or not a.pmid) and a.title and b.title:
            quick = _title(a, b)
            if quick < 60:  # most blocked pairs: unrelated titles, nothing shared to weigh
                return PairResult(NOT_DUPLICATE, round(quick / 100 * 0.6, 3),
                                  _UNALIKE[round(quick)], {"title": round(quick, 1)},
                                  conflict=True)
    ev = evidence(a, b, quick)
    title = ev["title"]
    support, against = _support(ev), _against(ev)
    refusal = _hard_refusal(a, b, ev)
    found = [] if refusal else _companions(a, b, ev)
    kinds, companions = [kind for kind, _ in found], [text for _, text in found]
    alike = title >= 95 and support >= 5 and against == 0 and _distinctive(a)
    against += 2 * len(companions)
    score = round(title / 100 * 0.6 + min(support, 8) / 8 * 0.3
                  + (0.1 if ev["doi"] == "same" else 0.0) - against * 0.05, 3)
    if companions:
        ev["different_works"] = companions
    if refusal:
        return PairResult(NOT_DUPLICATE, score, refusal, ev, conflict=True)
    if a.placeholder or b.placeholder:
        return _placeholder(a, b, ev, score)
    identifier = (ev["doi"] == "same" or ev["pmid"] == "same") and title >= IDENTIFIER_TITLE
    if companions and not identifier:
        if kinds == ["pages"] * len(kinds) \
                and ev["doi"] == "missing" and title >= 98 and _distinctive(a) \
                and ev["authors"] == "same":
            return PairResult(UNCERTAIN, score, f"{companions[0]}, but title and authors are "
                              "identical: a typing error?", ev, conflict=True)
        if alike and len(companions) == 1 and ev["doi"] == "different":
            return PairResult(UNCERTAIN, score, "everything matches but the DOIs differ", ev,
                              conflict=True)
        return PairResult(NOT_DUPLICATE, score, "companion papers or two works: "
                          + "; ".join(companions), ev, conflict=True)
    if _one_article(ev, kinds):
        return PairResult(DUPLICATE, score, f"same DOI, authors, year and first page of one "
                          f"journal volume: one article, though the {companions[0]}; one "
                          "database's title is wrong", ev)
    if companions:  # a shared DOI or PubMed id against them: one of the records is wrong
        name = "DOI" if ev["doi"] == "same" else "PubMed id"
        return PairResult(UNCERTAIN, score, f"same {name}, but " + "; ".join(companions), ev,
                          conflict=True)
    if ev["doi"] != "same" and (refusal := _soft_refusal(a, b, ev)):
        return PairResult(NOT_DUPLICATE, score, refusal, ev, conflict=True)
    if ev["doi"] != "same" and ev["pages"] == "different" and ev["volume"] == "same" \
            and ev["journal"] in ("same", "abbreviation"):
        return PairResult(UNCERTAIN, score, "different pages in one journal volume, but title "
                          "and authors are identical: a typing error?", ev, conflict=True)
    if ev["doi"] == "same":
        if ev["journal"] == "different" and ev["pages"] == "different":
            return PairResult(UNCERTAIN, score, "same DOI but a different journal and pages: "
                              "perhaps an abstract given the article's DOI", ev, conflict=True)
        if title >= IDENTIFIER_TITLE or not a.title or not b.title:
            return PairResult(DUPLICATE, score, "same DOI and matching title", ev)
        if title >= TITLES_DIFFER:
            return PairResult(UNCERTAIN, score, f"same DOI but titles differ ({title:.0f}%)", ev)
        return PairResult(NOT_DUPLICATE, score, f"same DOI but the titles name different works "
                          f"({title:.0f}% alike): a DOI shared in error", ev, conflict=True)
    if ev["pmid"] == "same" and title >= IDENTIFIER_TITLE:
        return PairResult(DUPLICATE, score, "same PubMed id and matching title", ev)
    if _wrong_doi(a, b, ev):
        return PairResult(DUPLICATE, score, "title, authors and one page range of one journal "
                          f"issue agree; the DOIs are two publishers' ({a.doi}, {b.doi}), so "
                          "one of them is attached to the wrong record", ev)
    if ev["doi"] == "other registrant":
        if alike:
            return PairResult(UNCERTAIN, score, "everything matches but the DOIs differ", ev)
        return PairResult(NOT_DUPLICATE, score, f"different DOIs ({a.doi}, {b.doi})", ev,
                          conflict=True)
    if title >= 97 and support - against >= 3:
        return PairResult(DUPLICATE, score, f"title {title:.0f}% alike, confirmed by "
                          f"{support} other field points", ev)
    if title >= 90 and support - against >= 5:
        return PairResult(DUPLICATE, score, f"title {title:.0f}% alike, confirmed by "
                          f"{support} other field points", ev)
    if title == 100 and ev["authors"] == "same" and _distinctive(a) and against <= 1 \
            and ev["author_overlap"] == 1.0 and min(len(a.surnames), len(b.surnames)) >= 2 \
            and "different" not in (ev["journal"], ev["volume"], ev["pages"]):
        return PairResult(DUPLICATE, score, "identical title and author list, at most a year "
                          "apart (a conference paper and its journal version?)", ev)
    if title == 100 and ev["authors"] == "swapped" and _distinctive(a) and against == 0 \
            and ev["year_difference"] == 0 and "different" not in ev.values():
        return PairResult(DUPLICATE, score, "identical title in the same year, the authors' "
                          "given names and surnames swapped", ev)
    if _same_place(a, b, ev):
        return PairResult(DUPLICATE, score, f"titles differ ({title:.0f}% alike; a translation)"
                          " but one author list fills one page range of one journal issue", ev)
    if title >= 85 and support - against >= 2:
        return PairResult(UNCERTAIN, score, f"title {title:.0f}% alike, other fields only "
                          "partly agree", ev)
    if title >= 97 and support - against >= 1:
        return PairResult(UNCERTAIN, score, "same title, little else to confirm it", ev)
    if support >= 8 and against == 0:
        return PairResult(UNCERTAIN, score, f"titles differ ({title:.0f}% alike; a translation?) "
                          "but authors, journal, volume, issue and pages all agree", ev)
    return PairResult(NOT_DUPLICATE, score, f"title {title:.0f}% alike, not enough agreement",
                      ev, conflict=title < 85 or against > 0)
