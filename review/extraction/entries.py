"""Data extraction per study: the form from the protocol, one entry per extractor, saved with
every value normalised (review.fields) so two extractors' answers compare like with like.

An entry is one person's extraction of one study: field values, coded extracts and the quality
appraisal (review.extraction.quality). An extract is a passage of the report coded under one
theme: the quote, where it is (page or section), its voice (a participant's own words or the
authors' interpretation) and an optional sub-theme (the study's own name for it, or a finer
code); a study may have any number of extracts per theme. Decisions made here:

- Independence is enforced in the calls, not the UI: every call an extractor makes takes that
  extractor and returns only their own entry. Other entries come back only from
  review.extraction.reconcile.compare, which a lead calls.
- With `dual = true` a study takes two extractors (a third is refused); with `dual = false`
  one, and that person's entry, once marked done, is the study's final entry. With dual
  extraction the final entry is the one a lead reconciles (review.extraction.reconcile).
- Saving merges: only the fields, extracts and answers given change (`replace=True` makes the
  given ones the whole entry, as the app's form does). `extracts` adds extracts (one already
  in the entry, word for word, is not added twice); `themes` gives whole themes (theme id ->
  its extracts, replacing what the entry had for them); `remove_themes` and `remove_extracts`
  (numbers as the entry lists them, from 1) take them out. An empty value means "not
  reported". Required fields, a voice for every extract and a complete quality appraisal are
  checked when an entry is marked done, so a draft can be saved half-way.
- An extract needs its quote and where it is (the tables cite both); the voice is
  participant or author. Extracts carried over from before voices were recorded (one per
  theme, migration 18) have none until someone edits the entry.
- A country field holds a list of countries (a multi-site study): "UK; Ireland" or a list.
  A multi-choice field takes a list or "a; b".
- Once a study is reconciled its extractors' entries are locked: the lead's final entry is
  what the tables show, and changing an input afterwards would silently disagree with it.
- Themes come from the protocol, plus themes a lead adds during extraction (extra_themes,
  recorded with who and when), in two levels: descriptive themes under analytical ones of the
  same kind (`parent`). Theme kinds are the protocol's (benefits, risks, ...); a lead may
  open a new kind only by saying so (`new_kind=True`), so a typo is not a new kind. Ids are
  unique across all kinds, ignoring case. The form lists each analytical theme followed by
  its descriptive themes.

Everything written is appended to the audit log.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from review.accounts import AccessError, Reviewer, acting_reviewer
from review.errors import ReviewError
from review.extraction.checklist import (
    checklist_for,
    checklist_of,
    missing_appraisal,
    updated_appraisal,
)
from review.extraction.studies import Study, list_studies
from review.fields import FieldSpec, field_by_id, normalise
from review.project import review_protocol
from review.protocol import THEME_KINDS, Checklist, Protocol, Theme, kind_label
from review.store import Store, utc_now
from review.store import schema as t
from review.store.records import audit

__all__ = ["DONE", "FINAL", "IN_PROGRESS", "VOICES", "VOICE_LABELS", "Entry", "Extract",
           "Form", "FormTheme", "add_theme", "entry_for", "extraction_form",
           "extraction_status", "final_entries", "make_extract", "my_entry", "save_entry",
           "study"]

FINAL = "final"
IN_PROGRESS, DONE = "in progress", "done"
PARTICIPANT, AUTHOR = "participant", "author"
VOICES = (PARTICIPANT, AUTHOR)
VOICE_LABELS = {PARTICIPANT: "Participant", AUTHOR: "Author"}
_VOICE_WORDS = {"participant": PARTICIPANT, "participants": PARTICIPANT, "author": AUTHOR,
                "authors": AUTHOR}
MAX_SUB_THEME = 200
_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]*")


@dataclass(frozen=True, slots=True)
class Extract:
    """A passage of a report coded under one theme by one extractor (or in a final entry)."""

    theme_id: str
    quote: str
    location: str  # page or section: "p. 4", "pp. 4-5", "Results"
    voice: str | None = None  # participant or author; None: not recorded (carried over)
    sub_theme: str = ""

    @property
    def voice_label(self) -> str:
        return VOICE_LABELS.get(self.voice or "", "not recorded")


@dataclass(frozen=True, slots=True)
class FormTheme:
    id: str
    kind: str
    label: str
    description: str = ""
    added_by: str | None = None  # None: from the protocol
    parent: str | None = None  # the analytical theme a descriptive theme is under


@dataclass(frozen=True, slots=True)
class Form:
    """What an extractor fills in: the protocol's fields, every theme (each analytical theme
    followed by its descriptive themes, kind by kind), the theme kinds, the checklists (one
    for every study, or one per design: review.extraction.checklist)."""

    fields: tuple[FieldSpec, ...]
    themes: tuple[FormTheme, ...]
    dual: bool
    checklist: Checklist | None  # the only checklist, or the first of several by design
    kinds: Mapping[str, str] = dataclasses.field(
        default_factory=lambda: {k: kind_label(k) for k in THEME_KINDS})  # id -> label
    checklists: tuple[Checklist, ...] = ()
    design_field: str | None = None  # with checklists by design: the field that picks one

    def field(self, field_id: str) -> FieldSpec:
        return field_by_id(self.fields, field_id)

    @property
    def all_checklists(self) -> tuple[Checklist, ...]:
        return self.checklists or ((self.checklist,) if self.checklist else ())

    @property
    def design_label(self) -> str:
        found = [f.label for f in self.fields if f.id == self.design_field]
        return f"the {found[0]} field" if found else "the design field"

    def checklist_of(self, values: Mapping[str, Any]) -> Checklist | None:
        """The checklist an entry with these values is appraised with (None: none yet)."""
        return checklist_of(self.all_checklists, self.design_field, values)

    def checklist_for(self, values: Mapping[str, Any]) -> Checklist:
        """The same, or an error saying why there is none (design missing or unmapped)."""
        return checklist_for(self.all_checklists, self.design_field, self.design_label,
                             values)

    def theme(self, theme_id: str) -> FormTheme:
        for theme in self.themes:
            if theme.id.casefold() == theme_id.strip().casefold():
                return theme
        known = ", ".join(theme.id for theme in self.themes) or "none"
        raise ReviewError(f"no theme {theme_id!r} in this review (themes: {known})")

    def themes_of(self, kind: str) -> tuple[FormTheme, ...]:
        return tuple(theme for theme in self.themes if theme.kind == kind)

    def children(self, theme_id: str) -> tuple[FormTheme, ...]:
        """The descriptive themes under an analytical theme."""
        return tuple(theme for theme in self.themes if theme.parent == theme_id)

    def kind_label(self, kind: str) -> str:
        return self.kinds.get(kind) or kind_label(kind)

    def theme_path(self, theme_id: str) -> str:
        """A theme as people read it: "Analytical › Descriptive", or the label alone."""
        theme = self.theme(theme_id)
        if theme.parent is None:
            return theme.label
        return f"{self.theme(theme.parent).label} › {theme.label}"


@dataclass(frozen=True, slots=True)
class Entry:
    study_id: int
    extractor: str  # the extractor's name, or FINAL
    status: str
    values: dict[str, Any]
    extracts: tuple[Extract, ...]
    answers: dict[str, str]
    rating: str | None
    updated_at: str
    reconciled_by: str | None = None

    @property
    def done(self) -> bool:
        return self.status == DONE

    @property
    def themes(self) -> dict[str, tuple[Extract, ...]]:
        """The themes coded, each with its extracts, in the entry's order."""
        found: dict[str, list[Extract]] = {}
        for extract in self.extracts:
            found.setdefault(extract.theme_id, []).append(extract)
        return {theme: tuple(items) for theme, items in found.items()}


# --- the form -----------------------------------------------------------------------------

def _ordered(themes: list[FormTheme]) -> list[FormTheme]:
    """Each analytical theme followed by its descriptive themes, in the order given."""
    tops = [theme for theme in themes if theme.parent is None]
    ids = {theme.id for theme in tops}
    ordered: list[FormTheme] = []
    for top in tops:
        ordered.append(top)
        ordered += [theme for theme in themes if theme.parent == top.id]
    return ordered + [theme for theme in themes if theme.parent is not None
                      and theme.parent not in ids]


def form_for(store: Store, conn: Connection, protocol: Protocol) -> Form:
    """The form a protocol gives, with the themes leads added (also for an amended protocol
    before it is stored)."""
    extra = t.extra_themes
    added = conn.execute(sa.select(extra).order_by(extra.c.added_at, extra.c.id)).all()
    kinds = dict(protocol.extraction.kinds)
    for r in added:
        kinds.setdefault(r.kind, kind_label(r.kind))
    themes: list[FormTheme] = []
    for kind in kinds:
        base: tuple[Theme, ...] = protocol.extraction.themes.get(kind, ())
        themes += _ordered(
            [FormTheme(theme.id, kind, theme.label, theme.description, None, theme.parent)
             for theme in base]
            + [FormTheme(r.id, kind, r.label, r.description, r.added_by, r.parent)
               for r in added if r.kind == kind])
    return Form(protocol.extraction.fields, tuple(themes), protocol.extraction.dual,
                protocol.quality, kinds, protocol.checklists, protocol.design_field)


def extraction_form(store: Store, conn: Connection | None = None) -> Form:
    """The form from the stored protocol, with the themes leads added since."""
    if conn is None:
        with store.read() as own:
            return extraction_form(store, own)
    return form_for(store, conn, review_protocol(store, conn))


def add_theme(store: Store, kind: str, theme_id: str, label: str, description: str = "", *,
              by: str | Reviewer, parent: str | None = None,
              new_kind: bool = False) -> FormTheme:
    """A theme found during extraction that the protocol did not foresee (leads only): of one
    of the review's kinds (a new kind only with `new_kind=True`), optionally a descriptive
    theme under an analytical theme of the same kind (`parent`)."""
    kind, theme_id, label = kind.strip(), theme_id.strip(), " ".join(label.split())
    if not _ID.fullmatch(theme_id) or len(theme_id) > 64:
        raise ReviewError(f"a theme id uses letters, digits, _ or - (got {theme_id!r})")
    if not label:
        raise ReviewError("a theme needs a label")
    table = t.extra_themes
    with store.write() as conn:
        person = person_for(store, conn, by)
        if not person.is_lead:
            raise AccessError(f"{person.name} is a reviewer; only a lead adds themes")
        form = extraction_form(store, conn)
        if kind not in form.kinds:
            if not new_kind:
                raise ReviewError(f"unknown kind {kind!r}; choose one of "
                                  f"{', '.join(form.kinds)} (or open a new kind of themes "
                                  "on purpose)")
            if not _ID.fullmatch(kind) or len(kind) > 32:
                raise ReviewError(f"a kind's id uses letters, digits, _ or - (got {kind!r})")
            if parent:
                raise ReviewError("a theme of a new kind has no analytical theme to be under "
                                  "yet; add it without a parent")
        if any(known.id.casefold() == theme_id.casefold() for known in form.themes):
            raise ReviewError(f"there is already a theme with id {theme_id!r}")
        parent_id = None
        if parent and parent.strip():
            above = form.theme(parent)
            if above.kind != kind:
                raise ReviewError(f"{above.id!r} is a theme of {form.kind_label(above.kind)}, "
                                  f"not {form.kind_label(kind)}: a descriptive theme sits "
                                  "under an analytical theme of its own kind")
            if above.parent is not None:
                raise ReviewError(f"{above.id!r} is itself under {above.parent!r}; themes "
                                  "have two levels only")
            parent_id = above.id
        theme = FormTheme(theme_id, kind, label, description.strip(), person.name, parent_id)
        conn.execute(table.insert().values(id=theme_id, kind=kind, label=label,
                                           description=theme.description, parent=parent_id,
                                           added_by=person.name, added_at=utc_now()))
        audit(store, conn, actor=person.name, action="add theme", entity="theme",
              entity_id=theme_id, detail={"kind": kind, "label": label,
                                          "description": theme.description,
                                          "parent": parent_id, "new_kind": kind not in
                                          form.kinds})
    return theme


# --- people and studies -------------------------------------------------------------------

def person_for(store: Store, conn: Connection, who: str | Reviewer) -> Reviewer:
    """The reviewer as stored now (role and active flag may have changed since sign-in)."""
    return acting_reviewer(store, conn, who, observer_refusal="observers read progress and "
                           "PRISMA, and extract nothing")


def shown_extract(extract: Extract) -> str:
    """An extract as one line: the quote, then where it is, whose words, its sub-theme."""
    details = [extract.location, extract.voice or "voice not recorded"]
    if extract.sub_theme:
        details.append(f"sub-theme: {extract.sub_theme}")
    return f"{extract.quote} ({'; '.join(details)})"


def shown_value(value: Any) -> str:
    """An extracted value, an extract or a theme's extracts as one line of text (for
    listings and pages)."""
    if isinstance(value, Extract):
        return shown_extract(value)
    if isinstance(value, tuple) and value and all(isinstance(v, Extract) for v in value):
        return " | ".join(shown_extract(v) for v in value)
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, list | tuple):
        return "; ".join(map(str, value))
    return str(value)


def study(store: Store, study_id: int) -> Study:
    """An included study by id; anything else is an error naming the command that lists them."""
    for found in list_studies(store):
        if found.id == study_id:
            return found
    raise ReviewError(f"no included study {study_id}; 'review studies' lists them")


# --- reading entries ----------------------------------------------------------------------

def _rows(store: Store, conn: Connection, study_ids: Iterable[int] | None = None,
          extractor: str | None = None) -> list[Any]:
    entries, reviewers = t.extraction_entries, t.reviewers
    lead = reviewers.alias("lead")
    query = (sa.select(entries, reviewers.c.name.label("extractor_name"),
                       lead.c.name.label("lead_name"))
             .outerjoin(reviewers, reviewers.c.id == entries.c.reviewer_id)
             .outerjoin(lead, lead.c.id == entries.c.reconciled_by)
             .order_by(entries.c.study_id, entries.c.id))
    if study_ids is not None:
        query = query.where(entries.c.study_id.in_(list(study_ids)))
    if extractor is not None:
        query = query.where(entries.c.extractor == extractor)
    return list(conn.execute(query).all())


def _stored_value(spec: FieldSpec | None, value: Any) -> Any:
    if spec is not None and spec.type in ("multi_choice", "country") and isinstance(value, list):
        return tuple(value)
    return value


def _entries(store: Store, conn: Connection, rows: list[Any], form: Form) -> list[Entry]:
    if not rows:
        return []
    ids = [r.id for r in rows]
    specs = {f.id: f for f in form.fields}
    values: dict[int, dict[str, Any]] = {i: {} for i in ids}
    extracts: dict[int, list[Extract]] = {i: [] for i in ids}
    answers: dict[int, dict[str, str]] = {i: {} for i in ids}
    for r in conn.execute(sa.select(t.extraction_values).where(
            t.extraction_values.c.entry_id.in_(ids))):
        values[r.entry_id][r.field_id] = _stored_value(specs.get(r.field_id), r.value)
    coded = t.theme_extracts
    for r in conn.execute(sa.select(coded).where(coded.c.entry_id.in_(ids))
                          .order_by(coded.c.entry_id, coded.c.position)):
        extracts[r.entry_id].append(Extract(r.theme_id, r.quote, r.location, r.voice,
                                            r.sub_theme or ""))
    for r in conn.execute(sa.select(t.quality_answers).where(
            t.quality_answers.c.entry_id.in_(ids))):
        answers[r.entry_id][r.question_id] = r.answer
    order = {f.id: i for i, f in enumerate(form.fields)}
    theme_order = {th.id: i for i, th in enumerate(form.themes)}

    def in_order(answered: dict[str, str], values: Mapping[str, Any]) -> dict[str, str]:
        checklist = form.checklist_of(values)
        order = {q: i for i, (q, _) in enumerate(checklist.questions)} if checklist else {}
        return dict(sorted(answered.items(), key=lambda kv: order.get(kv[0], 999)))

    return [Entry(
        study_id=r.study_id, extractor=FINAL if r.extractor == FINAL else r.extractor_name,
        status=r.status,
        values=dict(sorted(values[r.id].items(), key=lambda kv: order.get(kv[0], 999))),
        extracts=tuple(sorted(extracts[r.id], key=lambda e: theme_order.get(e.theme_id, 999))),
        answers=in_order(answers[r.id], values[r.id]),
        rating=r.quality_rating, updated_at=r.updated_at, reconciled_by=r.lead_name)
        for r in rows]


def entries_of(store: Store, conn: Connection, study_id: int, form: Form) -> list[Entry]:
    """Every extractor's entry for a study (not the final one): for
    review.extraction.reconcile only, which checks that a lead is asking."""
    rows = [r for r in _rows(store, conn, [study_id]) if r.extractor != FINAL]
    return _entries(store, conn, rows, form)


def entry_for(store: Store, conn: Connection, study_id: int, reviewer_id: int,
              form: Form) -> Entry | None:
    found = _entries(store, conn, _rows(store, conn, [study_id], str(reviewer_id)), form)
    return found[0] if found else None


def my_entry(store: Store, study_id: int, reviewer: str | Reviewer) -> Entry | None:
    """This extractor's own entry for the study, never anyone else's."""
    with store.read() as conn:
        person = person_for(store, conn, reviewer)
        return entry_for(store, conn, study_id, person.id, extraction_form(store, conn))


def final_entries(store: Store, conn: Connection | None = None,
                  form: Form | None = None) -> dict[int, Entry]:
    """The final entry of every study that has one: the reconciled entry, or with single
    extraction the one extractor's entry once it is done."""
    if conn is None:
        with store.read() as own:
            return final_entries(store, own, form)
    form = form or extraction_form(store, conn)
    found: dict[int, Entry] = {}
    rows = _rows(store, conn)
    for entry in _entries(store, conn, [r for r in rows if r.extractor == FINAL], form):
        found[entry.study_id] = entry
    if not form.dual:
        for entry in _entries(store, conn, [r for r in rows if r.extractor != FINAL], form):
            if entry.done and entry.study_id not in found:
                found[entry.study_id] = entry
    return found


def extraction_status(store: Store, reviewer: str | Reviewer | None = None) -> list[dict]:
    """Per included study: how many extractors have started and finished, whether it has a
    final entry and, for `reviewer`, their own status. Counts only, so nothing here tells an
    extractor what the other one entered."""
    studies = list_studies(store)
    with store.read() as conn:
        person = person_for(store, conn, reviewer) if reviewer is not None else None
        form = extraction_form(store, conn)
        rows = _rows(store, conn)
        finals = final_entries(store, conn, form)
    result = []
    for s in studies:
        mine = [r for r in rows if r.study_id == s.id and r.extractor != FINAL]
        result.append({
            "study": s.id, "label": s.label, "reports": len(s.reports),
            "records": list(s.records),
            "started": len(mine), "done": sum(r.status == DONE for r in mine),
            "final": s.id in finals,
            "mine": next((r.status for r in mine if person and r.reviewer_id == person.id),
                         None)})
    return result


# --- saving -------------------------------------------------------------------------------

def _split(value: Any) -> Any:
    if isinstance(value, str) and ";" in value:
        return [part for part in (p.strip() for p in value.split(";")) if part]
    return value


def normalise_value(form: Form, field_id: str, value: Any) -> Any:
    """A value in its stored form (None: not reported). Required is checked at 'done'."""
    spec = dataclasses.replace(form.field(field_id), required=False)
    if spec.type == "country":
        items = _split(value)
        items = items if isinstance(items, list | tuple) else [items]
        found = [normalise(spec, item) for item in items]
        found = list(dict.fromkeys(c for c in found if c is not None))
        return tuple(found) or None
    if spec.type == "multi_choice":
        value = _split(value)
    return normalise(spec, value)


ExtractInput = Extract | Mapping[str, Any] | Sequence[str]
_EXTRACT_KEYS = ("theme", "quote", "location", "voice", "sub_theme")


def voice_of(text: str | None, where: str = "") -> str | None:
    """participant or author (any case, singular or plural); empty: not given."""
    if text is None or not str(text).strip():
        return None
    found = _VOICE_WORDS.get(str(text).strip().casefold())
    if found is None:
        raise ReviewError(f"{where}voice is participant (their own words) or author (the "
                          f"authors' interpretation), got {text!r}")
    return found


def make_extract(form: Form, value: ExtractInput, theme_id: str | None = None,
                 where: str = "") -> Extract:
    """An extract checked against the form: a known theme, a quote and where it is (both
    required: the tables cite them), a voice if given, a sub-theme of at most 200 characters.
    `value` is an Extract, a mapping (theme, quote, location, voice, sub_theme) or a sequence
    (quote, location[, voice[, sub_theme]]) for `theme_id`."""
    if isinstance(value, Extract):
        fields: dict[str, Any] = dataclasses.asdict(value)
        fields["theme"] = fields.pop("theme_id")
    elif isinstance(value, Mapping):
        unknown = set(value) - set(_EXTRACT_KEYS)
        if unknown:
            raise ReviewError(f"{where}unknown key {sorted(unknown)[0]!r} (an extract takes "
                              f"{', '.join(_EXTRACT_KEYS)})")
        fields = dict(value)
    elif isinstance(value, Sequence) and not isinstance(value, str) and 2 <= len(value) <= 4:
        fields = dict(zip(("quote", "location", "voice", "sub_theme"), value, strict=False))
    else:
        raise ReviewError(f"{where}an extract is a quote with its location, voice and "
                          "sub-theme")
    if theme_id is not None:
        fields.setdefault("theme", theme_id)
    theme_given = fields.get("theme")
    if not isinstance(theme_given, str) or not theme_given.strip():
        raise ReviewError(f"{where}say which theme the extract is coded under")
    theme = form.theme(theme_given)
    where = where or f"theme {theme.id}: "
    texts = {}
    for key in ("quote", "location", "sub_theme"):
        text = fields.get(key) or ""
        if not isinstance(text, str):
            raise ReviewError(f"{where}{key.replace('_', '-')} is text")
        texts[key] = " ".join(text.split())
    if not texts["quote"]:
        raise ReviewError(f"{where}give a supporting quote from the report")
    if not texts["location"]:
        raise ReviewError(f"{where}say where the quote is (page or section), "
                          'e.g. "p. 4" or "Results"')
    if len(texts["sub_theme"]) > MAX_SUB_THEME:
        raise ReviewError(f"{where}a sub-theme is a short name (at most {MAX_SUB_THEME} "
                          "characters)")
    return Extract(theme.id, texts["quote"], texts["location"],
                   voice_of(fields.get("voice"), where), texts["sub_theme"])


def _theme_extracts(form: Form, theme_id: str, value: Any) -> list[Extract]:
    """`themes` input: a theme's extract, or a list of them."""
    items = value if isinstance(value, list) or (
        isinstance(value, tuple) and value and not isinstance(value[0], str)) else [value]
    return [make_extract(form, item, theme_id) for item in items]


def missing_for_done(form: Form, values: Mapping[str, Any], answers: Mapping[str, str],
                     rating: str | None, extracts: Sequence[Extract] = ()) -> list[str]:
    """What an entry still lacks before it can be marked done, in words."""
    missing = [f"{f.label} (required)" for f in form.fields
               if f.required and values.get(f.id) is None]
    missing += [f"the voice of extract {n} ({form.theme(e.theme_id).label}): participant or "
                "author" for n, e in enumerate(extracts, start=1) if e.voice is None]
    return missing + missing_appraisal(form.all_checklists, form.design_field,
                                       form.design_label, values, answers, rating)


def write_entry(store: Store, conn: Connection, study_id: int, extractor: str,
                reviewer_id: int | None, *, values: Mapping[str, Any],
                extracts: Sequence[Extract], answers: Mapping[str, str], rating: str | None,
                status: str, reconciled_by: int | None = None) -> None:
    """Store a whole entry (already validated), replacing what was there."""
    entries = t.extraction_entries
    now = utc_now()
    row = conn.execute(sa.select(entries.c.id).where(entries.c.study_id == study_id,
                                                     entries.c.extractor == extractor)).first()
    header = {"status": status, "quality_rating": rating, "updated_at": now,
              "reconciled_by": reconciled_by, "reconciled_at": now if reconciled_by else None}
    if row is None:
        entry_id = conn.execute(entries.insert().values(
            study_id=study_id, extractor=extractor, reviewer_id=reviewer_id, created_at=now,
            **header).returning(entries.c.id)).scalar_one()
    else:
        entry_id = row.id
        conn.execute(entries.update().where(entries.c.id == entry_id).values(**header))
        for table in (t.extraction_values, t.theme_extracts, t.quality_answers):
            conn.execute(table.delete().where(table.c.entry_id == entry_id))
    kept = [{"entry_id": entry_id, "field_id": k, "value": list(v) if isinstance(v, tuple)
             else v} for k, v in values.items() if v is not None]
    if kept:
        conn.execute(t.extraction_values.insert(), kept)
    if extracts:
        conn.execute(t.theme_extracts.insert(), [
            {"entry_id": entry_id, "position": n, "theme_id": e.theme_id, "quote": e.quote,
             "location": e.location, "voice": e.voice, "sub_theme": e.sub_theme or None}
            for n, e in enumerate(extracts, start=1)])
    if answers:
        conn.execute(t.quality_answers.insert(), [
            {"entry_id": entry_id, "question_id": k, "answer": a} for k, a in answers.items()])


def has_final(store: Store, conn: Connection, study_id: int) -> bool:
    entries = t.extraction_entries
    return conn.execute(sa.select(entries.c.id).where(
        entries.c.study_id == study_id, entries.c.extractor == FINAL)).first() is not None


def _removed(extracts: list[Extract], numbers: Iterable[int], study_id: int) -> list[Extract]:
    gone = set()
    for number in numbers:
        if not 1 <= number <= len(extracts):
            raise ReviewError(f"study {study_id}: no extract {number} in your entry (it has "
                              f"{len(extracts)}; 'review extract --show' numbers them)")
        gone.add(number)
    return [e for n, e in enumerate(extracts, start=1) if n not in gone]


def save_entry(store: Store, study_id: int, reviewer: str | Reviewer, *,
               values: Mapping[str, Any] | None = None,
               extracts: Iterable[ExtractInput] | None = None,
               themes: Mapping[str, Any] | None = None, remove_themes: Iterable[str] = (),
               remove_extracts: Iterable[int] = (),
               answers: Mapping[str, str] | None = None, rating: str | None = None,
               done: bool | None = None, replace: bool = False) -> Entry:
    """Save (part of) this extractor's entry for the study and return it. All of it lands or
    none does; a bad value is an error naming the field or the extract."""
    study(store, study_id)
    with store.write() as conn:
        # lock the study row: two new extractors starting at once on PostgreSQL must not both
        # pass the count of extractors below (SQLite's BEGIN IMMEDIATE already serialises)
        studies = t.studies
        conn.execute(sa.select(studies.c.id).where(studies.c.id == study_id).with_for_update())
        person = person_for(store, conn, reviewer)
        form = extraction_form(store, conn)
        if has_final(store, conn, study_id):
            raise ReviewError(f"study {study_id} has been reconciled; its final entry is the "
                              "lead's now, and the extractors' entries are locked")
        mine = entry_for(store, conn, study_id, person.id, form)
        if mine is None:
            others = [e for e in entries_of(store, conn, study_id, form)]
            allowed = 2 if form.dual else 1
            if len(others) >= allowed:
                raise ReviewError(f"study {study_id} already has {len(others)} extractor(s); "
                                  f"the protocol asks for {allowed}")
        new_values = {} if replace or mine is None else dict(mine.values)
        for field_id, value in (values or {}).items():
            new_values[form.field(field_id).id] = normalise_value(form, field_id, value)
        kept = [] if replace or mine is None else list(mine.extracts)
        kept = _removed(kept, remove_extracts, study_id)
        dropped = {form.theme(theme_id).id for theme_id in remove_themes}
        given_themes = {form.theme(k).id: _theme_extracts(form, k, v)
                        for k, v in (themes or {}).items()}
        kept = [e for e in kept if e.theme_id not in dropped | set(given_themes)]
        for items in given_themes.values():
            kept += items
        added = [make_extract(form, value, where=f"extract {n}: ")
                 for n, value in enumerate(extracts or (), start=1)]
        kept += [e for e in added if e not in kept]
        order = {theme.id: i for i, theme in enumerate(form.themes)}
        new_extracts = sorted(kept, key=lambda e: order.get(e.theme_id, len(order)))
        new_answers, new_rating = updated_appraisal(
            form.all_checklists, form.design_field, form.design_label,
            old_values=mine.values if mine else {}, old_answers=mine.answers if mine else {},
            old_rating=mine.rating if mine else None, new_values=new_values, answers=answers,
            rating=rating, replace=replace or mine is None)
        status = (DONE if done else IN_PROGRESS) if done is not None else (
            mine.status if mine else IN_PROGRESS)
        if status == DONE:
            missing = missing_for_done(form, new_values, new_answers, new_rating,
                                       new_extracts)
            if missing:
                raise ReviewError(f"study {study_id} cannot be marked done yet; missing: "
                                  + "; ".join(missing))
        fields_order = [f.id for f in form.fields]
        new_values = {k: new_values[k] for k in fields_order if k in new_values}
        write_entry(store, conn, study_id, str(person.id), person.id, values=new_values,
                    extracts=new_extracts, answers=new_answers, rating=new_rating,
                    status=status)
        before = list(mine.extracts) if mine else []
        audit(store, conn, actor=person.name, action="save extraction", entity="study",
              entity_id=str(study_id), detail={
                  "status": status, "replace": replace,
                  "values": {k: new_values.get(form.field(k).id) for k in (values or {})},
                  "extracts_added": [dataclasses.asdict(e) for e in new_extracts
                                     if e not in before],
                  "extracts_removed": [dataclasses.asdict(e) for e in before
                                       if e not in new_extracts],
                  "answers": dict(answers or {}), "rating": new_rating})
        found = entry_for(store, conn, study_id, person.id, form)
    assert found is not None
    return found
