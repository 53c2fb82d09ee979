# Klantreis — the two commands a fresh machine needs are `make dev` and `make test`;
# both create the virtual environment and install what they need first.
SHELL := /bin/bash
.DEFAULT_GOAL := help

VENV      := .venv
PY        := $(VENV)/bin/python
SAM_VENV  := .venv-sam
SAM       := $(SAM_VENV)/bin/sam
STAMP     := $(VENV)/.installed
PORT      ?= 3000
ARCH      ?= arm64
# Code roots exactly as Lambda sees them: each function's folder and the core layer.
CODE_ROOTS := layers/core functions/track functions/engage functions/route functions/survey functions/report functions/identity infra/local

.PHONY: help install dev test lint typecheck unit package package-check bench openapi requirements clean

help:
	@echo "make dev      run the local stack on http://127.0.0.1:$(PORT) (embedded DynamoDB)"
	@echo "make test     lint, type-check, template checks and every test"
	@echo "make package  sam build (ARCH=$(ARCH)) and import each built handler"
	@echo "make bench    cold start, DynamoDB cost per event, throughput"
	@echo "make openapi  regenerate docs/openapi.json from the resolvers"

$(STAMP): pyproject.toml layers/deps/requirements.txt
	@set -euo pipefail; \
	if [ ! -x $(PY) ]; then py=$$(infra/scripts/find-python.sh); echo "creating $(VENV) with $$py"; "$$py" -m venv $(VENV); fi; \
	$(PY) -m pip install --quiet --upgrade "pip>=25.1"; \
	$(PY) -m pip install --quiet -r layers/deps/requirements.txt --group dev; \
	site=$$($(PY) -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])'); \
	: > "$$site/klantreis-dev.pth"; \
	for root in $(CODE_ROOTS); do echo "$(CURDIR)/$$root" >> "$$site/klantreis-dev.pth"; done; \
	touch $(STAMP)

install: $(STAMP)

dev: $(STAMP)
	PORT=$(PORT) $(PY) -m klantreis_local

lint: $(STAMP)
	$(PY) infra/scripts/layer_requirements.py --check
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

typecheck: $(STAMP)
	$(VENV)/bin/mypy

# pytest's exit 5 (no tests collected) must fail the build, and it does: any non-zero exit fails.
unit: $(STAMP)
	$(PY) -m pytest -n 2 -q

test: lint typecheck unit

openapi: $(STAMP)
	$(PY) -m klantreis_local.openapi --write docs/openapi.json

requirements:
	python3 infra/scripts/layer_requirements.py

$(SAM): 
	@set -euo pipefail; py=$$(infra/scripts/find-python.sh); "$$py" -m venv $(SAM_VENV); \
	$(SAM_VENV)/bin/python -m pip install --quiet --upgrade pip; \
	$(SAM_VENV)/bin/python -m pip install --quiet "aws-sam-cli==1.170.0"

package: $(STAMP) $(SAM)
	$(SAM) build --template-file template.yaml --build-dir .aws-sam/build-$(ARCH) \
	  --parameter-overrides Architecture=$(ARCH) --cached --cache-dir .aws-sam/cache-$(ARCH)
	$(PY) infra/scripts/check_package.py --build-dir .aws-sam/build-$(ARCH) --arch $(ARCH)

bench: $(STAMP)
	$(PY) -m bench

clean:
	rm -rf $(VENV) $(SAM_VENV) .aws-sam .pytest_cache .mypy_cache .ruff_cache
