"""The review protocol: one TOML file that fixes the rules before screening starts.

Screening, extraction and the PRISMA counts all read their settings from here, so the file is
validated strictly up front: a typo should stop the review at load time, naming the key, rather
than surface weeks later as a silently ignored setting. A criterion's rule is parsed by the rule
language in review.rules, and extracted values are checked by review.fields; their public names
are re-exported here.
"""

from __future__ import annotations

import dataclasses
import difflib
import hashlib
import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from dataclasses import field as dc_field
from functools import lru_cache
from pathlib import Path
from types import MappingProxyType
from typing import Any, NoReturn

from review.errors import ProtocolError, ReviewError
from review.fields import (
    FIELD_TYPES,
    FieldSpec,
    FieldValueError,
    field_by_id,
    kind_of,
    normalise,
)
from review.rules import (
    OPERATORS,
    RULE_FIELDS,
    TEXT_FIELDS,
    Comparison,
    Rule,
    RuleResult,
    parse_rule,
)

__all__ = [
    "APPRAISAL_COLUMN", "DEFAULT_ANSWERS", "DEFAULT_RATINGS", "FIELD_TYPES", "MAYBE_POLICIES",
    "OPERATORS",
    "RULE_FIELDS", "TEXT_FIELDS", "THEME_KINDS", "Checklist", "Comparison", "Criterion",
    "kind_label",
    "ExtractionForm", "FieldSpec", "FieldValueError", "Highlight", "Protocol", "RankingSettings",
    "ReportSettings", "Rule",
    "RuleResult", "Stage", "Theme", "UnknownStage", "load_protocol", "parse_protocol",
    "parse_rule", "terms_regex",
]

THEME_KINDS = ("benefits", "risks", "mitigations")  # the kinds when a protocol names none
MAYBE_POLICIES = ("include", "conflict", "exclude")
DEFAULT_ANSWERS = ("yes", "no", "can't tell")
DEFAULT_RATINGS = ("high", "moderate", "low")
_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]*")


class UnknownStage(ReviewError, KeyError):
    """Asked for a stage the protocol does not define; a KeyError so lookups read naturally."""

    def __str__(self) -> str:
        return str(self.args[0])


@dataclass(frozen=True, slots=True)
class Stage:
    id: str
    label: str
    votes_required: int = 2
    exclusion_reason_required: bool = False


@dataclass(frozen=True, slots=True)
class Criterion:
    id: str
    label: str
    description: str
    stages: tuple[str, ...]
    rule: Rule | None = None
    automatic: bool = False  # True: the rule decides, and PRISMA counts it as automation


@dataclass(frozen=True, slots=True)
class Highlight:
    include_terms: tuple[str, ...] = ()
    exclude_terms: tuple[str, ...] = ()

    @property
    def include_regex(self) -> re.Pattern[str] | None:
        return terms_regex(self.include_terms)

    @property
    def exclude_regex(self) -> re.Pattern[str] | None:
        return terms_regex(self.exclude_terms)


@lru_cache(maxsize=64)
def terms_regex(terms: tuple[str, ...]) -> re.Pattern[str] | None:
    """Whole words, any case, any spacing; `*` stands for any word characters (moderat*)."""
    if not terms:
        return None
    parts = []
    for term in sorted(terms, key=len, reverse=True):  # longest first: "peer support" > "peer"
        body = r"\w*".join(r"\s+".join(map(re.escape, p.split())) for p in term.split("*"))
        parts.append(rf"(?<!\w){body}" + ("" if term.endswith("*") else r"(?!\w)"))
    return re.compile("|".join(parts), re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class Theme:
    """A theme to code extracts under. With a parent it is a descriptive theme under that
    analytical theme (of the same kind); two levels only."""

    id: str
    label: str
    description: str = ""
    parent: str | None = None


def kind_label(kind: str) -> str:
    """A theme kind's label when the protocol gives none: its id title-cased."""
    return " ".join(word.capitalize() for word in re.split(r"[_-]+", kind) if word) or kind


@dataclass(frozen=True, slots=True)
class ExtractionForm:
    fields: tuple[FieldSpec, ...] = ()
    themes: Mapping[str, tuple[Theme, ...]] = dc_field(
        default_factory=lambda: MappingProxyType({k: () for k in THEME_KINDS}), hash=False)
    dual: bool = True
    # theme kind id -> label, in the protocol's order (every kind of `themes` is here)
    kinds: Mapping[str, str] = dc_field(
        default_factory=lambda: MappingProxyType({k: kind_label(k) for k in THEME_KINDS}),
        hash=False)

    def field(self, field_id: str) -> FieldSpec:
        return field_by_id(self.fields, field_id)

    def validate_value(self, field_id: str, value: object) -> object:
        """Normalise before storing, so the two extractors' answers compare like with like."""
        return normalise(self.field(field_id), value)


@dataclass(frozen=True, slots=True)
class Checklist:
    """An appraisal checklist: questions (id, text), the allowed answers and overall ratings,
    and the study designs it appraises (empty: the only checklist, for every design)."""

    id: str
    name: str
    questions: tuple[tuple[str, str], ...]
    answers: tuple[str, ...] = DEFAULT_ANSWERS
    ratings: tuple[str, ...] = DEFAULT_RATINGS
    designs: tuple[str, ...] = ()

    def question(self, question_id: str) -> str:
        """A question's text by id ('' when the checklist has no such question)."""
        return dict(self.questions).get(question_id, "")


@dataclass(frozen=True, slots=True)
class RankingSettings:
    """Prioritised screening of the first stage (review.screening.prioritise): off unless asked
    for."""

    enabled: bool = False
    model: str = "svm"
    recall_target: float = 0.95
    confidence: float = 0.95


APPRAISAL_COLUMN = "appraisal"  # [tables] characteristics: the quality rating's column


@dataclass(frozen=True, slots=True)
class ReportSettings:
    """How the evidence tables and `review report` present the review ([tables], [report])."""

    characteristics: tuple[str, ...] = ()  # Table 1's columns: field ids and "appraisal"
    synthesis: str = ""  # the synthesis approach, for the methods paragraph


@dataclass(frozen=True, slots=True)
class Protocol:
    title: str
    question: str
    criteria: tuple[Criterion, ...]
    stages: tuple[Stage, ...]
    exclusion_reasons: tuple[str, ...]
    maybe_policy: str
    highlight: Highlight
    extraction: ExtractionForm
    quality: Checklist | None  # the only checklist, or the first of several by design
    text: str = dc_field(repr=False)
    sha256: str
    ranking: RankingSettings = RankingSettings()
    report: ReportSettings = ReportSettings()
    # every checklist ([quality] alone: one); with several, the extraction field whose value
    # (the study's design) picks a study's checklist
    checklists: tuple[Checklist, ...] = ()
    design_field: str | None = None

    def stage(self, stage_id: str) -> Stage:
        for stage in self.stages:
            if stage.id == stage_id:
                return stage
        raise UnknownStage(f"no stage {stage_id!r} in this protocol; stages are: "
                           + ", ".join(s.id for s in self.stages))

    def criteria_for(self, stage_id: str) -> tuple[Criterion, ...]:
        self.stage(stage_id)
        return tuple(c for c in self.criteria if stage_id in c.stages)

    @property
    def final_stage(self) -> Stage:
        return self.stages[-1]


def _at(path: str, name: str | int) -> str:
    if isinstance(name, int):
        return f"{path}[{name}]"
    return f"{path}.{name}" if path else name


class _Reader:
    """Walks parsed TOML and raises ProtocolError at the first problem, keyed by dotted path."""

    def __init__(self, file: str) -> None:
        self.file = file

    def fail(self, key: str, message: str) -> NoReturn:
        raise ProtocolError(self.file, key, message)

    def table(self, data: object, path: str, allowed: tuple[str, ...],
              required: tuple[str, ...] = ()) -> dict:
        if not isinstance(data, dict):
            self.fail(path, f"expected a table, got {kind_of(data)}")
        for name in data:
            if name not in allowed:
                near = difflib.get_close_matches(name, allowed, 1)
                hint = f'; did you mean "{near[0]}"?' if near else ""
                self.fail(_at(path, name), f'unknown key "{name}"{hint} '
                          f"(allowed keys: {', '.join(sorted(allowed))})")
        for name in required:
            if name not in data:
                self.fail(_at(path, name), "required key is missing")
        return data

    def get(self, data: dict, path: str, name: str, kind: type, default: object) -> Any:
        if name not in data and default is None:
            self.fail(_at(path, name), "required key is missing")
        value = data.get(name, default)
        if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
            self.fail(_at(path, name), f"expected {kind_of(kind())}, got {kind_of(value)}")
        return value

    def text(self, data: dict, path: str, name: str, default: str | None = None) -> str:
        value = self.get(data, path, name, str, default).strip()
        if not value and default is None:
            self.fail(_at(path, name), "must not be empty")
        return value

    def texts(self, data: dict, path: str, name: str, default: tuple[str, ...] = (),
              what: str = "entry") -> tuple[str, ...]:
        values = self.get(data, path, name, list, list(default))
        seen: set[str] = set()
        for i, value in enumerate(values):
            key = _at(_at(path, name), i)
            if not isinstance(value, str) or not value.strip():
                self.fail(key, f"expected non-empty text, got {kind_of(value)}")
            if value.strip().casefold() in seen:
                self.fail(key, f'duplicate {what} "{value.strip()}"')
            seen.add(value.strip().casefold())
        return tuple(v.strip() for v in values)

    def items(self, data: dict, path: str, name: str, allowed: tuple[str, ...],
              required: tuple[str, ...]) -> list[tuple[str, dict]]:
        """An array of tables ([[name]]), each checked for unknown and missing keys."""
        values = self.get(data, path, name, list, [])
        return [(_at(_at(path, name), i), self.table(v, _at(_at(path, name), i), allowed, required))
                for i, v in enumerate(values)]

    def ident(self, data: dict, path: str, what: str, seen: dict[str, str]) -> str:
        value = self.text(data, path, "id")
        if not _ID.fullmatch(value):
            self.fail(_at(path, "id"), f"use letters, digits, _ or - (got {value!r})")
        if value.casefold() in seen:
            self.fail(_at(path, "id"), f'duplicate {what} id "{value}" (first used at '
                      f"{seen[value.casefold()]})")
        seen[value.casefold()] = path
        return value


def _syntax_message(exc: tomllib.TOMLDecodeError) -> str:
    text = str(exc)
    found = re.fullmatch(r"(.*) \(at line (\d+), column (\d+)\)", text, re.DOTALL)
    return f"line {found[2]}, column {found[3]}: {found[1]}" if found else text


def parse_protocol(text: str, file: str = "<protocol>") -> Protocol:
    """Parse from text, not a path: the database keeps the exact text and re-parses it later."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ProtocolError(file, "(syntax)", _syntax_message(exc)) from None
    r = _Reader(file)
    r.table(data, "", ("title", "question", "criteria", "screening", "highlight", "extraction",
                       "quality", "tables", "report"), ("title", "question"))
    title, question = r.text(data, "", "title"), r.text(data, "", "question")
    screening = r.table(data.get("screening", {}), "screening",
                        ("votes_required", "maybe_policy", "stages", "exclusion_reasons",
                         "ranking", "ranking_model", "recall_target", "stopping_confidence"))
    stages = _stages(r, screening)
    reasons = r.texts(screening, "screening", "exclusion_reasons", what="reason")
    needing = [s.id for s in stages if s.exclusion_reason_required]
    if needing and not reasons:
        r.fail("screening.exclusion_reasons", f"list at least one reason: stage {needing[0]!r} "
               "asks for a reason with every exclusion")
    maybe = r.text(screening, "screening", "maybe_policy", "include")
    if maybe not in MAYBE_POLICIES:
        r.fail("screening.maybe_policy", f"expected one of: {', '.join(MAYBE_POLICIES)}; "
               f"got {maybe!r}")
    highlight_keys = ("include_terms", "exclude_terms")
    highlight = r.table(data.get("highlight", {}), "highlight", highlight_keys)
    terms = {k: r.texts(highlight, "highlight", k, what="term") for k in highlight_keys}
    for k, values in terms.items():
        for i, term in enumerate(values):
            if not re.search(r"[^\W_]", term):
                r.fail(f"highlight.{k}[{i}]", f"a term needs a letter or digit, got {term!r}")
    extraction = _extraction(r, data)
    checklists, design_field = _quality(r, data, extraction)
    return Protocol(
        title=title, question=question,
        criteria=_criteria(r, data, stages), stages=stages, exclusion_reasons=reasons,
        maybe_policy=maybe, highlight=Highlight(*terms.values()),
        extraction=extraction, quality=checklists[0] if checklists else None,
        text=text, sha256=hashlib.sha256(text.encode("utf-8")).hexdigest(),
        ranking=_ranking(r, screening), report=_report(r, data, extraction),
        checklists=checklists, design_field=design_field)


def load_protocol(path: str | Path) -> Protocol:
    """Read as UTF-8 and parse; the path becomes the file name in every error message."""
    try:
        text = Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ProtocolError(str(path), "(file)", f"cannot read the protocol: {exc}") from None
    return parse_protocol(text, str(path))


def _stages(r: _Reader, screening: dict) -> tuple[Stage, ...]:
    votes = r.get(screening, "screening", "votes_required", int, 2)
    if votes < 1:
        r.fail("screening.votes_required", f"must be 1 or more, got {votes}")
    if "stages" not in screening:
        return (Stage("title_abstract", "Titles and abstracts", votes, False),
                Stage("full_text", "Full texts", votes, True))
    items = r.items(screening, "screening", "stages",
                    ("id", "label", "votes_required", "exclusion_reason_required"), ("id", "label"))
    if not items:
        r.fail("screening.stages", "list at least one stage, or leave the key out for the "
               "default two (title_abstract, full_text)")
    stages: list[Stage] = []
    seen: dict[str, str] = {}
    for path, t in items:
        sid = r.ident(t, path, "stage", seen)
        count = r.get(t, path, "votes_required", int, votes)
        if count < 1:
            r.fail(_at(path, "votes_required"), f"must be 1 or more, got {count}")
        needs = r.get(t, path, "exclusion_reason_required", bool, sid == "full_text")
        stages.append(Stage(sid, r.text(t, path, "label"), count, needs))
    return tuple(stages)


RANKING_MODELS = ("ensemble", "svm", "lr", "nb")


def _ranking(r: _Reader, screening: dict) -> RankingSettings:
    enabled = r.get(screening, "screening", "ranking", bool, False)
    model = r.text(screening, "screening", "ranking_model", "svm")
    if model not in RANKING_MODELS:
        r.fail("screening.ranking_model", f"expected one of: {', '.join(RANKING_MODELS)}; "
               f"got {model!r}")
    shares = {}
    for key in ("recall_target", "stopping_confidence"):
        value = screening.get(key, 0.95)
        if isinstance(value, bool) or not isinstance(value, int | float) \
                or not 0.5 <= value < 1.0:
            r.fail(f"screening.{key}", f"expected a share between 0.5 and 1 (e.g. 0.95), "
                   f"got {value!r}")
        shares[key] = float(value)
    return RankingSettings(enabled, model, shares["recall_target"],
                           shares["stopping_confidence"])


def _criteria(r: _Reader, data: dict, stages: tuple[Stage, ...]) -> tuple[Criterion, ...]:
    known = [s.id for s in stages]
    criteria: list[Criterion] = []
    seen: dict[str, str] = {}
    for path, t in r.items(data, "", "criteria", ("id", "label", "description", "stages", "rule",
                                                  "automatic"), ("id", "label")):
        cid = r.ident(t, path, "criterion", seen)
        applies = r.texts(t, path, "stages", tuple(known), what="stage")
        for i, sid in enumerate(applies):
            if sid not in known:
                r.fail(_at(_at(path, "stages"), i),
                       f"unknown stage {sid!r}; stages are: {', '.join(known)}")
        if not applies:
            r.fail(_at(path, "stages"), "list at least one stage, or leave the key out for all")
        source = r.text(t, path, "rule", "")
        rule = parse_rule(source, file=r.file, key=_at(path, "rule")) if source else None
        automatic = r.get(t, path, "automatic", bool, False)
        if automatic and rule is None:
            r.fail(_at(path, "automatic"), "automatic = true needs a rule to decide with")
        if automatic and known[0] not in applies:
            r.fail(_at(path, "automatic"), f"automatic = true excludes records before "
                   f"screening, so the criterion must apply at the first stage ({known[0]!r})")
        criteria.append(Criterion(cid, r.text(t, path, "label"), r.text(t, path, "description", ""),
                                  tuple(s for s in known if s in applies), rule, automatic))
    return tuple(criteria)


def _extraction(r: _Reader, data: dict) -> ExtractionForm:
    form = r.table(data.get("extraction", {}), "extraction",
                   ("dual", "fields", "themes", "theme_kinds"))
    fields: list[FieldSpec] = []
    seen: dict[str, str] = {}
    for path, t in r.items(form, "extraction", "fields",
                           ("id", "label", "type", "choices", "required", "help", "unit"),
                           ("id", "label", "type")):
        fid = r.ident(t, path, "field", seen)
        kind = r.text(t, path, "type")
        if kind not in FIELD_TYPES:
            r.fail(_at(path, "type"), f"expected one of: {', '.join(FIELD_TYPES)}; got {kind!r}")
        choices = r.texts(t, path, "choices", what="choice")
        if kind in ("choice", "multi_choice") and not choices:
            r.fail(_at(path, "choices"), f"a {kind} field needs a non-empty list of choices")
        if kind not in ("choice", "multi_choice") and "choices" in t:
            r.fail(_at(path, "choices"), f"only choice and multi_choice fields take choices, "
                   f"not {kind}")
        fields.append(FieldSpec(fid, r.text(t, path, "label"), kind, choices,
                                r.get(t, path, "required", bool, False),
                                r.text(t, path, "help", ""), r.text(t, path, "unit", "")))
    _check_units(r, fields)
    themes, kinds = _themes(r, form)
    dual = r.get(form, "extraction", "dual", bool, True)
    return ExtractionForm(tuple(fields), MappingProxyType(themes), dual,
                          MappingProxyType(kinds))


def _themes(r: _Reader, form: dict) -> tuple[dict[str, tuple[Theme, ...]], dict[str, str]]:
    """[extraction.themes]: each key is a theme kind holding an array of themes; labels of
    kinds from [extraction.theme_kinds] (id = "Label"), else the id title-cased. A theme's
    `parent` names an analytical theme of the same kind (two levels only). Without
    [extraction.theme_kinds] the kinds are benefits, risks and mitigations (the earlier
    format's three, empty unless given themes), then any other kind with themes."""
    if "themes" not in form and "theme_kinds" not in form:
        return {k: () for k in THEME_KINDS}, {k: kind_label(k) for k in THEME_KINDS}
    named = r.table(form.get("theme_kinds", {}), "extraction.theme_kinds",
                    tuple(form.get("theme_kinds", {}) if isinstance(form.get("theme_kinds"),
                                                                   dict) else ()))
    table = r.table(form.get("themes", {}), "extraction.themes",
                    tuple(form.get("themes", {}) if isinstance(form.get("themes"), dict)
                          else ()))
    kinds: dict[str, str] = {} if "theme_kinds" in form else {
        k: kind_label(k) for k in THEME_KINDS}
    for kind in (*named, *table):
        path = f"extraction.theme_kinds.{kind}" if kind in named else f"extraction.themes.{kind}"
        if not _ID.fullmatch(kind) or len(kind) > 32:
            r.fail(path, f"a theme kind's id uses letters, digits, _ or - (at most 32), got "
                   f"{kind!r}")
        if kind in named:
            kinds[kind] = r.text(named, "extraction.theme_kinds", kind)
        kinds.setdefault(kind, kind_label(kind))
    themes: dict[str, tuple[Theme, ...]] = {}
    seen: dict[str, str] = {}
    for kind in kinds:
        found: list[Theme] = []
        paths: dict[str, str] = {}
        for path, t in r.items(table, "extraction.themes", kind,
                               ("id", "label", "description", "parent"), ("id", "label")):
            theme_id = r.ident(t, path, "theme", seen)
            parent = r.text(t, path, "parent", "") or None
            found.append(Theme(theme_id, r.text(t, path, "label"),
                               r.text(t, path, "description", ""), parent))
            paths[theme_id] = path
        ids = {theme.id.casefold(): theme for theme in found}
        for i, theme in enumerate(found):
            if theme.parent is None:
                continue
            key = _at(paths[theme.id], "parent")
            above = ids.get(theme.parent.casefold())
            if above is None:
                elsewhere = seen.get(theme.parent.casefold())
                r.fail(key, f"no {kind} theme {theme.parent!r} to be under" + (
                    f" (a parent must be of the same kind; that id is at {elsewhere})"
                    if elsewhere else f"; {kind} themes are: "
                    f"{', '.join(t.id for t in found)}"))
            if above.id == theme.id:
                r.fail(key, "a theme cannot be under itself")
            if above.parent is not None:
                r.fail(key, f"{above.id!r} is itself under {above.parent!r}; themes have "
                       "two levels only (descriptive themes under analytical ones)")
            found[i] = dataclasses.replace(theme, parent=above.id)
        themes[kind] = tuple(found)
    return themes, kinds


QUALITY_KEYS = ("id", "name", "questions", "answers", "ratings")
CHECKLIST_KEYS = ("id", "label", "designs", "questions", "answers", "ratings")


def _checklist(r: _Reader, q: dict, path: str, cid: str, name: str,
               answers: tuple[str, ...], ratings: tuple[str, ...],
               designs: tuple[str, ...] = ()) -> Checklist:
    items = r.items(q, path, "questions", ("id", "text"), ("id", "text"))
    if not items:
        r.fail(_at(path, "questions"), "list at least one question")
    seen: dict[str, str] = {}
    questions = tuple((r.ident(t, p, "question", seen), r.text(t, p, "text")) for p, t in items)
    answers = r.texts(q, path, "answers", answers, what="answer")
    ratings = r.texts(q, path, "ratings", ratings, what="rating")
    for key, values in (("answers", answers), ("ratings", ratings)):
        if not values:
            r.fail(_at(path, key), "list at least one")
    return Checklist(cid, name, questions, answers, ratings, designs)


def _quality(r: _Reader, data: dict,
             form: ExtractionForm) -> tuple[tuple[Checklist, ...], str | None]:
    """[quality] with questions: one checklist for every study (the original format). With
    [[quality.checklists]]: one checklist per study design, picked by the value of the
    extraction field `design_field` (default "design", a choice or text field); answers and
    ratings given in [quality] are every checklist's defaults."""
    if "quality" not in data:
        return (), None
    q = data["quality"]
    if not isinstance(q, dict) or "checklists" not in q:
        q = r.table(q, "quality", QUALITY_KEYS, ("id", "name", "questions"))
        cid, name = r.ident(q, "quality", "checklist", {}), r.text(q, "quality", "name")
        return (_checklist(r, q, "quality", cid, name, DEFAULT_ANSWERS, DEFAULT_RATINGS),), None
    q = r.table(q, "quality", ("design_field", "checklists", "answers", "ratings"))
    answers = r.texts(q, "quality", "answers", DEFAULT_ANSWERS, what="answer")
    ratings = r.texts(q, "quality", "ratings", DEFAULT_RATINGS, what="rating")
    field_id = r.text(q, "quality", "design_field", "design")
    spec = next((f for f in form.fields if f.id == field_id), None)
    if spec is None:
        r.fail("quality.design_field", f"no extraction field {field_id!r}: checklists by "
               "design need the [[extraction.fields]] entry that holds each study's design")
    if spec.type not in ("choice", "text"):
        r.fail("quality.design_field", f"field {field_id!r} is {spec.type}; the design that "
               "picks a checklist is a choice field (or text)")
    choices = {c.casefold(): c for c in spec.choices}
    items = r.items(q, "quality", "checklists", CHECKLIST_KEYS, ("id", "label", "designs",
                                                                  "questions"))
    if not items:
        r.fail("quality.checklists", "list at least one checklist")
    checklists: list[Checklist] = []
    ids: dict[str, str] = {}
    claimed: dict[str, str] = {}
    for path, t in items:
        cid = r.ident(t, path, "checklist", ids)
        designs = r.texts(t, path, "designs", what="design")
        if not designs:
            r.fail(_at(path, "designs"), f"list the values of {field_id!r} this checklist "
                   "appraises")
        spelt = []
        for i, design in enumerate(designs):
            key = _at(_at(path, "designs"), i)
            if choices and design.casefold() not in choices:
                r.fail(key, f"{design!r} is not a choice of field {field_id!r} (choices: "
                       + ", ".join(spec.choices) + ")")
            design = choices.get(design.casefold(), design)
            if design.casefold() in claimed:
                r.fail(key, f"design {design!r} already has a checklist "
                       f"({claimed[design.casefold()]}); a design takes one")
            claimed[design.casefold()] = cid
            spelt.append(design)
        checklists.append(_checklist(r, t, path, cid, r.text(t, path, "label"), answers,
                                     ratings, tuple(spelt)))
    return tuple(checklists), field_id


def _check_units(r: _Reader, fields: list[FieldSpec]) -> None:
    """A field's `unit` names another field of the form (a choice or text field) that holds
    its unit, so a number reads "240 posts" in the tables."""
    kinds = {f.id: f.type for f in fields}
    for i, spec in enumerate(fields):
        if not spec.unit:
            continue
        key = f"extraction.fields[{i}].unit"
        if spec.type != "number":
            r.fail(key, f"only number fields take a unit, not {spec.type}")
        if spec.unit == spec.id or spec.unit not in kinds:
            r.fail(key, f"expected the id of another field of the form, got {spec.unit!r} "
                   f"(fields: {', '.join(f.id for f in fields if f.id != spec.id)})")
        if kinds[spec.unit] not in ("choice", "text"):
            r.fail(key, f"the unit field {spec.unit!r} must be a choice or text field, not "
                   f"{kinds[spec.unit]}")


def _report(r: _Reader, data: dict, form: ExtractionForm) -> ReportSettings:
    """[tables] characteristics (Table 1's columns, in order: field ids and "appraisal") and
    [report] synthesis (the approach, in a sentence or two, for the methods paragraph)."""
    tables = r.table(data.get("tables", {}), "tables", ("characteristics",))
    columns = r.texts(tables, "tables", "characteristics", what="column")
    known = [f.id for f in form.fields]
    for i, column in enumerate(columns):
        if column != APPRAISAL_COLUMN and column not in known:
            r.fail(f"tables.characteristics[{i}]",
                   f"expected a field id of [[extraction.fields]] or {APPRAISAL_COLUMN!r}, got "
                   f"{column!r} (fields: {', '.join(known) or 'none'})")
    if "characteristics" in tables and not columns:
        r.fail("tables.characteristics", "list at least one column, or leave the key out for "
               "every field of the form")
    if APPRAISAL_COLUMN in columns and "quality" not in data:
        r.fail("tables.characteristics", f"{APPRAISAL_COLUMN!r} needs a [quality] checklist")
    report = r.table(data.get("report", {}), "report", ("synthesis",))
    return ReportSettings(columns, r.text(report, "report", "synthesis", ""))
