"""Evidence of two different works behind records that otherwise look alike: companion papers
(one group's part 1 and part 2, its in vitro and in vivo study, two articles on adjacent pages
of one issue), two DOIs that each name a work, and titles that name no work at all.

Each function returns a short description for the pair's evidence (what a person sees), or
None. `compare` decides what each weighs: a veto, or a demotion that a shared identifier or a
stronger agreement can override.
"""

from __future__ import annotations

import re

from rapidfuzz import fuzz
from rapidfuzz.distance import Levenshtein

from review.dedupe.keys import Keys

# words that, swapped for each other in an otherwise identical title, make another study
_CONTRASTS = (
    ("vitro", "vivo"), ("vitro", "silico"), ("vivo", "silico"), ("men", "women"),
    ("male", "female"), ("males", "females"), ("boys", "girls"), ("mice", "rats"),
    ("mouse", "rat"), ("children", "adults"), ("adolescents", "adults"), ("child", "adult"),
    ("infants", "children"), ("acute", "chronic"), ("positive", "negative"),
    ("increased", "decreased"), ("increase", "decrease"), ("increases", "decreases"),
    ("high", "low"), ("higher", "lower"), ("upper", "lower"), ("left", "right"),
    ("early", "late"), ("before", "after"), ("with", "without"), ("primary", "secondary"),
    ("benign", "malignant"), ("agonist", "antagonist"), ("agonists", "antagonists"),
    ("systolic", "diastolic"), ("anterior", "posterior"), ("maternal", "paternal"),
    ("inpatient", "outpatient"), ("inpatients", "outpatients"), ("prospective", "retrospective"),
    ("first", "second"), ("second", "third"), ("short", "long"),
    ("cis", "trans"), ("alpha", "beta"), ("beta", "gamma"), ("methyl", "ethyl"),
    ("unilateral", "bilateral"), ("single", "multiple"), ("topical", "oral"),
    ("intravenous", "oral"), ("adjuvant", "neoadjuvant"), ("pre", "post"),
    ("preoperative", "postoperative"), ("prenatal", "postnatal"), ("preterm", "term"),
    ("hypertension", "hypotension"), ("hyperglycemia", "hypoglycemia"),
    ("hyperthyroidism", "hypothyroidism"), ("insulin", "glucagon"), ("gain", "loss"),
    ("efficacy", "safety"), ("protocol", "results"), ("baseline", "follow"),
)
_CONTRAST = {frozenset(pair) for pair in _CONTRASTS}
# the starts that make one compound or condition of another ('hydroxychloroquine' against
# 'chloroquine', 'hyperglycaemia' against 'hypoglycaemia', 'noninvasive' against 'invasive')
_OPPOSED_STARTS = {frozenset(pair) for pair in (
    ("hyper", "hypo"), ("hyper", "normo"), ("hypo", "normo"), ("pre", "post"),
    ("intra", "extra"), ("inter", "intra"), ("sub", "supra"), ("endo", "exo"),
    ("anti", "pro"), ("over", "under"), ("in", "out"), ("homo", "hetero"), ("mono", "poly"),
    ("mono", "di"), ("di", "tri"), ("tri", "tetra"), ("uni", "bi"), ("bi", "tri"),
    ("meth", "eth"), ("eth", "prop"), ("dextro", "levo"), ("ortho", "para"), ("ortho", "meta"),
    ("meta", "para"), ("cis", "trans"),
)}
_ROMAN = frozenset({"ii", "iii", "iv", "v", "vi", "vii", "viii", "ix", "x", "xi", "xii"})
_STOP = frozenset({"a", "an", "the", "of", "in", "on", "and", "or", "for", "to", "with", "by",
                   "at", "from", "as", "is", "are", "its", "their", "vs", "versus"})


def _numeral(word: str) -> bool:
    return word.isdigit() or word in _ROMAN or word == "i"


# kinds of title change, from `title_change`
NUMBER, LABEL, CONTRAST, PREFIX, STEM, WORD = ("number", "label", "contrast", "prefix", "stem",
                                              "word")


def title_change(a: Keys, b: Keys) -> tuple[str, str] | None:
    """A change between two otherwise alike titles that makes another study, as (kind,
    description): a number or part label ('type 1'/'type 2', 'II'/'III', 'Study A'/'Study B'),
    a contrasting word ('in vitro'/'in vivo', 'men'/'women'), a prefix that makes another
    compound or condition ('chloroquine'/'hydroxychloroquine', 'hyperglycaemia'/
    'hypoglycaemia'), one stem with two starts ('liraglutide'/'semaglutide') or one content
    word for another, unlike throughout ('breast'/'prostate')."""
    if not a.title or not b.title or a.title_key == b.title_key:
        return None
    words_a, words_b = set(a.title.split()), set(b.title.split())
    only_a, only_b = sorted(words_a - words_b), sorted(words_b - words_a)
    if not only_a or not only_b or len(only_a) > 3 or len(only_b) > 3:
        return None  # a word added or dropped, or titles too different to be one change
    numbers_a = [w for w in only_a if _numeral(w)]
    numbers_b = [w for w in only_b if _numeral(w)]
    if numbers_a and numbers_b:
        return NUMBER, f"titles differ in a number ({numbers_a[0]!r} against {numbers_b[0]!r})"
    if len(only_a) == 1 and len(only_b) == 1:
        x, y = only_a[0], only_b[0]
        if len(x) == 1 and len(y) == 1 and x.isalpha() and y.isalpha() \
                and {x, y} != {"a", "i"}:
            return LABEL, f"titles differ in a label ({x!r} against {y!r})"
        if frozenset((x, y)) in _CONTRAST:
            return CONTRAST, f"titles differ in one word that makes another study ({x!r} " \
                f"against {y!r})"
        if x in _STOP or y in _STOP:
            return None
        start = _opposed_start(x, y)
        if start:
            return PREFIX, f"titles differ in one word that makes another study ({x!r} " \
                f"against {y!r}: {start})"
        other = _other_word(x, y)
        if other:
            return other, f"titles differ in one word ({x!r} against {y!r}): another drug, " \
                "condition or population, not a spelling"
    for x in only_a:
        for y in only_b:
            if frozenset((x, y)) in _CONTRAST:
                return CONTRAST, f"titles differ in words that make another study ({x!r} " \
                    f"against {y!r})"
    return None


def _other_word(x: str, y: str) -> str | None:
    """Two content words that are not spellings of one word: unlike throughout ('breast',
    'prostate': WORD), or one stem with two starts ('liraglutide', 'semaglutide': STEM)."""
    if len(x) < 4 or len(y) < 4 or not x.isalpha() or not y.isalpha():
        return None
    x, y = _british(x), _british(y)
    if x == y or x.rstrip("s") == y.rstrip("s"):
        return None  # a plural
    if fuzz.ratio(x, y) < 60:
        return WORD
    common = 0
    for cx, cy in zip(reversed(x), reversed(y), strict=False):
        if cx != cy:
            break
        common += 1
    head_x, head_y = x[: len(x) - common], y[: len(y) - common]
    if common >= 5 and len(head_x) >= 2 and len(head_y) >= 2 \
            and Levenshtein.distance(head_x, head_y) >= 2:  # 'phe'/'pho' is a typing error
        return STEM
    return None


def _british(word: str) -> str:
    """'haemoglobin', 'oesophageal' -> 'hemoglobin', 'esophageal': spellings, not words."""
    return word.replace("ae", "e").replace("oe", "e")


def _opposed_start(x: str, y: str) -> str | None:
    """Two words with one stem and a different start that changes what they name."""
    x, y = _british(x), _british(y)
    if x == y:
        return None
    shorter, longer = (x, y) if len(x) <= len(y) else (y, x)
    if len(shorter) >= 5 and longer.endswith(shorter):
        head = longer[: len(longer) - len(shorter)]
        if len(head) >= 2 and head.isalpha():
            return f"{head!r} added"
        return None
    common = 0
    for cx, cy in zip(reversed(x), reversed(y), strict=False):
        if cx != cy:
            break
        common += 1
    if common < 5:
        return None
    head_x, head_y = x[: len(x) - common], y[: len(y) - common]
    if frozenset((head_x, head_y)) in _OPPOSED_STARTS:
        return f"{head_x!r} against {head_y!r}"
    return None


def disjoint_pages(a: Keys, b: Keys) -> str | None:
    """Two printed page ranges, both complete, that do not overlap ('112-119' and '120-127'):
    two articles of one issue, however alike the rest. Two article numbers ('e0143396',
    'e0143397') likewise."""
    if a.locator and b.locator and a.page and b.page and a.page != b.page:
        return f"article numbers {a.page} and {b.page} differ"
    if a.locator or b.locator or not (a.page and a.page_end and b.page and b.page_end):
        return None
    if not (a.page.isdigit() and a.page_end.isdigit() and b.page.isdigit()
            and b.page_end.isdigit()):
        return None
    a_start, a_end, b_start, b_end = int(a.page), int(a.page_end), int(b.page), int(b.page_end)
    if a_end < a_start or b_end < b_start:
        return None  # a range written backwards is a typing error, not evidence
    if a_start <= b_end and b_start <= a_end:
        return None
    return f"pages {a.page}-{a.page_end} and {b.page}-{b.page_end} do not overlap"


# DOI registrants of preprint servers: a preprint and its journal article are one study with
# two DOIs, not the two different works two DOIs otherwise mean
_PREPRINT_REGISTRANTS = frozenset({
    "10.1101",  # bioRxiv, medRxiv
    "10.48550",  # arXiv
    "10.21203",  # Research Square
    "10.2139",  # SSRN
    "10.20944",  # Preprints.org
    "10.31219", "10.31234", "10.31235", "10.31222", "10.31221", "10.31223", "10.31224",
    "10.31225", "10.31226", "10.31227", "10.31228", "10.31229", "10.31230", "10.31231",
    "10.31232", "10.31233", "10.31236", "10.31237",  # OSF preprint servers (PsyArXiv, ...)
    "10.22541",  # Authorea
    "10.36227",  # TechRxiv
    "10.26434",  # ChemRxiv
    "10.1002/essoar",
    "10.2196/preprints",  # JMIR Preprints
    "10.12688",  # F1000Research and its platforms: versions of one article
    "10.5281",  # Zenodo
    "10.6084",  # figshare
})
_VERSION = re.compile(r"([./_-]v\d+|\.pub\d+|/v\d+|\.r\d+)$")


def doi_relation(a: str, b: str) -> str:
    """'same', 'missing', 'version' (a preprint and its article, or two numbered versions of
    one article such as a Cochrane review's '.pub2' and '.pub3'), 'component' (one DOI names a
    part of the other's article: a figure, a supplement), 'other registrant' (two publishers'
    DOIs: one of them is attached to the wrong record when all else agrees) or 'different'
    (one publisher's two DOIs: two works)."""
    if not a or not b:
        return "missing"
    if a == b:
        return "same"
    if _preprint(a) or _preprint(b):
        return "version"
    if a.startswith(b + ".") or b.startswith(a + ".") or a.startswith(b + "/") \
            or b.startswith(a + "/"):
        return "component"  # a figure or a supplement of the article ('.g001', '/suppl')
    if _VERSION.sub("", a) == _VERSION.sub("", b):
        return "version"
    if a.split("/", 1)[0] != b.split("/", 1)[0]:
        return "other registrant"
    return "different"


_PREPRINT_PREFIXES = tuple(sorted(p + "/" if "/" not in p else p for p in _PREPRINT_REGISTRANTS))


def _preprint(doi: str) -> bool:
    return doi.startswith(_PREPRINT_PREFIXES)
