"""Protocol loading, defaults, validation messages and the re-exported rule types."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from review.errors import ProtocolError
from review.protocol import (
    Checklist,
    ExtractionForm,
    Highlight,
    Protocol,
    Rule,
    Stage,
    UnknownStage,
    kind_label,
    load_protocol,
    parse_protocol,
    parse_rule,
)

SHIPPED = Path(__file__).resolve().parent.parent / "protocols" / "peer-support-self-harm.toml"


def make(body: str = "", screening: str = "") -> str:
    """A valid minimal protocol plus extra top-level tables (body) and [screening] keys."""
    return (f'title = "T"\nquestion = "Q?"\n{body}\n'
            f'[screening]\nexclusion_reasons = ["Wrong population"]\n{screening}\n')


def error(text: str) -> ProtocolError:
    with pytest.raises(ProtocolError) as caught:
        parse_protocol(text, "p.toml")
    return caught.value


# ------------------------------------------------------------------------ shipped protocol


@pytest.fixture(scope="module")
def shipped() -> Protocol:
    return load_protocol(SHIPPED)


def test_shipped_protocol_header_and_hash(shipped: Protocol) -> None:
    text = SHIPPED.read_text(encoding="utf-8")
    assert shipped.title == "Peer support for self-harm in non-clinical settings"
    assert shipped.question.startswith("What are the effectiveness, acceptability and "
                                       "potential harms of peer support")
    assert "\n" not in shipped.question
    assert shipped.text == text
    assert shipped.sha256 == hashlib.sha256(text.encode("utf-8")).hexdigest()
    assert parse_protocol(shipped.text, "db") == shipped  # re-parsing stored text is lossless


def test_shipped_protocol_screening(shipped: Protocol) -> None:
    assert shipped.stages == (
        Stage("title_abstract", "Titles and abstracts", 2, False),
        Stage("full_text", "Full texts", 2, True),
    )
    assert shipped.final_stage.id == "full_text"
    assert shipped.maybe_policy == "include"
    assert shipped.exclusion_reasons == (
        "Not about self-harm",
        "Not peer support",
        "Support from relatives or friends",
        "Clinical setting",
        "Unmoderated online forum",
        "Not primary research",
        "Published before 2000",
        "Full text not in English",
    )


def test_shipped_protocol_criteria(shipped: Protocol) -> None:
    ids = [c.id for c in shipped.criteria]
    assert ids == ["population", "peer_support", "setting", "design", "year", "language"]
    assert all(c.label and c.description for c in shipped.criteria)
    ruled = [c for c in shipped.criteria if c.rule is not None]
    assert [(c.id, str(c.rule), c.automatic) for c in ruled] == [("year", "year >= 2000", False)]
    assert [c.id for c in shipped.criteria_for("full_text")] == ids
    assert "language" not in [c.id for c in shipped.criteria_for("title_abstract")]
    setting = shipped.criteria[2].description
    assert "online forums reported as unmoderated" in setting
    assert "emergency departments" in setting


def test_shipped_protocol_settles_the_boundary_cases(shipped: Protocol) -> None:
    """Self-harm is defined, and each case reviewers meet at the edge of the question has a
    rule in the criteria's own text, so two reviewers decide it alike."""
    text = {c.id: " ".join(c.description.split()) for c in shipped.criteria}
    assert "with or without suicidal intent" in text["population"]
    peer = text["peer_support"]
    assert "professional facilitator counts" in peer  # voluntary-sector group, facilitated
    assert "trained volunteers without lived experience" in peer  # excluded
    assert "Peers who become friends through the group or forum count" in peer
    setting = text["setting"]
    assert "schools, colleges and universities" in setting
    assert "does not say whether a forum is moderated" in setting  # moderation not reported
    assert "social media set up for peer support" in setting
    assert "self-harm content on social media at large" in setting
    assert "grey literature" in text["design"]
    assert "no study of their own" in text["design"]  # a charity's guidance: not a study
    # grey literature comes in as other methods: the protocol says how, in its comments
    assert '--kind organisation' in shipped.text and '"other methods"' in shipped.text


def test_shipped_protocol_highlight(shipped: Protocol) -> None:
    assert shipped.highlight == Highlight(
        ("peer support", "self-help group", "online forum", "moderat*", "voluntary", "charity",
         "community", "self-harm*", "self-injur*", "forum*", "mutual aid", "mutual support",
         "lived experience", "support group*", "online chat", "text message*"),
        ("inpatient", "emergency department", "hospital", "clinician-led", "parents", "family"),
    )
    found = shipped.highlight.include_regex.findall(
        "A MODERATED  online forum run by a charity; moderators and peer\nsupport; communities")
    assert found == ["MODERATED", "online forum", "charity", "moderators", "peer\nsupport"]
    assert shipped.highlight.exclude_regex.findall("hospitals, clinician-led, family") == [
        "clinician-led", "family"]
    assert shipped.highlight.include_regex.findall(
        "Self-injury and self-injurious acts; forums; mutual aid groups") == [
        "Self-injury", "self-injurious", "forums", "mutual aid"]


def test_shipped_protocol_extraction(shipped: Protocol) -> None:
    form = shipped.extraction
    assert form.dual is True
    assert [(f.id, f.type) for f in form.fields] == [
        ("author_year", "text"), ("country", "country"), ("setting", "text"), ("aims", "text"),
        ("population", "text"), ("design", "choice"), ("data_collection", "text"),
        ("analysis", "text"), ("sample_size", "number"), ("sample_unit", "choice"),
        ("self_harm_type", "text"), ("format", "multi_choice"), ("moderated", "yes_no"),
        ("facilitated_by", "choice"), ("participant_role", "multi_choice"), ("age", "text"),
        ("gender", "text"), ("organisation_type", "multi_choice"), ("funding", "text"),
        ("themes", "text"),
    ]
    assert form.field("sample_size").unit == "sample_unit"
    assert "posts" in form.field("sample_unit").choices
    assert shipped.report.characteristics[-1] == "appraisal"
    assert shipped.report.synthesis.startswith("Thematic synthesis")
    assert form.field("format").choices == (
        "online forum", "face-to-face group", "one-to-one", "telephone", "text message", "app",
        "online chat", "social media group")
    assert form.field("facilitated_by").choices == ("peers", "professionals", "both")
    assert form.field("participant_role").choices == (
        "receiving support", "peer supporter", "moderator")
    assert form.field("author_year").required is True
    assert dict(form.kinds) == {"benefits": "Benefits", "risks": "Risks",
                                "mitigations": "Mitigations", "acceptability": "Acceptability"}
    two_levels = {kind: {t.id: [c.id for c in themes if c.parent == t.id]
                         for t in themes if t.parent is None}
                  for kind, themes in form.themes.items()}
    # the themes the domain reading supports (issue 15, item 7), descriptive under analytical
    assert two_levels == {
        "benefits": {"belonging": ["safe_space", "less_isolation"],
                     "coping": ["managing_self_harm", "learning_from_peers"],
                     "empowerment": [], "information_support": []},
        "risks": {"triggering": ["sharing_methods"],
                  "group_dynamics": ["must_self_harm_to_belong", "competition",
                                     "labelling_bullying"],
                  "supporter_burden": ["emotional_burden", "codependency"]},
        "mitigations": {"group_rules": ["feelings_not_methods", "trigger_warnings",
                                        "confidentiality"],
                        "facilitators": ["supervision_training", "debriefing"],
                        "crisis_procedures": []},
        "acceptability": {"found_acceptable": ["lived_experience_preferred",
                                               "different_from_services",
                                               "reluctance_to_join"]},
    }
    labels = [t.label for themes in form.themes.values() for t in themes]
    for wanted in ("A safe, non-judgemental space", "Less isolation",
                   "Reduced or better-managed self-harm", "Emotional burden on peer supporters",
                   "Sharing of methods", "Feeling one must self-harm to belong",
                   "Labelling or bullying", "Group rules",
                   "Talking about feelings rather than methods", "Debriefing facilitators",
                   "Crisis procedures"):
        assert wanted in labels
    assert all(t.description for themes in form.themes.values() for t in themes)


def test_theme_kinds_and_two_levels() -> None:
    protocol = parse_protocol(make(body=(
        '[extraction.theme_kinds]\nrisks = "Harms"\n'
        '[[extraction.themes.outcomes]]\nid = "coping"\nlabel = "Coping"\n'
        '[[extraction.themes.outcomes]]\nid = "fewer"\nlabel = "Fewer episodes"\n'
        'parent = "COPING"\n'
        '[[extraction.themes.side_effects]]\nid = "worry"\nlabel = "Worry"\n')))
    form = protocol.extraction
    assert dict(form.kinds) == {"risks": "Harms", "outcomes": "Outcomes",
                                "side_effects": "Side Effects"}
    assert form.themes["risks"] == ()
    assert [(t.id, t.parent) for t in form.themes["outcomes"]] == [("coping", None),
                                                                    ("fewer", "coping")]
    assert kind_label("harms-and_risks") == "Harms And Risks"
    # without theme_kinds, the three kinds of the earlier format stay, then the others
    older = parse_protocol(make(body=(
        '[[extraction.themes.risks]]\nid = "t"\nlabel = "T"\n'
        '[[extraction.themes.outcomes]]\nid = "o"\nlabel = "O"\n'))).extraction
    assert dict(older.kinds) == {"benefits": "Benefits", "risks": "Risks",
                                 "mitigations": "Mitigations", "outcomes": "Outcomes"}
    assert older.themes["benefits"] == () and [t.id for t in older.themes["risks"]] == ["t"]


def test_shipped_protocol_quality(shipped: Protocol) -> None:
    """A checklist for each design the form offers, each design with exactly one."""
    assert shipped.design_field == "design"
    assert shipped.quality == shipped.checklists[0]
    assert [c.id for c in shipped.checklists] == [
        "qualitative", "mixed_methods", "survey", "online_posts", "evaluation"]
    designs = [d for c in shipped.checklists for d in c.designs]
    assert sorted(designs) == sorted(shipped.extraction.field("design").choices)
    for quality in shipped.checklists:
        assert isinstance(quality, Checklist)
        assert len(quality.questions) >= 5
        assert len({qid for qid, _ in quality.questions}) == len(quality.questions)
        assert all(text.endswith("?") for _, text in quality.questions)
        assert quality.answers == ("yes", "no", "can't tell")
        assert quality.ratings == ("high", "moderate", "low")
    assert len(shipped.checklists[0].questions) == 10


def test_unknown_stage_lookup_names_the_stages(shipped: Protocol) -> None:
    with pytest.raises(UnknownStage) as caught:
        shipped.stage("fulltext")
    assert str(caught.value) == (
        "no stage 'fulltext' in this protocol; stages are: title_abstract, full_text")
    with pytest.raises(KeyError):
        shipped.criteria_for("abstracts")
    assert shipped.stage("full_text").exclusion_reason_required is True


def test_load_protocol_missing_file(tmp_path: Path) -> None:
    with pytest.raises(ProtocolError) as caught:
        load_protocol(tmp_path / "none.toml")
    assert caught.value.key == "(file)"
    assert str(caught.value).startswith(f"{tmp_path / 'none.toml'}: (file): cannot read")


# --------------------------------------------------------------------------------- defaults


def test_defaults_of_a_minimal_protocol() -> None:
    protocol = parse_protocol(make())
    assert protocol.stages == (
        Stage("title_abstract", "Titles and abstracts", 2, False),
        Stage("full_text", "Full texts", 2, True),
    )
    assert protocol.maybe_policy == "include"
    assert protocol.criteria == ()
    assert protocol.highlight == Highlight((), ())
    assert protocol.highlight.include_regex is None
    assert protocol.extraction == ExtractionForm()
    assert dict(protocol.extraction.themes) == {"benefits": (), "risks": (), "mitigations": ()}
    assert protocol.extraction.dual is True
    assert protocol.quality is None


def test_screening_votes_default_applies_to_every_stage() -> None:
    protocol = parse_protocol(make(screening='votes_required = 3\nmaybe_policy = "conflict"\n'))
    assert [s.votes_required for s in protocol.stages] == [3, 3]
    assert protocol.maybe_policy == "conflict"
    custom = parse_protocol(make(screening="""
votes_required = 1
[[screening.stages]]
id = "abstracts"
label = "Abstracts"
[[screening.stages]]
id = "full_text"
label = "Full texts"
votes_required = 2
"""))
    assert custom.stages == (Stage("abstracts", "Abstracts", 1, False),
                             Stage("full_text", "Full texts", 2, True))


def test_criterion_defaults_and_stage_order() -> None:
    protocol = parse_protocol(make(body="""
[[criteria]]
id = "a"
label = "A"
[[criteria]]
id = "b"
label = "B"
stages = ["full_text", "title_abstract"]
rule = 'pub_type != "Editorial"'
automatic = true
"""))
    a, b = protocol.criteria
    assert (a.description, a.stages, a.rule, a.automatic) == (
        "", ("title_abstract", "full_text"), None, False)
    assert b.stages == ("title_abstract", "full_text")
    assert b.automatic is True and str(b.rule) == 'pub_type != "Editorial"'


def test_checklist_defaults() -> None:
    protocol = parse_protocol(make(body="""
[quality]
id = "c"
name = "Checklist"
[[quality.questions]]
id = "q1"
text = "Clear aims?"
"""))
    assert protocol.quality == Checklist("c", "Checklist", (("q1", "Clear aims?"),),
                                         ("yes", "no", "can't tell"), ("high", "moderate", "low"))


# ------------------------------------------------------------------------ validation errors


@pytest.mark.parametrize(
    ("text", "key", "message"),
    [
        (make(screening="votes_requird = 2"), "screening.votes_requird",
         ('unknown key "votes_requird"; did you mean "votes_required"? (allowed keys: '
         "exclusion_reasons, maybe_policy, ranking, ranking_model, recall_target, stages, "
         "stopping_confidence, votes_required)")),
        (make(body='author = "x"'), "author",
         ('unknown key "author" (allowed keys: criteria, extraction, highlight, quality, '
         "question, report, screening, tables, title)")),
        ('question = "Q?"\n', "title", "required key is missing"),
        ('title = "  "\nquestion = "Q?"\n', "title", "must not be empty"),
        ('title = 3\nquestion = "Q?"\n', "title", "expected text, got a whole number"),
        (make(body='[[criteria]]\nid = "a"\nlabel = "A"\n[[criteria]]\nid = "b"\nlabel = "B"\n'
                   '[[criteria]]\nid = "A"\nlabel = "Again"\n'),
         "criteria[2].id", 'duplicate criterion id "A" (first used at criteria[0])'),
        (make(body='[[criteria]]\nid = "a"\n'), "criteria[0].label", "required key is missing"),
        (make(body='[[criteria]]\nid = "a b"\nlabel = "A"\n'), "criteria[0].id",
         "use letters, digits, _ or - (got 'a b')"),
        (make(body='[[criteria]]\nid = "a"\nlabel = "A"\nrule = "year >= \'2000\'"\n'),
         "criteria[0].rule", "cannot read \"'2000'\" at character 9"),
        (make(body='[[criteria]]\nid = "a"\nlabel = "A"\nrule = "year ~ 2000"\n'),
         "criteria[0].rule", "cannot read '~ 2000' at character 6"),
        (make(body='[[criteria]]\nid = "a"\nlabel = "A"\nstages = ["screening"]\n'),
         "criteria[0].stages[0]", ("unknown stage 'screening'; stages are: "
         "title_abstract, full_text")),
        (make(body='[[criteria]]\nid = "a"\nlabel = "A"\nstages = []\n'), "criteria[0].stages",
         "list at least one stage, or leave the key out for all"),
        (make(body='[[criteria]]\nid = "a"\nlabel = "A"\nautomatic = true\n'),
         "criteria[0].automatic", "automatic = true needs a rule to decide with"),
        (make(body='criteria = "all"'), "criteria", "expected a list, got text"),
        (make(screening="votes_required = 0"), "screening.votes_required",
         "must be 1 or more, got 0"),
        (make(screening='votes_required = "2"'), "screening.votes_required",
         "expected a whole number, got text"),
        (make(screening="votes_required = true"), "screening.votes_required",
         "expected a whole number, got true/false"),
        (make(screening='[[screening.stages]]\nid = "s"\nlabel = "S"\nvotes_required = -1\n'),
         "screening.stages[0].votes_required", "must be 1 or more, got -1"),
        (make(screening='[[screening.stages]]\nid = "s"\nlabel = "S"\n'
                        '[[screening.stages]]\nid = "s"\nlabel = "T"\n'),
         "screening.stages[1].id", 'duplicate stage id "s" (first used at screening.stages[0])'),
        (make(screening="stages = []"), "screening.stages",
         ("list at least one stage, or leave the key out for the default two "
         "(title_abstract, full_text)")),
        (make(screening='maybe_policy = "maybe"'), "screening.maybe_policy",
         "expected one of: include, conflict, exclude; got 'maybe'"),
        ('title = "T"\nquestion = "Q?"\n', "screening.exclusion_reasons",
         "list at least one reason: stage 'full_text' asks for a reason with every exclusion"),
        (make(screening='exclusion_reasons = ["A", "a"]').replace(
            'exclusion_reasons = ["Wrong population"]\n', ""),
         "screening.exclusion_reasons[1]", 'duplicate reason "a"'),
        (make(body='[highlight]\ninclude_terms = ["peer", 3]\n'), "highlight.include_terms[1]",
         "expected non-empty text, got a whole number"),
        (make(body='[highlight]\nexclude_terms = ["hospital", "*"]\n'),
         "highlight.exclude_terms[1]",
         "a term needs a letter or digit, got '*'"),
        (make(body='[[extraction.fields]]\nid = "f"\nlabel = "F"\ntype = "choice"\n'),
         "extraction.fields[0].choices", "a choice field needs a non-empty list of choices"),
        (make(body='[[extraction.fields]]\nid = "f"\nlabel = "F"\ntype = "multi_choice"\n'
                   "choices = []\n"),
         "extraction.fields[0].choices", "a multi_choice field needs a non-empty list of choices"),
        (make(body='[[extraction.fields]]\nid = "f"\nlabel = "F"\ntype = "text"\n'
                   'choices = ["a"]\n'),
         "extraction.fields[0].choices", ("only choice and multi_choice fields take choices, "
         "not text")),
        (make(body='[[extraction.fields]]\nid = "f"\nlabel = "F"\ntype = "date"\n'),
         "extraction.fields[0].type", ("expected one of: text, number, choice, multi_choice, "
         "yes_no, country; got 'date'")),
        (make(body='[[extraction.fields]]\nid = "f"\nlabel = "F"\ntype = "text"\n'
                   '[[extraction.fields]]\nid = "f"\nlabel = "G"\ntype = "text"\n'),
         "extraction.fields[1].id", 'duplicate field id "f" (first used at extraction.fields[0])'),
        (make(body='[[extraction.themes.benefits]]\nid = "t"\nlabel = "T"\n'
                   '[[extraction.themes.risks]]\nid = "x"\nlabel = "X"\n'
                   '[[extraction.themes.risks]]\nid = "t"\nlabel = "T2"\n'),
         "extraction.themes.risks[1].id",
         'duplicate theme id "t" (first used at extraction.themes.benefits[0])'),
        (make(body='[[extraction.themes.risks]]\nid = "t"\nlabel = "T"\nparent = "u"\n'),
         "extraction.themes.risks[0].parent", "no risks theme 'u' to be under; risks themes "
         "are: t"),
        (make(body='[[extraction.themes.benefits]]\nid = "a"\nlabel = "A"\n'
                   '[[extraction.themes.risks]]\nid = "t"\nlabel = "T"\nparent = "a"\n'),
         "extraction.themes.risks[0].parent", "no risks theme 'a' to be under (a parent must be "
         "of the same kind; that id is at extraction.themes.benefits[0])"),
        (make(body='[[extraction.themes.risks]]\nid = "a"\nlabel = "A"\n'
                   '[[extraction.themes.risks]]\nid = "b"\nlabel = "B"\nparent = "a"\n'
                   '[[extraction.themes.risks]]\nid = "c"\nlabel = "C"\nparent = "b"\n'),
         "extraction.themes.risks[2].parent", "'b' is itself under 'a'; themes have two "
         "levels only (descriptive themes under analytical ones)"),
        (make(body='[[extraction.themes.risks]]\nid = "a"\nlabel = "A"\nparent = "a"\n'),
         "extraction.themes.risks[0].parent", "a theme cannot be under itself"),
        (make(body='[[extraction.themes."bad kind"]]\nid = "a"\nlabel = "A"\n'),
         'extraction.themes.bad kind', "a theme kind's id uses letters, digits, _ or - (at "
         "most 32), got 'bad kind'"),
        (make(body='[extraction.theme_kinds]\nrisks = 3\n'), "extraction.theme_kinds.risks",
         "expected text, got a whole number"),
        (make(body='[extraction.themes.risks]\nid = "a"\nlabel = "A"\n'),
         "extraction.themes.risks", "expected a list, got a table"),
        (make(body='[extraction]\ndual = "yes"\n'), "extraction.dual",
         "expected true/false, got text"),
        (make(body='[quality]\nid = "c"\nname = "C"\nquestions = []\n'), "quality.questions",
         "list at least one question"),
        (make(body='[quality]\nid = "c"\nname = "C"\n[[quality.questions]]\nid = "q"\ntext = "?"\n'
                   '[[quality.questions]]\nid = "q"\ntext = "Again?"\n'),
         "quality.questions[1].id",
         'duplicate question id "q" (first used at quality.questions[0])'),
        (make(body='[quality]\nid = "c"\nname = "C"\nanswers = []\n'
                   '[[quality.questions]]\nid = "q"\ntext = "?"\n'),
         "quality.answers", "list at least one"),
        ('title = "T"\nquestion = \n', "(syntax)", "line 2, column 12: Invalid value"),
        ('title = "T"\nquestion = "Q"\n[screening\n', "(syntax)",
         "line 3, column 11: Expected ']' at the end of a table declaration"),
    ],
)
def test_validation_error_names_its_key(text: str, key: str, message: str) -> None:
    caught = error(text)
    assert caught.key == key
    assert str(caught) == f"p.toml: {key}: {message}"


def test_rule_type_is_exported() -> None:
    assert isinstance(parse_rule("year >= 2000"), Rule)


def test_automatic_rule_must_apply_at_the_first_stage() -> None:
    from review.errors import ProtocolError
    from review.protocol import parse_protocol

    text = '''title = "t"
question = "q"
[screening]
exclusion_reasons = ["Not in English"]
[[criteria]]
id = "language"
label = "English"
rule = 'language == "English"'
automatic = true
stages = ["full_text"]
'''
    with pytest.raises(ProtocolError, match=r"criteria\[0\]\.automatic: .*first stage"):
        parse_protocol(text)
    parse_protocol(text.replace('stages = ["full_text"]', 'stages = ["title_abstract"]'))


# ------------------------------------------------------------------ [tables], [report], unit

_FIELDS = """
[[extraction.fields]]
id = "n"
label = "Sample size"
type = "number"
unit = "n_unit"

[[extraction.fields]]
id = "n_unit"
label = "Unit"
type = "choice"
choices = ["participants", "posts"]
"""


def test_tables_and_report_settings() -> None:
    parsed = parse_protocol(make(_FIELDS + '[tables]\ncharacteristics = ["n"]\n'
                                 '[report]\nsynthesis = "Framework synthesis."\n'))
    assert parsed.report.characteristics == ("n",)
    assert parsed.report.synthesis == "Framework synthesis."
    assert parsed.extraction.field("n").unit == "n_unit"
    assert parse_protocol(make()).report.characteristics == ()  # absent: every field


@pytest.mark.parametrize(("body", "key", "message"), [
    (_FIELDS.replace('unit = "n_unit"', 'unit = "nope"'), "extraction.fields[0].unit",
     "expected the id of another field of the form, got 'nope' (fields: n_unit)"),
    (_FIELDS.replace('type = "number"', 'type = "text"'), "extraction.fields[0].unit",
     "only number fields take a unit, not text"),
    (_FIELDS.replace('type = "choice"\nchoices = ["participants", "posts"]', 'type = "number"'),
     "extraction.fields[0].unit", "the unit field 'n_unit' must be a choice or text field"),
    (_FIELDS + '[tables]\ncharacteristics = ["n", "sample"]\n', "tables.characteristics[1]",
     "expected a field id of [[extraction.fields]] or 'appraisal', got 'sample'"),
    (_FIELDS + '[tables]\ncharacteristics = ["n", "appraisal"]\n', "tables.characteristics",
     "'appraisal' needs a [quality] checklist"),
    (_FIELDS + '[tables]\ncharacteristics = []\n', "tables.characteristics",
     "list at least one column"),
    (_FIELDS + '[tables]\ncolumns = ["n"]\n', "tables.columns", 'unknown key "columns"'),
    ('[report]\nsynthesis = 3\n', "report.synthesis", "expected text"),
])
def test_tables_and_unit_errors_name_their_key(body: str, key: str, message: str) -> None:
    found = error(make(body))
    assert found.key == key and message in str(found)
    assert str(found).startswith("p.toml: ")
