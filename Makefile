# The two commands a developer needs: `make serve` and `make test`.
PYTHON ?= python3
# The virtualenv lives outside the work tree, one per checkout, and is linked here as .venv: tools
# that scan the tree (duplicates, the before-stop checks) then read only the project's own code.
VENV_HOME ?= $(HOME)/.cache/loyalty/venv-$(shell pwd | cksum | cut -d' ' -f1)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: install serve test lint typecheck contracts pytest schema bench bench-scale clean

$(STAMP): pyproject.toml
	@if [ -d $(VENV) ] && [ ! -L $(VENV) ]; then echo "moving the old in-tree $(VENV) aside"; rm -rf $(VENV); fi
	test -x $(VENV_HOME)/bin/python || $(PYTHON) -m venv $(VENV_HOME)
	ln -sfn $(VENV_HOME) $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

## Run the API on http://127.0.0.1:8000/graphql (embedded PostgreSQL and Redis unless
## DATABASE_URL / REDIS_URL are set).
serve: install
	$(BIN)/loyalty serve

## Every check: lint, format, types, import contracts, tests.
test: lint typecheck contracts pytest

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: install
	$(BIN)/mypy

contracts: install
	$(BIN)/lint-imports

pytest: install
	$(BIN)/pytest

## Regenerate schema.graphql after changing the GraphQL types.
schema: install
	$(BIN)/loyalty schema

clean:
	rm -rf $(VENV_HOME) $(VENV) .mypy_cache .pytest_cache .ruff_cache

## Performance against same-machine baselines (not part of `make test`); see bench/run.py.
bench: install
	$(BIN)/python -m bench.run

## The scale run: 10k members, then 1M members with 10M ledger entries, p99 compared.
bench-scale: install
	$(BIN)/python -m bench.run --scale 1000000
