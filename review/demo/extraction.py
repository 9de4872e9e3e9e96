"""The demo review's extraction, so the Extraction and Tables pages are never empty: Priya and
Tom extract five of the included studies independently (the protocol asks for dual
extraction), with a few honest disagreements; Morgan reconciles four of them extract by
extract and leaves the fifth waiting on the comparison view. One companion report is linked to
a study first. Each study has coded extracts in the protocol's themes, participants' words and
the authors' interpretations alike; the first has two extracts for one theme (one of each
voice), and Tom marks fewer words of one quote than Priya, so the comparison pairs them.
Each of the five gets an invented PDF holding its quotes on the pages given
(review.demo.pdfs).

Each study is appraised with the protocol's checklist for its design (the demo's six
extracted studies cover all five checklists: the sixth, an evaluation, is extracted for its
characteristics and appraisal only), and every extracted study has values for the form's fields
on who facilitates, participants' roles, age, gender, organisation type and funding
(_CHARACTERISTICS).

Then Morgan writes five review findings and judges four of them with GRADE-CERQual (the
fifth has two components judged, so the pages show a finding in progress). The findings are
written in our own words from what the project's domain reading reports (a safe place without
judgement, less isolation, distressing content, warnings, supervision of peer supporters, the
weight of supporting someone); the judgements follow from the demo studies themselves.

All values and quotes are invented for the demo: short, neutral, non-graphic, and clearly not
taken from any real paper.
"""

from __future__ import annotations

from typing import Any

from review.demo.characteristics import table1_values
from review.demo.pdfs import demo_pdf
from review.extraction.cerqual import assess
from review.extraction.entries import Form, extraction_form, save_entry
from review.extraction.findings import add_finding
from review.extraction.reconcile import reconcile
from review.extraction.studies import link_report, list_studies
from review.screening.fulltext import attach_pdf
from review.store import Store
from review.store import records as store_records

LEAD, EXTRACTORS = "Morgan", ("Priya", "Tom")

P, A = "participant", "author"

# One dict per demo study: Priya's entry, her extracts as (theme, voice, location, quote,
# sub-theme); "tom" lists where Tom's entry differs (fields, extracts he words or locates
# otherwise, by Priya's extract number from 0, or leaves out), and "picks" how Morgan settles
# each difference.
_STUDIES: tuple[dict[str, Any], ...] = (
    {"fields": {"country": "United Kingdom", "population": "Young people aged 16 to 25",
                "design": "Qualitative interviews", "sample_size": 18,
                "self_harm_type": "Self-harm (any)", "format": ["online forum"],
                "moderated": True,
                "themes": "Acceptance by peers; moderators keep conversations supportive."},
     "extracts": [
         ("safe_space", P, "p. 5", "Demo quote: it was the first place I felt understood.",
          "Being understood"),
         ("safe_space", A, "p. 6", "Demo finding: members valued a space where nobody "
          "reacted with alarm to what they shared.", "Being understood"),
         ("less_isolation", P, "p. 6", "Demo quote: I stopped feeling like the only one.", ""),
         ("facilitators", P, "p. 7", "Demo quote: the moderators kept things calm.", ""),
         ("trigger_warnings", P, "p. 8", "Demo quote: posts had a warning line first.", "")],
     "rating": "high",
     "tom": {"fields": {"sample_size": 19}, "rating": "high",
             "reworded": {3: "the moderators kept things calm"}},
     "picks": {"sample_size": "Tom", "extract:facilitators:1": "Priya"}},
    {"fields": {"country": "United Kingdom", "population": "Young people using a charity's forum",
                "design": "Analysis of forum posts", "sample_size": 240,
                "self_harm_type": "Self-harm (any)", "format": ["online forum"],
                "moderated": True,
                "themes": "Practical coping advice; some comparison between members."},
     "extracts": [
         ("information_support", P, "Results, theme 2",
          "Demo quote: members swapped ideas for coping.", ""),
         ("competition", P, "p. 9", "Demo quote: some posts compared experiences.", ""),
         ("triggering", P, "p. 9", "Demo quote: a few posts were hard to read.", ""),
         ("feelings_not_methods", A, "p. 9", "Demo finding: the forum's rules asked members "
          "to write about feelings, not methods.", "Posting rules"),
         ("facilitators", A, "Methods", "Demo finding: staff reviewed new posts daily.", "")],
     "rating": "moderate",
     "tom": {"left_out": [1], "rating": "moderate"},
     "picks": {"theme:competition": "Priya"}},
    {"fields": {"country": "Spain", "population": "Adults with lived experience",
                "design": "Interviews with moderators and members", "sample_size": 24,
                "self_harm_type": "Self-injury", "format": ["online forum"],
                "moderated": True,
                "themes": "Moderators balance openness with safety."},
     "extracts": [
         ("empowerment", P, "p. 6", "Demo quote: helping others helped me too.", ""),
         ("codependency", P, "p. 10", "Demo quote: I worried when a friend went quiet.", ""),
         ("emotional_burden", P, "p. 10", "Demo quote: some weeks, supporting others left "
          "me worn out.", ""),
         ("supervision_training", A, "Discussion",
          "Demo finding: moderators met a supervisor weekly.", ""),
         ("debriefing", A, "Discussion", "Demo finding: moderators had time after each shift "
          "to talk things through.", "")],
     "rating": "high",
     "tom": {"rating": "moderate"},
     "picks": {"rating": "Priya"}},
    {"fields": {"country": "Germany", "population": "University students",
                "design": "Online survey with open questions", "sample_size": 112,
                "self_harm_type": "Self-harm (any)", "format": ["online forum", "one-to-one"],
                "moderated": True,
                "themes": "Less stigma and more help-seeking."},
     "extracts": [
         ("safe_space", P, "Table 3", "Demo quote: nobody judged me there.", ""),
         ("information_support", P, "p. 4", "Demo quote: a peer told me where to find help.",
          "Signposting"),
         ("lived_experience_preferred", P, "p. 4", "Demo quote: I would rather talk to "
          "someone who has been there.", ""),
         ("trigger_warnings", P, "p. 5", "Demo quote: the site hid some posts by default.",
          "")],
     "rating": "moderate",
     "tom": {"fields": {"format": ["online forum"]}},
     "picks": {"format": "Priya"}},
    {"fields": {"country": "Ireland", "population": "University students",
                "design": "Focus groups", "sample_size": 21,
                "self_harm_type": "Self-harm (any)", "format": ["face-to-face group"],
                "moderated": True,
                "themes": "Groups led by trained volunteers felt safe."},
     "extracts": [
         ("safe_space", P, "p. 3", "Demo quote: the group felt like a safe space.", ""),
         ("group_rules", A, "p. 4", "Demo finding: each session began by going over the "
          "group's rules.", ""),
         ("supervision_training", P, "Methods",
          "Demo quote: volunteers had regular training.", "")],
     "rating": "moderate",
     "tom": {"fields": {"country": "Ireland; United Kingdom"}, "rating": "low",
             "located": {2: "p. 2"}},  # the page of the Methods section, where Priya wrote it
     "picks": None},  # left for the lead: the comparison view shows it
)


def demo_extracts(spec: dict[str, Any], person: str) -> list[dict[str, str]]:
    """A demo study's extracts as one extractor codes them."""
    differs = spec["tom"] if person == "Tom" else {}
    found = []
    for n, (theme, voice, location, quote, sub_theme) in enumerate(spec["extracts"]):
        if n in differs.get("left_out", ()):
            continue
        found.append({"theme": theme, "voice": voice,
                      "location": differs.get("located", {}).get(n, location),
                      "quote": differs.get("reworded", {}).get(n, quote),
                      "sub_theme": sub_theme})
    return found


# Per extracted study, in the order of _STUDIES and then the evaluation: its design (a choice
# of the protocol's design field: it picks the appraisal checklist, and stands in for the
# description in _STUDIES) and the fields of item 7 of the worked example. Invented values.
_CHARACTERISTICS: tuple[dict[str, Any], ...] = (
    {"design": "Mixed methods", "facilitated_by": "both",
     "participant_role": ["receiving support"], "age": "16 to 25; mean 19",
     "gender": "13 women, 4 men, 1 non-binary",
     "organisation_type": ["charity or voluntary organisation"],
     "funding": "A national research funder"},
    {"design": "Analysis of online posts or documents", "facilitated_by": "both",
     "participant_role": ["receiving support", "peer supporter"], "age": "Not stated; forum "
     "for ages 14 to 25", "gender": None,
     "organisation_type": ["charity or voluntary organisation", "online platform"],
     "funding": "None stated"},
    {"design": "Qualitative", "facilitated_by": "peers",
     "participant_role": ["peer supporter", "moderator"], "age": "22 to 54",
     "gender": "18 women, 6 men", "organisation_type": ["user-led organisation"],
     "funding": "A university studentship"},
    {"design": "Cross-sectional survey", "facilitated_by": "peers",
     "participant_role": ["receiving support", "peer supporter"], "age": "18 to 30; mean 22",
     "gender": "71% women", "organisation_type": ["school, college or university"],
     "funding": None},
    {"design": "Qualitative", "facilitated_by": "both",
     "participant_role": ["receiving support", "peer supporter"], "age": "18 to 24",
     "gender": "15 women, 6 men", "organisation_type": ["school, college or university",
                                                        "charity or voluntary organisation"],
     "funding": "The university's student services"},
    {"design": "Controlled or before-and-after evaluation", "facilitated_by": "professionals",
     "participant_role": ["receiving support"], "age": "13 to 17", "gender": "38 girls, 9 boys",
     "organisation_type": ["charity or voluntary organisation"],
     "funding": "The charity that runs the service"},
)
# the evaluation: fields for Table 1 besides _CHARACTERISTICS (no themes, no PDF in the demo)
_EVALUATION: dict[str, Any] = {
    "country": "United Kingdom", "population": "Young people on a charity's text service",
    "sample_size": 47, "self_harm_type": "Self-harm (any)", "format": ["text message", "app"],
    "moderated": True, "themes": "Self-reported self-harm and wellbeing before and after."}

# which questions a less than high rating leaves open ("can't tell"), then answered "no"
_UNSURE = {"qualitative": ("reflexivity", "recruitment"),
           "mixed_methods": ("divergence", "integration"),
           "survey": ("response", "measures"),
           "online_posts": ("ethics", "limits"),
           "evaluation": ("other_causes", "follow_up")}


def _answers(form: Form, values: dict[str, Any], rating: str) -> dict[str, str]:
    """A full appraisal with the checklist for the study's design."""
    checklist = form.checklist_for(values)
    unsure = _UNSURE.get(checklist.id, ())
    weak = {"high": {}, "moderate": dict.fromkeys(unsure[:1], "can't tell"),
            "low": {**dict.fromkeys(unsure[:1], "can't tell"),
                    **dict.fromkeys(unsure[1:2], "no")}}[rating]
    return {q: weak.get(q, "yes") for q, _ in checklist.questions}


def seed_evaluation(store: Store, study_id: int, label: str) -> None:
    """A sixth study, an evaluation, extracted for Table 1 and appraised with the evaluation
    checklist by Priya and Tom; they differ on one answer and Morgan takes Priya's."""
    form = extraction_form(store)
    values = {"author_year": label, **_EVALUATION, **_CHARACTERISTICS[len(_STUDIES)]}
    for person, rating in zip(EXTRACTORS, ("moderate", "low"), strict=True):
        save_entry(store, study_id, person, values=values,
                   answers=_answers(form, values, rating), rating=rating, done=True)
    reconcile(store, study_id, by=LEAD, take="Priya")


def seed_extraction(store: Store, *, actor: str) -> None:
    studies = list_studies(store, actor=actor)
    if len(studies) < 5:
        return
    if len(studies) >= 7:  # a companion report: the last study's report joins the fourth
        link_report(store, studies[-1].records[0], studies[3].id, actor=LEAD)
    form = extraction_form(store)
    fields_of_form = {f.id for f in form.fields}
    for index, (found, spec, extra) in enumerate(zip(studies, _STUDIES, _CHARACTERISTICS,
                                                     strict=False)):
        record = store_records.get_record(store, found.records[0]) or {}
        attach_pdf(store, found.records[0], demo_pdf(
            record.get("title") or found.label, found.label,
            [(quote, location, voice) for _, voice, location, quote, _ in spec["extracts"]]),
            f"{found.label} (demo).pdf", actor=EXTRACTORS[0])
        for person in EXTRACTORS:
            differs = spec["tom"] if person == "Tom" else {}
            fields = {"author_year": found.label, **spec["fields"], **extra,
                      **table1_values(index, fields_of_form), **differs.get("fields", {})}
            rating = differs.get("rating", spec["rating"])
            save_entry(store, found.id, person, values=fields,
                       extracts=demo_extracts(spec, person),
                       answers=_answers(form, fields, rating), rating=rating, done=True)
        if spec["picks"] is not None:  # Morgan goes with Priya unless a pick says otherwise
            reconcile(store, found.id, by=LEAD, take="Priya", picks=spec["picks"])
    studies = list_studies(store, actor=actor)
    if len(studies) > len(_STUDIES):
        seed_evaluation(store, studies[len(_STUDIES)].id, studies[len(_STUDIES)].label)
    seed_findings(store, [s.id for s in studies][:len(_STUDIES)])


# (theme, statement, indexes of the demo studies behind it, components, overall or None)
_FINDINGS: tuple[tuple[str, str, tuple[int, ...], dict[str, tuple[str, str]],
                       tuple[str, str] | None], ...] = (
    ("belonging",
     "People who took part in peer support described it as a safe place where they were "
     "accepted without being judged and felt less alone with what they were going through.",
     (0, 3, 4),
     {"methodological_limitations": ("minor", "Two of the three studies say little about the "
                                              "researchers' own position (reflexivity)."),
      "coherence": ("none", "All three studies describe acceptance and feeling understood, in "
                            "forums and in a face-to-face group alike."),
      "adequacy": ("minor", "Three studies; the survey's open answers are short, the "
                            "interviews and focus groups give fuller accounts."),
      "relevance": ("minor", "Mostly young people and students; one study is of a "
                             "face-to-face group, the others of online forums.")},
     ("moderate", "Consistent across three studies, with minor concerns about methods, the "
                  "depth of the survey data and how far the samples reach beyond students.")),
    ("triggering",
     "Reading other members' posts about their difficulties could leave some people more "
     "distressed than before.",
     (1,),
     {"methodological_limitations": ("moderate", "An analysis of forum posts: the writers "
                                                 "could not be asked what they meant, and "
                                                 "reflexivity is not reported."),
      "coherence": ("minor", "The posts point the same way, though few describe it."),
      "adequacy": ("serious", "One study, and only a handful of posts on this."),
      "relevance": ("minor", "One charity's moderated forum in the UK.")},
     ("low", "Downgraded mainly for adequacy (a single study with thin data) and for the "
             "limits of studying posts rather than people.")),
    ("trigger_warnings",
     "Warnings before difficult content, and posts hidden until a reader chose to open "
     "them, let members decide what they read.",
     (0, 3),
     {"methodological_limitations": ("minor", "One survey with open questions; reflexivity "
                                              "unclear in one study."),
      "coherence": ("none", "Both studies describe the same practice and the same reason "
                            "for it."),
      "adequacy": ("moderate", "Two studies, each with a few sentences on it."),
      "relevance": ("minor", "Online forums only; groups that meet in person do not use "
                             "warnings in this way.")},
     ("moderate", "Coherent and relevant to online formats, with moderate concerns about "
                  "how much data lies behind it.")),
    ("supervision_training",
     "Peer supporters and moderators valued training and regular supervision, which helped "
     "them support others while looking after their own wellbeing.",
     (2, 4),
     {"methodological_limitations": ("none", "Two well-conducted qualitative studies."),
      "coherence": ("minor", "Both value supervision; they differ on how often it is "
                             "needed."),
      "adequacy": ("moderate", "Two studies, one not yet fully extracted."),
      "relevance": ("moderate", "One forum in Spain and one university group; nothing on "
                                "telephone, text or app-based support.")},
     ("low", "Moderate concerns about both adequacy and relevance: few studies, from "
             "settings narrower than the review question.")),
    ("codependency",
     "Supporting a peer through a hard time could weigh on the supporter, above all where "
     "a close bond had formed between them.",
     (2,),
     {"methodological_limitations": ("none", "A well-conducted interview study."),
      "coherence": ("minor", "Members and moderators describe it a little differently.")},
     None),
)


def seed_findings(store: Store, studies: list[int]) -> None:
    """Morgan's findings on the demo studies (study ids in the order of _STUDIES)."""
    for theme, statement, which, components, overall in _FINDINGS:
        found = add_finding(store, theme, statement, by=LEAD,
                            studies=[studies[i] for i in which if i < len(studies)])
        assess(store, found.id, by=LEAD, components=components, overall=overall)
