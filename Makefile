# Two commands: `make demo` and `make test`. Both set everything up first.
SHELL := /bin/bash
VENV ?= .venv
BIN := $(VENV)/bin
PISHRAFT := $(BIN)/pishraft
PYTEST_ARGS ?=

.PHONY: setup demo demo-data test bench clean db-stop

setup:
	@bash scripts/bootstrap.sh

demo-data: setup
	@$(PISHRAFT) db start
	@$(PISHRAFT) db upgrade
	@$(PISHRAFT) demo load
	@$(PISHRAFT) maps render --out build/maps

demo: demo-data
	@$(PISHRAFT) serve

test: setup
	@$(BIN)/python -m pytest $(PYTEST_ARGS)

bench: setup
	@for b in bench/[!_]*.py; do echo "== $$b"; $(BIN)/python $$b || exit 1; done

db-stop:
	@$(PISHRAFT) db stop

clean: db-stop
	rm -rf build
