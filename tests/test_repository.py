"""The repository's own files: the README's two commands parse, and no merge left its markers
behind (a Makefile with them stops `make test` before any check runs)."""

from __future__ import annotations

import re
import shutil
import subprocess

import pytest

from tests.conftest import ROOT

MARKER = re.compile(r"^(<{7} |>{7} |={7}$)", re.M)


def test_the_make_targets_parse() -> None:
    make = shutil.which("make")
    if make is None:
        pytest.skip("make is not installed")
    done = subprocess.run([make, "-n", "test", "demo", "readme", "bench"], cwd=ROOT,
                          capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    planned = done.stdout
    for step in ("ruff check", "lint-imports", "mypy", "cog -I . --check", "pytest"):
        assert step in planned, f"make test no longer runs {step}"


def test_no_merge_conflict_markers_are_left() -> None:
    files = subprocess.run(["git", "ls-files"], cwd=ROOT, capture_output=True, text=True)
    if files.returncode != 0:
        pytest.skip("not a git checkout")
    left = []
    for name in files.stdout.split():
        path = ROOT / name
        try:
            text = path.read_text(encoding="utf-8")
        except (UnicodeDecodeError, OSError):
            continue
        left += [f"{name}:{text.count(chr(10), 0, m.start()) + 1}" for m in MARKER.finditer(text)]
    assert not left, f"merge conflict markers left in: {', '.join(left)}"
