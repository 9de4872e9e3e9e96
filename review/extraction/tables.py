"""The review's evidence tables, built as plain rows from the studies' final entries, so every
export (review.extraction.export) and the Tables page show the same cells.

1. Characteristics of included studies: one row per study.
2. Benefits, risks and mitigations: one row per theme, grouped by kind, one column per study
   with a mark where the study reports the theme, and the number of studies.
3. The same in long form: one row per study and theme, with the quote and its location.
   Then, when the protocol has a checklist, the per-question quality appraisal (key
   "appraisal": review.extraction.quality.appraisal_table, grouped by checklist).
4. Summary of qualitative findings and 5. the GRADE-CERQual evidence profile, one row per
   review finding (review.extraction.findings, review.extraction.cerqual), numbered in the
   order of the review's themes; only when the review has findings, so a review that does no
   qualitative synthesis gets no empty tables. Studies are cited by the same "Author (year)"
   names as the other tables (a linked study without a final entry by its label); a finding
   not yet judged says so ("Not assessed yet").

Decisions made here:

- Only studies with a final entry appear (review.extraction.entries.final_entries); the others are
  listed in `pending`, so a half-extracted review never shows half-agreed data.
- Characteristics columns follow the protocol's fields in order. The first column, "Study",
  is the `author_year` field written as "Surname (2015)" (else the study's label); two
  studies with the same author and year become "(2015a)", "(2015b)" in study order. A few
  fields share a column, as manuscripts print them: `population` with `design`
  ("Population and design") and `format` with the yes/no `moderated` ("Peer-support format",
  e.g. "online forum; moderated"). The quality rating goes before the `themes` field (at the
  end if there is none). Fields that are not reported show "NR" (the tables' note says so).
- Multi-valued cells (countries, multi-choice) are joined with "; ". Yes/no shows yes or no.
- Every theme of the review is a row of table 2, reported or not, so the table also shows
  what the studies did not report; themes a lead added come after the protocol's, by kind.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from review.accounts import Reviewer, authorise, is_lead
from review.extraction.cerqual import COMPONENT_LABELS, COMPONENTS, CONFIDENCE_LABELS, level_label
from review.extraction.entries import KIND_LABELS, Entry, Form, extraction_form, final_entries
from review.extraction.findings import Finding, list_findings
from review.extraction.quality import appraisal_table, appraisal_tools
from review.extraction.studies import Study, list_studies
from review.fields import FieldSpec
from review.protocol import THEME_KINDS
from review.store import Store

__all__ = ["MARK", "NOT_ASSESSED", "NOT_REPORTED", "EvidenceTables", "Table", "appraisal",
           "build_tables",
           "cell", "cerqual_profile", "characteristics", "qualitative_findings", "study_names",
           "theme_matrix", "theme_quotes"]

MARK = "✓"
NOT_REPORTED = "NR"
MERGED = (("population", "design", "Population and design"),
          ("format", "moderated", "Peer-support format"))
QUALITY = "Quality"
NOT_ASSESSED = "Not assessed yet"


@dataclass(frozen=True, slots=True)
class Table:
    key: str  # file-name stem: characteristics, themes, quotes
    title: str
    columns: tuple[str, ...]
    rows: tuple[tuple[Any, ...], ...]  # text, or a whole number (counts)
    note: str = ""


@dataclass(frozen=True, slots=True)
class EvidenceTables:
    tables: tuple[Table, ...]
    studies: int  # studies in the tables
    pending: tuple[str, ...]  # labels of included studies without a final entry yet

    def __getitem__(self, key: str) -> Table:
        return next(t for t in self.tables if t.key == key)


def cell(spec: FieldSpec, value: Any) -> str:
    """A value as the tables print it."""
    if value is None:
        return NOT_REPORTED
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, list | tuple):
        return "; ".join(str(v) for v in value) or NOT_REPORTED
    return str(value)


def _yes_no_words(spec: FieldSpec, value: Any) -> str | None:
    if value is None:
        return None
    label = spec.label[:1].lower() + spec.label[1:]
    return label if value else f"not {label}"


def _merged(first: FieldSpec, second: FieldSpec, entry: Entry) -> str:
    parts = [cell(first, entry.values.get(first.id))]
    if second.type == "yes_no":
        words = _yes_no_words(second, entry.values.get(second.id))
    else:
        value = entry.values.get(second.id)
        words = None if value is None else cell(second, value)
    parts = [p for p in parts if p != NOT_REPORTED] + ([words] if words else [])
    return "; ".join(parts) or NOT_REPORTED


_YEAR_END = re.compile(r"^(.*?)[\s,]*\(?((?:1[89]|20)\d\d)\)?$")


def study_names(form: Form, studies: Sequence[Study], finals: dict[int, Entry]) -> list[str]:
    """"Author (year)" per study, with a, b, ... where two would read the same."""
    has_author = any(f.id == "author_year" for f in form.fields)
    names: list[tuple[str, str | None]] = []
    for s in studies:
        entry = finals.get(s.id)
        text = entry.values.get("author_year") if has_author and entry is not None else None
        found = _YEAR_END.match(text or s.label)
        names.append((found[1], found[2]) if found else ((text or s.label), None))
    counts: dict[tuple[str, str | None], int] = {}
    for name in names:
        counts[name] = counts.get(name, 0) + 1
    seen: dict[tuple[str, str | None], int] = {}
    result = []
    for author, year in names:
        suffix = ""
        if counts[(author, year)] > 1:
            suffix = "abcdefghijklmnopqrstuvwxyz"[seen.get((author, year), 0) % 26]
            seen[(author, year)] = seen.get((author, year), 0) + 1
        result.append(f"{author} ({year}{suffix})" if year else f"{author}{suffix}")
    return result


def _layout(form: Form) -> list[tuple[str, tuple[FieldSpec, ...]]]:
    """(header, fields) per column after "Study"; an empty field tuple is the quality column."""
    specs = {f.id: f for f in form.fields}
    joined = {a: b for a, b, _ in MERGED if a in specs and b in specs}
    headers = {a: h for a, b, h in MERGED if a in specs and b in specs}
    skip = set(joined.values()) | {"author_year"}
    columns: list[tuple[str, tuple[FieldSpec, ...]]] = []
    for spec in form.fields:
        if spec.id in skip:
            continue
        if spec.id == "themes" and form.checklist is not None:
            columns.append((QUALITY, ()))
        if spec.id in joined:
            columns.append((headers[spec.id], (spec, specs[joined[spec.id]])))
        else:
            columns.append((spec.label, (spec,)))
    if form.checklist is not None and all(h != QUALITY for h, _ in columns):
        columns.append((QUALITY, ()))
    return columns


def characteristics(form: Form, studies: Sequence[Study], finals: dict[int, Entry]) -> Table:
    layout = _layout(form)
    rows = []
    for name, s in zip(study_names(form, studies, finals), studies, strict=True):
        entry = finals[s.id]
        row: list[Any] = [name]
        for _, specs in layout:
            if not specs:
                row.append(entry.rating or NOT_REPORTED)
            elif len(specs) == 2:
                row.append(_merged(specs[0], specs[1], entry))
            else:
                row.append(cell(specs[0], entry.values.get(specs[0].id)))
        rows.append(tuple(row))
    note = f"{NOT_REPORTED}: not reported."
    if form.checklist is not None:
        note += f" Quality: overall rating with {appraisal_tools(form)}."
    return Table("characteristics", "Characteristics of included studies",
                 ("Study", *(h for h, _ in layout)), tuple(rows), note)


def theme_matrix(form: Form, studies: Sequence[Study], finals: dict[int, Entry]) -> Table:
    names = study_names(form, studies, finals)
    rows = []
    for kind in THEME_KINDS:
        for theme in form.themes_of(kind):
            marks = [MARK if theme.id in finals[s.id].themes else "" for s in studies]
            rows.append((KIND_LABELS[kind], theme.label, *marks, marks.count(MARK)))
    return Table("themes", "Benefits, risks and mitigations reported by the included studies",
                 ("Kind", "Theme", *names, "Studies"), tuple(rows),
                 f"{MARK}: the study reports the theme. Studies: how many report it.")


def theme_quotes(form: Form, studies: Sequence[Study], finals: dict[int, Entry]) -> Table:
    names = study_names(form, studies, finals)
    rows = []
    for kind in THEME_KINDS:
        for theme in form.themes_of(kind):
            for name, s in zip(names, studies, strict=True):
                found = finals[s.id].themes.get(theme.id)
                if found is not None:
                    rows.append((KIND_LABELS[kind], theme.label, name, found.quote,
                                 found.location))
    return Table("quotes", "Benefits, risks and mitigations with supporting quotes",
                 ("Kind", "Theme", "Study", "Quote", "Location"), tuple(rows),
                 "Location: page or section of the report.")


def appraisal(form: Form, studies: Sequence[Study], finals: dict[int, Entry]) -> Table:
    """The per-question appraisal (review.extraction.quality.appraisal_table) as a table."""
    built = appraisal_table(form, studies, finals, study_names(form, studies, finals))
    return Table("appraisal", built.title, built.columns, built.rows, built.note)


def _cited(names: dict[int, str], finding: Finding) -> str:
    return "; ".join(names[s] for s in finding.studies if s in names) or "none linked"


def _judged(finding: Finding, component_id: str) -> str:
    judged = finding.judgements.get(component_id)
    if judged is None:
        return NOT_ASSESSED
    return f"{level_label(component_id, judged.level)}: {judged.explanation}"


def qualitative_findings(findings: Sequence[Finding], names: dict[int, str]) -> Table:
    """The Summary of Qualitative Findings table: one row per review finding."""
    rows = []
    for number, f in enumerate(findings, start=1):
        overall = f.overall
        rows.append((number, f.theme_label, f.statement, _cited(names, f),
                     CONFIDENCE_LABELS[overall.level] if overall else NOT_ASSESSED,
                     overall.explanation if overall else ""))
    return Table("findings", "Summary of qualitative findings",
                 ("No.", "Theme", "Review finding", "Studies contributing to the finding",
                  "GRADE-CERQual assessment of confidence",
                  "Explanation of GRADE-CERQual assessment"), tuple(rows),
                 "Confidence in each finding assessed with GRADE-CERQual (methodological "
                 "limitations, coherence, adequacy, relevance); the evidence profile gives "
                 "each component.")


def cerqual_profile(findings: Sequence[Finding], names: dict[int, str]) -> Table:
    """The GRADE-CERQual evidence profile: each component's concern and explanation."""
    rows = []
    for number, f in enumerate(findings, start=1):
        overall = f.overall
        rows.append((number, f.statement,
                     *(_judged(f, c) for c in COMPONENTS),
                     CONFIDENCE_LABELS[overall.level] if overall else NOT_ASSESSED,
                     overall.explanation if overall else "", _cited(names, f)))
    return Table("cerqual", "GRADE-CERQual evidence profile",
                 ("No.", "Review finding", *(COMPONENT_LABELS[c] for c in COMPONENTS),
                  "Overall confidence", "Explanation of overall confidence",
                  "Studies contributing to the finding"), tuple(rows),
                 "Each component: the level of concern, then why. Finding numbers as in the "
                 "summary of qualitative findings.")


def build_tables(store: Store, *, by: str | Reviewer | None = None) -> EvidenceTables:
    """The review's evidence tables, for its leads (who export them); `by` is whoever asks
    (None: the command line)."""
    if by is not None:
        with store.read() as conn:
            authorise(store, conn, by, is_lead, "only a lead exports the evidence tables")
    studies = list_studies(store)
    with store.read() as conn:
        form = extraction_form(store, conn)
        finals = final_entries(store, conn, form)
    done = [s for s in studies if s.id in finals]
    pending = tuple(s.label for s in studies if s.id not in finals)
    tables = tuple(build(form, done, finals) for build in (characteristics, theme_matrix,
                                                             theme_quotes))
    if form.all_checklists:
        tables += (appraisal(form, done, finals),)
    findings = list_findings(store)
    if findings:
        names = dict(zip((s.id for s in done), study_names(form, done, finals), strict=True))
        rest = [s for s in studies if s.id not in names]
        names |= dict(zip((s.id for s in rest), study_names(form, rest, finals), strict=True))
        tables += (qualitative_findings(findings, names), cerqual_profile(findings, names))
    return EvidenceTables(tables, len(done), pending)
