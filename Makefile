# Stride: two commands for a newcomer.
#   make run    set up .venv from requirements/run.txt, migrate, seed the demo, then web +
#               Celery worker + beat
#   make test   add requirements/dev.txt, then lock check, pip-audit, ruff, import layers, the
#               suite: all but the browser tests on PostgreSQL, the browser and `sqlite`-marked
#               tests on SQLite (pytest-xdist)
# Both install from the hash-checked lock files in requirements/ (`make lock` regenerates them).
SHELL := /bin/bash
VENV ?= .venv
PY := $(VENV)/bin/python
PIP := $(PY) -m pip
RUN_STAMP := $(VENV)/.stride-run-installed
DEV_STAMP := $(VENV)/.stride-dev-installed
HOST ?= 127.0.0.1
PORT ?= 8000
DEMO_PASSWORD ?= stride-demo
SEED ?= 1
# First Python >= 3.11 found, python3.11 preferred (Debian 12's python3 is 3.11).
PYTHON ?= $(shell for p in python3.11 python3 python3.13 python3.12; do \
	command -v $$p >/dev/null 2>&1 && $$p -c 'import sys; sys.exit(sys.version_info < (3, 11))' \
	2>/dev/null && { echo $$p; break; }; done)

export PIP_DISABLE_PIP_VERSION_CHECK := 1

.DEFAULT_GOAL := help
.PHONY: help install install-dev lock run test lint format migrate seed clean bench backup restore \
	screenshots messages

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-11s %s\n", $$1, $$2}'

$(PY):
	@if [ -z "$(PYTHON)" ]; then \
		echo "Stride needs Python 3.11 or newer as python3.11 or python3." >&2; \
		echo "On Debian/Ubuntu: sudo apt-get install python3 python3-venv" >&2; exit 1; fi
	@echo "Creating $(VENV) with $(PYTHON) ($$($(PYTHON) --version))"
	@$(PYTHON) -m venv $(VENV) || { rm -rf "$(VENV)"; \
		echo "Creating the virtualenv failed. On Debian/Ubuntu: sudo apt-get install python3-venv" >&2; \
		exit 1; }

# What running needs, from the lock (hash-checked), then Stride itself as an editable package
# (no dependencies, no build isolation: setuptools is in the lock). Reinstalls only when the lock
# or pyproject.toml changed since, so a second `make run` installs nothing.
$(RUN_STAMP): requirements/run.txt pyproject.toml | $(PY)
	$(PIP) install --no-input --require-hashes -r requirements/run.txt
	$(PIP) install --no-input --no-deps --no-build-isolation -e .
	@touch $@

# The rest for `make test` (test tools, the otel extra, pip-audit, uv): installing dev.txt over
# run.txt only adds packages, both locks pin the same versions.
$(DEV_STAMP): requirements/dev.txt $(RUN_STAMP)
	$(PIP) install --no-input --require-hashes -r requirements/dev.txt
	@touch $@

install: $(RUN_STAMP) ## create .venv and install what running Stride needs (requirements/run.txt)

install-dev: $(DEV_STAMP) ## also install the test and lint tools (requirements/dev.txt)

lock: $(DEV_STAMP) ## regenerate requirements/*.txt from pyproject.toml (uv, needs PyPI)
	$(PY) bin/lock

run: $(RUN_STAMP) ## migrate, seed the demo, serve http://127.0.0.1:8000/ with a Celery worker and beat
	$(PY) manage.py messages --compile
	$(PY) manage.py migrate --noinput
	@if [ "$(SEED)" = 1 ]; then $(PY) manage.py seed_demo --password '$(DEMO_PASSWORD)'; fi
	@$(PY) bin/run-local --host $(HOST) --port $(PORT) --demo-password '$(DEMO_PASSWORD)'

test: $(DEV_STAMP) ## lock check, pip-audit, lint, layers, the suite on PostgreSQL and SQLite (PYTEST_ARGS=... to narrow)
	@$(PY) manage.py messages --compile
	@bin/test $(PYTEST_ARGS)

# The Spanish catalogue: extract every marked message into locale/es/LC_MESSAGES/django.po (new
# ones with an empty msgstr), then compile it. Translate the new entries and run it again;
# tests/languages/test_catalogue.py lists what is still missing. Needs gettext (msgfmt).
messages: $(RUN_STAMP) ## refresh the Spanish catalogue from the code and compile it (gettext)
	$(PY) manage.py messages

lint: $(DEV_STAMP) ## ruff check, ruff format --check, import layers
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/lint-imports

format: $(DEV_STAMP) ## apply ruff fixes and formatting
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

migrate: $(RUN_STAMP) ## apply migrations to the configured database
	$(PY) manage.py migrate --noinput

seed: $(RUN_STAMP) ## (re)load the demo data (idempotent)
	$(PY) manage.py seed_demo --password '$(DEMO_PASSWORD)'

bench: $(DEV_STAMP) ## benchmarks at scale, printing each figure against its goal (docs/PERFORMANCE.md)
	@$(PY) bin/bench $(BENCH_ARGS)

# bin/backup and bin/restore need only the standard library (and pg_dump/pg_restore): they run
# before the app works, and inside the image, which has no .venv (its python is the system one).
SCRIPT_PY = $(if $(wildcard $(PY)),$(PY),python3)

backup: ## dump the configured database (FILE=path, default var/backups/...)
	@$(SCRIPT_PY) bin/backup $(FILE)

restore: ## restore a dump made by `make backup` (FILE=path, required)
	@test -n "$(FILE)" || { echo "usage: make restore FILE=path" >&2; exit 2; }
	@$(SCRIPT_PY) bin/restore "$(FILE)"

screenshots: $(DEV_STAMP) ## refresh docs/screenshots (Chromium, seeded demo)
	STRIDE_SCREENSHOT_DIR=docs/screenshots $(VENV)/bin/pytest tests/browser/test_screenshots.py -q

clean: ## remove caches and the installed-marker (keeps the database in var/)
	rm -rf .pytest_cache .ruff_cache .hypothesis build dist *.egg-info $(RUN_STAMP) $(DEV_STAMP)
	find . -path ./$(VENV) -prune -o -name __pycache__ -type d -prune -exec rm -rf {} +
