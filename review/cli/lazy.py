"""A click group that imports a command's module only when that command runs, so `review --help`
and the quick commands do not pay for the modules of every other command (ranking loads
scikit-learn and SciPy; extraction, PRISMA and screening load their services)."""

from __future__ import annotations

import importlib
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import click

from review.cli.common import _Group


@dataclass(frozen=True, slots=True)
class LazyCommand:
    """Where a command lives and its short help (the first sentence of its docstring), which
    `review --help` shows without importing the module; a test checks the two agree."""

    module: str  # e.g. "review.cli.screening"
    registry: str  # the module's list of commands, e.g. "SCREENING_COMMANDS"
    short_help: str
    hidden: bool = False  # an old name kept working but not listed


class LazyGroup(_Group):
    """Commands named in `lazy` are looked up in their module on first use; commands added
    with `add_command` or the `command` decorator work as in any click group."""

    def __init__(self, *args: Any, lazy: Mapping[str, LazyCommand] | None = None,
                 **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.lazy = dict(lazy or {})

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*super().list_commands(ctx), *self.lazy})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name in self.lazy and cmd_name not in self.commands:
            self.add_command(self._load(cmd_name), cmd_name)
        return super().get_command(ctx, cmd_name)

    def _load(self, name: str) -> click.Command:
        entry = self.lazy[name]
        module = importlib.import_module(entry.module)
        for command in getattr(module, entry.registry):
            if command.name == name:
                return command
        raise LookupError(f"{entry.module}.{entry.registry} has no command {name!r}")

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        """Like click's own listing, but a command not loaded yet shows its stored short
        help (through a stand-in command, so click shortens it to the width the same way)."""
        rows: list[tuple[str, click.Command]] = []
        for name in self.list_commands(ctx):
            entry = self.lazy.get(name)
            if entry is not None and name not in self.commands:
                if not entry.hidden:
                    rows.append((name, click.Command(name, help=entry.short_help)))
                continue
            command = self.get_command(ctx, name)
            if command is not None and not command.hidden:
                rows.append((name, command))
        if not rows:
            return
        limit = formatter.width - 6 - max(len(name) for name, _ in rows)
        with formatter.section("Commands"):
            formatter.write_dl([(name, command.get_short_help_str(limit))
                                for name, command in rows])
