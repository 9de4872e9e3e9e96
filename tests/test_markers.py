"""The markers say what a test needs, so `-m "not browser"` (a quick run) or `-m postgres` (a
job on a machine with the server) select what they claim to: pytest is run in a subprocess,
as a person would run it, and what each marker selects is checked against the fixtures every
other test uses. Also: an undeclared marker is an error, and a test that asks for a component's
fixture at run time without its marker fails."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PYTEST = [sys.executable, "-m", "pytest", "-p", "no:cacheprovider"]
MARKERS = ("postgres", "browser", "shared")
# fixtures that need what a marker names (tests/conftest.py marks their users)
NEEDS = {"postgres": "postgres", "chromium": "browser", "browser": "browser",
         "exports": "shared", "screening_sets": "shared"}


def _env(**extra: str) -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": str(ROOT), **extra}


def _started(*args: str) -> subprocess.Popen:
    return subprocess.Popen([*PYTEST, *args], cwd=ROOT, env=_env(), text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT)


def _output(process: subprocess.Popen) -> str:
    out, _ = process.communicate(timeout=600)
    assert process.returncode == 0, out[-3000:]
    return out


@pytest.fixture(scope="module")
def collected() -> tuple[dict[str, set[str]], dict[str, set[str]]]:
    """(node ids each marker selects, fixtures of each test that no marker selects); the
    collections run side by side (each imports every test module)."""
    running = {m: _started("--collect-only", "-q", "-m", m) for m in MARKERS}
    rest = _started("--fixtures-per-test", "-m", " and ".join(f"not {m}" for m in MARKERS))
    selected = {m: {line for line in _output(p).splitlines() if "::" in line}
                for m, p in running.items()}
    fixtures: dict[str, set[str]] = {}
    current = None
    for line in _output(rest).splitlines():
        if found := re.match(r"^-* ?fixtures used by (\S+) ?-*$", line):
            current = fixtures.setdefault(found.group(1), set())
        elif current is not None and (found := re.match(r"^(\w+) -- ", line)):
            current.add(found.group(1))
    return selected, fixtures


@pytest.mark.parametrize("marker, expected, not_expected", [
    ("postgres",
     {"tests/test_concurrency.py::test_two_votes_in_overlapping_transactions_both_count",
      "tests/test_concurrency.py::test_two_processes_voting_at_once_lose_nothing[postgresql]"},
     {"tests/test_concurrency.py::test_two_processes_voting_at_once_lose_nothing[sqlite]"}),
    ("browser",
     {"tests/test_browser.py::test_records_browser_in_chromium",
      "tests/test_proxy.py::test_lead_uploads_an_export_in_chromium_through_the_proxy",
      "tests/test_page_guards.py::test_a_reviewer_opening_a_lead_page_by_its_url_is_refused"},
     {"tests/test_oidc.py::test_the_test_provider_refuses_what_a_real_one_refuses"}),
    ("shared",
     {"tests/test_io.py::test_format_is_detected_from_content_not_extension",
      "tests/test_simulation.py::test_development_set_replay_is_far_better_than_random"},
     {"tests/test_io.py::test_missing_er_is_an_error_naming_the_line"}),
])
def test_each_marker_selects_the_tests_that_need_it(collected, marker: str, expected: set[str],
                                                    not_expected: set[str]) -> None:
    selected, _ = collected
    assert expected <= selected[marker], sorted(expected - selected[marker])
    assert not not_expected & selected[marker]


def test_no_unmarked_test_uses_a_marked_component(collected) -> None:
    selected, fixtures = collected
    assert len(fixtures) > 300, "the unmarked tests were not all listed"
    assert not set(fixtures) & {i.split("::")[-1] for ids in selected.values() for i in ids}
    wrong = {name: used & set(NEEDS) for name, used in fixtures.items() if used & set(NEEDS)}
    assert not wrong, wrong
    on_postgres = [name for name in fixtures if re.search(r"[\[-]postgresql[\]-]", name)]
    assert not on_postgres, on_postgres


GUARDED = '''
import pytest

def test_asks_at_run_time_without_the_marker(request):
    request.getfixturevalue("screening_sets")

@pytest.mark.shared
def test_asks_at_run_time_with_the_marker(request):
    request.getfixturevalue("screening_sets")
'''


def test_a_component_asked_for_at_run_time_needs_its_marker(tmp_path: Path) -> None:
    (tmp_path / "shared" / "benchmarks" / "screening").mkdir(parents=True)
    (tmp_path / "test_guarded.py").write_text(GUARDED, encoding="utf-8")
    result = subprocess.run([*PYTEST, "-c", str(ROOT / "pyproject.toml"), "-p",
                             "tests.conftest", "-q", str(tmp_path / "test_guarded.py")],
                            cwd=tmp_path, env=_env(REVIEW_SHARED=str(tmp_path / "shared")),
                            capture_output=True, text=True, timeout=120)
    assert "2 passed, 1 error" in result.stdout, result.stdout
    assert ("test_asks_at_run_time_without_the_marker used the 'screening_sets' fixture "
            "without the 'shared' marker") in result.stdout


def test_an_undeclared_marker_is_an_error(tmp_path: Path) -> None:
    (tmp_path / "test_typo.py").write_text(
        "import pytest\n\n@pytest.mark.postgress\ndef test_x():\n    pass\n", encoding="utf-8")
    result = subprocess.run([*PYTEST, "-c", str(ROOT / "pyproject.toml"), "-q",
                             str(tmp_path / "test_typo.py")], cwd=tmp_path, env=_env(),
                            capture_output=True, text=True, timeout=120)
    assert result.returncode != 0
    assert "'postgress' not found in `markers` configuration option" in result.stdout
