# Two commands do everything on a fresh machine with Python >= 3.11:
#   make demo   installs what running needs, starts the mock provider on http://127.0.0.1:8400, walks one seeded
#               accountant from login to a signed and a sealed PDF through the SDK, then keeps serving
#   make test   installs everything, then runs the whole test suite, style and typing checks
#   make test-fast  the inner loop: the tests without live servers, browsers, installs or slow ones
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
RUN_STAMP := $(VENV)/.run-stamp

.PHONY: install install-run demo test test-fast pytest stress style typing imports docs bench clean

$(VENV)/bin/python:
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "jesign needs Python >= 3.11 (set PYTHON=...)")'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

# What running the mock and the SDK needs (the mock extra), for make demo.
$(RUN_STAMP): pyproject.toml | $(VENV)/bin/python
	$(BIN)/python -m pip install --quiet -e '.[mock]'
	@touch $@

# Everything: the tests' and the docs' tools too.
$(STAMP): pyproject.toml | $(VENV)/bin/python
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	@touch $@ $(RUN_STAMP)

install-run: $(RUN_STAMP)

install: $(STAMP)

demo: install-run
	$(BIN)/python demo/walkthrough.py

test: pytest style typing imports docs

# Spread over the machine's cores (pytest-xdist; loadgroup keeps the tests marked xdist_group on one worker); a plain
# `pytest` runs in one process, for a single test or -x.
pytest: install
	$(BIN)/pytest -n auto --dist loadgroup

# The inner loop: what runs in memory and quickly (tests marked live, browser, install, slow or stress left out).
FAST := not live and not browser and not install and not slow and not stress
test-fast: install
	$(BIN)/pytest -n auto --dist loadgroup -m "$(FAST)"

# The once-only rules under parallel requests, 20 rounds on SQLite and on PostgreSQL (set JESIGN_TEST_POSTGRES_URL).
stress: install
	$(BIN)/pytest -m stress

style: install
	$(BIN)/ruff format --check .
	$(BIN)/ruff check .

typing: install
	$(BIN)/mypy

# The dependency rules of DESIGN.md section 6 ([tool.importlinter] in pyproject.toml; pytest checks them too).
imports: install
	$(BIN)/lint-imports

docs: install
	$(BIN)/mkdocs build --strict --site-dir build/site

bench: install
	$(BIN)/python bench/pki_bench.py
	$(BIN)/python bench/signing_bench.py
	$(BIN)/python bench/hostile_clients_bench.py
	$(BIN)/python bench/image_memory_bench.py
	$(BIN)/python bench/faults_bench.py

clean:
	rm -rf $(VENV) build .pytest_cache .mypy_cache .ruff_cache
