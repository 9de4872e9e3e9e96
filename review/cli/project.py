"""Commands over a whole review: back it up, restore it, move it to a server, read its audit
log."""

from __future__ import annotations

import json

import click

from review.amendments import amend_protocol
from review.audit_trail import audit_rows
from review.cli.common import _Group, db_only_option, db_option, format_option
from review.doctor import run_checks
from review.project import review_info, review_protocol
from review.reviews import list_reviews
from review.store import Store
from review.store.archive import copy_reviews, export_project, import_project
from review.tabular import render


def _report(table: str, rows: int) -> None:
    click.echo(f"  {table}: {rows} rows", err=True)


@click.command(name="export-project")
@click.argument("out", type=click.Path(dir_okay=False))
@db_option
def export_project_command(out: str, db: str | None) -> None:
    """Write one review (records, decisions, PDFs, protocol, audit log) to OUT.zip."""
    manifest = export_project(Store.open(db), out)
    total = sum(manifest["tables"].values())
    click.echo(f"Wrote {out}: review '{manifest['review_slug']}', {total} rows in "
               f"{len(manifest['tables'])} tables (schema {manifest['schema_version']}).")


@click.command(name="import-project")
@click.argument("archive", type=click.Path(exists=True, dir_okay=False))
@click.option("--db", required=True, metavar="PATH|URL",
              help="A new, empty database (a path that does not exist yet, or an empty "
                   "PostgreSQL database or schema), or a database of reviews to add it to.")
@click.option("--review", "review_slug", default=None, metavar="SLUG",
              help="The slug the review gets in the target (refused if taken). Default: its "
                   "slug in the archive, or <slug>-2, -3, ... if the target has that one.")
def import_project_command(archive: str, db: str, review_slug: str | None) -> None:
    """Restore a review exported with export-project, into a new, empty database or beside the
    reviews a database holds; a failed restore leaves the target as it was."""
    store = import_project(archive, db, progress=_report, review=review_slug)
    slug = store.review.slug if store.review is not None else "?"
    click.echo(f"Restored {archive} into {store.display_url} as review '{slug}'.")


@click.command(name="migrate")
@click.option("--to", "target", required=True, metavar="URL",
              help="A new, empty database, e.g. postgresql://user@host/review, or a database "
                   "of reviews to add to.")
@click.option("--all", "every", is_flag=True,
              help="Copy every review of the source database (in one transaction), not one.")
@db_option
def migrate_command(target: str, every: bool, db: str | None) -> None:
    """Copy a review (or --all of them) into another database (e.g. from SQLite to a PostgreSQL
    server), under its slug (<slug>-2, ... if the target has that one); a failed copy leaves
    the target as it was."""
    ctx = click.get_current_context()
    if every and ctx.get_parameter_source("review_slug") == click.core.ParameterSource.COMMANDLINE:
        raise click.UsageError("give either --review SLUG (one review) or --all, not both")
    if every:
        server = Store.open_database(db)
        sources = [server.with_review(slot) for slot in server.reviews()] or [server]
    else:
        sources = [Store.open(db)]
    stores = copy_reviews(sources, target, progress=_report)
    landed = ", ".join(f"'{s.review.slug}'" for s in stores if s.review is not None)
    click.echo(f"Copied {sources[0].display_url} to {stores[0].display_url} "
               f"(review{'s' if len(stores) > 1 else ''} {landed}); the original is unchanged.")


@click.command(name="audit")
@click.option("--action", help="Only this action, e.g. 'change vote'.")
@click.option("--actor", help="Only changes by this person.")
@click.option("--since", metavar="ISO-TIME", help="Only changes at or after this time (UTC).")
@click.option("--limit", type=int)
@format_option
@db_option
def audit_command(action: str | None, actor: str | None, since: str | None, limit: int | None,
                  fmt: str, db: str | None) -> None:
    """The audit log: every change, who made it and when, with its details."""
    rows = audit_rows(Store.open(db), action=action, actor=actor, since=since, limit=limit)
    click.echo(render(rows, ("id", "at", "actor", "action", "entity", "entity_id", "detail"),
                      fmt, widths={"detail": 80}), nl=False)


@click.command(name="doctor")
@click.option("--review", "review_slug", default=None, metavar="SLUG",
              help="Check only this review. Default: every review of the database.")
@db_only_option
def doctor_command(review_slug: str | None, db: str | None) -> None:
    """Check a deployment: database, schema, writes, and for every review its protocol,
    sign-in and PDFs, each line naming the review. Exit 1 on a failed check."""
    checks = run_checks(db, review=review_slug)
    for check in checks:
        click.echo(check.line())
    if not all(c.ok for c in checks):
        raise SystemExit(1)


@click.group(cls=_Group)
def protocol() -> None:
    """The review's protocol as stored with it, and amending it."""


@protocol.command(name="show")
@db_option
def protocol_show(db: str | None) -> None:
    """Print the stored protocol (not the file on disk, which may have changed since)."""
    store = Store.open(db)
    info = review_info(store)
    click.echo(f"# {info.protocol_file}, sha256 {info.protocol_sha256}", err=True)
    click.echo(review_protocol(store).text, nl=False)


@protocol.command(name="amend")
@click.argument("file", type=click.Path(exists=True, dir_okay=False))
@click.option("--by", "person", required=True, metavar="LEAD", help="The lead who amends it.")
@click.option("--note", required=True, help="Why (kept in the audit log with both texts).")
@db_option
def protocol_amend(file: str, person: str, note: str, db: str | None) -> None:
    """Replace the stored protocol with FILE, if it keeps what recorded data stands on."""
    new = amend_protocol(Store.open(db), file, by=person, note=note)
    click.echo(f"Protocol amended: {file} (sha256 {new.sha256[:12]}); screening states "
               "recomputed under it.")


@click.group(cls=_Group)
def reviews() -> None:
    """The reviews a database holds (one server, many reviews)."""


@reviews.command(name="list")
@format_option
@db_only_option
def reviews_list(fmt: str, db: str | None) -> None:
    """Every review of the database: slug, title, records, people, and each stage's works by
    state."""
    found = list_reviews(db)
    rows = [summary.row() for summary in found]
    stages = sorted({stage for summary in found for stage in summary.stages})
    if fmt == "json":
        click.echo(json.dumps([{"slug": s.slug, "title": s.title, "records": s.records,
                                "people": s.people, "stages": s.stages} for s in found],
                              indent=2, ensure_ascii=False))
        return
    click.echo(render(rows, ("slug", "title", "records", "people", *stages), fmt), nl=False)


PROJECT_COMMANDS = (reviews, protocol, export_project_command, import_project_command,
                    migrate_command, audit_command, doctor_command)
