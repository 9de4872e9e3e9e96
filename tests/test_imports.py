"""The import structure: no import hides inside a function unless it is there for start-up speed
(and says so), no import cycles, and what each quick command loads.

The layers themselves are checked by import-linter (`lint-imports`, contracts in
pyproject.toml); this file checks what import-linter cannot: comments on lazy imports, cycles
through a package's own __init__, and the modules a real `review` process imports.
"""

from __future__ import annotations

import ast
import json
import os
import subprocess
import sys
import tomllib
from pathlib import Path

import click
import pytest

from review.cli.main import LAZY_COMMANDS, main

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "review"
MARKER = "# start-up:"
PROTOCOL = ROOT / "protocols" / "peer-support-self-harm.toml"

# Libraries a command that does not rank, write a document or draw must never load: they are
# imported inside the functions that use them (see the `# start-up:` comments).
HEAVY = ("sklearn", "scipy", "numpy", "pandas", "pyarrow", "matplotlib", "cairosvg", "docx",
         "openpyxl", "streamlit", "psycopg")


def unmarked_function_imports(source: str, name: str) -> list[str]:
    """`name:line` of every import inside a function whose first line lacks the marker."""
    lines = source.splitlines()
    found: list[str] = []

    def walk(node: ast.AST, in_function: bool) -> None:
        for child in ast.iter_child_nodes(node):
            if (in_function and isinstance(child, ast.Import | ast.ImportFrom)
                    and MARKER not in lines[child.lineno - 1]):
                found.append(f"{name}:{child.lineno}: {lines[child.lineno - 1].strip()}")
            walk(child, in_function or isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef))

    walk(ast.parse(source), False)
    return found


def test_the_check_finds_an_unmarked_import_in_a_method() -> None:
    source = ("import os\n\n"
              "class A:\n"
              "    def f(self):\n"
              "        import json\n"
              "        def g():\n"
              "            from csv import reader  # start-up: csv is slow\n"
              "            from re import compile\n")
    assert unmarked_function_imports(source, "x.py") == [
        "x.py:5: import json", "x.py:8: from re import compile"]


def test_imports_inside_functions_are_only_for_start_up_speed() -> None:
    found = [hit for path in sorted(PACKAGE.rglob("*.py"))
             for hit in unmarked_function_imports(path.read_text(encoding="utf-8"),
                                                  str(path.relative_to(ROOT)))]
    assert not found, ("imports inside functions: move them to the top of the module, or, if "
                       f"they are there for start-up speed, end the line with '{MARKER} <why>':\n"
                       + "\n".join(found))


def _cycles(edges: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan, iterative)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    components: list[list[str]] = []
    counter = 0
    for root in sorted(edges):
        if root in index:
            continue
        work = [(root, iter(sorted(edges[root])))]
        index[root] = low[root] = counter
        counter += 1
        stack.append(root)
        on_stack.add(root)
        while work:
            node, children = work[-1]
            for child in children:
                if child not in index:
                    index[child] = low[child] = counter
                    counter += 1
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(edges.get(child, ())))))
                    break
                if child in on_stack:
                    low[node] = min(low[node], index[child])
            else:
                work.pop()
                if work:
                    low[work[-1][0]] = min(low[work[-1][0]], low[node])
                if low[node] == index[node]:
                    component = []
                    while True:
                        member = stack.pop()
                        on_stack.discard(member)
                        component.append(member)
                        if member == node:
                            break
                    if len(component) > 1:
                        components.append(sorted(component))
    return components


def test_cycle_finder_finds_a_cycle() -> None:
    assert _cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
    assert _cycles({"a": {"b"}, "b": set()}) == []


def test_no_import_cycles_between_any_modules() -> None:
    """Every import counts, those inside functions too (grimp sees them), and a package's
    __init__ is a module like the others (import-linter's acyclic_siblings contract looks only
    between siblings)."""
    grimp = pytest.importorskip("grimp")
    graph = grimp.build_graph("review", cache_dir=None)
    edges = {module: set(graph.find_modules_directly_imported_by(module))
             for module in graph.modules}
    assert _cycles(edges) == []


def _children() -> set[str]:
    return {f"review.{p.stem if p.is_file() else p.name}" for p in PACKAGE.iterdir()
            if (p.suffix == ".py" and p.stem != "__init__") or (p / "__init__.py").exists()}


def test_the_forbidden_contracts_name_every_other_module() -> None:
    """import-linter's forbidden contracts list their modules one by one: a new module must be
    added to them (the layers contract is exhaustive by itself)."""
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    contracts = {c["id"]: c for c in config["tool"]["importlinter"]["contracts"]}
    children = _children()
    assert set(contracts["streamlit-in-ui"]["source_modules"]) == children - {"review.ui"}
    assert set(contracts["click-in-cli"]["source_modules"]) == children - {"review.cli"}


# --- the command line loads its commands lazily -----------------------------------------------


def test_every_lazy_command_exists_with_the_short_help_shown() -> None:
    ctx = click.Context(main)
    registries: dict[tuple[str, str], set[str]] = {}
    for name, entry in LAZY_COMMANDS.items():
        registries.setdefault((entry.module, entry.registry), set()).add(name)
        command = main.get_command(ctx, name)
        assert command is not None and command.name == name
        assert command.hidden == entry.hidden, name
        stand_in = click.Command(name, help=entry.short_help)
        for width in (20, 45, 70, 1000):
            assert stand_in.get_short_help_str(width) == command.get_short_help_str(width), (
                f"LAZY_COMMANDS[{name!r}] in review/cli/main.py: the short help differs from "
                "the command's docstring")
    for (module, registry), names in registries.items():
        declared = {c.name for c in getattr(sys.modules[module], registry)}
        assert declared == names, f"{module}.{registry} and LAZY_COMMANDS differ"


def test_help_lists_every_command_without_loading_the_lazy_ones() -> None:
    code = ("import sys\nfrom review.cli.main import main\n"
            "try:\n    main(['--help'])\nexcept SystemExit:\n    pass\n"
            "print(sorted(m for m in sys.modules if m.startswith('review.')), file=sys.stderr)")
    done = subprocess.run([sys.executable, "-c", code], env=_env(), cwd=ROOT,
                          capture_output=True, text=True, check=True)
    listed = {line.split()[0] for line in done.stdout.split("Commands:")[1].splitlines()
              if line.startswith("  ") and not line.startswith("   ")}
    ctx = click.Context(main)
    shown = {name for name in main.list_commands(ctx) if not main.get_command(ctx, name).hidden}
    assert listed == shown
    loaded = set(ast.literal_eval(done.stderr.strip().splitlines()[-1]))
    assert not loaded & {entry.module for entry in LAZY_COMMANDS.values()}


def _env() -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = str(ROOT) + os.pathsep + env.get("PYTHONPATH", "")
    env["REVIEW_USER"] = "tester"
    return env


def _loaded(*args: str) -> set[str]:
    """The top-level packages a real `review ARGS` process has imported when it ends."""
    code = ("import json, sys\nfrom review.cli.main import main\n"
            "try:\n    main(sys.argv[1:])\nexcept SystemExit as exc:\n    status = exc.code\n"
            "sys.stderr.write('\\n' + json.dumps([status, sorted(sys.modules)]))")
    done = subprocess.run([sys.executable, "-c", code, *args], env=_env(), cwd=ROOT,
                          capture_output=True, text=True)
    status, modules = json.loads(done.stderr.strip().splitlines()[-1])
    assert status in (0, None), done.stdout + done.stderr
    return {m.split(".")[0] for m in modules}


@pytest.fixture(scope="module")
def tiny(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A review with one small source, in SQLite."""
    from review.importing import SourceInfo, import_files
    from review.project import create_review

    db = tmp_path_factory.mktemp("tiny") / "tiny.db"
    store = create_review(str(PROTOCOL), str(db), actor="tester")
    import_files(store, [str(ROOT / "sample_refs" / "grey_literature.ris")],
                 SourceInfo(name="Grey literature", kind="other"), actor="tester")
    return db


@pytest.mark.parametrize("args", [("--help",), ("sources", "--help"), ("prisma", "--help"),
                                  ("import", "--help"), ("dedupe", "--help"),
                                  ("vote", "--help"), ("tables", "--help"),
                                  ("rank", "--help")])
def test_help_loads_no_heavy_library(args: tuple[str, ...]) -> None:
    loaded = _loaded(*args)
    assert "click" in loaded and "review" in loaded  # it did run
    assert not loaded & set(HEAVY), f"review {' '.join(args)} loads {sorted(loaded & set(HEAVY))}"


@pytest.mark.parametrize("command", [("sources",), ("records", "--limit", "2"),
                                     ("duplicates",), ("prisma",)])
def test_quick_commands_load_no_heavy_library(tiny: Path, command: tuple[str, ...]) -> None:
    loaded = _loaded(*command, "--db", str(tiny))
    assert "sqlalchemy" in loaded
    assert not loaded & set(HEAVY), f"review {command[0]} loads {sorted(loaded & set(HEAVY))}"


def test_prioritised_screening_loads_the_model_only_to_train() -> None:
    """Voting imports review.screening.prioritise (the queue's order, a lead's stop); the model
    and its libraries load when a retraining or the stopping rule runs."""
    code = ("import sys\nimport review.screening.votes, review.screening.prioritise\n"
            f"print(sorted(set(m.split('.')[0] for m in sys.modules) & {set(HEAVY)!r}))")
    done = subprocess.run([sys.executable, "-c", code], env=_env(), cwd=ROOT, check=True,
                          capture_output=True, text=True)
    assert done.stdout.strip() == "[]"
