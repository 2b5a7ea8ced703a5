# Two commands for a fresh machine: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 5000

.PHONY: run test install install-test lint check clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

install: $(BIN)/python
	$(BIN)/pip install --quiet -e .

install-test: $(BIN)/python
	$(BIN)/pip install --quiet -e '.[test]'

## Install, migrate, load the standards and the demo data, then serve on http://$(HOST):$(PORT)
run: export REGISTRY_ENV = development
run: install
	$(BIN)/registry db upgrade
	$(BIN)/registry keys init --if-missing --new-master-key
	$(BIN)/registry standards sync
	$(BIN)/registry demo
	$(BIN)/registry run --host $(HOST) --port $(PORT)

lint: install-test
	$(BIN)/lint-imports
	$(BIN)/ruff check .
	$(BIN)/mypy registry certificates standards

## Install the test extras, then lint, check models against migrations, and run every test
test: lint
	$(BIN)/python -m tests.check_migrations
	$(BIN)/python -m pytest

clean:
	rm -rf $(VENV) instance .pytest_cache .ruff_cache
