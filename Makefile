# From a fresh clone: `make demo` runs the product on the embedded sandbox,
# `make test` runs the whole test suite. Both create .venv on first use.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp

export PREFECT_SERVER_ANALYTICS_ENABLED := false
export PREFECT_LOGGING_LEVEL ?= WARNING

.PHONY: demo test lint bench bench-report soak clean lock

PIP := $(BIN)/pip --quiet --disable-pip-version-check

# Installs the versions the tests passed with (constraints.txt), not whatever is newest.
$(STAMP): pyproject.toml constraints.txt
	$(PYTHON) -m venv $(VENV)
	$(PIP) install --upgrade pip
	$(PIP) install -c constraints.txt -e '.[dev]'
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/care demo

test: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports
	$(BIN)/pytest -q

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

bench: $(STAMP)
	$(BIN)/python bench/poll_backfill.py

# The report over 1,000,000 tickets and 90 days of history (docs/performance.md): on a
# SQLite file in /tmp, then on PostgreSQL when BENCH_PG_URL names an empty database; both
# are seeded on first use (a few minutes) and reused after that.
BENCH_PG_URL ?=
bench-report: $(STAMP)
	$(BIN)/python bench/report.py
	$(if $(BENCH_PG_URL),$(BIN)/python bench/report.py --url '$(BENCH_PG_URL)')

# The fault soak: SOAK_RUNS randomised runs (faults, kill -9, agents at work); every run's
# seed is printed, `python bench/soak.py --runs 1 --seed S` replays one.
SOAK_RUNS ?= 200
soak: $(STAMP)
	$(BIN)/python bench/soak.py --runs $(SOAK_RUNS)

# A deliberate upgrade: resolve pyproject.toml's ranges afresh, pin the result, test it.
lock:
	rm -rf .lock-venv && $(PYTHON) -m venv .lock-venv
	.lock-venv/bin/pip install --quiet --disable-pip-version-check -e '.[dev]'
	head -4 constraints.txt > constraints.new
	.lock-venv/bin/pip freeze --exclude-editable >> constraints.new
	mv constraints.new constraints.txt && rm -rf .lock-venv
	$(MAKE) test

clean:
	rm -rf $(VENV) .lock-venv care-demo .pytest_cache .ruff_cache .import_linter_cache .grimp_cache
