"""Data extraction per study: the form from the protocol, one entry per extractor, saved with
every value normalised (review.fields) so two extractors' answers compare like with like.

An entry is one person's extraction of one study: field values, coded themes (each with a
supporting quote and where it is in the report: page or section) and the quality appraisal
(review.extraction.quality). Decisions made here:

- Independence is enforced in the calls, not the UI: every call an extractor makes takes that
  extractor and returns only their own entry. Other entries come back only from
  review.extraction.reconcile.compare, which a lead calls.
- With `dual = true` a study takes two extractors (a third is refused); with `dual = false`
  one, and that person's entry, once marked done, is the study's final entry. With dual
  extraction the final entry is the one a lead reconciles (review.extraction.reconcile).
- Saving merges: only the fields, themes and answers given change (`replace=True` makes the
  given ones the whole entry, as the app's form does). An empty value means "not reported".
  Required fields and a complete quality appraisal are checked when an entry is marked done,
  so a draft can be saved half-way.
- A country field holds a list of countries (a multi-site study): "UK; Ireland" or a list.
  A multi-choice field takes a list or "a; b".
- Once a study is reconciled its extractors' entries are locked: the lead's final entry is
  what the tables show, and changing an input afterwards would silently disagree with it.
- Themes come from the protocol, plus themes a lead adds during extraction (extra_themes,
  recorded with who and when). Ids are unique across all kinds, ignoring case.

Everything written is appended to the audit log.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterable, Mapping
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
from review.protocol import THEME_KINDS, Checklist, Protocol, Theme
from review.store import Store, utc_now
from review.store import schema as t
from review.store.records import audit

__all__ = ["DONE", "FINAL", "IN_PROGRESS", "KIND_LABELS", "Coding", "Entry", "Form",
           "FormTheme", "add_theme", "entry_for", "extraction_form", "extraction_status",
           "final_entries", "my_entry", "save_entry", "study"]

FINAL = "final"
IN_PROGRESS, DONE = "in progress", "done"
KIND_LABELS = {"benefits": "Benefits", "risks": "Risks", "mitigations": "Mitigations"}
_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]*")


@dataclass(frozen=True, slots=True)
class Coding:
    """A theme as one extractor coded it for a study."""

    quote: str
    location: str


@dataclass(frozen=True, slots=True)
class FormTheme:
    id: str
    kind: str
    label: str
    description: str = ""
    added_by: str | None = None  # None: from the protocol


@dataclass(frozen=True, slots=True)
class Form:
    """What an extractor fills in: the protocol's fields, every theme, the checklists (one
    for every study, or one per design: review.extraction.checklist)."""

    fields: tuple[FieldSpec, ...]
    themes: tuple[FormTheme, ...]
    dual: bool
    checklist: Checklist | None  # the only checklist, or the first of several by design
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


@dataclass(frozen=True, slots=True)
class Entry:
    study_id: int
    extractor: str  # the extractor's name, or FINAL
    status: str
    values: dict[str, Any]
    themes: dict[str, Coding]
    answers: dict[str, str]
    rating: str | None
    updated_at: str
    reconciled_by: str | None = None

    @property
    def done(self) -> bool:
        return self.status == DONE


# --- the form -----------------------------------------------------------------------------

def form_for(store: Store, conn: Connection, protocol: Protocol) -> Form:
    """The form a protocol gives, with the themes leads added (also for an amended protocol
    before it is stored)."""
    extra = t.extra_themes
    added = conn.execute(sa.select(extra).order_by(extra.c.added_at, extra.c.id)).all()
    themes: list[FormTheme] = []
    for kind in THEME_KINDS:
        base: tuple[Theme, ...] = protocol.extraction.themes.get(kind, ())
        themes += [FormTheme(theme.id, kind, theme.label, theme.description) for theme in base]
        themes += [FormTheme(r.id, kind, r.label, r.description, r.added_by)
                   for r in added if r.kind == kind]
    return Form(protocol.extraction.fields, tuple(themes), protocol.extraction.dual,
                protocol.quality, protocol.checklists, protocol.design_field)


def extraction_form(store: Store, conn: Connection | None = None) -> Form:
    """The form from the stored protocol, with the themes leads added since."""
    if conn is None:
        with store.read() as own:
            return extraction_form(store, own)
    return form_for(store, conn, review_protocol(store, conn))


def add_theme(store: Store, kind: str, theme_id: str, label: str, description: str = "", *,
              by: str | Reviewer) -> FormTheme:
    """A theme found during extraction that the protocol did not foresee (leads only)."""
    if kind not in THEME_KINDS:
        raise ReviewError(f"unknown kind {kind!r}; choose one of {', '.join(THEME_KINDS)}")
    theme_id, label = theme_id.strip(), " ".join(label.split())
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
        if any(known.id.casefold() == theme_id.casefold() for known in form.themes):
            raise ReviewError(f"there is already a theme with id {theme_id!r}")
        theme = FormTheme(theme_id, kind, label, description.strip(), person.name)
        conn.execute(table.insert().values(id=theme_id, kind=kind, label=label,
                                           description=theme.description,
                                           added_by=person.name, added_at=utc_now()))
        audit(store, conn, actor=person.name, action="add theme", entity="theme",
              entity_id=theme_id, detail={"kind": kind, "label": label,
                                          "description": theme.description})
    return theme


# --- people and studies -------------------------------------------------------------------

def person_for(store: Store, conn: Connection, who: str | Reviewer) -> Reviewer:
    """The reviewer as stored now (role and active flag may have changed since sign-in)."""
    return acting_reviewer(store, conn, who, observer_refusal="observers read progress and "
                           "PRISMA, and extract nothing")


def shown_value(value: Any) -> str:
    """An extracted value or coded theme as one line of text (for listings and pages)."""
    if isinstance(value, Coding):
        return f"{value.quote} ({value.location})"
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
    themes: dict[int, dict[str, Coding]] = {i: {} for i in ids}
    answers: dict[int, dict[str, str]] = {i: {} for i in ids}
    for r in conn.execute(sa.select(t.extraction_values).where(
            t.extraction_values.c.entry_id.in_(ids))):
        values[r.entry_id][r.field_id] = _stored_value(specs.get(r.field_id), r.value)
    for r in conn.execute(sa.select(t.theme_codings).where(
            t.theme_codings.c.entry_id.in_(ids))):
        themes[r.entry_id][r.theme_id] = Coding(r.quote, r.location)
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
        themes=dict(sorted(themes[r.id].items(), key=lambda kv: theme_order.get(kv[0], 999))),
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


def coding(theme_id: str, value: Coding | Mapping[str, str] | tuple[str, str]) -> Coding:
    """A coding with a quote and its location, both required: the tables cite them."""
    if isinstance(value, Coding):
        quote, location = value.quote, value.location
    elif isinstance(value, Mapping):
        unknown = set(value) - {"quote", "location"}
        if unknown:
            raise ReviewError(f"theme {theme_id}: unknown key {sorted(unknown)[0]!r} "
                              "(a theme takes quote and location)")
        quote, location = value.get("quote", ""), value.get("location", "")
    else:
        quote, location = value
    if not isinstance(quote, str) or not isinstance(location, str):
        raise ReviewError(f"theme {theme_id}: quote and location are text")
    quote, location = " ".join(quote.split()), " ".join(location.split())
    if not quote:
        raise ReviewError(f"theme {theme_id}: give a supporting quote from the report")
    if not location:
        raise ReviewError(f"theme {theme_id}: say where the quote is (page or section), "
                          'e.g. "p. 4" or "Results"')
    return Coding(quote, location)


def missing_for_done(form: Form, values: Mapping[str, Any], answers: Mapping[str, str],
                     rating: str | None) -> list[str]:
    """What an entry still lacks before it can be marked done, in words."""
    missing = [f"{f.label} (required)" for f in form.fields
               if f.required and values.get(f.id) is None]
    return missing + missing_appraisal(form.all_checklists, form.design_field,
                                       form.design_label, values, answers, rating)


def write_entry(store: Store, conn: Connection, study_id: int, extractor: str,
                reviewer_id: int | None, *, values: Mapping[str, Any],
                themes: Mapping[str, Coding], answers: Mapping[str, str], rating: str | None,
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
        for table in (t.extraction_values, t.theme_codings, t.quality_answers):
            conn.execute(table.delete().where(table.c.entry_id == entry_id))
    kept = [{"entry_id": entry_id, "field_id": k, "value": list(v) if isinstance(v, tuple)
             else v} for k, v in values.items() if v is not None]
    if kept:
        conn.execute(t.extraction_values.insert(), kept)
    if themes:
        conn.execute(t.theme_codings.insert(), [
            {"entry_id": entry_id, "theme_id": k, "quote": c.quote, "location": c.location}
            for k, c in themes.items()])
    if answers:
        conn.execute(t.quality_answers.insert(), [
            {"entry_id": entry_id, "question_id": k, "answer": a} for k, a in answers.items()])


def has_final(store: Store, conn: Connection, study_id: int) -> bool:
    entries = t.extraction_entries
    return conn.execute(sa.select(entries.c.id).where(
        entries.c.study_id == study_id, entries.c.extractor == FINAL)).first() is not None


def save_entry(store: Store, study_id: int, reviewer: str | Reviewer, *,
               values: Mapping[str, Any] | None = None,
               themes: Mapping[str, Any] | None = None, remove_themes: Iterable[str] = (),
               answers: Mapping[str, str] | None = None, rating: str | None = None,
               done: bool | None = None, replace: bool = False) -> Entry:
    """Save (part of) this extractor's entry for the study and return it. All of it lands or
    none does; a bad value is an error naming the field."""
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
        new_themes = {} if replace or mine is None else dict(mine.themes)
        for theme_id in remove_themes:
            new_themes.pop(form.theme(theme_id).id, None)
        for theme_id, value in (themes or {}).items():
            new_themes[form.theme(theme_id).id] = coding(theme_id, value)
        new_answers, new_rating = updated_appraisal(
            form.all_checklists, form.design_field, form.design_label,
            old_values=mine.values if mine else {}, old_answers=mine.answers if mine else {},
            old_rating=mine.rating if mine else None, new_values=new_values, answers=answers,
            rating=rating, replace=replace or mine is None)
        status = (DONE if done else IN_PROGRESS) if done is not None else (
            mine.status if mine else IN_PROGRESS)
        if status == DONE:
            missing = missing_for_done(form, new_values, new_answers, new_rating)
            if missing:
                raise ReviewError(f"study {study_id} cannot be marked done yet; missing: "
                                  + "; ".join(missing))
        order = [f.id for f in form.fields]
        new_values = {k: new_values[k] for k in order if k in new_values}
        write_entry(store, conn, study_id, str(person.id), person.id, values=new_values,
                    themes=new_themes, answers=new_answers, rating=new_rating, status=status)
        audit(store, conn, actor=person.name, action="save extraction", entity="study",
              entity_id=str(study_id), detail={
                  "status": status, "replace": replace,
                  "values": {k: new_values.get(form.field(k).id) for k in (values or {})},
                  "themes": {form.theme(k).id: dataclasses.asdict(new_themes[form.theme(k).id])
                             for k in (themes or {})},
                  "removed_themes": [form.theme(k).id for k in remove_themes],
                  "answers": dict(answers or {}), "rating": new_rating})
        found = entry_for(store, conn, study_id, person.id, form)
    assert found is not None
    return found
