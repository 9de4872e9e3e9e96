"""`review report --out DIR`: the review's report (report.md, report.docx, the PRISMA diagram)."""

from __future__ import annotations

import click

from review.cli.common import db_option
from review.report.build import build_report
from review.report.writers import write_report
from review.store import Store


@click.command()
@click.option("--out", required=True, type=click.Path(file_okay=False),
              help="Folder to write report.md, report.docx and the diagram into (created if "
                   "needed; files of an earlier report there are replaced).")
@click.option("--final", is_flag=True,
              help="The manuscript's version: refused, naming what is pending, while any "
                   "stage of the review has pending work.")
@db_option
def report(out: str, final: bool, db: str | None) -> None:
    """Write the review's report: methods, PRISMA diagram, every table, references.

    report.md (with prisma-flow.png beside it) and report.docx, under the headings Methods,
    Results (Study selection, Characteristics of included studies, Summary of qualitative
    findings, Excluded full-text reports, ...) and References. Without --final the counts
    are provisional while the review is in progress, and the report says so."""
    built = build_report(Store.open(db), final=final)
    for path in write_report(built, out):
        click.echo(str(path))
    data = built.data
    click.echo(f"{data.prisma.new_studies} stud{'y' if data.prisma.new_studies == 1 else 'ies'}"
               f" included; {data.evidence.studies} with a final extraction; "
               f"{len(data.excluded)} full-text report(s) excluded.")
    click.echo(built.status)


REPORT_COMMANDS = (report,)

__all__ = ["REPORT_COMMANDS"]
