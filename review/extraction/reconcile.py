"""Comparing two extractors' entries and reconciling them into a study's final entry.

Only a lead compares and reconciles: this is the one place where one extractor's entry is
shown beside another's. Decisions made here:

- Rows are keyed `field:ID`, `extract:THEME:N`, `quality:ID` and `rating` (a field and a
  quality question may share an id, as `design` does in the example protocol). People may
  write a bare id where it names one row only; `theme:ID` (or a bare theme id) stands for
  every extract row of that theme.
- Fields agree when their normalised values are equal (both "not reported" agrees).
- Extracts are compared extract by extract: within each theme the two extractors' extracts
  are paired by how alike their quotes are (rapidfuzz's token-set ratio of the quotes with
  case, spacing and punctuation ignored, at least 60 of 100, best pairs first), so a passage
  both coded sits on one row even when one marked a few more words. A pair agrees when the
  quotes are the same words (ignoring case, spacing and punctuation), with the same voice,
  sub-theme and location (the same pages, or the same words for a section); an extract only
  one extractor coded is a disagreement (keep it or drop it).
- Every disagreement needs a decision: `take` (one extractor's version of everything in
  dispute; an extract they did not code is dropped), `picks` (row -> an extractor's version,
  "both" to keep both extracts of a pair, or "drop"; these win over `take`), for fields the
  lead's own value in `values`, and for extracts the lead's own version in `edits` (quote,
  location, voice, sub-theme). Reconciling with anything left open is an error naming the
  rows, so nothing is settled by default. Agreeing extracts go into the final entry as they
  are.
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

import re
import string
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from rapidfuzz import fuzz

from review.accounts import AccessError, Reviewer
from review.errors import ReviewError
from review.extraction.entries import (
    DONE,
    FINAL,
    Entry,
    Extract,
    ExtractInput,
    Form,
    entries_of,
    extraction_form,
    final_entries,
    make_extract,
    missing_for_done,
    normalise_value,
    person_for,
    study,
    write_entry,
)
from review.extraction.quotes import entered_pages
from review.protocol import Checklist
from review.store import Store
from review.store.records import audit

__all__ = ["BOTH", "DROP", "PAIR_AT", "Comparison", "Row", "compare", "reconcile"]

BOTH, DROP = "both", "drop"
PAIR_AT = 60  # token-set ratio of two quotes from which they are taken for one passage
_PUNCTUATION = re.compile(f"[{re.escape(string.punctuation)}\u2018\u2019\u201c\u201d\u2013\u2014]")


@dataclass(frozen=True, slots=True)
class Row:
    key: str  # field:ID, extract:THEME:N, quality:ID or rating
    section: str  # field, extract, quality
    label: str
    values: dict[str, Any]  # extractor name -> value (an Extract or None for extracts)
    agree: bool
    kind: str | None = None  # an extract's theme kind
    theme_id: str | None = None  # an extract's theme
    similarity: int | None = None  # a pair of extracts: how alike the quotes are (0-100)


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


def _find_rows(rows: Sequence[Row], key: str) -> list[Row]:
    """The rows a key names: one row, or every extract row of a theme (theme:ID)."""
    key = key.strip()
    exact = [r for r in rows if r.key.casefold() == key.casefold()]
    if exact:
        return exact[:1]
    theme = key.split(":", 1)[1] if key.casefold().startswith("theme:") else key
    coded = [r for r in rows if r.theme_id is not None
             and r.theme_id.casefold() == theme.casefold()]
    bare = [r for r in rows if r.section != "extract"
            and r.key.split(":", 1)[-1].casefold() == key.casefold()]
    if coded and not bare:
        return coded
    if len(bare) == 1 and not coded:
        return bare
    if bare or coded:
        raise ReviewError(f"{key!r} names several rows ({', '.join(r.key for r in bare)}"
                          f"{', theme:' + theme if coded else ''}); write the full key")
    raise ReviewError(f"no row {key!r} in the comparison; rows are keyed field:ID, "
                      "extract:THEME:N (theme:ID for all of a theme's), quality:ID and rating")


def _find_row(rows: Sequence[Row], key: str) -> Row:
    found = _find_rows(rows, key)
    if len(found) > 1:
        raise ReviewError(f"{key!r} names {len(found)} rows; write one row's key")
    return found[0]


def _words(quote: str) -> str:
    return " ".join(_PUNCTUATION.sub(" ", quote.casefold()).split())


def _same_place(a: str, b: str) -> bool:
    pages_a, pages_b = entered_pages(a), entered_pages(b)
    if pages_a is not None and pages_b is not None:
        return pages_a == pages_b
    return _words(a) == _words(b)


def same_extract(a: Extract, b: Extract) -> bool:
    """Two extractors coded the same thing: the same words, voice, sub-theme and place."""
    return (_words(a.quote) == _words(b.quote) and a.voice == b.voice
            and a.sub_theme.casefold() == b.sub_theme.casefold()
            and _same_place(a.location, b.location))


def _pairs(first: list[Extract], second: list[Extract]
           ) -> list[tuple[Extract | None, Extract | None, int | None]]:
    """The two lists as rows: alike quotes paired (best first), the rest alone, in the first
    list's order with the second's unpaired extracts after."""
    scored = sorted(((int(fuzz.token_set_ratio(_words(a.quote), _words(b.quote))), i, j)
                     for i, a in enumerate(first) for j, b in enumerate(second)),
                    key=lambda x: (-x[0], x[1], x[2]))
    match: dict[int, tuple[int, int]] = {}
    used: set[int] = set()
    for score, i, j in scored:
        if score < PAIR_AT:
            break
        if i not in match and j not in used:
            match[i] = (j, score)
            used.add(j)
    rows: list[tuple[Extract | None, Extract | None, int | None]] = []
    for i, a in enumerate(first):
        j, score = match.get(i, (-1, 0))
        rows.append((a, second[j], score) if j >= 0 else (a, None, None))
    rows += [(None, b, None) for j, b in enumerate(second) if j not in used]
    return rows


def _extract_rows(form: Form, entries: list[Entry]) -> list[Row]:
    rows: list[Row] = []
    names = [e.extractor for e in entries]
    for theme in form.themes:
        lists = [list(e.themes.get(theme.id, ())) for e in entries]
        if not any(lists):
            continue
        if len(entries) == 2:
            paired = _pairs(lists[0], lists[1])
        else:
            paired = [(x, None, None) for x in lists[0]]
        for n, (a, b, score) in enumerate(paired, start=1):
            values = dict(zip(names, (a, b), strict=False))
            agree = len(entries) == 1 or (a is not None and b is not None
                                          and same_extract(a, b))
            rows.append(Row(f"extract:{theme.id}:{n}", "extract", form.theme_path(theme.id),
                            values, agree, theme.kind, theme.id, score))
    return rows


def _rows(form: Form, entries: list[Entry]) -> tuple[Row, ...]:
    def same(values: list[Any]) -> bool:
        return all(v == values[0] for v in values)

    rows: list[Row] = []
    for spec in form.fields:
        values = {e.extractor: e.values.get(spec.id) for e in entries}
        rows.append(Row(f"field:{spec.id}", "field", spec.label, values,
                        same(list(values.values()))))
    rows += _extract_rows(form, entries)
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
              values: Mapping[str, Any] | None = None,
              edits: Mapping[str, ExtractInput] | None = None) -> Entry:
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
        chosen: dict[str, Entry | str] = {}  # row key -> an extractor's entry, BOTH or DROP
        for key, name in (picks or {}).items():
            for row in _find_rows(rows, key):
                word = name.strip().casefold()
                if row.section == "extract" and word in (BOTH, DROP) and word not in names:
                    chosen[row.key] = word
                else:
                    chosen[row.key] = extractor(name, f"pick {key}")
        own: dict[str, Any] = {}
        for field_id, value in (values or {}).items():
            key = f"field:{form.field(field_id).id}"
            own[key] = normalise_value(form, field_id, value)
        for key, value in (edits or {}).items():
            row = _find_row(rows, key)
            if row.section != "extract":
                raise ReviewError(f"edit {key}: only extracts are edited this way (give a "
                                  "field's value with values)")
            own[row.key] = make_extract(form, value, row.theme_id, f"edit {row.key}: ")
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
            picked = chosen.get(row.key)
            return picked if isinstance(picked, Entry) else (preferred or entries[0])

        final_values: dict[str, Any] = {}
        final_extracts: list[Extract] = []
        answers: dict[str, str] = {}
        rating: str | None = None
        for row in rows:
            section, _, item = row.key.partition(":")
            if row.key in own:
                if section == "extract":
                    final_extracts.append(own[row.key])
                else:
                    final_values[item] = own[row.key]
            elif section == "field":
                final_values[item] = source(row).values.get(item)
            elif section == "extract":
                present = [x for x in row.values.values() if x is not None]
                decided = chosen.get(row.key)
                if decided == DROP:
                    continue
                if decided == BOTH:
                    final_extracts += present
                elif row.agree and decided is None:
                    final_extracts.append(present[0])
                else:
                    picked = row.values.get(source(row).extractor)
                    if picked is not None:
                        final_extracts.append(picked)
            elif section == "quality":
                answer = source(row).answers.get(item)
                if answer is not None:
                    answers[item] = answer
            else:
                rating = source(row).rating
        if by_design:
            appraiser = _appraiser(form, entries, final_values, study_id)
            answers, rating = dict(appraiser.answers), appraiser.rating
        missing = missing_for_done(form, final_values, answers, rating, final_extracts)
        if missing:
            raise ReviewError(f"study {study_id}: the final entry would lack: "
                              + "; ".join(missing))
        write_entry(store, conn, study_id, FINAL, None, values=final_values,
                    extracts=final_extracts, answers=answers, rating=rating, status=DONE,
                    reconciled_by=lead.id)
        audit(store, conn, actor=lead.name, action="reconcile extraction", entity="study",
              entity_id=str(study_id), detail={
                  "extractors": [e.extractor for e in entries], "take": take,
                  "picks": {k: v if isinstance(v, str) else v.extractor
                            for k, v in chosen.items()},
                  "values": {k: _plain(v) for k, v in own.items()},
                  "disagreements": [r.key for r in rows if not r.agree],
                  "extracts": len(final_extracts)})
        final = final_entries(store, conn, form)[study_id]
    return final


def _plain(value: Any) -> Any:
    if isinstance(value, Extract):
        return {"theme": value.theme_id, "quote": value.quote, "location": value.location,
                "voice": value.voice, "sub_theme": value.sub_theme}
    return list(value) if isinstance(value, tuple) else value
