# The two commands a developer needs: `make serve` and `make test`.
PYTHON ?= python3
# The virtualenv lives outside the work tree, one per checkout, and is linked here as .venv: tools
# that scan the tree (duplicates, the before-stop checks) then read only the project's own code.
# As root it must not live under a private home: the embedded PostgreSQL then runs as its own
# unprivileged user, which has to reach the server binaries inside the virtualenv.
CHECKOUT_ID := $(shell pwd | cksum | cut -d' ' -f1)
ifeq ($(shell id -u),0)
VENV_HOME ?= /opt/loyalty/venvs/$(CHECKOUT_ID)
else
VENV_HOME ?= $(HOME)/.cache/loyalty/venv-$(CHECKOUT_ID)
endif
VENV := .venv
BIN := $(VENV)/bin
# The stamp lives in the virtualenv itself: a new location (another user, root) installs anew.
STAMP := $(VENV_HOME)/.installed

.PHONY: install serve test lint typecheck contracts pytest schema bench bench-scale clean

$(STAMP): pyproject.toml
	@if [ -d $(VENV) ] && [ ! -L $(VENV) ]; then echo "moving the old in-tree $(VENV) aside"; rm -rf $(VENV); fi
	test -x $(VENV_HOME)/bin/python || (umask 022 && $(PYTHON) -m venv $(VENV_HOME))
	$(VENV_HOME)/bin/python -m pip install --quiet --upgrade pip
	$(VENV_HOME)/bin/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)
	@test "$$(readlink $(VENV))" = "$(VENV_HOME)" || ln -sfn $(VENV_HOME) $(VENV)

HOST ?= 127.0.0.1
PORT ?= 8000

## Run the API on http://$(HOST):$(PORT)/graphql (embedded PostgreSQL and Redis unless
## DATABASE_URL / REDIS_URL are set), e.g. `make serve PORT=8001`.
serve: install
	$(BIN)/loyalty serve --host $(HOST) --port $(PORT)

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
	$(BIN)/python -m bench.tiers

## The scale run: 10k members, then 1M members with 10M ledger entries, p99 compared.
bench-scale: install
	$(BIN)/python -m bench.run --scale 1000000
