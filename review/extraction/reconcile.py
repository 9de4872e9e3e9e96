"""Comparing two extractors' entries and reconciling them into a study's final entry.

Only a lead compares and reconciles: this is the one place where one extractor's entry is
shown beside another's. Decisions made here:

- Rows are keyed `field:ID`, `theme:ID`, `quality:ID` and `rating` (a field and a quality
  question may share an id, as `design` does in the example protocol). People may write a
  bare id where it names one row only.
- Fields agree when their normalised values are equal (both "not reported" agrees).
  Themes agree when both extractors coded the theme or both did not; differing quotes for a
  theme both coded are shown but are not a disagreement (two people rarely mark the same
  words). The final entry takes the quote of the extractor picked for that row, else of the
  one given as `take`, else of the first extractor who coded it.
- Every disagreement needs a decision: `take` (one extractor's version of everything in
  dispute), `picks` (row -> extractor, row by row; these win over `take`) or, for fields,
  the lead's own value in `values`. Reconciling with anything left open is an error naming
  the rows, so nothing is settled by default.
- With `dual = true` both entries must be marked done first. With `dual = false` the single
  entry is final once done; a lead may still reconcile it to correct it (it is copied).
- Reconciling again replaces the final entry (audited with what was decided).
- With checklists by design (review.extraction.checklist) the extractors may have appraised
  with different checklists, having recorded different designs. Then the appraisal follows
  the design: its rows are shown, each question under its checklist's name, but they are
  settled by the design row, and the final entry takes the whole appraisal (answers and
  rating) of the extractor whose checklist is the final design's. A design neither used is
  an error: the appraisal must be made with its checklist first.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from review.accounts import AccessError, Reviewer
from review.errors import ReviewError
from review.extraction.entries import (
    DONE,
    FINAL,
    Coding,
    Entry,
    Form,
    entries_of,
    extraction_form,
    final_entries,
    missing_for_done,
    normalise_value,
    person_for,
    study,
    write_entry,
)
from review.protocol import Checklist
from review.store import Store
from review.store.records import audit

__all__ = ["Comparison", "Row", "compare", "reconcile"]


@dataclass(frozen=True, slots=True)
class Row:
    key: str  # field:ID, theme:ID, quality:ID or rating
    section: str  # field, theme, quality
    label: str
    values: dict[str, Any]  # extractor name -> value (a Coding or None for themes)
    agree: bool
    kind: str | None = None  # a theme's kind


@dataclass(frozen=True, slots=True)
class Comparison:
    study_id: int
    label: str
    extractors: tuple[str, ...]
    statuses: dict[str, str]
    rows: tuple[Row, ...]
    final: Entry | None
    # the extractors appraised with different checklists (different designs): the quality
    # rows are settled by the design row, not one by one
    appraisal_follows_design: bool = False

    @property
    def disagreements(self) -> tuple[Row, ...]:
        return tuple(r for r in self.rows if not r.agree)

    @property
    def to_decide(self) -> tuple[Row, ...]:
        """The disagreements a lead decides row by row."""
        return tuple(r for r in self.disagreements
                     if not (self.appraisal_follows_design and r.section == "quality"))

    def row(self, key: str) -> Row:
        return _find_row(self.rows, key)


def _find_row(rows: tuple[Row, ...], key: str) -> Row:
    key = key.strip()
    exact = [r for r in rows if r.key.casefold() == key.casefold()]
    if exact:
        return exact[0]
    bare = [r for r in rows if r.key.split(":", 1)[-1].casefold() == key.casefold()]
    if len(bare) == 1:
        return bare[0]
    if len(bare) > 1:
        raise ReviewError(f"{key!r} names several rows ({', '.join(r.key for r in bare)}); "
                          "write the full key")
    raise ReviewError(f"no row {key!r} in the comparison; rows are keyed field:ID, theme:ID, "
                      "quality:ID and rating")


def _rows(form: Form, entries: list[Entry]) -> tuple[Row, ...]:
    def same(values: list[Any]) -> bool:
        return all(v == values[0] for v in values)

    rows: list[Row] = []
    for spec in form.fields:
        values = {e.extractor: e.values.get(spec.id) for e in entries}
        rows.append(Row(f"field:{spec.id}", "field", spec.label, values,
                        same(list(values.values()))))
    for theme in form.themes:
        codings = {e.extractor: e.themes.get(theme.id) for e in entries}
        present = [c is not None for c in codings.values()]
        rows.append(Row(f"theme:{theme.id}", "theme", theme.label, codings, same(present),
                        theme.kind))
    used = _checklists(form, entries)
    if len(used) > 1:  # different designs, different checklists: settled by the design
        seen: set[str] = set()
        for checklist in used:
            for qid, text in checklist.questions:
                if qid in seen:
                    continue
                seen.add(qid)
                values = {e.extractor: e.answers.get(qid) for e in entries}
                rows.append(Row(f"quality:{qid}", "quality", f"{checklist.name}: {text}",
                                values, same(list(values.values()))))
    elif (only := used[0] if used else None if form.design_field else form.checklist):
        for qid, text in only.questions:
            values = {e.extractor: e.answers.get(qid) for e in entries}
            rows.append(Row(f"quality:{qid}", "quality", text, values,
                            same(list(values.values()))))
    if used or form.checklist is not None:
        values = {e.extractor: e.rating for e in entries}
        rows.append(Row("rating", "quality", "Overall quality rating", values,
                        same(list(values.values()))))
    return tuple(rows)


def _checklists(form: Form, entries: list[Entry]) -> list[Checklist]:
    """The checklists the entries were appraised with (by their designs), each once."""
    found: dict[str, Checklist] = {}
    for entry in entries:
        checklist = form.checklist_of(entry.values)
        if checklist is not None:
            found.setdefault(checklist.id, checklist)
    return list(found.values())


def _appraiser(form: Form, entries: list[Entry], final_values: Mapping[str, Any],
               study_id: int) -> Entry:
    """With different checklists: the entry whose checklist is the final design's."""
    checklist = form.checklist_for(final_values)
    for entry in entries:
        found = form.checklist_of(entry.values)
        if found is not None and found.id == checklist.id:
            return entry
    raise ReviewError(f"study {study_id}: the final design is appraised with the "
                      f"{checklist.name} checklist, which neither extractor used; pick the "
                      "design of the extractor whose appraisal stands, or have the study "
                      "appraised with that checklist first")


def _lead(store: Store, conn: Any, by: str | Reviewer) -> Reviewer:
    person = person_for(store, conn, by)
    if not person.is_lead:
        raise AccessError(f"{person.name} is a reviewer; only a lead compares and reconciles "
                          "extractions")
    return person


def compare(store: Store, study_id: int, *, by: str | Reviewer) -> Comparison:
    """Both extractors' entries for the study, row by row, for a lead."""
    found = study(store, study_id)
    with store.read() as conn:
        _lead(store, conn, by)
        form = extraction_form(store, conn)
        entries = entries_of(store, conn, study_id, form)
        final = final_entries(store, conn, form).get(study_id)
    return Comparison(study_id, found.label, tuple(e.extractor for e in entries),
                      {e.extractor: e.status for e in entries}, _rows(form, entries), final,
                      len(_checklists(form, entries)) > 1)


def reconcile(store: Store, study_id: int, *, by: str | Reviewer, take: str | None = None,
              picks: Mapping[str, str] | None = None,
              values: Mapping[str, Any] | None = None) -> Entry:
    """Settle every disagreement and store the study's final entry (recording the lead)."""
    study(store, study_id)
    with store.write() as conn:
        lead = _lead(store, conn, by)
        form = extraction_form(store, conn)
        entries = entries_of(store, conn, study_id, form)
        needed = 2 if form.dual else 1
        if len(entries) < needed:
            raise ReviewError(f"study {study_id} has {len(entries)} extractor entr"
                              f"{'y' if len(entries) == 1 else 'ies'}; reconciling needs "
                              f"{needed}")
        waiting = [e.extractor for e in entries if e.status != DONE]
        if waiting:
            raise ReviewError(f"study {study_id}: {', '.join(waiting)} has not marked the "
                              "extraction done yet")
        names = {e.extractor.casefold(): e for e in entries}

        def extractor(name: str, where: str) -> Entry:
            found = names.get(name.strip().casefold())
            if found is None:
                raise ReviewError(f"{where}: {name!r} did not extract study {study_id} "
                                  f"(extractors: {', '.join(e.extractor for e in entries)})")
            return found

        preferred = extractor(take, "--take") if take else None
        rows = _rows(form, entries)
        chosen: dict[str, Entry] = {}
        for key, name in (picks or {}).items():
            chosen[_find_row(rows, key).key] = extractor(name, f"pick {key}")
        own: dict[str, Any] = {}
        for field_id, value in (values or {}).items():
            key = f"field:{form.field(field_id).id}"
            own[key] = normalise_value(form, field_id, value)
        by_design = len(_checklists(form, entries)) > 1
        wrong = [k for k, e in chosen.items() if by_design and k.split(":")[0] in
                 ("quality", "rating")]
        if wrong:
            raise ReviewError(f"study {study_id}: the extractors appraised with different "
                              "checklists, so the appraisal follows the design: pick the "
                              f"design (field:{form.design_field}), not {', '.join(wrong)}")
        open_rows = [r.key for r in rows if not r.agree and r.key not in chosen
                     and r.key not in own and preferred is None
                     and not (by_design and r.section == "quality")]
        if open_rows:
            raise ReviewError(f"study {study_id}: decide these disagreements first (pick an "
                              "extractor per row, take one extractor's version, or give a "
                              "value): " + ", ".join(open_rows))

        def source(row: Row) -> Entry:
            return chosen.get(row.key) or preferred or entries[0]

        final_values: dict[str, Any] = {}
        final_themes: dict[str, Coding] = {}
        answers: dict[str, str] = {}
        rating: str | None = None
        for row in rows:
            section, _, item = row.key.partition(":")
            if row.key in own:
                final_values[item] = own[row.key]
            elif section == "field":
                final_values[item] = source(row).values.get(item)
            elif section == "theme":
                picked = row.values.get(source(row).extractor)
                if picked is None and row.agree and row.key not in chosen:
                    picked = next((c for c in row.values.values() if c is not None), None)
                if picked is not None:
                    final_themes[item] = picked
            elif section == "quality":
                answer = source(row).answers.get(item)
                if answer is not None:
                    answers[item] = answer
            else:
                rating = source(row).rating
        if by_design:
            appraiser = _appraiser(form, entries, final_values, study_id)
            answers, rating = dict(appraiser.answers), appraiser.rating
        missing = missing_for_done(form, final_values, answers, rating)
        if missing:
            raise ReviewError(f"study {study_id}: the final entry would lack: "
                              + "; ".join(missing))
        write_entry(store, conn, study_id, FINAL, None, values=final_values,
                    themes=final_themes, answers=answers, rating=rating, status=DONE,
                    reconciled_by=lead.id)
        audit(store, conn, actor=lead.name, action="reconcile extraction", entity="study",
              entity_id=str(study_id), detail={
                  "extractors": [e.extractor for e in entries], "take": take,
                  "picks": {k: e.extractor for k, e in chosen.items()},
                  "values": {k: list(v) if isinstance(v, tuple) else v
                             for k, v in own.items()},
                  "disagreements": [r.key for r in rows if not r.agree]})
        final = final_entries(store, conn, form)[study_id]
    return final
