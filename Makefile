# Minsheng: `make run` starts the whole suite on the embedded default,
# `make test` runs lint and every test. Both create the environment first.

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
# Test processes: each takes whole files, so a module's stack starts once.
TEST_WORKERS ?= 2
PACKAGES := shared intake-svc dispatch-svc sla-svc notify-svc analytics-svc services/forum \
	services/hotline services/aivideo services/open311 services/mailbox services/wechat
PYPROJECTS := $(foreach p,$(PACKAGES),$(p)/pyproject.toml)
SOURCES := shared intake-svc dispatch-svc sla-svc notify-svc analytics-svc services tests deploy conftest.py

# `make images`: the base image, then one image per Dockerfile in deploy/docker.
DOCKER ?= docker
IMAGE_PREFIX ?= minsheng
IMAGE_TAG ?= latest
IMAGES := $(filter-out base,$(basename $(notdir $(wildcard deploy/docker/*.Dockerfile))))

.PHONY: venv run test lint format bench clean images

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
		-p minsheng_aivideo -p minsheng_open311 -p minsheng_mailbox -p minsheng_wechat

format: venv
	$(BIN)/ruff format $(SOURCES)
	$(BIN)/ruff check --fix $(SOURCES)

test: lint
	$(BIN)/pytest -n $(TEST_WORKERS) --dist loadfile

bench: venv
	$(BIN)/python tests/bench/run.py
	$(BIN)/python -m tests.bench.dispatch_flow
	$(BIN)/python -m tests.bench.sla_scale
	$(BIN)/python -m tests.bench.analytics_scale

images:
	@$(DOCKER) info >/dev/null 2>&1 || { \
		echo "make images: no container engine answers ('$(DOCKER) info' failed)." >&2; \
		echo "Build on a machine with Docker (BuildKit) or set DOCKER=podman." >&2; \
		exit 1; }
	$(DOCKER) build -f deploy/docker/base.Dockerfile -t $(IMAGE_PREFIX)/base:$(IMAGE_TAG) .
	@set -e; for image in $(IMAGES); do \
		echo "building $(IMAGE_PREFIX)/$$image:$(IMAGE_TAG)"; \
		$(DOCKER) build -f deploy/docker/$$image.Dockerfile \
			--build-arg BASE_IMAGE=$(IMAGE_PREFIX)/base:$(IMAGE_TAG) \
			-t $(IMAGE_PREFIX)/$$image:$(IMAGE_TAG) .; \
	done

clean:
	rm -rf $(VENV) .data
