"""What every command shares: the --db and --format options, the acting person, and plain
error messages instead of tracebacks."""

from __future__ import annotations

import getpass
import os
from collections.abc import Callable
from typing import Any

import click

from review.errors import ReviewError
from review.tabular import FORMATS


class _Group(click.Group):
    """Turns ReviewError into a plain message and exit status 1: no tracebacks for users."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except ReviewError as exc:
            raise click.ClickException(str(exc)) from None


def _actor() -> str:
    return os.environ.get("REVIEW_USER") or getpass.getuser()


def db_option(func: Callable) -> Callable:
    return click.option("--db", envvar="REVIEW_DB", default=None, metavar="PATH|URL",
                        help="Review database: an SQLite file path or an SQLAlchemy URL "
                             "(postgresql://...). Default: $REVIEW_DB, else ./review.db.")(func)


def format_option(func: Callable) -> Callable:
    return click.option("--format", "fmt", type=click.Choice(FORMATS), default="table",
                        show_default=True, help="Output format.")(func)
