"""`review prisma`: the PRISMA 2020 counts on screen, and as CSV, JSON, SVG or PNG files."""

from __future__ import annotations

from pathlib import Path

import click

from review.cli.common import db_option
from review.errors import ReviewError
from review.prisma.counts import Prisma, compute, total
from review.prisma.diagram import CAPTION, render_png, render_svg
from review.prisma.final import final_counts, unjudged_pairs
from review.prisma.template import to_csv, to_json
from review.project import review_info
from review.store import Store


def summary_lines(p: Prisma) -> list[str]:
    """The counts as short lines, in the diagram's order, for the terminal."""
    lines = []
    if p.updated:
        lines.append(f"Previous version: studies {p.previous_studies:,}, reports "
                     f"{p.previous_reports:,}")
    lines += [
        f"Records identified: databases {p.database_results:,}, registers "
        f"{p.register_results:,}; other methods {p.identified_other:,}",
        f"Removed before screening: duplicates {p.duplicates:,}, automation "
        f"{p.excluded_automatic:,}, other reasons {p.excluded_other:,}",
        f"Records screened {p.records_screened:,}; excluded {p.records_excluded:,}",
    ]
    for label, prefix in (("Databases and registers", "dbr"), ("Other methods", "other")):
        get = lambda name, prefix=prefix: getattr(p, f"{prefix}_{name}")  # noqa: E731
        reasons = "; ".join(f"{r} {c:,}" for r, c in get("excluded"))
        lines.append(f"{label}: reports sought {get('sought_reports'):,}, not retrieved "
                     f"{get('notretrieved_reports'):,}, assessed {get('assessed'):,}, excluded "
                     f"{total(get('excluded')):,}" + (f" ({reasons})" if reasons else ""))
    if p.updated:
        lines.append(f"New studies included {p.new_studies:,}; reports of new included studies "
                     f"{p.new_reports:,}")
        lines.append(f"Total studies included {p.total_studies:,}; reports of total included "
                     f"studies {p.total_reports:,}")
    else:
        lines.append(f"Studies included {p.new_studies:,}; reports of included studies "
                     f"{p.new_reports:,}")
    if not p.complete:
        lines.append("Pending: " + "; ".join(p.pending_lines()))
    if p.screening_stopped_on:
        lines.append(f"{p.unscreened_label()}: {p.records_awaiting_screening:,} records "
                     f"(databases and registers), {p.other_awaiting_screening:,} (other methods)")
    return lines


def _write(path: str, data: str | bytes) -> None:
    try:
        if isinstance(data, bytes):
            Path(path).write_bytes(data)
        else:
            Path(path).write_text(data, encoding="utf-8", newline="")
    except OSError as exc:
        raise ReviewError(f"{path}: cannot be written: {exc.strerror or exc}") from None


@click.command()
@click.option("--csv", "csv_out", type=click.Path(dir_okay=False),
              help="Write the counts in the PRISMA2020 R package's CSV template layout.")
@click.option("--json", "json_out", type=click.Path(dir_okay=False),
              help="Write every count, what is pending and the identities checked (JSON).")
@click.option("--svg", "svg_out", type=click.Path(dir_okay=False),
              help="Write the flow diagram as SVG.")
@click.option("--png", "png_out", type=click.Path(dir_okay=False),
              help="Write the flow diagram as PNG.")
@click.option("--final", is_flag=True,
              help="The final counts for the manuscript: refused, naming what is pending, "
                   "while any stage has pending work; drawn without provisional lines.")
@db_option
def prisma(csv_out: str | None, json_out: str | None, svg_out: str | None,
           png_out: str | None, final: bool, db: str | None) -> None:
    """PRISMA 2020 flow counts computed from the review; optionally the diagram and files."""
    store = Store.open(db)
    counts = final_counts(store) if final else compute(store)
    for line in summary_lines(counts):
        click.echo(line)
    if csv_out:
        _write(csv_out, to_csv(counts))
    if json_out:
        _write(json_out, to_json(counts, review=review_info(store).title))
    if svg_out or png_out:
        svg = render_svg(counts, caption=CAPTION, final=final)
        if svg_out:
            _write(svg_out, svg)
        if png_out:
            _write(png_out, render_png(svg))
    written = [p for p in (csv_out, json_out, svg_out, png_out) if p]
    if written:
        click.echo("Wrote " + ", ".join(written))
    if final:
        click.echo("Final counts: no stage has pending work.")
        if unsure := unjudged_pairs(store):
            click.echo(f"Note: {unsure:,} candidate duplicate pair(s) were never judged by a "
                       "person; they are counted as different records ('review duplicates "
                       "--uncertain' lists them).")


PRISMA_COMMANDS = (prisma,)
