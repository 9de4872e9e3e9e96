"""`review searches`: the review's searches as PRISMA-S reports them, their details recorded
after the import, and the search appendix."""

from __future__ import annotations

import click

from review.cli.common import _actor, _Group, db_option, format_option
from review.prisma.searches import (
    UNSET,
    edit_search,
    export_appendix,
    read_strategy,
    search_report,
)
from review.store import Store
from review.tabular import render

LIST_COLUMNS = ("ids", "source", "kind", "platform", "searched_on", "records",
                "after_deduplication", "unique", "limits", "query")
LIST_WIDTHS = {"source": 24, "platform": 14, "limits": 30, "query": 40, "ids": 10}


@click.group(cls=_Group, invoke_without_command=True)
@click.pass_context
def searches(ctx: click.Context) -> None:
    """The searches as PRISMA-S reports them: list, document after import, export the appendix.

    A search is the files imported together under one source name with the same date,
    platform, query and limits. With no subcommand, the same as 'review searches list'.
    """
    if ctx.invoked_subcommand is None:
        ctx.invoke(searches_list)


@searches.command(name="list")
@format_option
@db_option
def searches_list(fmt: str = "table", db: str | None = None) -> None:
    """Each search: records found, distinct records after deduplication, and those no other
    search found, with its platform, date, limits and query."""
    report = search_report(Store.open(db))
    rows = [{**s.row(), "ids": list(s.source_ids)} for s in report.searches]
    click.echo(render(rows, LIST_COLUMNS, fmt, widths=LIST_WIDTHS), nl=False)
    if fmt == "table":
        after = ("not all deduplicated yet ('review dedupe')"
                 if report.after_deduplication is None else str(report.after_deduplication))
        click.echo(f"{len(rows)} search(es), {report.records} records, after deduplication "
                   f"{after}")


@searches.command(name="export")
@click.argument("out", type=click.Path(dir_okay=False))
@db_option
def searches_export(out: str, db: str | None) -> None:
    """Write the search appendix to OUT.csv or OUT.md: every search with its source, platform,
    date, full query, limits and records found and after deduplication."""
    report = export_appendix(Store.open(db), out)
    click.echo(f"Wrote {out}: {len(report.searches)} search(es), {report.records} records.")
    missing = [s.source for s in report.searches if not s.query]
    if missing:
        click.echo("No search strategy recorded for: " + "; ".join(missing)
                   + " (add it with 'review searches edit ID --query-file FILE').", err=True)


@searches.command(name="edit")
@click.argument("source_ids", metavar="ID...", nargs=-1, required=True, type=int)
@click.option("--platform", help='Where the search ran, e.g. "Ovid"; "" clears it.')
@click.option("--searched", "--date", "searched", metavar="YYYY-MM-DD",
              help='Date the search was run; "" clears it.')
@click.option("--query-file", type=click.Path(exists=True, dir_okay=False),
              help="A text file with the full search strategy.")
@click.option("--limits", help='Limits applied, e.g. "English; 2010-2024"; "" clears them.')
@db_option
def searches_edit(source_ids: tuple[int, ...], platform: str | None, searched: str | None,
                  query_file: str | None, limits: str | None, db: str | None) -> None:
    """Record or correct the details of imported sources (ids from 'review sources')."""
    def given(value: str | None) -> str | None:
        return UNSET if value is None else value

    query = read_strategy(query_file) if query_file else None
    changed = edit_search(Store.open(db), source_ids, actor=_actor(), platform=given(platform),
                          searched_on=given(searched), query=given(query),
                          limits=given(limits))
    click.echo(f"Updated source(s) {', '.join(map(str, changed))}.")


SEARCHES_COMMANDS = (searches,)
