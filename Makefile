PY ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
TEST_STAMP := $(VENV)/.installed-test

.PHONY: install install-test run test lint demo clean bench

install: $(STAMP)

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PY) -m venv $(VENV)
	@$(BIN)/python -m pip install -q --disable-pip-version-check -e .
	@touch $(STAMP)

install-test: $(TEST_STAMP)

$(TEST_STAMP): pyproject.toml $(STAMP)
	@$(BIN)/python -m pip install -q --disable-pip-version-check -e '.[test]'
	@touch $(TEST_STAMP)

run: install
	@$(BIN)/casedesk migrate --no-input -v 0
	@$(BIN)/casedesk demo --if-empty
	$(BIN)/casedesk serve --host 127.0.0.1 --port 8000

test: install-test
	$(BIN)/python -m pytest $(PYTEST_ARGS)

lint: install-test
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

# The performance benchmark at 100,000 cases on SQLite and PostgreSQL, with the peer
# (django-helpdesk): bench/out/results.json and results.md. The full run: docs/performance.md.
bench: install-test
	$(BIN)/python bench/run_all.py --preset quick $(BENCH_ARGS)

clean:
	rm -rf $(VENV) var .pytest_cache
