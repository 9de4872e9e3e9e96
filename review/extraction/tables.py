"""The review's evidence tables, built as plain rows from the studies' final entries, so every
export (review.extraction.export), the Tables page and `review report` show the same cells.

1. Characteristics of included studies: one row per study.
2. The study x theme matrix (the protocol's kinds: benefits, risks, mitigations, ...): one
   row per theme, grouped by kind, each analytical theme followed by its descriptive themes;
   one column per study with a mark where the study reports the theme (and how many extracts,
   when more than one), then the number of studies and of extracts. An analytical theme's row
   counts the extracts coded under it and under its descriptive themes. A last row ("All")
   counts the themes each study reports (analytical themes, or themes of one level): a
   totals row (Table.totals), shown on the page and in the XLSX, Markdown and DOCX tables,
   left out of themes.csv so a script reading it row by row gets one row per theme.
3. The quotes: one row per extract (kind, theme, sub-theme, study, voice, location, quote),
   in the order of the themes, then the studies, then the entry.
   Then, when the protocol has a checklist, the per-question quality appraisal (key
   "appraisal": review.extraction.quality.appraisal_table, grouped by checklist).
4. Summary of qualitative findings and 5. the GRADE-CERQual evidence profile, one row per
   review finding (review.extraction.findings, review.extraction.cerqual), numbered in the
   order of the review's themes; only when the review has findings, so a review that does no
   qualitative synthesis gets no empty tables. A finding not yet judged says so ("Not
   assessed yet").
6. Excluded full-text reports with the reason for each (PRISMA 2020 item 16b): exactly the
   reports PRISMA's "reports excluded" boxes count (review.prisma.counts.excluded_reports).
7. References of the included studies, numbered, in the Vancouver style
   (review.extraction.citations).

Decisions made here:

- Every included study has a reference number, the same in every table and in the references:
  studies are ordered by first author, then year, then the order they were included, and
  numbered from 1. A study is cited as "Surname (2015) [3]" ("Study" column of table 1 and
  the number beside it); two studies with the same author and year become "(2015a)",
  "(2015b)" in that order. The author and year come from the final entry's `author_year`
  field, else from the study's label (its first report's first author and year).
- Only studies with a final entry get a row in tables 1 to 3 (review.extraction.entries.
  final_entries); the others are listed in `pending`, so a half-extracted review never shows
  half-agreed data. The references list every included study.
- Table 1's columns: the protocol's `[tables] characteristics` when it has one (field ids in
  order, "appraisal" for the quality rating), each field its own column. Without it, every
  field of the form in order, with a few sharing a column as manuscripts print them
  (`population` with `design`, `format` with the yes/no `moderated`), and the quality rating
  before the `themes` field (at the end if there is none). Either way a number field with a
  `unit` prints with its unit ("240 posts"; "1 forum"), and the unit field has no column of
  its own unless listed. Fields that are not reported show "NR" (the tables' note says so).
- Multi-valued cells (countries, multi-choice) are joined with "; ". Yes/no shows yes or no.
- Every theme of the review is a row of table 2, reported or not, so the table also shows
  what the studies did not report; themes a lead added come after the protocol's, by kind.
- A companion report of a study is listed under the study's number in the references
  ("Companion report: ...").
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from review.accounts import Reviewer, authorise, is_lead
from review.audit_trail import from_one_state
from review.extraction.cerqual import COMPONENT_LABELS, COMPONENTS, CONFIDENCE_LABELS, level_label
from review.extraction.citations import first_author, vancouver
from review.extraction.entries import Entry, Extract, Form, extraction_form, final_entries
from review.extraction.findings import Finding, list_findings
from review.extraction.quality import appraisal_table, appraisal_tools
from review.extraction.studies import Study, list_studies
from review.fields import FieldSpec
from review.prisma.counts import ExcludedReport, excluded_reports
from review.project import review_protocol
from review.protocol import APPRAISAL_COLUMN
from review.store import Store
from review.store import schema as t

__all__ = ["MARK", "NOT_ASSESSED", "NOT_REPORTED", "Cited", "EvidenceTables", "Table",
           "appraisal", "build_tables", "cell", "cerqual_profile", "characteristics",
           "cite_studies", "excluded_table", "qualitative_findings", "references_table",
           "study_names",
           "tables_of", "theme_matrix", "theme_quotes"]

MARK = "✓"
NOT_REPORTED = "NR"
MERGED = (("population", "design", "Population and design"),
          ("format", "moderated", "Peer-support format"))
QUALITY = "Quality"
APPRAISAL = "Appraisal"
NOT_ASSESSED = "Not assessed yet"
_BIB = ("authors", "year", "title", "journal", "journal_abbrev", "volume", "issue",
        "pages_start", "pages_end", "doi", "url", "publisher", "pub_type")


@dataclass(frozen=True, slots=True)
class Table:
    key: str  # file-name stem: characteristics, themes, quotes, ...
    title: str
    columns: tuple[str, ...]
    rows: tuple[tuple[Any, ...], ...]  # text, or a whole number (counts)
    note: str = ""
    empty: str = "No studies with a final entry yet."  # what a table without rows says
    totals: int = 0  # how many of the last rows are totals (shown, but not data: not in CSV)

    @property
    def data_rows(self) -> tuple[tuple[Any, ...], ...]:
        """The rows without the totals: one per item (theme, study, ...), for data readers."""
        return self.rows[:len(self.rows) - self.totals]


@dataclass(frozen=True, slots=True)
class Cited:
    """An included study as every table cites it: its reference number and name."""

    study: Study
    number: int
    name: str  # "Alder (2015a)"

    @property
    def label(self) -> str:
        return f"{self.name} [{self.number}]"


@dataclass(frozen=True, slots=True)
class EvidenceTables:
    tables: tuple[Table, ...]
    studies: int  # studies in the tables
    pending: tuple[str, ...]  # labels of included studies without a final entry yet
    cited: tuple[Cited, ...] = ()  # every included study, in reference-number order

    def __getitem__(self, key: str) -> Table:
        return next(t for t in self.tables if t.key == key)

    def get(self, key: str) -> Table | None:
        return next((t for t in self.tables if t.key == key), None)


def cell(spec: FieldSpec, value: Any) -> str:
    """A value as the tables print it."""
    if value is None:
        return NOT_REPORTED
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, list | tuple):
        return "; ".join(str(v) for v in value) or NOT_REPORTED
    return str(value)


def _with_unit(spec: FieldSpec, entry: Entry) -> str:
    """A number with its unit from the field `unit` names: "240 posts", "1 forum"."""
    value = entry.values.get(spec.id)
    text = cell(spec, value)
    unit = entry.values.get(spec.unit) if spec.unit else None
    if value is None or not unit:
        return text
    unit = str(unit)
    if value == 1 and unit.endswith("s") and not unit.endswith("ss"):
        unit = unit[:-1]
    return f"{text} {unit}"


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


def _author_year(form: Form, study: Study, entry: Entry | None) -> tuple[str, str | None]:
    has_author = any(f.id == "author_year" for f in form.fields)
    text = entry.values.get("author_year") if has_author and entry is not None else None
    found = _YEAR_END.match(text or study.label)
    return (found[1], found[2]) if found else ((text or study.label), None)


def _suffixed(names: Sequence[tuple[str, str | None]]) -> list[str]:
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


def study_names(form: Form, studies: Sequence[Study], finals: dict[int, Entry]) -> list[str]:
    """"Author (year)" per study, with a, b, ... where two would read the same."""
    return _suffixed([_author_year(form, s, finals.get(s.id)) for s in studies])


def cite_studies(form: Form, studies: Sequence[Study], finals: dict[int, Entry]) -> list[Cited]:
    """Every study numbered, ordered by first author, then year, then inclusion order."""
    keyed = [(_author_year(form, s, finals.get(s.id)), i, s) for i, s in enumerate(studies)]
    keyed.sort(key=lambda k: (k[0][0].casefold(), k[0][1] or "9999", k[1]))
    names = _suffixed([k[0] for k in keyed])
    return [Cited(s, n, name) for n, ((_, _, s), name) in enumerate(zip(keyed, names,
                                                                          strict=True), start=1)]


def _layout(form: Form) -> list[tuple[str, tuple[FieldSpec, ...]]]:
    """(header, fields) per column after "Study"; an empty field tuple is the quality column."""
    specs = {f.id: f for f in form.fields}
    joined = {a: b for a, b, _ in MERGED if a in specs and b in specs}
    headers = {a: h for a, b, h in MERGED if a in specs and b in specs}
    skip = set(joined.values()) | {"author_year"} | {f.unit for f in form.fields if f.unit}
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


def _listed(form: Form, listed: Sequence[str]) -> list[tuple[str, tuple[FieldSpec, ...]]]:
    """The protocol's [tables] characteristics: each field its own column, in its order."""
    specs = {f.id: f for f in form.fields}
    return [(APPRAISAL, ()) if c == APPRAISAL_COLUMN else (specs[c].label, (specs[c],))
            for c in listed if c != "author_year" and (c == APPRAISAL_COLUMN or c in specs)]


def characteristics(form: Form, cited: Sequence[Cited], finals: dict[int, Entry],
                    listed: Sequence[str] = ()) -> Table:
    """Table 1: a row per study with a final entry, in reference-number order."""
    layout = _listed(form, listed) if listed else _layout(form)
    rows = []
    for c in cited:
        entry = finals.get(c.study.id)
        if entry is None:
            continue
        row: list[Any] = [c.number, c.name]
        for _, specs in layout:
            if not specs:
                row.append(entry.rating or NOT_REPORTED)
            elif len(specs) == 2:
                row.append(_merged(specs[0], specs[1], entry))
            elif specs[0].unit:
                row.append(_with_unit(specs[0], entry))
            else:
                row.append(cell(specs[0], entry.values.get(specs[0].id)))
        rows.append(tuple(row))
    note = f"No.: the study's reference number. {NOT_REPORTED}: not reported."
    if form.checklist is not None and any(not specs for _, specs in layout):
        note += (f" {layout[[not s for _, s in layout].index(True)][0]}: overall rating with "
                 f"{appraisal_tools(form)}.")
    return Table("characteristics", "Characteristics of included studies",
                 ("No.", "Study", *(h for h, _ in layout)), tuple(rows), note)


def _extracted(cited: Sequence[Cited], finals: dict[int, Entry]) -> list[Cited]:
    return [c for c in cited if c.study.id in finals]


def _coded(form: Form, theme_id: str, entry: Entry) -> list[Extract]:
    """The entry's extracts under a theme (an analytical theme: also under its descriptive
    themes)."""
    below = {theme_id} | {child.id for child in form.children(theme_id)}
    return [e for e in entry.extracts if e.theme_id in below]


def _kinds_title(form: Form) -> str:
    labels = [form.kind_label(k).lower() for k in form.kinds if form.themes_of(k)]
    listed = (", ".join(labels[:-1]) + " and " + labels[-1]) if len(labels) > 1 else \
        "".join(labels)
    return listed[:1].upper() + listed[1:] if listed else "Themes"


def theme_matrix(form: Form, cited: Sequence[Cited], finals: dict[int, Entry]) -> Table:
    """The study x theme matrix with counts: per theme, the studies reporting it and its
    extracts; per study, the themes it reports (the last row, "All": analytical themes, or
    themes of one level, so a descriptive theme is not counted twice)."""
    done = _extracted(cited, finals)
    rows: list[tuple[Any, ...]] = []
    per_study = [0] * len(done)
    reported, extracts = 0, 0
    for theme in form.themes:
        counts = [len(_coded(form, theme.id, finals[c.study.id])) for c in done]
        marks = ["" if n == 0 else MARK if n == 1 else f"{MARK} {n}" for n in counts]
        analytical = form.theme(theme.parent).label if theme.parent else theme.label
        rows.append((form.kind_label(theme.kind), analytical,
                     theme.label if theme.parent else "", *marks,
                     sum(n > 0 for n in counts), sum(counts)))
        if theme.parent is None:
            for i, n in enumerate(counts):
                per_study[i] += n > 0
            reported += any(counts)
            extracts += sum(counts)
    if rows:
        rows.append(("All", "Themes reported by the study", "", *per_study, reported, extracts))
    return Table("themes", f"Study x theme matrix: {_kinds_title(form).lower()} reported by "
                 "the included studies",
                 ("Kind", "Theme", "Descriptive theme", *(c.label for c in done), "Studies",
                  "Extracts"),
                 tuple(rows),
                 f"{MARK}: the study reports the theme; a number after it: how many extracts "
                 "it gives. A theme's row without a descriptive theme counts everything "
                 "coded under it and its descriptive themes. Studies and Extracts: how many. "
                 "The last row counts the themes each study reports (its last cells: the "
                 "themes any study reports, and every extract). [n]: the study's reference "
                 "number.", totals=1 if rows else 0)


def theme_quotes(form: Form, cited: Sequence[Cited], finals: dict[int, Entry]) -> Table:
    done = _extracted(cited, finals)
    rows = []
    for theme in form.themes:
        for c in done:
            for found in finals[c.study.id].themes.get(theme.id, ()):
                rows.append((form.kind_label(theme.kind), form.theme_path(theme.id),
                             found.sub_theme, c.label, found.voice_label, found.location,
                             found.quote))
    return Table("quotes", f"{_kinds_title(form)}: supporting quotes",
                 ("Kind", "Theme", "Sub-theme", "Study", "Voice", "Location", "Quote"),
                 tuple(rows),
                 "Voice: a participant's own words, or the authors' interpretation. "
                 "Location: page or section of the report. [n]: the study's reference number.")


def appraisal(form: Form, cited: Sequence[Cited], finals: dict[int, Entry]) -> Table:
    """The per-question appraisal (review.extraction.quality.appraisal_table) as a table, the
    studies named with their reference numbers."""
    done = _extracted(cited, finals)
    built = appraisal_table(form, [c.study for c in done], finals, [c.label for c in done])
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


def _bibliography(conn: Connection, groups: Sequence[int]) -> dict[int, dict[str, Any]]:
    """Each group's kept record's bibliographic fields."""
    if not groups:
        return {}
    dg, records = t.duplicate_groups, t.records
    rows = conn.execute(sa.select(dg.c.id.label("group_id"),
                                  *(records.c[name] for name in _BIB))
                        .join(records, records.c.id == dg.c.kept_record_id)
                        .where(dg.c.id.in_(list(groups)))).mappings().all()
    return {r["group_id"]: dict(r) for r in rows}


def references_table(cited: Sequence[Cited], bib: dict[int, dict[str, Any]]) -> Table:
    """The included studies' references, numbered as every table cites them."""
    rows = []
    for c in cited:
        main, *companions = [vancouver(bib[g]) for g in c.study.reports if g in bib]
        text = " ".join([main, *(f"Companion report: {other}" for other in companions)])
        rows.append((c.number, text))
    return Table("references", "References of the included studies", ("No.", "Reference"),
                 tuple(rows), "Vancouver style; studies numbered by first author, then year. "
                 "A study's companion reports follow its main report.",
                 "No study has been included yet.")


def excluded_table(excluded: Sequence[ExcludedReport], bib: dict[int, dict[str, Any]]) -> Table:
    """Excluded full-text reports with the reason for each, ordered by first author and year."""
    def key(e: ExcludedReport) -> tuple[str, int, int]:
        record = bib.get(e.group_id, {})
        return (first_author(record).casefold(), record.get("year") or 9999, e.group_id)

    rows = []
    for number, e in enumerate(sorted(excluded, key=key), start=1):
        record = bib.get(e.group_id, {})
        rows.append((number, vancouver(record) if record else f"Report {e.group_id}", e.reason))
    return Table("excluded", "Excluded full-text reports",
                 ("No.", "Report", "Reason for exclusion"), tuple(rows),
                 "Every report excluded after its full text was assessed (PRISMA 2020 item "
                 "16b), with the first reason that applied in the protocol's order.",
                 "No full-text report has been excluded.")


def build_tables(store: Store, *, by: str | Reviewer | None = None) -> EvidenceTables:
    """The review's evidence tables, for its leads (who export them); `by` is whoever asks
    (None: the command line). Made from one state of the review: rebuilt when someone's
    change commits while they are made (review.audit_trail.from_one_state)."""
    if by is not None:
        with store.read() as conn:
            authorise(store, conn, by, is_lead, "only a lead exports the evidence tables")
    list_studies(store)  # start from materialised studies (this writes): not mid-build
    return from_one_state(store, lambda: tables_of(store, excluded_reports(store)[1]),
                          "the evidence tables")


def tables_of(store: Store, excluded: Sequence[ExcludedReport]) -> EvidenceTables:
    """The evidence tables with these excluded reports (the ones the caller's PRISMA counts
    walked). Several transactions: the caller makes sure they saw one state (build_tables,
    review.report.build)."""
    studies = list_studies(store)
    with store.read() as conn:
        form = extraction_form(store, conn)
        finals = final_entries(store, conn, form)
        listed = review_protocol(store, conn).report.characteristics
        bib = _bibliography(conn, [g for s in studies for g in s.reports]
                            + [e.group_id for e in excluded])
    cited = cite_studies(form, studies, finals)
    pending = tuple(c.study.label for c in cited if c.study.id not in finals)
    tables: tuple[Table, ...] = (characteristics(form, cited, finals, listed),
                                 theme_matrix(form, cited, finals),
                                 theme_quotes(form, cited, finals))
    if form.all_checklists:
        tables += (appraisal(form, cited, finals),)
    findings = list_findings(store)
    if findings:
        names = {c.study.id: c.label for c in cited}
        tables += (qualitative_findings(findings, names), cerqual_profile(findings, names))
    tables += (excluded_table(excluded, bib), references_table(cited, bib))
    done = sum(1 for c in cited if c.study.id in finals)
    return EvidenceTables(tables, done, pending, tuple(cited))
