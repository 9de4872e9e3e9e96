"""Extraction commands: studies and their reports, extraction entries, comparison and
reconciliation, quality appraisal, themes, and the evidence tables. Each calls one service;
keeping extractors independent is the services' job, not this layer's.

`review extract` takes values on the command line (`--field id=value`, repeatable; a repeated
id or "a; b" gives a list; `--extract THEME VOICE LOCATION QUOTE`, repeatable, THEME may be
`theme:sub-theme`), from a CSV or JSON file of extracts (`--extracts FILE`, columns theme,
quote, location, voice, sub_theme) or from a TOML or JSON file of the entry (`--from FILE`),
which suits scripts:

    [fields]
    author_year = "Smith 2015"
    format = ["online forum"]
    [[extracts]]
    theme = "safe_space"
    quote = "Members said they felt understood."
    location = "p. 6"
    voice = "participant"
    sub_theme = "Being believed"
    [quality]
    rating = "high"
    [quality.answers]
    aims = "yes"

(`[themes.ID]` with quote and location, the older form, still reads as one extract of that
theme.) Each new extract's quote is looked for in the study's PDFs: an empty location gets the
page it is on, and a quote not found verbatim is reported (and saved: a paraphrase may be
meant).
"""

from __future__ import annotations

import dataclasses
import json
import tomllib
from pathlib import Path
from typing import Any

import click

from review.cli.common import _actor, _Group, db_option, format_option
from review.errors import InputError, ReviewError
from review.extraction import cerqual
from review.extraction import entries as extraction_service
from review.extraction import findings as findings_service
from review.extraction import reconcile as reconcile_service
from review.extraction.cerqual import COMPONENT_LABELS, COMPONENTS, CONFIDENCE_LABELS
from review.extraction.entries import Extract, shown_value
from review.extraction.export import FORMATS, export
from review.extraction.extract_files import read_extracts
from review.extraction.findings import Finding
from review.extraction.quality import appraise
from review.extraction.quotes import DIFFERS, NOT_VERBATIM, UNCHECKED, check_quotes
from review.extraction.rows import entry_rows
from review.extraction.studies import link_report
from review.extraction.tables import build_tables
from review.store import Store
from review.tabular import render

WIDTHS = {"label": 30, "value": 50, "quote": 50}


def _person(name: str, help_text: str):  # type: ignore[no-untyped-def]
    return click.option(name, "person", envvar="REVIEW_USER", required=True, metavar="NAME",
                        help=help_text + " Default: $REVIEW_USER.")


def _pairs(values: tuple[str, ...], option: str, what: str) -> dict[str, Any]:
    """ID=VALUE options; a repeated id collects a list (multi-choice, countries)."""
    found: dict[str, Any] = {}
    for value in values:
        key, sep, text = value.partition("=")
        if not sep or not key.strip():
            raise click.BadParameter(f"{value!r}: use ID={what}", param_hint=option)
        key = key.strip()
        if key in found:
            found[key] = (found[key] if isinstance(found[key], list) else [found[key]]) + [text]
        else:
            found[key] = text
    return found


def _read_file(path: str) -> dict[str, Any]:
    text = Path(path).read_text(encoding="utf-8")
    try:
        data = json.loads(text) if path.lower().endswith(".json") else tomllib.loads(text)
    except json.JSONDecodeError as exc:
        raise InputError(path, exc.msg, exc.lineno) from None
    except tomllib.TOMLDecodeError as exc:
        raise InputError(path, str(exc)) from None
    if not isinstance(data, dict):
        raise InputError(path, "expected a table with fields, themes and quality")
    unknown = set(data) - {"fields", "extracts", "themes", "quality", "done"}
    if unknown:
        raise InputError(path, f"unknown key {sorted(unknown)[0]!r} (keys: fields, extracts, "
                               "themes, quality, done)")
    if not isinstance(data.get("extracts", []), list) or not all(
            isinstance(e, dict) for e in data.get("extracts", [])):
        raise InputError(path, "extracts is a list of tables (theme, quote, location, voice, "
                               "sub_theme)")
    quality = data.get("quality", {})
    if not isinstance(quality, dict) or set(quality) - {"answers", "rating"}:
        raise InputError(path, "quality takes answers (a table) and rating")
    for key in ("fields", "themes"):
        if not isinstance(data.get(key, {}), dict):
            raise InputError(path, f"{key} must be a table")
    return data


# --- studies ------------------------------------------------------------------------------

@click.group(cls=_Group, invoke_without_command=True)
@format_option
@db_option
@click.pass_context
def studies(ctx: click.Context, fmt: str, db: str | None) -> None:
    """List the included studies (with their reports and extraction status)."""
    if ctx.invoked_subcommand is not None:
        return
    rows = extraction_service.extraction_status(Store.open(db))
    for row in rows:
        row["records"] = ", ".join(map(str, row["records"]))
        row["final"] = "yes" if row["final"] else "no"
    click.echo(render(rows, ("study", "label", "records", "started", "done", "final"), fmt,
                      widths=WIDTHS), nl=False)


@studies.command(name="link")
@click.argument("record_id", metavar="RECORD", type=int)
@click.option("--study", "study_id", required=True, type=int, help="The study it belongs to.")
@db_option
def studies_link(record_id: int, study_id: int, db: str | None) -> None:
    """Make RECORD's report a report of study N (a companion paper, a follow-up)."""
    found = link_report(Store.open(db), record_id, study_id, actor=_actor())
    click.echo(f"Study {found.id} ({found.label}) has reports of records "
               f"{', '.join(map(str, found.records))}.")


# --- extraction ---------------------------------------------------------------------------

def _given_extract(theme: str, voice: str, location: str, quote: str) -> Extract:
    theme_id, _, sub_theme = theme.partition(":")
    return Extract(theme_id.strip(), quote, location, voice or None, sub_theme.strip())


def _located(store: Store, study_id: int, given: list[tuple[str, Extract]]) -> list[Extract]:
    """The new extracts with empty locations filled from the study's PDFs; what was found
    about each quote is printed (a different page or no verbatim match as a warning)."""
    if not given:
        return []
    records = list(extraction_service.study(store, study_id).records)
    filled, checks = check_quotes(store, records, [e for _, e in given])
    for check in checks:
        where, entered = given[check.index]
        if check.outcome == UNCHECKED and entered.location.strip():
            continue  # no PDF text to check against, and nothing to fill in
        warn = check.outcome in (DIFFERS, NOT_VERBATIM)
        click.echo(f"{'Check: ' if warn else ''}{where} ({check.theme_id}): {check.message}.",
                   err=warn)
    return filled


@click.command()
@click.argument("study_id", metavar="STUDY", type=int)
@_person("--extractor", "Who extracts.")
@click.option("--field", "fields", multiple=True, metavar="ID=VALUE",
              help="A field value; repeatable (repeat an id for a list). Empty: not reported.")
@click.option("--extract", "extract_args", multiple=True, nargs=4,
              metavar="THEME VOICE LOCATION QUOTE",
              help="Add a coded extract: the theme (THEME:SUB-THEME to give a sub-theme), "
                   'participant or author, where it is ("p. 4"; "" to find it in the PDFs) '
                   "and the quote; repeatable.")
@click.option("--extracts", "extracts_file", type=click.Path(exists=True, dir_okay=False),
              help="Add the extracts in a CSV or JSON file (theme, quote, location, voice, "
                   "sub_theme).")
@click.option("--remove-extract", "removed_extracts", multiple=True, type=int, metavar="N",
              help="Take extract N (as --show numbers them) out of your entry; repeatable.")
@click.option("--remove-theme", "removed", multiple=True, metavar="ID",
              help="Take every extract of a theme out of your entry; repeatable.")
@click.option("--from", "from_file", type=click.Path(exists=True, dir_okay=False),
              help="Read fields, extracts and quality from a TOML or JSON file.")
@click.option("--done/--not-done", default=None, help="Mark your entry done (or reopen it).")
@click.option("--show", is_flag=True, help="Only print your entry.")
@format_option
@db_option
def extract(study_id: int, person: str, fields: tuple[str, ...],
            extract_args: tuple[tuple[str, str, str, str], ...], extracts_file: str | None,
            removed_extracts: tuple[int, ...], removed: tuple[str, ...],
            from_file: str | None, done: bool | None, show: bool, fmt: str,
            db: str | None) -> None:
    """Enter or change your extraction of STUDY (your own entry only)."""
    store = Store.open(db)
    if show:
        entry = extraction_service.my_entry(store, study_id, person)
        if entry is None:
            raise ReviewError(f"{person} has no entry for study {study_id} yet")
        click.echo(render([{"item": r.key, "label": r.label, "value": r.value}
                           for r in entry_rows(entry, extraction_service.extraction_form(store))],
                          ("item", "label", "value"), fmt, widths=WIDTHS), nl=False)
        return
    values = _pairs(fields, "--field", "VALUE")
    given = [(f"--extract {n}", _given_extract(*args))
             for n, args in enumerate(extract_args, start=1)]
    if extracts_file:
        given += [(where, Extract(item["theme"], item["quote"], item.get("location", ""),
                                  item.get("voice") or None, item.get("sub_theme", "")))
                  for where, item in read_extracts(extracts_file)]
    themes: dict[str, Any] = {}
    answers: dict[str, str] = {}
    rating = None
    if from_file:
        data = _read_file(from_file)
        values = {**data.get("fields", {}), **values}
        themes = dict(data.get("themes", {}))
        given = [(f"{from_file}, extract {n}",
                  Extract(str(item.get("theme", "")), str(item.get("quote", "")),
                          str(item.get("location", "")), item.get("voice") or None,
                          str(item.get("sub_theme", ""))))
                 for n, item in enumerate(data.get("extracts", []), start=1)] + given
        answers = dict(data.get("quality", {}).get("answers", {}))
        rating = data.get("quality", {}).get("rating")
        if done is None and "done" in data:
            done = bool(data["done"])
    if not (values or given or themes or removed or removed_extracts or answers or rating
            or done is not None):
        raise click.UsageError("nothing to save: give --field, --extract, --extracts, --from "
                               "or --done")
    form = extraction_service.extraction_form(store)
    for where, raw in given:  # everything but an empty location, before looking in the PDFs
        extraction_service.make_extract(form, dataclasses.replace(
            raw, location=raw.location or "(to be found)"), where=f"{where}: ")
    located = _located(store, study_id, given)
    checked = [extraction_service.make_extract(form, e, where=f"{where}: ")
               for (where, _), e in zip(given, located, strict=True)]
    entry = extraction_service.save_entry(
        store, study_id, person, values=values, extracts=checked, themes=themes,
        remove_themes=removed, remove_extracts=removed_extracts, answers=answers or None,
        rating=rating, done=done)
    click.echo(f"{person}: study {study_id} saved ({entry.status}; {len(entry.values)} "
               f"field(s), {len(entry.extracts)} extract(s) under {len(entry.themes)} "
               f"theme(s), {len(entry.answers)} quality answer(s)).")


@click.command()
@click.argument("study_id", metavar="STUDY", type=int)
@_person("--by", "Who appraises.")
@click.option("--answer", "answers", multiple=True, metavar="QUESTION=ANSWER",
              help="An answer to a checklist question; repeatable.")
@click.option("--rating", help="Overall rating (from the checklist's ratings).")
@click.option("--done/--not-done", default=None, help="Mark your entry done (or reopen it).")
@db_option
def quality(study_id: int, person: str, answers: tuple[str, ...], rating: str | None,
            done: bool | None, db: str | None) -> None:
    """Appraise STUDY with the protocol's quality checklist (part of your entry)."""
    store = Store.open(db)
    entry = appraise(store, study_id, person,
                     answers=_pairs(answers, "--answer", "ANSWER"), rating=rating, done=done)
    checklist = extraction_service.extraction_form(store).checklist_of(entry.values)
    click.echo(f"{person}: study {study_id} appraised"
               + (f" with the {checklist.name} checklist" if checklist else "")
               + f" ({len(entry.answers)} answer(s), rating {entry.rating or 'not given'}; "
               f"{entry.status}).")


@click.group(cls=_Group)
def extraction() -> None:
    """Compare and reconcile the extractors' entries (leads)."""


@extraction.command(name="compare")
@click.argument("study_id", metavar="STUDY", type=int)
@_person("--by", "The lead asking.")
@click.option("--disagreements", "only", is_flag=True, help="Only the rows that disagree.")
@format_option
@db_option
def extraction_compare(study_id: int, person: str, only: bool, fmt: str,
                       db: str | None) -> None:
    """Show both extractors' entries for STUDY, row by row."""
    found = reconcile_service.compare(Store.open(db), study_id, by=person)
    rows = []
    for row in found.disagreements if only else found.rows:
        rows.append({"row": row.key, "label": row.label, "agree": "yes" if row.agree else "NO",
                     **{name: shown_value(v) for name, v in row.values.items()}})
    click.echo(render(rows, ("row", "agree", *found.extractors), fmt,
                      widths={n: 40 for n in found.extractors}), nl=False)
    if fmt == "table":
        status = ", ".join(f"{n}: {s}" for n, s in found.statuses.items()) or "no entries"
        click.echo(f"Study {study_id} ({found.label}): {len(found.disagreements)} "
                   f"disagreement(s); {status}; "
                   f"{'reconciled' if found.final else 'not reconciled'}.")


@extraction.command(name="reconcile")
@click.argument("study_id", metavar="STUDY", type=int)
@_person("--by", "The lead reconciling.")
@click.option("--take", metavar="EXTRACTOR", help="Take this extractor's version of every "
                                                  "disagreement not picked otherwise.")
@click.option("--pick", "picks", multiple=True, metavar="ROW=EXTRACTOR",
              help="Take one extractor's version of a row (field:ID, extract:THEME:N, "
                   "theme:ID for all its extracts, quality:ID, rating; a bare id where "
                   "unique); for extracts also ROW=both (keep both of a pair) or ROW=drop; "
                   "repeatable.")
@click.option("--field", "fields", multiple=True, metavar="ID=VALUE",
              help="Your own value for a field; repeatable.")
@click.option("--edit", "edits", multiple=True, nargs=4, metavar="ROW VOICE LOCATION QUOTE",
              help="Your own version of an extract row (extract:THEME:N); its sub-theme is "
                   "the extractors'; repeatable.")
@db_option
def extraction_reconcile(study_id: int, person: str, take: str | None,
                         picks: tuple[str, ...], fields: tuple[str, ...],
                         edits: tuple[tuple[str, str, str, str], ...], db: str | None) -> None:
    """Settle STUDY's disagreements into its final entry."""
    store = Store.open(db)
    own: dict[str, Any] = {}
    if edits:
        rows = reconcile_service.compare(store, study_id, by=person)
        for key, voice, location, quote in edits:
            row = rows.row(key)
            sub_theme = next((e.sub_theme for e in row.values.values()
                              if isinstance(e, Extract) and e.sub_theme), "")
            own[row.key] = {"quote": quote, "location": location, "voice": voice,
                            "sub_theme": sub_theme}
    entry = reconcile_service.reconcile(store, study_id, by=person, take=take,
                                        picks=_pairs(picks, "--pick", "EXTRACTOR"),
                                        values=_pairs(fields, "--field", "VALUE"), edits=own)
    click.echo(f"Study {study_id} reconciled by {entry.reconciled_by}: {len(entry.values)} "
               f"field(s), {len(entry.extracts)} extract(s).")


@extraction.command(name="status")
@_person("--reviewer", "Whose own status to show.")
@format_option
@db_option
def extraction_status(person: str, fmt: str, db: str | None) -> None:
    """Per study: extractors started and done, your own status, reconciled or not."""
    rows = extraction_service.extraction_status(Store.open(db), person)
    for row in rows:
        row["final"] = "yes" if row["final"] else "no"
        row["mine"] = row["mine"] or "not started"
    click.echo(render(rows, ("study", "label", "started", "done", "mine", "final"), fmt,
                      widths=WIDTHS), nl=False)


@click.group(cls=_Group)
def themes() -> None:
    """The themes coded across studies (benefits, risks, mitigations, ...)."""


@themes.command(name="list")
@format_option
@db_option
def themes_list(fmt: str, db: str | None) -> None:
    """The protocol's themes and those leads added, descriptive under analytical."""
    form = extraction_service.extraction_form(Store.open(db))
    rows = [{"kind": t.kind, "id": t.id, "parent": t.parent or "",
             "label": t.label if t.parent is None or fmt != "table" else f"  › {t.label}",
             "added_by": t.added_by or "protocol"} for t in form.themes]
    click.echo(render(rows, ("kind", "id", "parent", "label", "added_by"), fmt,
                      widths=WIDTHS), nl=False)


@themes.command(name="add")
@click.option("--kind", required=True, help="The theme kind (benefits, risks, ...: "
                                            "'review themes list' shows the review's).")
@click.option("--id", "theme_id", required=True, help="A new id: letters, digits, _ or -.")
@click.option("--label", required=True)
@click.option("--description", default="")
@click.option("--parent", default=None, metavar="THEME",
              help="The analytical theme (of the same kind) this descriptive theme is under.")
@click.option("--new-kind", is_flag=True,
              help="KIND is a new kind of themes, not one of the review's yet.")
@_person("--by", "The lead adding it.")
@db_option
def themes_add(kind: str, theme_id: str, label: str, description: str, parent: str | None,
               new_kind: bool, person: str, db: str | None) -> None:
    """Add a theme found during extraction (recorded with who and when)."""
    store = Store.open(db)
    theme = extraction_service.add_theme(store, kind, theme_id, label, description,
                                         by=person, parent=parent, new_kind=new_kind)
    form = extraction_service.extraction_form(store)
    under = f" under {form.theme(theme.parent).label!r}" if theme.parent else ""
    click.echo(f"Added theme {theme.id!r} ({theme.label}) to "
               f"{form.kind_label(theme.kind).lower()}{under}.")


@click.command()
@click.option("--out", required=True, type=click.Path(file_okay=False),
              help="Folder to write the files into (created if needed).")
@click.option("--format", "formats", multiple=True, type=click.Choice(FORMATS),
              help="xlsx, docx, md or csv; repeatable. Default: all four.")
@db_option
def tables(out: str, formats: tuple[str, ...], db: str | None) -> None:
    """Write the evidence tables (characteristics, themes, quotes, findings, excluded reports,
    references) for a manuscript.

    With review findings, also the summary of qualitative findings and the GRADE-CERQual
    evidence profile. Studies are numbered by first author and year, as in the references
    (Vancouver style)."""
    built = build_tables(Store.open(db))
    for path in export(built.tables, out, formats or FORMATS):
        click.echo(str(path))
    click.echo(f"{built.studies} stud{'y' if built.studies == 1 else 'ies'} in the tables"
               + (f"; not reconciled yet: {', '.join(built.pending)}" if built.pending else "")
               + ".")


# --- review findings and GRADE-CERQual ---------------------------------------------------

def _finding_line(found: Finding) -> str:
    overall = found.overall
    confidence = CONFIDENCE_LABELS[overall.level].lower() if overall else "not assessed yet"
    return (f"Finding {found.id} ({found.theme_label}; {len(found.studies)} "
            f"stud{'y' if len(found.studies) == 1 else 'ies'}; {confidence})")


@click.group(cls=_Group, invoke_without_command=True)
@format_option
@db_option
@click.pass_context
def findings(ctx: click.Context, fmt: str, db: str | None) -> None:
    """Review findings and their GRADE-CERQual assessments (leads write them)."""
    if ctx.invoked_subcommand is None:
        _list_findings(fmt, db)


@findings.command(name="list")
@format_option
@db_option
def findings_list(fmt: str, db: str | None) -> None:
    """Every finding: theme, statement, studies, components judged, overall confidence."""
    _list_findings(fmt, db)


def _list_findings(fmt: str, db: str | None) -> None:
    rows = [{"id": f.id, "theme": f.theme_id, "statement": f.statement,
             "studies": ", ".join(map(str, f.studies)),
             "judged": sum(c in f.judgements for c in COMPONENTS),
             "confidence": f.overall.level if f.overall else "",
             "reassess": "; ".join(f.reassess)} for f in findings_service.list_findings(
                 Store.open(db))]
    click.echo(render(rows, ("id", "theme", "statement", "studies", "judged", "confidence",
                             "reassess"), fmt, widths={"statement": 50, "reassess": 30}),
               nl=False)


@findings.command(name="add")
@click.option("--theme", required=True, help="The theme it belongs to ('review themes list').")
@click.option("--statement", required=True, help="What the studies show, in a sentence or two.")
@click.option("--study", "study_ids", multiple=True, type=int,
              help="An included study behind it; repeatable.")
@_person("--by", "The lead writing it.")
@db_option
def findings_add(theme: str, statement: str, study_ids: tuple[int, ...], person: str,
                 db: str | None) -> None:
    """Write a review finding under a theme, with the studies behind it."""
    found = findings_service.add_finding(Store.open(db), theme, statement, by=person,
                                         studies=study_ids)
    click.echo(f"Added {_finding_line(found)}.")


@findings.command(name="edit")
@click.argument("finding_id", metavar="FINDING", type=int)
@click.option("--statement", help="The new statement.")
@click.option("--theme", help="Move it to this theme.")
@_person("--by", "The lead changing it.")
@db_option
def findings_edit(finding_id: int, statement: str | None, theme: str | None, person: str,
                  db: str | None) -> None:
    """Change a finding's statement or theme."""
    found = findings_service.edit_finding(Store.open(db), finding_id, by=person,
                                          statement=statement, theme=theme)
    click.echo(f"Changed {_finding_line(found)}.")


@findings.command(name="link")
@click.argument("finding_id", metavar="FINDING", type=int)
@click.option("--study", "study_ids", multiple=True, type=int, required=True,
              help="An included study; repeatable.")
@click.option("--remove", is_flag=True, help="Take these studies out instead.")
@_person("--by", "The lead linking them.")
@db_option
def findings_link(finding_id: int, study_ids: tuple[int, ...], remove: bool, person: str,
                  db: str | None) -> None:
    """Link included studies to a finding (or take them out with --remove)."""
    change = findings_service.unlink_studies if remove else findings_service.link_studies
    found = change(Store.open(db), finding_id, study_ids, by=person)
    click.echo(f"{_finding_line(found)}: studies {', '.join(map(str, found.studies)) or 'none'}.")


@findings.command(name="assess")
@click.argument("finding_id", metavar="FINDING", type=int)
@click.option("--judge", "judged", multiple=True, nargs=3,
              metavar="COMPONENT LEVEL EXPLANATION",
              help="A component (methodological-limitations, coherence, adequacy, relevance), "
                   "its concern (none, minor, moderate, serious) and why; repeatable.")
@click.option("--overall", nargs=2, default=None, metavar="CONFIDENCE EXPLANATION",
              help='Overall confidence (high, moderate, low, "very low") and why.')
@click.option("--clear", "cleared", multiple=True, metavar="COMPONENT",
              help="Take a judgement back (a component, or overall); repeatable.")
@_person("--by", "The lead judging.")
@db_option
def findings_assess(finding_id: int, judged: tuple[tuple[str, str, str], ...],
                    overall: tuple[str, str] | None, cleared: tuple[str, ...], person: str,
                    db: str | None) -> None:
    """Judge a finding with GRADE-CERQual: the four components, then the overall confidence."""
    components: dict[str, tuple[str, str]] = {}
    for name, level, why in judged:
        if cerqual.component(name) in components:
            raise click.BadParameter(f"{name} is judged twice", param_hint="--judge")
        components[cerqual.component(name)] = (level, why)
    found = cerqual.assess(Store.open(db), finding_id, by=person, components=components,
                           overall=overall, clear=cleared)
    left = [COMPONENT_LABELS[c].lower() for c in COMPONENTS if c not in found.judgements]
    click.echo(f"Judged {_finding_line(found)}"
               + (f"; still to judge: {', '.join(left)}" if left else "") + ".")


@findings.command(name="show")
@click.argument("finding_id", metavar="FINDING", type=int)
@format_option
@db_option
def findings_show(finding_id: int, fmt: str, db: str | None) -> None:
    """A finding with its studies, the extracts behind it and its judgements."""
    found = findings_service.get_finding(Store.open(db), finding_id)
    rows = [{"item": "statement", "value": found.statement},
            {"item": "theme", "value": f"{found.theme_id} ({found.theme_label})"},
            {"item": "studies", "value": ", ".join(map(str, found.studies)) or "none"}]
    if found.dropped:
        rows.append({"item": "no longer included",
                     "value": ", ".join(map(str, found.dropped))})
    rows += [{"item": f"extract: study {e.study_id}",
              "value": f"{e.quote} ({e.location}; {e.voice or 'voice not recorded'}"
                       + (f"; sub-theme: {e.sub_theme}" if e.sub_theme else "") + ")"}
             for e in found.extracts]
    for cid in (*COMPONENTS, cerqual.OVERALL):
        judged = found.judgements.get(cid)
        rows.append({"item": cid, "value": f"{cerqual.level_label(cid, judged.level)}: "
                                           f"{judged.explanation}" if judged
                     else "not assessed yet"})
    if found.reassess:
        rows.append({"item": "reassess", "value": "; ".join(found.reassess)})
    click.echo(render(rows, ("item", "value"), fmt, widths={"item": 28, "value": 70}),
               nl=False)


@findings.command(name="remove")
@click.argument("finding_id", metavar="FINDING", type=int)
@_person("--by", "The lead removing it.")
@db_option
def findings_remove(finding_id: int, person: str, db: str | None) -> None:
    """Delete a finding and its judgements (the audit log keeps what it said)."""
    findings_service.remove_finding(Store.open(db), finding_id, by=person)
    click.echo(f"Removed finding {finding_id}.")


EXTRACTION_COMMANDS = (studies, extract, quality, extraction, themes, tables, findings)

__all__ = ["EXTRACTION_COMMANDS"]
