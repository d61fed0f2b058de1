# Land-AI Workbench: `make lab` starts JupyterLab, `make test` runs every test.
# Both create .venv when it is missing and reuse it afterwards.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
KERNEL := land-ai-workbench
STAMP := $(VENV)/.installed
PORT ?= 8888

.PHONY: lab test full venv browser-deps screenshots benchmarks clean

venv: $(STAMP)

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	# torch is pinned to 2.13.0 in pyproject.toml, which takes the local CPU wheel here
	$(BIN)/python -m pip install --quiet -e ".[test]"
	$(BIN)/python -m ipykernel install --sys-prefix --name $(KERNEL) --display-name "Land-AI Workbench"
	@touch $(STAMP)

# JupyterLab refuses to run as root unless told; containers and CI machines often are root.
ROOT_FLAG := $(if $(filter 0,$(shell id -u)),--allow-root,)

lab: $(STAMP)
	$(BIN)/jupyter lab --notebook-dir=notebooks --port=$(PORT) $(ROOT_FLAG)

# Every notebook runs twice under nbval and twice in the browser: with the real data, and as on Binder offline
# (an empty real-data folder, no downloads), where each section must still show data (the virtual land).
# WORKBENCH_STRICT_OUTPUTS=1 turns a table or plot with no data into an error output.
OFFLINE_DATA := WORKBENCH_REAL_DATA=$(CURDIR)/artifacts/no-real-data WORKBENCH_OFFLINE=1
TEST_ENV := WORKBENCH_FAST=1 WORKBENCH_STRICT_OUTPUTS=1
NBVAL := $(BIN)/python -m pytest --nbval-lax --nbval-kernel-name=$(KERNEL) -p no:cacheprovider notebooks

test: $(STAMP) browser-deps
	@mkdir -p artifacts/no-real-data
	$(TEST_ENV) $(BIN)/python -m pytest tests workbench --doctest-modules
	$(TEST_ENV) $(NBVAL)
	$(TEST_ENV) $(OFFLINE_DATA) $(NBVAL)
	$(TEST_ENV) $(OFFLINE_DATA) WORKBENCH_BROWSER_RUN=offline-data $(BIN)/python -m pytest tests/browser -m browser -p no:cacheprovider -k "not fixture and not broken_inline and not harness"

# Every notebook in full mode, headless; writes docs/full_mode.md and docs/full_mode/*.json (NOTEBOOKS= to choose).
full: $(STAMP)
	$(BIN)/python benchmarks/full_mode.py $(NOTEBOOKS)

browser-deps: $(STAMP)
	@bash .ci/browser-deps.sh $(BIN)/python

# Full-page PNG of every notebooks/*.ipynb, run in JupyterLab in headless Chromium (< 400 KB each).
screenshots: $(STAMP) browser-deps
	@mkdir -p docs/screenshots
	WORKBENCH_FAST=1 WORKBENCH_SCREENSHOTS=docs/screenshots $(BIN)/python -m pytest tests/browser -m browser -p no:cacheprovider
	@ls -l docs/screenshots/*.png

benchmarks: $(STAMP)
	@for script in benchmarks/*.py; do [ "$$script" = benchmarks/full_mode.py ] && continue; echo "== $$script"; $(BIN)/python $$script || exit 1; done

clean:
	rm -rf $(VENV) .pytest_cache artifacts
