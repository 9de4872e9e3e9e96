"""The demo review's extraction, so the Extraction and Tables pages are never empty: Priya and
Tom extract five of the included studies independently (the protocol asks for dual
extraction), with a few honest disagreements; Morgan reconciles four of them and leaves the
fifth waiting on the comparison view. One companion report is linked to a study first. Each of
the five gets an invented PDF holding its quotes on the pages given (review.demo.pdfs).

All values and quotes are invented for the demo: short, neutral, non-graphic, and clearly not
taken from any real paper.
"""

from __future__ import annotations

from typing import Any

from review.demo.pdfs import demo_pdf
from review.extraction.entries import save_entry
from review.extraction.reconcile import reconcile
from review.extraction.studies import link_report, list_studies
from review.screening.fulltext import attach_pdf
from review.store import Store
from review.store import records as store_records

LEAD, EXTRACTORS = "Morgan", ("Priya", "Tom")

_QUESTIONS = ("aims", "qualitative_fit", "design", "recruitment", "data_collection",
              "reflexivity", "ethics", "analysis", "findings", "value")

# One dict per demo study: Priya's entry; "tom" lists where Tom's entry differs, and
# "picks" how Morgan settles each difference.
_STUDIES: tuple[dict[str, Any], ...] = (
    {"fields": {"country": "United Kingdom", "population": "Young people aged 16 to 25",
                "design": "Qualitative interviews", "sample_size": 18,
                "self_harm_type": "Self-harm (any)", "format": ["online forum"],
                "moderated": True,
                "themes": "Acceptance by peers; moderators keep conversations supportive."},
     "themes": {"belonging": ("Demo quote: it was the first place I felt understood.", "p. 5"),
                "facilitators": ("Demo quote: the moderators kept things calm.", "p. 7"),
                "trigger_warnings": ("Demo quote: posts had a warning line first.", "p. 8")},
     "rating": "high",
     "tom": {"fields": {"sample_size": 19}, "rating": "high"},
     "picks": {"sample_size": "Tom"}},
    {"fields": {"country": "United Kingdom", "population": "Young people using a charity's forum",
                "design": "Analysis of forum posts", "sample_size": 240,
                "self_harm_type": "Self-harm (any)", "format": ["online forum"],
                "moderated": True,
                "themes": "Practical coping advice; some comparison between members."},
     "themes": {"information_support": ("Demo quote: members swapped ideas for coping.",
                                        "Results, theme 2"),
                "competition": ("Demo quote: some posts compared experiences.", "p. 9"),
                "triggering": ("Demo quote: a few posts were hard to read.", "p. 9"),
                "facilitators": ("Demo quote: staff reviewed new posts daily.", "Methods")},
     "rating": "moderate",
     "tom": {"themes_remove": ["competition"], "rating": "moderate"},
     "picks": {"theme:competition": "Priya"}},
    {"fields": {"country": "Spain", "population": "Adults with lived experience",
                "design": "Interviews with moderators and members", "sample_size": 24,
                "self_harm_type": "Self-injury", "format": ["online forum"],
                "moderated": True,
                "themes": "Moderators balance openness with safety."},
     "themes": {"empowerment": ("Demo quote: helping others helped me too.", "p. 6"),
                "codependency": ("Demo quote: I worried when a friend went quiet.", "p. 10"),
                "supervision_training": ("Demo quote: moderators met a supervisor weekly.",
                                         "Discussion")},
     "rating": "high",
     "tom": {"rating": "moderate"},
     "picks": {"rating": "Priya"}},
    {"fields": {"country": "Germany", "population": "University students",
                "design": "Online survey with open questions", "sample_size": 112,
                "self_harm_type": "Self-harm (any)", "format": ["online forum", "one-to-one"],
                "moderated": True,
                "themes": "Less stigma and more help-seeking."},
     "themes": {"belonging": ("Demo quote: nobody judged me there.", "Table 3"),
                "information_support": ("Demo quote: a peer told me where to find help.",
                                        "p. 4"),
                "trigger_warnings": ("Demo quote: the site hid some posts by default.",
                                     "p. 5")},
     "rating": "moderate",
     "tom": {"fields": {"format": ["online forum"]}},
     "picks": {"format": "Priya"}},
    {"fields": {"country": "Ireland", "population": "University students",
                "design": "Focus groups", "sample_size": 21,
                "self_harm_type": "Self-harm (any)", "format": ["face-to-face group"],
                "moderated": True,
                "themes": "Groups led by trained volunteers felt safe."},
     "themes": {"belonging": ("Demo quote: the group felt like a safe space.", "p. 3"),
                "supervision_training": ("Demo quote: volunteers had regular training.",
                                         "Methods")},
     "rating": "moderate",
     "tom": {"fields": {"country": "Ireland; United Kingdom"}, "rating": "low"},
     "picks": None},  # left for the lead: the comparison view shows it
)


def _answers(rating: str) -> dict[str, str]:
    unsure = {"high": (), "moderate": ("reflexivity",), "low": ("reflexivity", "recruitment")}
    return {q: "can't tell" if q in unsure[rating] else "yes" for q in _QUESTIONS}


def seed_extraction(store: Store, *, actor: str) -> None:
    studies = list_studies(store, actor=actor)
    if len(studies) < 5:
        return
    if len(studies) >= 7:  # a companion report: the last study's report joins the fourth
        link_report(store, studies[-1].records[0], studies[3].id, actor=LEAD)
    for found, spec in zip(studies, _STUDIES, strict=False):
        record = store_records.get_record(store, found.records[0]) or {}
        attach_pdf(store, found.records[0], demo_pdf(record.get("title") or found.label,
                                                     found.label, spec["themes"]),
                   f"{found.label} (demo).pdf", actor=EXTRACTORS[0])
        for person in EXTRACTORS:
            differs = spec["tom"] if person == "Tom" else {}
            fields = {"author_year": found.label, **spec["fields"], **differs.get("fields", {})}
            themes = {k: v for k, v in spec["themes"].items()
                      if k not in differs.get("themes_remove", [])}
            rating = differs.get("rating", spec["rating"])
            save_entry(store, found.id, person, values=fields, themes=themes,
                       answers=_answers(rating), rating=rating, done=True)
        if spec["picks"] is not None:  # Morgan goes with Priya unless a pick says otherwise
            reconcile(store, found.id, by=LEAD, take="Priya", picks=spec["picks"])
