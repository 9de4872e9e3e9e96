"""Prioritised screening commands: retrain the ranking, read the stopping rule, stop."""

from __future__ import annotations

import json

import click

from review.cli.common import db_option, format_option
from review.screening import prioritise
from review.store import Store
from review.tabular import render


@click.command()
@db_option
def rank(db: str | None) -> None:
    """Retrain the title/abstract ranking now (the app also does it after votes)."""
    result = prioritise.retrain(Store.open(db))
    click.echo(f"{result.status}: {result.detail}"
               + (f" (run {result.run_id})" if result.run_id else ""))


@click.command(name="stopping")
@click.option("--curve", is_flag=True, help="Also the recall curve: records screened, "
                                            "includes found.")
@format_option
@db_option
def stopping_command(curve: bool, fmt: str, db: str | None) -> None:
    """The stopping rule (buscar) on the decisions so far, with its assumptions."""
    found = prioritise.stopping(Store.open(db))
    e = found.estimate
    row = {"stage": found.stage, "records": e.n_records, "screened": e.n_screened,
           "included": e.n_included, "recall_target": e.recall_target,
           "confidence": e.confidence, "p_value": round(e.p_value, 6),
           "bias": e.sample_bias, "sample": e.sample_size,
           "target_reached": e.target_reached,
           "stopped_on": (found.stopped or {}).get("decided_at")}
    if fmt == "json":
        click.echo(json.dumps({**row, "ranked_bias": e.bias, "ranked_from": e.ranked_from,
                               "summary": e.summary(),
                               "assumptions": list(found.assumptions),
                               "why_this_rule": found.why,
                               "curve": found.curve if curve else None}, indent=2))
        return
    click.echo(render([row], list(row), fmt), nl=False)
    if fmt == "table":
        click.echo(e.summary())
        for line in found.assumptions:
            click.echo(f"- {line}")
        click.echo(found.why)
    if curve:
        click.echo(render([{"screened": s, "includes": i} for s, i in found.curve],
                          ("screened", "includes"), "csv" if fmt == "csv" else "table"),
                   nl=False)


@click.command(name="stop-screening")
@click.option("--by", "person", required=True, metavar="LEAD", help="The lead who decides.")
@click.option("--note", help="Why, in the lead's words (kept with the decision).")
@db_option
def stop_screening(person: str, note: str | None, db: str | None) -> None:
    """Stop title/abstract screening: queues close, PRISMA reports the rest as not screened."""
    values = prioritise.stop_screening(Store.open(db), by=person, note=note)
    click.echo(f"Screening at {values['stage']} stopped: {values['n_screened']} records "
               f"decided, {values['n_unscreened']} left unscreened "
               f"(stopping rule p = {values['p_value']:.3g}, bias {values['bias']:g}).")


@click.command(name="resume-screening")
@click.option("--by", "person", required=True, metavar="LEAD", help="The lead who decides.")
@click.option("--note", required=True, help="Why screening resumes (kept in the audit log).")
@db_option
def resume_screening(person: str, note: str, db: str | None) -> None:
    """Take back a stop: title/abstract queues open again where they were."""
    before = prioritise.resume_screening(Store.open(db), by=person, note=note)
    click.echo(f"Screening at {before['stage']} resumed; the stop of "
               f"{before['decided_at'][:10]} is withdrawn (kept in the audit log).")


RANKING_COMMANDS = (rank, stopping_command, stop_screening, resume_screening)
