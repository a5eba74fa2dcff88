# Minga: two commands for a fresh clone. `make demo` runs the platform on the embedded
# SQLite database; `make test` runs every check. Both create or update .venv first.
SHELL := /bin/bash
.DEFAULT_GOAL := help

# Django 6.1 needs Python >= 3.12 (docs/adr/0001-python-3.12.md): take the newest one found.
PYTHON ?= $(shell for p in python3.14 python3.13 python3.12 $$HOME/.pyenv/versions/3.1[2-9]*/bin/python3 /usr/local/bin/python3.1[2-9] python3; do \
	  if command -v $$p >/dev/null 2>&1 && $$p -c 'import sys; sys.exit(sys.version_info < (3, 12))' 2>/dev/null; then command -v $$p; break; fi; done)
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 8000
export DJANGO_SETTINGS_MODULE ?= minga.settings.dev

.PHONY: help venv demo test lint typecheck contracts pytest bench bench-peers messages node clean

help:
	@echo "make demo   run Minga with demo data at http://127.0.0.1:$(PORT)"
	@echo "make test   ruff, mypy, import-linter and the whole test suite"
	@echo "make bench  benchmarks (bench/), figures go to docs/benchmarks.md"

# setup.py builds the compiled MES filter (minga/voting/pb/_mesfilter.c) in place.
$(BIN)/.installed: pyproject.toml setup.py minga/voting/pb/_mesfilter.c
	@if [ -z "$(PYTHON)" ]; then echo "Minga needs Python 3.12 or newer (Django 6.1 requires it); none was found on PATH." >&2; exit 1; fi
	@echo "Using $(PYTHON) ($$($(PYTHON) --version))"
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --upgrade pip
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e '.[dev]'
	@touch $@

venv: $(BIN)/.installed

demo: venv
	@mkdir -p var
	$(BIN)/minga migrate --no-input
	$(BIN)/minga demo
	$(BIN)/minga serve --port $(PORT)

# axe-core for the accessibility checks of the browser tests, from the npm registry.
node_modules/.installed: package.json package-lock.json
	@if command -v npm >/dev/null 2>&1; then npm ci --silent --no-audit --no-fund && touch $@; \
	else echo "npm is missing: the browser tests will report it" >&2; fi

node: node_modules/.installed

lint: venv
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: venv
	$(BIN)/mypy minga bench

contracts: venv
	$(BIN)/lint-imports

pytest: venv node
	DJANGO_SETTINGS_MODULE=minga.settings.test $(BIN)/pytest -n 2
	@if [ -n "$$MINGA_TEST_DATABASE_URL" ]; then \
	  echo "== the suite again, on PostgreSQL ($$MINGA_TEST_DATABASE_URL) =="; \
	  echo "   (not again: the browser tests, and minga/voting, which never imports Django)"; \
	  DJANGO_SETTINGS_MODULE=minga.settings.test MINGA_TEST_DATABASE=postgres $(BIN)/pytest -n 2 -m "not browser" --ignore=minga/voting; \
	else echo "MINGA_TEST_DATABASE_URL is not set: the suite ran on SQLite only."; fi

test: lint typecheck contracts pytest

# Each benchmark prints Minga's figures beside its peer's, measured in the same run; copy them
# into docs/benchmarks.md with the date and the machine.
# The peers each benchmark measures Minga against, each in its own environment (never in Minga's):
# pabutools for the PB rules, pref_voting for STV; wrk for HTTP and pgbench come from Debian.
PEERS = .bench
bench-peers: venv
	@test -x $(PEERS)/pabutools/bin/python || { $(PYTHON) -m venv $(PEERS)/pabutools && \
	  $(PEERS)/pabutools/bin/pip install -q pabutools==1.2.3 pulp==2.9.0; }
	@test -x $(PEERS)/pref_voting/bin/python || { $(PYTHON) -m venv $(PEERS)/pref_voting && \
	  $(PEERS)/pref_voting/bin/pip install -q pref-voting==1.18.2; }
	@command -v wrk >/dev/null 2>&1 || echo "wrk is missing (apt-get install -y wrk): bench/http.py falls back to its Python load generator" >&2

bench: venv bench-peers
	$(BIN)/python bench/http.py
	PABUTOOLS_PYTHON=$(PEERS)/pabutools/bin/python $(BIN)/python bench/pb.py
	MINGA_BENCH_PREF_VOTING_PYTHON=$(PEERS)/pref_voting/bin/python $(BIN)/python bench/stv.py
	$(BIN)/python bench/ledger.py
	$(BIN)/python bench/socialincome.py

messages: venv
	cd minga && ../$(BIN)/django-admin makemessages -l es -l en --ignore 'tests/*' && ../$(BIN)/django-admin compilemessages

clean:
	rm -rf $(VENV) $(PEERS) node_modules .pytest_cache .mypy_cache .ruff_cache
