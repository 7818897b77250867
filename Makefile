# SocialOps — `make run` to try it, `make test` to test it. Everything else is optional.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PY := $(BIN)/python
STAMP := $(VENV)/.installed
HOST ?= 127.0.0.1
PORT ?= 8000
XSIM_PORT ?= 8765
export PYTHONDONTWRITEBYTECODE := 1

.PHONY: run test lint fmt bench fuzz install migrate demo clean-var help

help:
	@echo "make run    set everything up and start SocialOps on http://$(HOST):$(PORT)"
	@echo "make test   lint, checks and the whole test suite"
	@echo "make bench  benchmarks, each beside its ceiling"
	@echo "make fuzz   schemathesis over every API operation, a larger budget than make test"
	@echo "make fmt    format the code"

$(PY):
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "SocialOps needs Python 3.11 or newer")'
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip

$(STAMP): pyproject.toml | $(PY)
	$(PY) -m pip install --quiet -e '.[dev]'
	@touch $(STAMP)

install: $(STAMP)

migrate: install
	$(PY) manage.py migrate --noinput

demo: migrate
	$(PY) manage.py demo_setup

# Unless told otherwise, the product talks to the bundled X simulator, never to X.
run: export X_API_BASE_URL ?= http://127.0.0.1:$(XSIM_PORT)
# Short links in scheduled posts point at this server.
run: export SITE_URL ?= http://$(HOST):$(PORT)
# Keep the terminal for what a person needs: no line per task, per click or per probe.
run: export ROUTINE_LOG_LEVEL ?= WARNING
run: demo
	@echo
	@echo "  SocialOps is starting on http://$(HOST):$(PORT)/  (Ctrl-C stops everything)"
	@echo
	@# honcho sets PORT per process itself, so the web port travels as WEB_PORT.
	WEB_HOST=$(HOST) WEB_PORT=$(PORT) XSIM_PORT=$(XSIM_PORT) $(BIN)/honcho --procfile Procfile.dev --app-root . start

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

fmt: install
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

test: lint
	SOCIALOPS_TESTING=1 $(PY) manage.py check
	SOCIALOPS_TESTING=1 $(PY) manage.py makemigrations --check --dry-run
	SOCIALOPS_TESTING=1 $(BIN)/pytest -n 2 --dist loadfile -q $(PYTEST_ARGS)

bench: install
	$(PY) -m bench

# The suite's schemathesis run (tests/socialops/test_fuzz.py) with a larger budget and a
# fresh seed each time; FUZZ_MAX_EXAMPLES and FUZZ_SEED override them.
fuzz: install
	SOCIALOPS_TESTING=1 FUZZ_MAX_EXAMPLES=$${FUZZ_MAX_EXAMPLES:-100} FUZZ_SEED=$${FUZZ_SEED:-$$RANDOM} \
		$(BIN)/pytest -q -p no:randomly tests/socialops/test_fuzz.py

clean-var:
	rm -rf var/
