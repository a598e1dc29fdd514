# Gongkai: `make demo` brings everything up and publishes the samples; `make test` runs every test.
SHELL := /bin/bash
VENV := .venv
PYTHON := $(VENV)/bin/python
GONGKAI := $(VENV)/bin/gongkai
INSTALLED := $(VENV)/.installed
PERIODS := 2024-01 2024-02 2024-03

.PHONY: help install samples demo test test-fast bench clean

help:  ## list the targets
	@grep -hE '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | sed 's/:.*## /\t/' | sort

$(INSTALLED): pyproject.toml requirements.lock
	python3 -m venv $(VENV)
	$(VENV)/bin/pip install -q --upgrade pip
	$(VENV)/bin/pip install -q -c requirements.lock -e '.[dev]'
	touch $@

install: $(INSTALLED)  ## the project's virtualenv in .venv (pinned by requirements.lock)

samples: $(INSTALLED)  ## generate the sample spreadsheets of every family, plus broken ones
	$(PYTHON) datasets/samples/make_samples.py

demo: install samples portal  ## set up everything, publish the samples of all four families, print the portal URLs
	@$(GONGKAI) run subsidy-standards --period 2024
	@for period in $(PERIODS); do $(GONGKAI) run relief-recipients --period $$period || exit $$?; done
	@$(GONGKAI) run lottery-fund --period 2023
	@$(GONGKAI) run budget-accounts --period 2023
	@$(GONGKAI) show relief-recipients

test: install samples portal  ## every test: unit tests and integration tests against the local portal
	$(VENV)/bin/pytest

test-fast: install samples  ## unit tests only (no portal needed)
	$(VENV)/bin/pytest -m "not integration"

bench: bench-scale bench-flow bench-sdc  ## every benchmark but bench-portal and bench-datastore (run those on their own)

bench-flow: install samples  ## time the pipeline stages against a baseline measured in the same run
	$(PYTHON) benchmarks/flow_bench.py

bench-scale: install portal  ## province scale: 1M-row roster validation, quality vs GE, unchanged rerun, DataStore vs COPY (ratios vs benchmarks/baseline.json)
	$(PYTHON) benchmarks/scale_bench.py

bench-sdc: install  ## time cell suppression and its audit (county ~5,000 cells, province ~100,000) against primary suppression alone
	$(PYTHON) benchmarks/sdc_bench.py

clean:  ## remove run outputs (not the portal: see `make portal-reset`)
	rm -rf out

include portal/portal.mk
