# Two commands do everything on a fresh machine with Python >= 3.11:
#   make demo   installs, then serves the mock provider on http://127.0.0.1:8400
#   make test   installs, then runs the whole test suite, style and typing checks
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp

.PHONY: install demo test pytest stress style typing docs bench clean

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "jesign needs Python >= 3.11 (set PYTHON=...)")'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	@touch $@

install: $(STAMP)

demo: install
	$(BIN)/jesign-mock serve

test: pytest style typing docs

# Spread over the machine's cores (pytest-xdist); a plain `pytest` runs in one process, for a single test or -x.
pytest: install
	$(BIN)/pytest -n auto

# The once-only rules under parallel requests, 20 rounds on SQLite and on PostgreSQL (set JESIGN_TEST_POSTGRES_URL).
stress: install
	$(BIN)/pytest -m stress

style: install
	$(BIN)/ruff format --check .
	$(BIN)/ruff check .

typing: install
	$(BIN)/mypy

docs: install
	$(BIN)/mkdocs build --strict --site-dir build/site

bench: install
	$(BIN)/python bench/pki_bench.py
	$(BIN)/python bench/signing_bench.py
	$(BIN)/python bench/hostile_clients_bench.py
	$(BIN)/python bench/image_memory_bench.py

clean:
	rm -rf $(VENV) build .pytest_cache .mypy_cache .ruff_cache
