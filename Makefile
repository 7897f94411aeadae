# Minsheng: `make run` starts the whole suite on the embedded default,
# `make test` runs lint and every test. Both create the environment first.

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
PACKAGES := shared intake-svc dispatch-svc sla-svc notify-svc analytics-svc services/forum \
	services/hotline services/aivideo
PYPROJECTS := $(foreach p,$(PACKAGES),$(p)/pyproject.toml)
SOURCES := shared intake-svc dispatch-svc sla-svc notify-svc analytics-svc services tests deploy conftest.py

.PHONY: venv run test lint format bench clean

venv: $(STAMP)

$(STAMP): $(PYPROJECTS) requirements-dev.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e 'shared[devstack]' \
		$(foreach p,$(filter-out shared,$(PACKAGES)),-e $(p)) -r requirements-dev.txt
	touch $(STAMP)

run: venv
	$(BIN)/python deploy/local/launch.py

lint: venv
	$(BIN)/ruff format --check $(SOURCES)
	$(BIN)/ruff check $(SOURCES)
	$(BIN)/mypy -p minsheng_common -p minsheng_intake -p minsheng_dispatch -p minsheng_sla \
		-p minsheng_notify -p minsheng_analytics -p minsheng_forum -p minsheng_hotline \
		-p minsheng_aivideo

format: venv
	$(BIN)/ruff format $(SOURCES)
	$(BIN)/ruff check --fix $(SOURCES)

test: lint
	$(BIN)/pytest

bench: venv
	$(BIN)/python tests/bench/run.py
	$(BIN)/python -m tests.bench.dispatch_flow
	$(BIN)/python -m tests.bench.sla_scale
	$(BIN)/python -m tests.bench.analytics_scale

clean:
	rm -rf $(VENV) .data
