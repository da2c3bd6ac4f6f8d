# Two commands: `make run` (the app) and `make test` (the whole suite). `make setup` is the
# idempotent install step both use: nothing is reinstalled when nothing changed.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
UV_VERSION := 0.13.9
BUN_VERSION := 1.4.5
CRM_DATA_DIR ?= $(CURDIR)/var
export CRM_DATA_DIR
# Bytecode is cached under var/pycache, out of the source tree. Some environments set
# PYTHONDONTWRITEBYTECODE: then every Python process (each test worker, and every server,
# Celery worker and CLI the tests start) compiles Reflex, SQLAlchemy, FastAPI… from source
# again — collecting the suite alone took 44 s instead of 22 s.
unexport PYTHONDONTWRITEBYTECODE
export PYTHONPYCACHEPREFIX := $(CURDIR)/var/pycache
TOOLS := $(CURDIR)/var/tools
STAMP := $(VENV)/.crm-installed

.PHONY: setup run test lint test-deps clean-web

setup: $(STAMP) $(TOOLS)/.bun-$(BUN_VERSION)

$(STAMP): pyproject.toml requirements.lock
	@test -x $(VENV)/bin/python || $(PYTHON) -m venv $(VENV)
	@$(VENV)/bin/python -m pip install -q --disable-pip-version-check "uv==$(UV_VERSION)"
	$(VENV)/bin/uv pip install -q --python $(VENV)/bin/python -r requirements.lock
	$(VENV)/bin/uv pip install -q --python $(VENV)/bin/python --no-deps -e .
	@touch $@

# Reflex needs bun; it comes from the npm registry (Reflex's own download is not reachable).
$(TOOLS)/.bun-$(BUN_VERSION):
	@mkdir -p $(TOOLS)
	npm install --prefix $(TOOLS) --no-audit --no-fund --loglevel=error bun@$(BUN_VERSION)
	@$(TOOLS)/node_modules/.bin/bun --version >/dev/null
	@touch $@

run: setup
	$(VENV)/bin/crm run

# System packages the tests drive for real: Chromium, PostgreSQL, Redis, poppler (pdftotext).
test-deps:
	@bash scripts/test-deps.sh

# Two workers (pytest-xdist): most slow tests wait on real processes, so a second worker
# overlaps them on a 2-core machine; the browser tests are one group on one worker.
# TEST_WORKERS=0 runs everything in one process (e.g. to use a debugger).
TEST_WORKERS ?= 2

test: setup test-deps
	$(VENV)/bin/python -m pytest -p no:cacheprovider -n $(TEST_WORKERS) --durations=25 $(PYTEST_ARGS)

lint: setup
	$(VENV)/bin/ruff check .
	$(VENV)/bin/lint-imports

clean-web:
	rm -rf $(CRM_DATA_DIR)/web $(CRM_DATA_DIR)/web-test
