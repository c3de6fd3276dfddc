# Stride: two commands for a newcomer.
#   make run    set up .venv, migrate, seed the demo, then web + Celery worker + beat
#   make test   ruff, import layers, the suite on SQLite and again on PostgreSQL
SHELL := /bin/bash
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.stride-installed
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
.PHONY: help install run test lint format migrate seed clean bench backup restore screenshots

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-9s %s\n", $$1, $$2}'

$(PY):
	@if [ -z "$(PYTHON)" ]; then \
		echo "Stride needs Python 3.11 or newer as python3.11 or python3." >&2; \
		echo "On Debian/Ubuntu: sudo apt-get install python3 python3-venv" >&2; exit 1; fi
	@echo "Creating $(VENV) with $(PYTHON) ($$($(PYTHON) --version))"
	@$(PYTHON) -m venv $(VENV) || { rm -rf "$(VENV)"; \
		echo "Creating the virtualenv failed. On Debian/Ubuntu: sudo apt-get install python3-venv" >&2; \
		exit 1; }

# Reinstall only when pyproject.toml changed since the last install.
$(STAMP): pyproject.toml | $(PY)
	$(PY) -m pip install --no-input -e '.[dev]'
	@touch $@

install: $(STAMP) ## create .venv and install Stride with its dev tools

run: $(STAMP) ## migrate, seed the demo, serve http://127.0.0.1:8000/ with a Celery worker and beat
	$(PY) manage.py migrate --noinput
	@if [ "$(SEED)" = 1 ]; then $(PY) manage.py seed_demo --password '$(DEMO_PASSWORD)'; fi
	@$(PY) bin/run-local --host $(HOST) --port $(PORT) --demo-password '$(DEMO_PASSWORD)'

test: $(STAMP) ## lint, layers, the suite on SQLite and on PostgreSQL (PYTEST_ARGS=... to narrow)
	@bin/test $(PYTEST_ARGS)

lint: $(STAMP) ## ruff check, ruff format --check, import layers
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/lint-imports

format: $(STAMP) ## apply ruff fixes and formatting
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

migrate: $(STAMP) ## apply migrations to the configured database
	$(PY) manage.py migrate --noinput

seed: $(STAMP) ## (re)load the demo data (idempotent)
	$(PY) manage.py seed_demo --password '$(DEMO_PASSWORD)'

bench: $(STAMP) ## benchmarks at scale, printing each figure against its goal (docs/PERFORMANCE.md)
	@$(PY) bin/bench $(BENCH_ARGS)

backup: $(STAMP) ## dump the configured database (FILE=path, default var/backups/...)
	@$(PY) bin/backup $(FILE)

restore: $(STAMP) ## restore a dump made by `make backup` (FILE=path, required)
	@test -n "$(FILE)" || { echo "usage: make restore FILE=path" >&2; exit 2; }
	@$(PY) bin/restore "$(FILE)"

screenshots: $(STAMP) ## refresh docs/screenshots (Chromium, seeded demo)
	STRIDE_SCREENSHOT_DIR=docs/screenshots $(VENV)/bin/pytest tests/browser/test_screenshots.py -q

clean: ## remove caches and the installed-marker (keeps the database in var/)
	rm -rf .pytest_cache .ruff_cache .hypothesis build dist *.egg-info $(STAMP)
	find . -path ./$(VENV) -prune -o -name __pycache__ -type d -prune -exec rm -rf {} +
