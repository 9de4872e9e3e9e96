"""`review export-references`: the works a filter selects, one merged record per work, as RIS
for a reference manager or CSV (review.screening.references does the work)."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import click

from review.cli.common import db_option
from review.errors import ReviewError
from review.screening.filters import STATES, Filter
from review.screening.references import export_references, format_for
from review.store import Store


@click.command(name="export-references")
@click.argument("out", metavar="OUT.ris|OUT.csv", type=click.Path(dir_okay=False))
@click.option("--stage", help="Stage id from the protocol (default: the first, e.g. "
                              "title_abstract; full_text for the reports assessed).")
@click.option("--state", type=click.Choice(STATES), default="all", show_default=True,
              help="Where the works stand at the stage (pending: waiting for votes).")
@click.option("--label", help="Only works carrying this label (any reviewer's; case ignored).")
@click.option("--source", help="Only works with a record from this source name "
                               "(see 'review sources --by-name').")
@click.option("--year-from", type=int, help="Only works published in this year or later.")
@click.option("--year-to", type=int, help="Only works published in this year or earlier.")
@click.option("--words", default="", help="Words that must all appear in the title, abstract, "
                                          "authors, journal, DOI or keywords (accents and "
                                          "case ignored).")
@db_option
def export_references_command(out: str, stage: str | None, state: str, label: str | None,
                               source: str | None, year_from: int | None, year_to: int | None,
                               words: str, db: str | None) -> None:
    """Write the selected works to OUT.ris or OUT.csv, one merged record per work.

    For example the included reports: --stage full_text --state included (the same set as
    PRISMA's reports included). The file is written whole or not at all.
    """
    fmt = format_for(out)
    target = Path(out)
    if not target.parent.is_dir():
        raise ReviewError(f"{out}: there is no folder {str(target.parent)!r} to write it in")
    f = Filter(stage=stage, state=state, label=label, source=source, year_from=year_from,
               year_to=year_to, words=words)
    text, count = export_references(Store.open(db), None, f, fmt)
    handle, temporary = tempfile.mkstemp(prefix=".references-", dir=target.parent or ".")
    try:
        with os.fdopen(handle, "w", encoding="utf-8", newline="") as stream:
            stream.write(text)
        os.replace(temporary, target)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    click.echo(f"Wrote {count} reference(s) to {out} ({fmt.upper()}).")


REFERENCES_COMMANDS = (export_references_command,)
