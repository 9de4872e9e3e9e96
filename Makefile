# Two commands: `make demo` (set up, build the demo review, start the app) and
# `make test` (set up, run every test). Both create .venv/ on first use.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
DEMO_DB ?= demo/review.db
PORT   ?= 8501

.PHONY: demo test venv system lint bench bench-dedup readme clean

$(BIN)/python:
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "review needs Python 3.11 or newer (set PYTHON=...)")'
	$(PYTHON) -m venv $(VENV)

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	@touch $@

venv: $(VENV)/.installed

# Debian packages the tests use: PostgreSQL (a throwaway server per test run), Chromium
# (browser tests), nginx (the proxy test) and cairo (PNG diagrams). Installed when we are root
# with apt-get; otherwise those tests skip.
system:
	@bash scripts/system-deps.sh

demo: venv
	$(BIN)/review demo --db $(DEMO_DB)
	$(BIN)/streamlit run app.py --server.headless true --server.port $(PORT) \
		--client.toolbarMode minimal \
		--browser.gatherUsageStats false -- --db $(DEMO_DB)

test: venv system
	$(BIN)/ruff check review tests benchmarks scripts sample_refs app.py setup.py
	$(BIN)/lint-imports
	$(BIN)/mypy
	$(BIN)/cog -I . --check --check-fail-msg 'run `make readme`' README.md
	$(BIN)/python -m pytest

# The README's figure tables, generated from benchmarks/results/*.json (which the benchmarks
# write): run after a benchmark, commit both.
readme: venv
	$(BIN)/cog -I . -r README.md

bench: venv
	$(BIN)/python benchmarks/import.py

bench-dedup: venv
	$(BIN)/python benchmarks/dedup.py

clean:
	rm -rf $(VENV) demo .pytest_cache .ruff_cache .import_linter_cache .hypothesis
