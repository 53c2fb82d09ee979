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
CODE_ROOTS := layers/core functions/track functions/aggregate functions/engage functions/chat functions/route functions/survey functions/report functions/identity infra/local

# A tool whose pins clash with ours, in a venv of its own: $(1) the venv, $(2) its pinned
# requirement; the target is the venv's stamp of that version.
define tool_venv
	@set -euo pipefail; py=$$(infra/scripts/find-python.sh); echo "creating $(1) with $$py"; \
	rm -f $(1)/.installed-*; "$$py" -m venv $(1); \
	$(1)/bin/python -m pip install --quiet --upgrade "pip>=25.1,<26.3"; \
	$(1)/bin/python -m pip install --quiet "$(2)"; \
	touch $@
endef

.PHONY: help install dev test lint typecheck template-check unit package package-check ci bench openapi requirements clean web weblint webtest bench-soak stress

help:
	@echo "make dev      run the local stack on http://127.0.0.1:$(PORT) (embedded DynamoDB)"
	@echo "make test     lint, type-check, template checks (checkov too) and every test"
	@echo "make web      install the pinned npm packages (npm ci); build the widget, demo shop and console (web/dist)"
	@echo "make package  sam build (ARCH=$(ARCH)) and import each built handler"
	@echo "make ci       what CI runs: make test, then make package"
	@echo "make bench    cold start, DynamoDB cost per event, throughput, soak of the local stack"
	@echo "make bench-soak  the soak alone: 20,000 events + 500 chats over HTTP, latency and RSS"
	@echo "make stress   the capacity race test $(STRESS_RUNS) times in a row (STRESS_RUNS=...)"
	@echo "make openapi  regenerate docs/openapi.json from the resolvers"
	@echo "make train    retrain the purchase-propensity model (CSV=..., OUT=...)"
	@echo "make train-prior  retrain the prior model new sites score with"
	@echo "make evaluate CSV=path  score the shipped model on a labelled CSV"

$(STAMP): pyproject.toml layers/deps/requirements.txt
	@set -euo pipefail; \
	if [ ! -x $(PY) ]; then py=$$(infra/scripts/find-python.sh); echo "creating $(VENV) with $$py"; "$$py" -m venv $(VENV); fi; \
	$(PY) -m pip install --quiet --upgrade "pip>=25.1,<26.3"; \
	$(PY) -m pip install --quiet -r layers/deps/requirements.txt --group dev; \
	site=$$($(PY) -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])'); \
	: > "$$site/klantreis-dev.pth"; \
	for root in $(CODE_ROOTS); do echo "$(CURDIR)/$$root" >> "$$site/klantreis-dev.pth"; done; \
	touch $(STAMP)

install: $(STAMP)

# The web widget: npm packages pinned by web/package-lock.json, installed with `npm ci` when the
# lock changes; esbuild builds web/dist (not committed) in well under a second, so every run builds.
WEB_STAMP := web/node_modules/.installed

$(WEB_STAMP): web/package.json web/package-lock.json
	cd web && npm ci --no-audit --no-fund --loglevel=error
	touch $(WEB_STAMP)

web: $(WEB_STAMP)
	cd web && npm run --silent build

# tsc --noEmit in strict mode over the widget's source and tests.
weblint: $(WEB_STAMP)
	cd web && npm run --silent lint

# node's test runner: the widget's logic, and the size budget of the built files.
webtest: web
	cd web && npm test --silent

dev: $(STAMP) web
	PORT=$(PORT) $(PY) -m klantreis_local

lint: $(STAMP) weblint
	$(PY) infra/scripts/layer_requirements.py --check
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

typecheck: $(STAMP)
	$(VENV)/bin/mypy

# The browser tests drive Debian's chromium (playwright cannot download browsers here); they
# never skip, so a machine without it gets it from apt.
CHROMIUM := /usr/bin/chromium

$(CHROMIUM):
	@echo "installing Debian's chromium for the browser tests"
	$(if $(filter 0,$(shell id -u)),,sudo) apt-get update -qq
	DEBIAN_FRONTEND=noninteractive $(if $(filter 0,$(shell id -u)),,sudo) apt-get install -y -qq --no-install-recommends chromium

# checkov pins its own boto3 (and more) apart from ours, so it lives in its own venv, as SAM does.
# Every check it skips is justified in the skipping resource's Metadata (checkov: skip: comment).
CHECKOV_VERSION := 3.3.30
CHECKOV_VENV    := .venv-checkov
CHECKOV_STAMP   := $(CHECKOV_VENV)/.installed-$(CHECKOV_VERSION)

$(CHECKOV_STAMP):
	$(call tool_venv,$(CHECKOV_VENV),checkov==$(CHECKOV_VERSION))

template-check: $(CHECKOV_STAMP)
	$(CHECKOV_VENV)/bin/checkov --file template.yaml --framework cloudformation --compact --quiet --skip-download

# pytest's exit 5 (no tests collected) must fail the build, and it does: any non-zero exit fails.
unit: $(STAMP) web $(CHROMIUM)
	$(PY) -m pytest -n 2 -q

test: lint typecheck template-check unit webtest

# Not part of `make test`: the capacity race test (four local stacks on one serial moto server)
# again and again, each run on fresh servers; every run must pass.
STRESS_RUNS ?= 20
STRESS_TEST := tests/e2e/test_capacity_race.py

stress: $(STAMP)
	@passed=0; \
	for run in $$(seq 1 $(STRESS_RUNS)); do \
		started=$$(date +%s); \
		if $(PY) -m pytest -q -p no:xdist -p no:cacheprovider $(STRESS_TEST) > .stress-run.log 2>&1; then \
			passed=$$((passed + 1)); outcome=passed; \
		else \
			outcome=FAILED; cp .stress-run.log .stress-failed-$$run.log; \
		fi; \
		echo "run $$run/$(STRESS_RUNS): $$outcome in $$(( $$(date +%s) - started )) s"; \
	done; \
	rm -f .stress-run.log; \
	echo "$$passed/$(STRESS_RUNS) passed"; \
	test $$passed -eq $(STRESS_RUNS)

openapi: $(STAMP)
	$(PY) -m klantreis_local.openapi --write docs/openapi.json

requirements:
	python3 infra/scripts/layer_requirements.py

# `sam build` runs from .venv-sam (aws-sam-cli pins an older boto3 than ours), with the Lambda
# runtime's Python first on PATH: SAM installs the layer's wheels with it. Settings come from
# infra/samconfig.toml. Lambda runs arm64 (ARCH's default): that build goes to SAM's default
# .aws-sam/build, which `sam deploy` ships; other architectures build to .aws-sam/<arch>/build,
# each with its own cache and build graph. A build for another architecture than this machine's
# cannot import its native extensions here, so `package` also builds for the host and
# check_package.py imports the target build's Python code with the host build's twin extensions.
SAM_VERSION := 1.170.0
SAM_STAMP   := $(SAM_VENV)/.installed-$(SAM_VERSION)
HOST_ARCH   := $(shell uname -m | sed -e 's/^aarch64$$/arm64/' -e 's/^amd64$$/x86_64/')
DEPLOY_ARCH := arm64
build_root   = .aws-sam$(if $(filter $(DEPLOY_ARCH),$(1)),,/$(1))
# SAM CLI cannot read template.yaml's Fn::ForEach alarm families (aws-sam-cli #5647): it builds
# template.expanded.json, the template as the LanguageExtensions transform expands it.
sam_build    = $(PY) -m klantreis_local.template && \
  PATH="$$(dirname "$$(infra/scripts/find-python.sh)"):$$PATH" SAM_CLI_TELEMETRY=0 \
  $(SAM) build --config-file infra/samconfig.toml --template-file template.expanded.json \
  --build-dir $(call build_root,$(1))/build \
  --cache-dir $(call build_root,$(1))/cache --parameter-overrides Architecture=$(1)
# Lambda's code is read-only and pip's wheels ship no bytecode, so without this every cold start
# compiles every module it imports. Compiled with the runtime's Python, checked by hash never
# (unchecked-hash): zips do not keep the times a timestamp check compares (docs/decisions.md).
compile_build = "$$(infra/scripts/find-python.sh)" -m compileall -q --invalidation-mode unchecked-hash \
  $(call build_root,$(1))/build
check_build  = $(PY) infra/scripts/check_package.py --python "$$(infra/scripts/find-python.sh)" \
  --build-dir $(call build_root,$(1))/build --arch $(1)

$(SAM): $(SAM_STAMP)

$(SAM_STAMP):
	$(call tool_venv,$(SAM_VENV),aws-sam-cli==$(SAM_VERSION))

package: $(STAMP) $(SAM)
	$(call sam_build,$(ARCH))
	$(call compile_build,$(ARCH))
ifneq ($(ARCH),$(HOST_ARCH))
	$(call sam_build,$(HOST_ARCH))
	$(call compile_build,$(HOST_ARCH))
endif
	@$(MAKE) --no-print-directory package-check ARCH=$(ARCH)

# Checks the builds `package` left, without building again.
package-check: $(STAMP)
ifneq ($(ARCH),$(HOST_ARCH))
	$(call check_build,$(HOST_ARCH))
	$(call check_build,$(ARCH)) --native-build-dir $(call build_root,$(HOST_ARCH))/build
else
	$(call check_build,$(ARCH))
endif

ci:
	CI=true bash .ci/run

bench: $(STAMP) web $(CHROMIUM)
	$(PY) -m bench

bench-soak: $(STAMP)
	$(PY) -m bench --only soak

# The purchase-propensity model. `train` is an operator tool: it adds the pinned `train` group
# (scikit-learn) to the same .venv and writes the JSON the functions score in pure Python.
# `evaluate` needs only the dev venv: it scores the shipped model on CSV and fits nothing.
TRAIN_STAMP := $(VENV)/.installed-train
TRAIN_CSV   := ../shared/data/online_shoppers_train.csv
OUT         ?= layers/core/klantreis/engagement/default_model.json

.PHONY: train train-prior evaluate

$(TRAIN_STAMP): $(STAMP) pyproject.toml
	$(PY) -m pip install --quiet --group train
	touch $(TRAIN_STAMP)

train: $(TRAIN_STAMP)
	$(PY) infra/scripts/train.py --csv "$(or $(CSV),$(TRAIN_CSV))" --out "$(OUT)"

# The prior model (no page statistics): what a site without history scores with (docs/model.md).
train-prior: $(TRAIN_STAMP)
	$(PY) infra/scripts/train.py --csv "$(TRAIN_CSV)" --features prior

# Prints the shipped model's nested cross-validation figures, then scores CSV (default: the
# training file, in-sample) in pure Python (docs/model.md).
evaluate: $(STAMP)
	@$(PY) infra/scripts/evaluate.py "$(or $(CSV),$(TRAIN_CSV))"

clean:
	rm -rf $(VENV) $(SAM_VENV) $(CHECKOV_VENV) .aws-sam .pytest_cache .mypy_cache .ruff_cache web/node_modules web/dist web/.test-build web/demo/build artifacts
