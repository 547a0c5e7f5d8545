# make test: build .venv from nothing when absent (idempotent when present), then lint, type-check, test.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
SRC := posthog_dbapi posthog_emulator tests examples scripts benchmarks

# The dialect is also tested on SQLAlchemy 1.4 with pandas 2.1 (what Superset 6.1 pins), in a
# second venv that runs only the dialect tests, so the suite stays fast.
VENV14 := .venv-sa14
STAMP14 := $(VENV14)/.installed

.PHONY: test lint typecheck pytest pytest-sa14 soak bench demo reference emulator superset-smoke clean

$(STAMP): setup.cfg pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --disable-pip-version-check -U pip
	$(BIN)/python -m pip install -q --disable-pip-version-check -e '.[emulator,dev]'
	touch $(STAMP)

$(STAMP14): setup.cfg pyproject.toml
	test -x $(VENV14)/bin/python || $(PYTHON) -m venv $(VENV14)
	$(VENV14)/bin/python -m pip install -q --disable-pip-version-check -U pip
	$(VENV14)/bin/python -m pip install -q --disable-pip-version-check -e '.[emulator,dev]' \
		'sqlalchemy>=1.4,<2' 'pandas<2.2'
	touch $(STAMP14)

lint: $(STAMP)
	$(BIN)/ruff check $(SRC)
	$(BIN)/ruff format --check $(SRC)

typecheck: $(STAMP)
	$(BIN)/mypy

pytest: $(STAMP)
	$(BIN)/pytest -m "not soak"

# The long fault and load runs (hundreds of seeds), not part of make test.
soak: $(STAMP)
	$(BIN)/pytest -m soak tests/reliability

pytest-sa14: $(STAMP14)
	$(VENV14)/bin/pytest -q tests/dialect

test: lint typecheck pytest pytest-sa14

demo: $(STAMP)
	$(BIN)/python -m posthog_dbapi demo

reference: $(STAMP)
	$(BIN)/python -m posthog_dbapi.catalog.reference

emulator: $(STAMP)
	$(BIN)/python -m posthog_emulator --demo --port 8010

superset-smoke:
	scripts/superset-smoke

# Benchmarks against the emulator in a separate process (not part of make test); writes
# benchmarks/RESULTS.md.
bench: $(STAMP)
	$(BIN)/python -m benchmarks.run

clean:
	rm -rf $(VENV) $(VENV14) .venv-superset build *.egg-info
