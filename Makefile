# Two commands: `make demo` and `make test`. Both set everything up first.
SHELL := /bin/bash
VENV ?= .venv
BIN := $(VENV)/bin
PISHRAFT := $(BIN)/pishraft
PYTEST_ARGS ?=

.PHONY: setup demo demo-data lint test bench clean db-stop

setup:
	@bash scripts/bootstrap.sh

demo-data: setup
	@$(PISHRAFT) db start
	@$(PISHRAFT) db upgrade
	@$(PISHRAFT) demo load
	@$(PISHRAFT) maps render --out build/maps

demo: demo-data
	@$(PISHRAFT) serve

# The lint gate first (seconds), then the suite (minutes); rules and options in pyproject.toml.
lint: setup
	@$(BIN)/ruff check .
	@$(BIN)/mypy

test: lint
	@$(BIN)/python -m pytest $(PYTEST_ARGS)

bench: setup
	@for b in bench/[!_]*.py; do echo "== $$b"; $(BIN)/python $$b || exit 1; done

db-stop:
	@$(PISHRAFT) db stop

clean: db-stop
	rm -rf build
