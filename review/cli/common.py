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
        from review.store import CHOSEN_REVIEW  # start-up: the store loads SQLAlchemy

        chosen = CHOSEN_REVIEW.set(CHOSEN_REVIEW.get())  # --review holds for this run only
        try:
            return super().invoke(ctx)
        except ReviewError as exc:
            raise click.ClickException(str(exc)) from None
        finally:
            CHOSEN_REVIEW.reset(chosen)


def _actor() -> str:
    return os.environ.get("REVIEW_USER") or getpass.getuser()


def db_only_option(func: Callable) -> Callable:
    return click.option("--db", envvar="REVIEW_DB", default=None, metavar="PATH|URL",
                        help="Review database: an SQLite file path or an SQLAlchemy URL "
                             "(postgresql://...). Default: $REVIEW_DB, else ./review.db.")(func)


def _choose_review(_ctx: click.Context, _param: click.Parameter, value: str | None) -> None:
    if value:
        from review.store import CHOSEN_REVIEW  # start-up: as above

        CHOSEN_REVIEW.set(value)


def review_option(func: Callable) -> Callable:
    """--review SLUG: which of the database's reviews the command works on. Every Store.open
    of the command then opens it (review.store.CHOSEN_REVIEW), so commands need no argument."""
    return click.option("--review", "review_slug", envvar="REVIEW_SLUG", default=None,
                        metavar="SLUG", expose_value=False, callback=_choose_review,
                        help="Which review of the database (see 'review reviews list'). "
                             "Default: $REVIEW_SLUG, else the database's only review.")(func)


def db_option(func: Callable) -> Callable:
    return db_only_option(review_option(func))


def format_option(func: Callable) -> Callable:
    return click.option("--format", "fmt", type=click.Choice(FORMATS), default="table",
                        show_default=True, help="Output format.")(func)
