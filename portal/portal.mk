# Make targets for the local CKAN portal; the top-level Makefile includes this file.
PYTHON ?= .venv/bin/python
PORTALCTL := portal/portalctl

.PHONY: portal portal-down portal-status portal-reset portal-logs bench-portal bench-datastore

portal:  ## start the local CKAN portal (installs what is missing)
	$(PORTALCTL) up

portal-down:  ## stop CKAN (PostgreSQL and Redis keep running)
	$(PORTALCTL) down

portal-status:  ## show what runs
	$(PORTALCTL) status

portal-reset:  ## empty portal: drop both databases, clear storage, new admin token
	$(PORTALCTL) reset

portal-logs:  ## follow the CKAN log
	$(PORTALCTL) logs

bench-portal: portal  ## seed 2,000 datasets and a 1M-row DataStore table, measure latency
	$(PYTHON) benchmarks/portal_bench.py

bench-datastore: portal  ## DataStore load: gongkai_datastore_load vs plain COPY vs datastore_create, 240,000 rows
	$(PYTHON) benchmarks/datastore_bench.py
