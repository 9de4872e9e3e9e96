"""Screening commands: users, votes, queues, conflicts, agreement, progress, full texts and
decision files. Each calls one service; blinding is the services' job, not this layer's."""

from __future__ import annotations

import getpass
import json
import sys
import textwrap
from pathlib import Path
from typing import Any

import click

from review.accounts import (
    ROLES,
    add_reviewer,
    get_reviewer,
    has_password,
    list_accounts,
    list_reviewers,
    set_account_active,
    set_active,
    set_admin,
    set_email,
    set_password,
    set_role,
)
from review.cli.common import _actor, _Group, db_only_option, db_option, format_option
from review.errors import ReviewError
from review.screening import agreement as agreement_service
from review.screening import conflicts as conflict_service
from review.screening import discussion as discussion_service
from review.screening import fulltext as fulltext_service
from review.screening import pdftext, why
from review.screening import votes as screening
from review.screening.decisions_csv import EXPORT_COLUMNS, export_decisions, import_decisions
from review.store import Store
from review.tabular import render

QUEUE_COLUMNS = ("record_id", "stage", "year", "authors", "title")
VOTE_COLUMNS = ("record_id", "stage", "decision", "reason", "note", "status", "changes",
                "updated_at")
WIDTHS = {"title": 60, "authors": 30, "note": 30, "votes": 70}


def _stage_option(func):  # type: ignore[no-untyped-def]
    return click.option("--stage", help="Stage id from the protocol (default: the first, "
                                        "e.g. title_abstract; full_text for full texts).")(func)


def _person_option(name: str, help_text: str):  # type: ignore[no-untyped-def]
    return click.option(name, "person", envvar="REVIEW_USER", required=True, metavar="NAME",
                        help=help_text + " Default: $REVIEW_USER.")


@click.group(cls=_Group)
def users() -> None:
    """Manage the people of the review: leads, reviewers and observers."""


def _read_password(name: str, from_stdin: bool) -> str:
    if from_stdin:
        return sys.stdin.readline().rstrip("\n")
    first = getpass.getpass(f"Password for {name}: ")
    if getpass.getpass("Again: ") != first:
        raise ReviewError("the two passwords differ; nothing was changed")
    return first


@users.command(name="add")
@click.argument("name")
@click.option("--role", type=click.Choice(ROLES), default="reviewer", show_default=True,
              help="lead: manages the review; reviewer: screens; observer: reads progress.")
@click.option("--resolver", is_flag=True, help="A third reviewer who may resolve conflicts.")
@click.option("--email", help="Matched against the email of an OpenID Connect sign-in.")
@click.option("--password-stdin", is_flag=True,
              help="Read a password for signing in to the app from standard input.")
@click.option("--no-password", is_flag=True,
              help="No password sign-in (command line, CSV, or OpenID Connect by --email).")
@db_option
def users_add(name: str, role: str, resolver: bool, email: str | None, password_stdin: bool,
              no_password: bool, db: str | None) -> None:
    """Add a person; asks for a password (hashed with Argon2) unless told otherwise. Someone
    with an account on the server joins with it: no password asked, theirs stays."""
    store = Store.open(db)
    known = has_password(store, name)
    password = None
    if password_stdin:
        password = sys.stdin.readline().rstrip("\n")
    elif not no_password and not known:
        password = getpass.getpass(f"Password for {name}: ")
    person = add_reviewer(store, name, role=role, password=password, resolver=resolver,
                          email=email, actor=_actor())
    joined = " with their account on this server" if known else ""
    click.echo(f"Added {person.name} ({person.describe()}){joined}.")


@users.command(name="list")
@format_option
@db_option
def users_list(fmt: str, db: str | None) -> None:
    """List the people with their roles, emails and whether they may sign in."""
    rows = [{"name": r.name, "role": r.role, "resolver": r.resolver, "active": r.active,
             "email": r.email} for r in list_reviewers(Store.open(db))]
    click.echo(render(rows, ("name", "role", "resolver", "active", "email"), fmt), nl=False)


@users.command(name="disable")
@click.argument("name")
@db_option
def users_disable(name: str, db: str | None) -> None:
    """Stop NAME signing in or acting (their votes stay); an open session ends at its next click."""
    person = set_active(Store.open(db), name, False, actor=_actor())
    click.echo(f"Disabled {person.name}.")


@users.command(name="enable")
@click.argument("name")
@db_option
def users_enable(name: str, db: str | None) -> None:
    """Let a disabled NAME sign in again."""
    person = set_active(Store.open(db), name, True, actor=_actor())
    click.echo(f"Enabled {person.name}.")


@users.command(name="reset-password")
@click.argument("name")
@click.option("--password-stdin", is_flag=True, help="Read the new password from standard input.")
@db_option
def users_reset_password(name: str, password_stdin: bool, db: str | None) -> None:
    """Give NAME a new password (asked twice, or read from standard input)."""
    store = Store.open(db)
    person = get_reviewer(store, name)
    set_password(store, person.name, _read_password(person.name, password_stdin),
                 actor=_actor())
    click.echo(f"Password set for {person.name}.")


@users.command(name="role")
@click.argument("name")
@click.argument("role", type=click.Choice(ROLES))
@click.option("--resolver", is_flag=True, help="A reviewer who may resolve conflicts.")
@db_option
def users_role(name: str, role: str, resolver: bool, db: str | None) -> None:
    """Change NAME's role (lead, reviewer or observer)."""
    person = set_role(Store.open(db), name, role, resolver=resolver, actor=_actor())
    click.echo(f"{person.name} is now a {person.describe()}.")


@users.command(name="email")
@click.argument("name")
@click.argument("email", required=False)
@db_option
def users_email(name: str, email: str | None, db: str | None) -> None:
    """Set (or, without EMAIL, remove) the email an OpenID Connect sign-in is matched on."""
    person = set_email(Store.open(db), name, email, actor=_actor())
    click.echo(f"{person.name}: email {person.email or 'removed'}.")


@click.command(name="password")
@click.argument("name")
@db_option
def reviewers_password(name: str, db: str | None) -> None:
    """Set a reviewer's password (read from standard input)."""
    set_password(Store.open(db), name, sys.stdin.readline().rstrip("\n"), actor=_actor())
    click.echo(f"Password set for {name}.")


# the earlier name, kept so scripts go on working: add, list and password
reviewers = _Group(name="reviewers", hidden=True,
                   help="Earlier name of 'review users' (add, list, password).",
                   commands={"add": users_add, "list": users_list, "password": reviewers_password})


def _criteria(values: tuple[str, ...]) -> dict[str, str]:
    answers = {}
    for value in values:
        key, sep, answer = value.partition("=")
        if not sep:
            raise click.BadParameter(f"{value!r}: use CRITERION=yes|no|unclear",
                                     param_hint="--criterion")
        answers[key.strip()] = answer.strip().lower()
    return answers


@click.command()
@click.argument("record_id", metavar="RECORD", type=int)
@click.option("--decision", required=True, type=click.Choice(screening.DECISIONS))
@_person_option("--reviewer", "Who votes.")
@_stage_option
@click.option("--reason", help="Exclusion reason from the protocol's list (needed at full text).")
@click.option("--note", help="A note for the record (at full text without a PDF: how you read it).")
@click.option("--criterion", "criteria", multiple=True, metavar="ID=ANSWER",
              help="Answer to a protocol criterion (yes, no, unclear); repeatable.")
@db_option
def vote(record_id: int, decision: str, person: str, stage: str | None, reason: str | None,
         note: str | None, criteria: tuple[str, ...], db: str | None) -> None:
    """Vote on RECORD (or change your vote)."""
    answers = _criteria(criteria)  # a usage error before the database is opened
    row = screening.cast_vote(Store.open(db), person, record_id, decision, stage=stage,
                              reason=reason, note=note, criteria=answers)
    change = f" (change {row['changes']})" if row["changes"] else ""
    click.echo(f"{person}: {row['decision']} on record {record_id} at {row['stage']}{change}.")


@click.command()
@_person_option("--reviewer", "Whose queue.")
@_stage_option
@click.option("--limit", type=int, help="At most this many records.")
@format_option
@db_option
def queue(person: str, stage: str | None, limit: int | None, fmt: str, db: str | None) -> None:
    """The records waiting for a reviewer's vote (no one else's votes shown)."""
    store = Store.open(db)
    rows = screening.queue(store, person, stage, limit=limit)
    click.echo(render(rows, QUEUE_COLUMNS, fmt, widths=WIDTHS), nl=False)
    if not rows:  # why, on stderr: a table, CSV or JSON on stdout stays what it was
        empty = why.why_empty(store, person, stage)
        if empty is not None:
            click.echo(empty.message.replace("`", "'"), err=True)


@click.command()
@_person_option("--reviewer", "Whose votes.")
@_stage_option
@format_option
@db_option
def votes(person: str, stage: str | None, fmt: str, db: str | None) -> None:
    """A reviewer's own votes, newest first, with where each record stands."""
    rows = screening.my_votes(Store.open(db), person, stage)
    click.echo(render(rows, VOTE_COLUMNS, fmt, widths=WIDTHS), nl=False)


@click.command()
@_person_option("--reviewer", "Whose last vote.")
@_stage_option
@db_option
def undo(person: str, stage: str | None, db: str | None) -> None:
    """Withdraw a reviewer's last vote at the stage."""
    record_id = screening.undo_last(Store.open(db), person, stage)
    click.echo("Nothing to undo." if record_id is None
               else f"Withdrew {person}'s vote on record {record_id}.")


@click.command()
@_person_option("--as", "A lead or third reviewer sees every vote; a reviewer, the conflicts "
                        "they voted in, with their own vote only.")
@_stage_option
@format_option
@db_option
def conflicts(person: str, stage: str | None, fmt: str, db: str | None) -> None:
    """Records whose votes disagree, with every vote (for a lead or third reviewer).

    A reviewer who voted in a conflict sees it too, with their own vote only."""
    rows = []
    for c in conflict_service.conflicts(Store.open(db), person, stage):
        summary = "; ".join(f"{v['reviewer']}: {v['decision']}"
                            + (f" ({v['reason']})" if v["reason"] else "") for v in c.votes)
        rows.append({"record_id": c.record_id, "stage": c.stage, "year": c.year,
                     "title": c.title, "votes": summary,
                     "detail": [{k: v[k] for k in ("reviewer", "decision", "reason", "note",
                                                   "criteria")} for v in c.votes]})
    columns = ("record_id", "stage", "year", "title", "votes")
    click.echo(render(rows, columns + (("detail",) if fmt == "json" else ()), fmt,
                      widths=WIDTHS), nl=False)


@click.command()
@click.argument("record_id", metavar="RECORD", type=int)
@click.option("--decision", required=True, type=click.Choice(["include", "exclude"]))
@click.option("--by", "person", required=True, metavar="NAME", help="The lead or third reviewer.")
@_stage_option
@click.option("--reason", help="An exclusion's reason, from the protocol's list (needed at full "
                              "text); for an inclusion, why in your words.")
@click.option("--note", help="Free text kept with the resolution.")
@db_option
def resolve(record_id: int, decision: str, person: str, stage: str | None, reason: str | None,
            note: str | None, db: str | None) -> None:
    """Resolve the conflict on RECORD."""
    row = conflict_service.resolve(Store.open(db), record_id, decision, by=person, stage=stage,
                            reason=reason, note=note)
    click.echo(f"Record {record_id} at {row['stage']}: {decision} (resolved by {person}).")


@click.command()
@click.argument("record_id", metavar="RECORD", type=int)
@_person_option("--as", "Who voted in the conflict, the third reviewer or a lead.")
@_stage_option
@click.option("--post", "text", metavar="TEXT", help="Add this comment to the thread first.")
@format_option
@db_option
def discuss(record_id: int, person: str, stage: str | None, text: str | None, fmt: str,
            db: str | None) -> None:
    """The discussion of the conflict on RECORD (and --post to add to it)."""
    review = Store.open(db)
    if text is not None:
        discussion_service.post(review, record_id, text, by=person, stage=stage)
    rows = [{"at": c.created_at[:16].replace("T", " "), "by": c.author, "comment": c.body}
            for c in discussion_service.thread(review, record_id, by=person, stage=stage)]
    click.echo(render(rows, ("at", "by", "comment"), fmt, widths={"comment": 80}), nl=False)


@click.command()
@_person_option("--as", "A lead, third reviewer or observer (agreement would unblind a reviewer).")
@_stage_option
@format_option
@db_option
def agreement(person: str, stage: str | None, fmt: str, db: str | None) -> None:
    """Percent agreement and Cohen's kappa per stage and per reviewer pair (before resolution)."""
    rows = [a.as_row() for a in agreement_service.agreement(Store.open(db), stage, by=person)]
    if fmt == "table":
        for row in rows:
            row["percent"] = "" if row["percent"] is None else f"{row['percent']:.1f}"
            row["kappa"] = "n/a" if row["kappa"] is None else f"{row['kappa']:.3f}"
    click.echo(render(rows, ("stage", "reviewers", "records", "agreed", "percent", "kappa",
                             "conflicts"), fmt), nl=False)


@click.command()
@_person_option("--as", "Who asks: a plain reviewer sees their own counts only.")
@format_option
@db_option
def progress(person: str, fmt: str, db: str | None) -> None:
    """Screening progress per stage and per reviewer."""
    data = agreement_service.progress(Store.open(db), by=person)
    if fmt == "json":
        click.echo(json.dumps(data, indent=2))
        return
    if data["scope"] == "review":
        click.echo(render(data["stages"], ("stage", "records", "pending", "conflicts",
                                           "included", "excluded", "excluded_by_automation",
                                           "resolved", "not_retrieved"), fmt), nl=False)
        if fmt == "table":
            click.echo("")
    elif fmt == "table":
        click.echo("Your own counts (stage totals are for leads, third reviewers and "
                   "observers).\n")
    click.echo(render(data["reviewers"], ("reviewer", "role", "stage", "votes", "waiting",
                                          "of"), fmt), nl=False)


@click.group(cls=_Group)
def decisions() -> None:
    """Votes as CSV: import votes made offline or in another tool, export for a lead."""


@decisions.command(name="import")
@click.argument("file", type=click.Path(dir_okay=False))
@click.option("--from", "tool", type=click.Choice(["ours", "rayyan", "covidence"]),
              default="ours", show_default=True,
              help="ours: columns record, reviewer, stage, decision, reason, note; rayyan: "
                   "Rayyan's article export (articles.csv); covidence: one of Covidence's "
                   "reference lists (RIS or CSV) of a stage.")
@click.option("--reviewer-map", multiple=True, metavar='"NAME=ACCOUNT"',
              help="rayyan: the account a Rayyan reviewer's votes go to (default: the account "
                   "of the same name); repeatable.")
@click.option("--reason-map", multiple=True, metavar='"THEIRS=OURS"',
              help="rayyan: a Rayyan exclusion reason as one of the protocol's reasons; "
                   "unmapped reasons are kept in the vote's note; repeatable.")
@click.option("--stage", help="covidence: the stage the list is of (e.g. title_abstract, "
                              "full_text).")
@click.option("--decision", type=click.Choice(["include", "exclude"]),
              help="covidence: what the list is (included or excluded at --stage).")
@click.option("--by", "lead", metavar="LEAD", help="covidence: the lead who settles them.")
@click.option("--reason", help="covidence: the protocol's exclusion reason for an excluded "
                               "list at a stage that needs one.")
@click.option("--skip-unmatched", is_flag=True,
              help="rayyan, covidence: import without the rows that match no record, or "
                   "several (they are listed).")
@click.option("--matches", type=click.Path(dir_okay=False),
              help="rayyan, covidence: the unmatched-rows CSV an earlier try wrote, with a "
                   "record id (or 'skip') written in its record column.")
@click.option("--over-votes", is_flag=True,
              help="covidence: settle works that have votes here not yet decided (open or in "
                   "conflict) as the list says, over those votes (they stay); without it such "
                   "works stop the import, named by row.")
@db_option
def decisions_import(file: str, tool: str, reviewer_map: tuple[str, ...],
                     reason_map: tuple[str, ...], stage: str | None, decision: str | None,
                     lead: str | None, reason: str | None, skip_unmatched: bool,
                     matches: str | None, over_votes: bool, db: str | None) -> None:
    """Import votes (columns record, reviewer, stage, decision, reason, note): all rows or none."""
    given = {"--reviewer-map": bool(reviewer_map), "--reason-map": bool(reason_map),
             "--stage": stage is not None, "--decision": decision is not None,
             "--by": lead is not None, "--reason": reason is not None,
             "--skip-unmatched": skip_unmatched, "--matches": matches is not None,
             "--over-votes": over_votes}
    allowed = {"ours": (), "rayyan": ("--reviewer-map", "--reason-map", "--skip-unmatched",
                                      "--matches"),
               "covidence": ("--stage", "--decision", "--by", "--reason", "--skip-unmatched",
                             "--matches", "--over-votes")}[tool]
    stray = [name for name, present in given.items() if present and name not in allowed]
    if stray:
        raise click.UsageError(f"{', '.join(stray)} do(es) not go with --from {tool}")
    if tool == "ours":
        changed = import_decisions(file, Store.open(db), actor=_actor())
        click.echo(f"{Path(file).name}: {changed} vote(s) added or changed.")
        return
    from review.screening import foreign  # start-up: matching loads the dedupe engine

    if tool == "rayyan":
        result = foreign.import_rayyan(file, Store.open(db), actor=_actor(),
                                       reviewer_map=reviewer_map, reason_map=reason_map,
                                       skip_unmatched=skip_unmatched, matches=matches)
    else:
        missing = [n for n, v in (("--stage", stage), ("--decision", decision),
                                  ("--by", lead)) if v is None]
        if missing:
            raise click.UsageError(f"--from covidence needs {', '.join(missing)}")
        assert stage is not None and decision is not None and lead is not None
        result = foreign.import_covidence(file, Store.open(db), stage=stage, decision=decision,
                                          by=lead, actor=_actor(), reason=reason,
                                          skip_unmatched=skip_unmatched, matches=matches,
                                          over_votes=over_votes)
    for line in foreign.describe(result):
        click.echo(line)


@decisions.command(name="export")
@click.option("-o", "--out", type=click.Path(dir_okay=False), help="Write here (else stdout).")
@_person_option("--by", "The lead exporting.")
@click.option("--include-pending", is_flag=True,
              help="Also votes on records still waiting for others (unblinds them to you).")
@click.option("--format", "fmt", type=click.Choice(["csv", "json", "table"]), default="csv",
              show_default=True)
@db_option
def decisions_export(out: str | None, person: str, include_pending: bool, fmt: str,
                     db: str | None) -> None:
    """Export votes with who, when and where each record stands."""
    rows = export_decisions(Store.open(db), by=person, include_pending=include_pending)
    text = render(rows, EXPORT_COLUMNS, fmt)
    if out:
        Path(out).write_text(text, encoding="utf-8")
        click.echo(f"Wrote {len(rows)} vote(s) to {out}.")
    else:
        click.echo(text, nl=False)


@click.group(cls=_Group)
def fulltext() -> None:
    """Full texts of the reports sought: attach PDFs, mark not retrieved, list, get, search."""


@fulltext.command(name="attach")
@click.argument("record_id", metavar="RECORD", type=int)
@click.argument("file", type=click.Path(exists=True, dir_okay=False))
@db_option
def fulltext_attach(record_id: int, file: str, db: str | None) -> None:
    """Store FILE (a PDF) as RECORD's full text."""
    row = fulltext_service.attach_pdf(Store.open(db), record_id, Path(file).read_bytes(), file,
                                      actor=_actor())
    click.echo(f"Record {record_id}: {row['file_name']} attached (sha256 {row['sha256']}).")
    if row["text_status"] == "no text layer":
        click.echo(f"Note: {row['file_name']} has no text layer (a scan?): search and quote "
                   "location cannot use it.", err=True)
    elif row["text_error"]:
        click.echo(f"Note: its text could not be read: {row['text_error']}", err=True)


@fulltext.command(name="not-retrieved")
@click.argument("record_id", metavar="RECORD", type=int)
@click.option("--reason", required=True, help="Why it could not be obtained.")
@db_option
def fulltext_not_retrieved(record_id: int, reason: str, db: str | None) -> None:
    """Mark RECORD's report as not retrieved."""
    fulltext_service.mark_not_retrieved(Store.open(db), record_id, reason, actor=_actor())
    click.echo(f"Record {record_id}: not retrieved ({reason}).")


@fulltext.command(name="list")
@click.option("--status", type=click.Choice(["sought", "retrieved", "not retrieved"]))
@format_option
@db_option
def fulltext_list(status: str | None, fmt: str, db: str | None) -> None:
    """Reports sought for retrieval, with their status."""
    rows = fulltext_service.list_reports(Store.open(db), status=status)
    click.echo(render(rows, ("record_id", "status", "year", "title", "file_name", "reason",
                             "assessment", "outcome"), fmt, widths=WIDTHS), nl=False)


@fulltext.command(name="get")
@click.argument("record_id", metavar="RECORD", type=int)
@click.option("-o", "--out", required=True, type=click.Path(dir_okay=False))
@db_option
def fulltext_get(record_id: int, out: str, db: str | None) -> None:
    """Write RECORD's stored PDF to OUT (checked against its sha256)."""
    name, data = fulltext_service.pdf_bytes(Store.open(db), record_id)
    Path(out).write_bytes(data)
    click.echo(f"Wrote {name} ({len(data)} bytes) to {out}.")


@fulltext.command(name="index")
@click.option("--again", is_flag=True, help="Read every attached PDF again (e.g. after "
                                            "upgrading pypdf), not only those not read yet.")
@format_option
@db_option
def fulltext_index(again: bool, fmt: str, db: str | None) -> None:
    """Read the text of attached PDFs not read yet; list every PDF's text status."""
    store = Store.open(db)
    with click.progressbar(length=1, label="Reading PDFs", file=sys.stderr) as bar:
        def step(done: int, total: int, name: str) -> None:
            bar.length = max(total, 1)
            bar.update(done - bar.pos)

        read = pdftext.index_pdfs(store, again=again, progress=step)
    rows = pdftext.text_status(store)
    click.echo(render(rows, ("record_id", "file_name", "status", "pages", "text_pages",
                             "error"), fmt, widths={"file_name": 40, "error": 70}), nl=False)
    if fmt == "table":
        click.echo(f"Read {len(read)} PDF(s) now; {len(rows)} attached.", err=True)


@fulltext.command(name="search")
@click.argument("words", nargs=-1, required=True)
@click.option("--limit", type=click.IntRange(1), default=pdftext.MAX_HITS, show_default=True,
              help="At most this many pages.")
@format_option
@db_option
def fulltext_search(words: tuple[str, ...], limit: int, fmt: str, db: str | None) -> None:
    """Pages of the attached PDFs that hold every one of WORDS.

    Case, line breaks and hyphenation do not matter; "a phrase" in quotes is one term; a
    trailing * stands for any ending (moderat*). Each page found is shown with its report,
    study and a snippet with the words marked **like this**.
    """
    found = pdftext.search_pdfs(Store.open(db), words, actor=_actor(), limit=limit)
    rows: list[dict[str, Any]] = [
        {"record_id": h.record_id, "study_id": h.study_id, "study": h.label,
         "file_name": h.file_name, "page": h.page, "hits": h.snippet.hits,
         "snippet": h.snippet.marked()} for h in found.hits]
    if fmt != "table":
        click.echo(render(rows, ("record_id", "study_id", "study", "file_name", "page", "hits",
                                 "snippet"), fmt), nl=False)
    else:
        for row in rows:
            study = f"study {row['study_id']}, " if row["study_id"] else ""
            click.echo(f"Record {row['record_id']} ({study}{row['study']}), "
                       f"{row['file_name']}, p. {row['page']}:")
            click.echo(textwrap.fill(row["snippet"], 96, initial_indent="  ",
                                     subsequent_indent="  "))
        click.echo(f"{len(rows)} page(s) in {found.pdfs} searchable PDF(s) hold "
                   + " and ".join(repr(term) for term in found.query.terms) + "."
                   + (f" {found.more} more not shown (--limit)." if found.more else ""))
    for row in found.unsearchable:
        why = row["error"] if row["status"] == "unreadable" else row["status"]
        click.echo(f"Not searched: record {row['record_id']}, {row['file_name']}: {why}.",
                   err=True)


@fulltext.command(name="locate")
@click.argument("record_id", metavar="RECORD", type=int)
@click.argument("quote")
@db_option
def fulltext_locate(record_id: int, quote: str, db: str | None) -> None:
    """The page of RECORD's PDF that QUOTE is on, or that it is not found verbatim."""
    found = pdftext.locate_quote(Store.open(db), quote, record_id)
    click.echo(found.message[:1].upper() + found.message[1:] + ".")
    if found.status != pdftext.FOUND:
        sys.exit(1)


@click.group(cls=_Group)
def accounts() -> None:
    """The server's accounts: one per person, shared by every review they are in."""


@accounts.command(name="list")
@format_option
@db_only_option
def accounts_list(fmt: str, db: str | None) -> None:
    """Every account with its reviews and the role in each."""
    rows = [{"name": a.name, "email": a.email, "active": a.active, "admin": a.admin,
             "reviews": "; ".join(f"{slug} ({role})" for slug, role in a.reviews)}
            for a in list_accounts(Store.open_database(db))]
    click.echo(render(rows, ("name", "email", "active", "admin", "reviews"), fmt), nl=False)


@accounts.command(name="disable")
@click.argument("name")
@db_only_option
def accounts_disable(name: str, db: str | None) -> None:
    """Stop NAME signing in to any review of the server; their sessions end everywhere."""
    ended = set_account_active(Store.open_database(db), name, False, actor=_actor())
    click.echo(f"Disabled the account of {name}; {ended} open session(s) ended.")


@accounts.command(name="enable")
@click.argument("name")
@db_only_option
def accounts_enable(name: str, db: str | None) -> None:
    """Let a disabled account sign in again (to the reviews where it is still active)."""
    set_account_active(Store.open_database(db), name, True, actor=_actor())
    click.echo(f"Enabled the account of {name}.")


@accounts.command(name="admin")
@click.argument("name")
@click.option("--off", is_flag=True, help="Withdraw it instead.")
@db_only_option
def accounts_admin(name: str, off: bool, db: str | None) -> None:
    """Make NAME a server administrator: they create reviews and appoint first leads."""
    set_admin(Store.open_database(db), name, not off, actor=_actor())
    click.echo(f"{name} is {'no longer ' if off else ''}a server administrator.")


SCREENING_COMMANDS = (users, accounts, reviewers, vote, queue, votes, undo, conflicts, resolve,
                      discuss, agreement, progress, decisions, fulltext)

__all__ = ["SCREENING_COMMANDS", "ReviewError"]
