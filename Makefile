# casedesk: `make run` (demo on SQLite), `make test`, `make bench`, `make lint`.
SHELL := /bin/bash
VENV := .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8000
# The newest Python >= 3.12: on PATH first, then pyenv's installs.
PYTHON ?= $(shell for p in python3.14 python3.13 python3.12 \
	$$(ls -d $$HOME/.pyenv/versions/3.1[2-9]*/bin/python3 /root/.pyenv/versions/3.1[2-9]*/bin/python3 2>/dev/null | sort -rV); do \
	command -v $$p >/dev/null 2>&1 && $$p -c 'import sys; sys.exit(sys.version_info < (3, 12))' 2>/dev/null && { command -v $$p; break; }; done)
PYTEST_ARGS ?= -n 2

.PHONY: install run test test-sqlite test-postgres bench profile lint format clean

$(BIN)/casedesk: pyproject.toml
	@test -n "$(PYTHON)" || { echo "casedesk needs Python >= 3.12 (none found on PATH or under pyenv)" >&2; exit 1; }
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e '.[dev]'
	@touch $@

install: $(BIN)/casedesk

run: install
	@mkdir -p "$${CASEDESK_VAR_DIR:-var}"
	$(BIN)/casedesk migrate --noinput -v 0
	$(BIN)/casedesk demo
	$(BIN)/casedesk run --host $(HOST) --port $(PORT)

# The whole suite. CASEDESK_TEST_DATABASE_URL picks PostgreSQL; otherwise SQLite.
test: install
	@mkdir -p "$${CASEDESK_VAR_DIR:-var}"
	$(BIN)/ruff check src tests bench
	$(BIN)/mypy
	$(BIN)/lint-imports --no-cache
	$(BIN)/casedesk makemigrations --check --dry-run -v 0 || { echo "Models changed without a migration: run casedesk makemigrations" >&2; exit 1; }
	$(BIN)/pytest $(PYTEST_ARGS)

bench: install
	@mkdir -p var/bench
	$(BIN)/python -m bench

profile: install
	@mkdir -p var/bench
	$(BIN)/python -m bench --profile create

lint: install
	$(BIN)/ruff check src tests bench
	$(BIN)/mypy
	$(BIN)/ruff format --check src tests bench

format: install
	$(BIN)/ruff format src tests bench
	$(BIN)/ruff check --fix src tests bench

clean:
	rm -rf $(VENV) var build *.egg-info src/*.egg-info
