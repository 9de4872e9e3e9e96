"""The `review` command: a thin layer over the library (every command calls one service)."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

from review import __version__
from review.cli.common import _actor, _Group, db_only_option, db_option, format_option
from review.cli.lazy import LazyCommand, LazyGroup
from review.errors import ReviewError
from review.importing import KINDS, SourceInfo, import_and_deduplicate, new_records
from review.prisma.searches import read_strategy, source_rows
from review.project import create_review, review_info
from review.store import Store
from review.store import records as store_records
from review.tabular import render

RECORD_COLUMNS = ("id", "source", "year", "authors", "title", "journal", "doi", "pmid")
RECORD_WIDTHS = {"authors": 24, "title": 60, "journal": 28, "doi": 30, "source": 22}
SOURCE_COLUMNS = ("id", "name", "kind", "file_name", "format", "record_count", "new_records",
                  "after_deduplication", "platform", "searched_on", "limits", "query",
                  "encoding", "imported_at", "imported_by")
SOURCE_WIDTHS = {"name": 24, "platform": 14, "file_name": 24, "limits": 24, "query": 40}


def _lazy(module: str, registry: str, commands: dict[str, str],
          hidden: tuple[str, ...] = ()) -> dict[str, LazyCommand]:
    return {name: LazyCommand(f"review.cli.{module}", registry, short_help, name in hidden)
            for name, short_help in commands.items()}


# Commands whose module is imported only when they run: their short help is kept here for
# `review --help` (tests/test_imports.py checks it against each command's docstring).
LAZY_COMMANDS = {
    **_lazy("screening", "SCREENING_COMMANDS", {
        "users": "Manage the people of the review: leads, reviewers and observers.",
        "accounts": "The server's accounts: one per person, shared by every review they are "
                    "in.",
        "reviewers": "Earlier name of 'review users' (add, list, password).",
        "vote": "Vote on RECORD (or change your vote).",
        "queue": "The records waiting for a reviewer's vote (no one else's votes shown).",
        "votes": "A reviewer's own votes, newest first, with where each record stands.",
        "undo": "Withdraw a reviewer's last vote at the stage.",
        "conflicts": "Records whose votes disagree, with every vote (for a lead or third "
                     "reviewer).",
        "resolve": "Resolve the conflict on RECORD.",
        "discuss": "The discussion of the conflict on RECORD (and --post to add to it).",
        "agreement": "Percent agreement and Cohen's kappa per stage and per reviewer pair "
                     "(before resolution).",
        "progress": "Screening progress per stage and per reviewer.",
        "decisions": "Votes as CSV: import votes made offline or in another tool, export for "
                     "a lead.",
        "fulltext": "Full texts of the reports sought: attach PDFs, mark not retrieved, list, "
                    "get, search.",
    }, hidden=("reviewers",)),
    **_lazy("project", "PROJECT_COMMANDS", {
        "reviews": "The reviews a database holds (one server, many reviews).",
        "protocol": "The review's protocol as stored with it, and amending it.",
        "export-project": "Write one review (records, decisions, PDFs, protocol, audit log) to "
                          "OUT.zip.",
        "import-project": "Restore a review exported with export-project, into a new, empty "
                          "database or beside the reviews a database holds; a failed restore "
                          "leaves the target as it was.",
        "migrate": "Copy a review (or --all of them) into another database (e.g. from SQLite "
                   "to a PostgreSQL server), under its slug (<slug>-2, ... if the target has "
                   "that one); a failed copy leaves the target as it was.",
        "audit": "The audit log: every change, who made it and when, with its details.",
        "doctor": "Check a deployment: database, schema, writes, and for every review its "
                  "protocol, sign-in and PDFs, each line naming the review.",
    }),
    **_lazy("prisma", "PRISMA_COMMANDS", {
        "prisma": "PRISMA 2020 flow counts computed from the review; optionally the diagram "
                  "and files.",
    }),
    **_lazy("ranking", "RANKING_COMMANDS", {
        "rank": "Retrain the title/abstract ranking now (the app also does it after votes).",
        "stopping": "The stopping rule (buscar) on the decisions so far, with its assumptions.",
        "stop-screening": "Stop title/abstract screening: queues close, PRISMA reports the "
                          "rest as not screened.",
        "resume-screening": "Take back a stop: title/abstract queues open again where they "
                            "were.",
    }),
    **_lazy("extraction", "EXTRACTION_COMMANDS", {
        "studies": "List the included studies (with their reports and extraction status).",
        "extract": "Enter or change your extraction of STUDY (your own entry only).",
        "quality": "Appraise STUDY with the protocol's quality checklist (part of your entry).",
        "extraction": "Compare and reconcile the extractors' entries (leads).",
        "themes": "The themes coded across studies (benefits, risks, mitigations, ...).",
        "tables": "Write the evidence tables (characteristics, themes, quotes, findings, "
                  "excluded reports, references) for a manuscript.",
        "findings": "Review findings and their GRADE-CERQual assessments (leads write them).",
    }),
    **_lazy("report", "REPORT_COMMANDS", {
        "report": "Write the review's report: methods, PRISMA diagram, every table, "
                  "references.",
    }),
    **_lazy("searches", "SEARCHES_COMMANDS", {
        "searches": "The searches as PRISMA-S reports them: list, document after import, export "
                    "the appendix.",
    }),
    **_lazy("references", "REFERENCES_COMMANDS", {
        "export-references": "Write the selected works to OUT.ris or OUT.csv, one merged "
                             "record per work.",
    }),
    **_lazy("simulate", "SIMULATE_COMMANDS", {
        "simulate": "Replay the screening of FILE.csv in the model's order.",
    }),
}


@click.group(cls=LazyGroup, lazy=LAZY_COMMANDS)
@click.version_option(__version__, prog_name="review")
def main() -> None:
    """Systematic reviews: import database exports, deduplicate, screen, extract, report."""


@main.command()
@click.option("--protocol", "protocol", required=True, type=click.Path(exists=True, dir_okay=False),
              help="The review protocol (TOML), e.g. protocols/peer-support-self-harm.toml.")
@click.option("--review", "slug", metavar="SLUG", default=None,
              help="The new review's slug, which commands and links choose it by (lower-case "
                   "letters, digits, hyphens). Default: made from the title. A database that "
                   "holds reviews takes one more only with a slug of its own.")
@click.option("--title", default=None, help="The review's title. Default: the protocol's.")
@db_only_option
def init(protocol: str, slug: str | None, title: str | None, db: str | None) -> None:
    """Create a review from a protocol."""
    store = create_review(protocol, db, actor=_actor(), review=slug, title=title)
    info = review_info(store)
    where = f" as '{store.review.slug}'" if store.review is not None else ""
    click.echo(f"Created review {info.title!r}{where} in {info.database}")


@main.command(name="import")
@click.argument("files", nargs=-1, required=True, type=click.Path(dir_okay=False))
@click.option("--source", required=True,
              help='Where the search ran, e.g. "PsycINFO (Ovid)". One source row per file.')
@click.option("--kind", type=click.Choice(KINDS), default="database", show_default=True,
              help="Kind of source, as PRISMA 2020 counts them; 'previous': the included "
                   "reports of the review's previous version (never screened again).")
@click.option("--searched", "--date", "searched", metavar="YYYY-MM-DD",
              help="Date the search was run. A source searched again (a living review) is "
                   "imported under the same name with the new run's date.")
@click.option("--studies", type=int, default=None,
              help="With --kind previous: the studies the previous version included (its "
                   "reports may be more); default: one study per report.")
@click.option("--platform", help='Where the search ran (PRISMA-S), e.g. "Ovid", "EBSCOhost".')
@click.option("--query-file", type=click.Path(exists=True, dir_okay=False),
              help="A text file with the full search strategy, stored with the source.")
@click.option("--limits", help='Limits the search applied, e.g. "English; 2010-2024".')
@click.option("--encoding", help="Read the files with this encoding (default: detected).")
@click.option("--no-dedupe", is_flag=True,
              help="Do not deduplicate after importing; the new records wait out of screening "
                   "until 'review dedupe' (for a team that checks duplicates first).")
@db_option
def import_(files: tuple[str, ...], source: str, kind: str, searched: str | None,
            studies: int | None, platform: str | None, query_file: str | None,
            limits: str | None, encoding: str | None, no_dedupe: bool, db: str | None) -> None:
    """Import export files (all of them land, or none), then deduplicate the review."""
    store = Store.open(db)
    query = read_strategy(query_file) if query_file else None
    info = SourceInfo(name=source, kind=kind, searched_on=searched, query=query,
                      platform=platform, limits=limits, studies=studies)
    bars, read = _Progress(), iter(range(1, len(files) + 1))  # reading, then dedupe's stages
    try:
        outcome = import_and_deduplicate(
            store, files, info, actor=_actor(), encoding=encoding, dedupe=not no_dedupe,
            progress=lambda name: bars("reading", next(read), len(files)),
            dedupe_progress=bars)
    finally:
        bars.close()
    for item in outcome.files:
        click.echo(f"{item.file_name}: {item.records} records ({item.format}, {item.encoding})")
    click.echo(f"Imported {outcome.records} records from {len(outcome.files)} file(s) as "
               f"source {outcome.source.name!r}.")
    summary = outcome.dedupe
    if outcome.dedupe_error is not None:
        click.echo(f"Deduplication failed: {outcome.dedupe_error}. The records are imported; "
                   "they reach screening after 'review dedupe'.", err=True)
        sys.exit(1)
    if summary is None:
        click.echo("Not deduplicated (--no-dedupe): the new records reach screening after "
                   "'review dedupe'.")
        return
    click.echo(f"Deduplicated: {summary.records} records in {summary.groups} groups, "
               f"{summary.duplicates} duplicates removed ({summary.merged_pairs} pairs merged "
               f"automatically), {summary.needs_review} pairs need a person "
               "('review duplicates --uncertain').")
    if kind == "previous":
        click.echo("The previous version's included reports: never screened again; search "
                   "records that duplicate them are removed before screening.")
        return
    new = new_records(store)
    fresh = sum(new.get(item.source_id) or 0 for item in outcome.files)
    if fresh < outcome.records:
        click.echo(f"{outcome.records - fresh} of these records an earlier run of "
                   f"{outcome.source.name!r} had already brought (not screened again); "
                   f"{fresh} are new to it.")


@main.command()
@format_option
@click.option("--by-name", is_flag=True, help="One row per source name (files added up).")
@db_option
def sources(fmt: str, by_name: bool, db: str | None) -> None:
    """List imported sources: their search details and records before and after deduplication.

    One row per file: its search date, records, new records (those no earlier run of the same
    source had brought: a living review's search run again shows what it added), and records
    after deduplication."""
    store = Store.open(db)
    if by_name:
        rows = store_records.source_counts(store)
        click.echo(render(rows, ("name", "kind", "files", "records"), fmt), nl=False)
        return
    rows = source_rows(store)
    new = new_records(store)
    for row in rows:
        row["new_records"] = new.get(row["id"])
    click.echo(render(rows, SOURCE_COLUMNS, fmt, widths=SOURCE_WIDTHS), nl=False)
    if fmt == "table":
        click.echo(f"{len(rows)} source file(s), {sum(r['record_count'] for r in rows)} records"
                   "; the search appendix: 'review searches export OUT.md'")


@main.command()
@click.option("--search", help="Words that must all appear (title, authors, journal, DOI, "
                               "keywords, year or abstract; accents ignored).")
@click.option("--source-id", type=int, help="Only records of this source (see 'review sources').")
@click.option("--limit", type=int, default=None, help="At most this many records.")
@click.option("--offset", type=int, default=0, help="Skip this many records first.")
@click.option("--all-fields", is_flag=True, help="Every normalised field (CSV/JSON).")
@format_option
@db_option
def records(search: str | None, source_id: int | None, limit: int | None, offset: int,
            all_fields: bool, fmt: str, db: str | None) -> None:
    """List imported records (ids are what other commands take)."""
    store = Store.open(db)
    rows = store_records.list_records(store, search=search, source_id=source_id, limit=limit,
                                      offset=offset)
    columns: tuple[str, ...] = RECORD_COLUMNS
    if all_fields:
        columns = ("id", "source", "source_id", "position", "source_line") + tuple(
            c for c in rows[0] if c not in {"id", "source", "source_id", "position",
                                            "source_line", "raw", "search_text", "format"}
        ) if rows else RECORD_COLUMNS
    click.echo(render(rows, columns, fmt, widths=RECORD_WIDTHS), nl=False)


@main.command()
@click.argument("record_id", type=int)
@click.option("--raw/--no-raw", default=True, help="Show the tags as exported.")
@db_option
def record(record_id: int, raw: bool, db: str | None) -> None:
    """Show one record: normalised fields, provenance and the raw tags (JSON)."""
    store = Store.open(db)
    row = store_records.get_record(store, record_id)
    if row is None:
        raise ReviewError(f"no record {record_id}; 'review records' lists the ids")
    row.pop("search_text", None)
    if not raw:
        row.pop("raw", None)
    click.echo(json.dumps(row, ensure_ascii=False, indent=2))


class _Progress:
    """A progress bar on stderr per stage of long work (reading files; dedupe: blocking,
    comparing)."""

    def __init__(self) -> None:
        self.bar: Any = None
        self.stage = ""

    def __call__(self, stage: str, done: int, total: int) -> None:
        if stage != self.stage:
            self.close()
            self.stage = stage
            self.bar = click.progressbar(length=max(total, 1), label=stage.capitalize(),
                                         file=sys.stderr)
            self.bar.__enter__()
        self.bar.update(done - self.bar.pos)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.__exit__(None, None, None)
            self.bar = None


@main.command()
@click.argument("files", nargs=-1, type=click.Path(exists=True, dir_okay=False))
@click.option("-o", "--out", type=click.Path(dir_okay=False),
              help="Batch mode: write every input record with duplicate_id and keep "
                   "(.csv or .ris).")
@click.option("--pairs", "pairs_out", type=click.Path(dir_okay=False),
              help="Batch mode: write candidate pairs with scores, evidence and outcome (CSV).")
@click.option("--unique", "unique_out", type=click.Path(dir_okay=False),
              help="Batch mode: write one merged record per group (RIS).")
@click.option("--encoding", help="Read the files with this encoding (default: detected).")
@db_option
def dedupe(files: tuple[str, ...], out: str | None, pairs_out: str | None,
           unique_out: str | None, encoding: str | None, db: str | None) -> None:
    """Find duplicates: in the review (no FILES), or in FILES with -o OUT (no review needed)."""
    progress = _Progress()
    if files:
        from review.dedupe.batch import (  # start-up: the engine loads only to deduplicate
            run_batch,
            write_pairs,
            write_records,
            write_unique,
        )

        if not out:
            raise click.UsageError("batch mode needs -o OUT (.csv or .ris)")
        data, result = run_batch(files, encoding=encoding, progress=progress)
        progress.close()
        write_records(Path(out), data, result)
        if pairs_out:
            write_pairs(Path(pairs_out), data, result)
        if unique_out:
            write_unique(Path(unique_out), data, result)
        click.echo(f"{len(data.records)} records, {result.groups} groups, "
                   f"{len(data.records) - result.groups} duplicates, "
                   f"{len(result.uncertain())} uncertain pairs left for a person; wrote {out}")
        return
    if out or pairs_out or unique_out:
        raise click.UsageError("-o, --pairs and --unique are for batch mode: name the FILES")
    from review.duplicates import run_dedupe  # start-up: loads the dedupe engine

    summary = run_dedupe(Store.open(db), actor=_actor(), progress=progress)
    progress.close()
    click.echo(f"{summary.records} records in {summary.groups} groups: {summary.duplicates} "
               f"duplicates removed, {summary.needs_review} pairs need a person "
               f"('review duplicates --uncertain'); {summary.new_groups} new groups.")


PAIR_COLUMNS = ("id", "status", "score", "record_a", "record_b", "year_a", "year_b", "title_a",
                "title_b", "source_a", "source_b", "reason", "decided_by")
PAIR_WIDTHS = {"title_a": 40, "title_b": 40, "reason": 50, "source_a": 16, "source_b": 16}


@main.group(invoke_without_command=True, cls=_Group)
@click.option("--uncertain", is_flag=True, help="Only pairs that wait for a person.")
@click.option("--status", type=click.Choice(["merged", "needs review", "confirmed", "rejected",
                                             "kept apart"]), help="Only pairs with this status.")
@click.option("--groups", "show_groups", is_flag=True, help="List duplicate groups instead.")
@format_option
@db_option
@click.pass_context
def duplicates(ctx: click.Context, uncertain: bool, status: str | None, show_groups: bool,
               fmt: str, db: str | None) -> None:
    """List duplicate pairs (or groups); confirm, reject or split with the subcommands."""
    if ctx.invoked_subcommand is not None:
        return
    from review.duplicates import (  # start-up: loads the dedupe engine
        NEEDS_REVIEW,
        list_groups,
        list_pairs,
    )

    store = Store.open(db)
    if show_groups:
        click.echo(render(list_groups(store), ("group", "size", "kept", "records"), fmt), nl=False)
        return
    rows = list_pairs(store, status=NEEDS_REVIEW if uncertain else status)
    click.echo(render(rows, PAIR_COLUMNS, fmt, widths=PAIR_WIDTHS), nl=False)


def _decide(decision: str) -> Callable:
    @click.argument("pair_id", metavar="PAIR", type=int)
    @db_option
    def command(pair_id: int, db: str | None) -> None:
        from review.duplicates import decide_pair  # start-up: loads the dedupe engine

        row = decide_pair(Store.open(db), pair_id, decision, actor=_actor())
        click.echo(f"Pair {pair_id} ({row['record_a']}, {row['record_b']}): {row['status']} "
                   f"by {row['decided_by']}.")

    command.__doc__ = {"confirm": "Confirm that PAIR's two records are the same work.",
                       "reject": "Record that PAIR's two records are different works."}[decision]
    return command


duplicates.command(name="confirm")(_decide("confirm"))
duplicates.command(name="reject")(_decide("reject"))


@duplicates.command(name="split")
@click.argument("group_id", metavar="GROUP", type=int)
@db_option
def split(group_id: int, db: str | None) -> None:
    """Undo a merge: every record of GROUP stands alone from now on."""
    from review.duplicates import split_group  # start-up: loads the dedupe engine

    groups = split_group(Store.open(db), group_id, actor=_actor())
    click.echo(f"Group {group_id} split into groups {', '.join(map(str, groups))}.")


@main.command()
@click.option("--db", default="demo/review.db", show_default=True, metavar="PATH",
              help="Where to build the demo review (SQLite).")
@click.option("--rebuild", is_flag=True, help="Delete and build it again.")
@click.option("--samples", type=click.Path(exists=True, file_okay=False), metavar="DIR",
              help="A folder laid out like sample_refs/: manifest.csv (file, source, kind, "
                   "searched), truth.csv and the exports it lists. Default: the sample exports "
                   "shipped with review.")
@click.option("--protocol", type=click.Path(exists=True, dir_okay=False), metavar="FILE",
              help="The review protocol (TOML). Default: the example protocol shipped with "
                   "review (protocols/peer-support-self-harm.toml).")
def demo(db: str, rebuild: bool, samples: str | None, protocol: str | None) -> None:
    """Build the demo review from the sample exports and the example protocol.

    An existing demo database is opened as it is; --rebuild builds it anew from the files.
    """
    from review.demo.build import build_demo  # start-up: the demo loads every service

    store = build_demo(db, samples=samples, protocol=protocol, rebuild=rebuild)
    counts = store_records.source_counts(store)
    for row in counts:
        click.echo(f"{row['name']} ({row['kind']}): {row['records']} records")
    from review.duplicates import summary  # start-up: loads the dedupe engine

    result = summary(store)
    click.echo(f"{result.records} records in {result.groups} groups after deduplication; "
               f"demo review ready in {store.display_url}")


if __name__ == "__main__":  # pragma: no cover
    main()
