# Gongkai: `make demo` brings everything up and publishes the samples; `make test` runs every test.
SHELL := /bin/bash
VENV := .venv
PYTHON := $(VENV)/bin/python
GONGKAI := $(VENV)/bin/gongkai
INSTALLED := $(VENV)/.installed
PERIODS := 2024-01 2024-02 2024-03
ROSTER_PERIODS := 2024-02 2024-03
# A throwaway household-id key for the demo, made on first use and never committed (out/ is
# git-ignored); a bureau's own GONGKAI_HMAC_KEY in the environment wins.
HMAC_KEY := out/hmac.key
WITH_KEY = GONGKAI_HMAC_KEY="$${GONGKAI_HMAC_KEY:-$$(cat $(HMAC_KEY))}"

.PHONY: help install debian-packages samples demo demo-runs test test-fast bench bench-province bench-regions bench-sdc-province clean

help:  ## list the targets
	@grep -hE '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | sed 's/:.*## /\t/' | sort

$(INSTALLED): pyproject.toml requirements.lock
	python3 -m venv $(VENV)
	$(VENV)/bin/pip install -q --upgrade pip
	$(VENV)/bin/pip install -q -c requirements.lock -e '.[dev]'
	touch $@

install: $(INSTALLED) debian-packages  ## the project's virtualenv in .venv (pinned by requirements.lock)

# fonts-noto-cjk: Chinese labels in the trend charts; chromium: the headless-browser tests of the
# portal pages (Playwright drives Debian's Chromium: its own browser download needs the internet).
DEBIAN_PACKAGES := fonts-noto-cjk chromium

debian-packages:  ## install the Debian packages charts and browser tests need (apt-get update first), when missing
	@missing=$$(for p in $(DEBIAN_PACKAGES); do dpkg-query -W -f='$${Status}' $$p 2>/dev/null \
		| grep -q "install ok installed" || echo $$p; done); \
	if [ -n "$$missing" ]; then echo "==> installing Debian packages / 安装系统软件包: $$missing"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing >/dev/null \
		|| { echo "ERROR: 安装 $$missing 失败 / installing $$missing failed: run 'apt-get install $$missing' and read its error" >&2; exit 1; }; fi

samples: $(INSTALLED)  ## generate the sample spreadsheets of every family, plus broken ones
	$(PYTHON) datasets/samples/make_samples.py
	$(PYTHON) datasets/samples/make_roster.py

$(HMAC_KEY):
	@mkdir -p $(@D)
	@umask 077 && $(PYTHON) -c "import secrets; print(secrets.token_hex(32))" > $@

# The demo's reviewer is named as such in every review record it approves (保密审查).
DEMO_REVIEW := --approve --reviewer 演示审查人 --comment "演示数据，已核对 / demo data, checked"
# Run one period; when it stops at "awaiting review" (exit 5), review it as the demo reviewer.
run_and_review = $(WITH_KEY) $(GONGKAI) run $(1) --period $(2); status=$$?; \
	if [ $$status -eq 5 ]; then $(WITH_KEY) $(GONGKAI) review $(1) $(2) $(DEMO_REVIEW) || exit $$?; \
	elif [ $$status -ne 0 ]; then exit $$status; fi

demo: install samples portal $(HMAC_KEY)  ## set up everything, publish the samples of all four families, print the portal URLs
	@mkdir -p out && $(MAKE) --no-print-directory demo-runs 2>&1 | tee out/demo-console.log; exit $${PIPESTATUS[0]}

# The demo's runs; `make demo` keeps their console output in out/demo-console.log (the privacy scan reads it).
demo-runs:
	@$(call run_and_review,subsidy-standards,2024)
	@for period in $(PERIODS); do $(call run_and_review,relief-recipients,$$period); done
	@for period in $(ROSTER_PERIODS); do $(call run_and_review,relief-roster,$$period); done
	@$(call run_and_review,lottery-fund,2023)
	@$(call run_and_review,budget-accounts,2023)
	@$(GONGKAI) show relief-recipients

# The unit tests are independent: both cores share them (pytest-xdist). The integration tests share
# one portal and one Prefect server, so they run in one process. The 25 slowest stay in view.
UNIT_TESTS = $(VENV)/bin/pytest -m "not integration" -n 2 --durations=25

test: install samples portal  ## every test: unit tests, then integration tests against the local portal
	$(UNIT_TESTS)
	$(VENV)/bin/pytest -m integration --durations=25

test-fast: install samples  ## unit tests only (no portal needed)
	$(UNIT_TESTS)

bench: bench-scale bench-flow bench-sdc bench-province bench-regions  ## every benchmark but bench-portal, bench-datastore and bench-sdc-province (run those on their own)

bench-flow: install samples  ## time the stages against a baseline measured in the same run
	$(PYTHON) benchmarks/flow_bench.py

bench-province: install  ## 20 county workbooks of one month: extract+normalize+validate on 1 process vs 2 (GONGKAI_WORKERS), no portal
	$(PYTHON) benchmarks/province_bench.py

bench-regions: install  ## resolve every township of a province and 100,000 roster villages against the national division codes, vs a plain dict lookup
	$(PYTHON) benchmarks/regions_bench.py

bench-scale: install portal  ## province scale: 1M-row roster validation, quality vs GE, relief roster end to end vs its read floor, unchanged rerun, DataStore vs COPY (ratios vs benchmarks/baseline.json)
	$(PYTHON) benchmarks/scale_bench.py

bench-sdc: install  ## time cell suppression and its audit on a county (~5,000 cells) against primary suppression alone
	$(PYTHON) benchmarks/sdc_bench.py

bench-sdc-province: install  ## the same on a province too (~100,000 cells, ~7 minutes)
	$(PYTHON) benchmarks/sdc_bench.py --province

clean:  ## remove run outputs (not the portal: see `make portal-reset`)
	rm -rf out

include portal/portal.mk
