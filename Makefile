PY ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
PIP_INSTALL := $(BIN)/python -m pip install -q --disable-pip-version-check
STAMP := $(VENV)/.installed
TEST_STAMP := $(VENV)/.installed-test
# Compiled modules (and pytest's rewritten test modules) are kept between runs even where the
# environment asks Python not to write them: each process would otherwise compile them again.
unexport PYTHONDONTWRITEBYTECODE

.PHONY: install install-test lock lock-upgrade system-deps test-assets screenshots run test test-fast lint demo clean bench

install: $(STAMP)

# The locked versions, each checked against its hash, then casedesk itself without looking for
# dependencies (the lock holds them all, the build tools included).
$(STAMP): requirements.lock pyproject.toml
	@$(PY) .ci/lock.py check requirements.lock
	@test -x $(BIN)/python || $(PY) -m venv $(VENV)
	@$(PIP_INSTALL) --require-hashes -r requirements.lock
	@$(PIP_INSTALL) --no-deps --no-build-isolation -e .
	@touch $@

install-test: $(TEST_STAMP)

$(TEST_STAMP): requirements-test.lock $(STAMP)
	@$(PY) .ci/lock.py check requirements-test.lock
	@$(PIP_INSTALL) --require-hashes -r requirements-test.lock
	@touch $@

# After a change to the requirements in pyproject.toml: both lock files again, keeping the
# versions already locked where they still fit (lock-upgrade: the newest the ranges allow).
lock:
	@$(PY) .ci/lock.py lock

lock-upgrade:
	@$(PY) .ci/lock.py lock --upgrade

# The Debian packages the tests drive (Chromium, Dovecot), installed when missing.
system-deps:
	@.ci/system-packages

# Test tools no package ships (axe-core for the accessibility checks), checked and kept in
# .venv/test-assets.
test-assets: install-test
	@$(BIN)/python .ci/test-assets.py

# Screenshots of the main pages at 1366 and 390 px in English and Italian, for review, in
# var/screenshots (the accessibility and phone-layout browser tests take them).
screenshots: install-test system-deps test-assets
	CASEDESK_SCREENSHOTS=$(CURDIR)/var/screenshots $(BIN)/python -m pytest -q \
		tests/web/browser/test_accessibility.py $(PYTEST_ARGS)
	@echo "screenshots: $(CURDIR)/var/screenshots"

# One command: `casedesk serve` also starts the background worker that runs jobs.
# `make run PORT=8080` (or HOST=0.0.0.0) serves elsewhere.
HOST ?= 127.0.0.1
PORT ?= 8000
run: install
	@$(BIN)/casedesk migrate --no-input -v 0
	@$(BIN)/casedesk demo --if-empty
	$(BIN)/casedesk serve --host $(HOST) --port $(PORT)

# The whole suite (SQLite, or the database of DATABASE_URL) in two pytest-xdist workers, each
# test file on one worker (its module's servers and databases are made once), each worker with a
# test database of its own. The multi-process, server and browser tests wait on their processes
# more than they compute, so two workers take about two thirds of the time of one even on two
# cores. TEST_WORKERS=0 runs it in one process, one test at a time.
TEST_WORKERS ?= 2
test: install-test system-deps test-assets
	$(BIN)/python -m pytest -n $(TEST_WORKERS) --dist loadfile $(PYTEST_ARGS)

# Without the multi-process, server and browser tests, one pytest-xdist worker per core, each
# with a test database of its own: for a quick check. Each worker first collects the suite and
# creates its database (about 15 s of CPU), so on a machine whose cores are already busy
# TEST_FAST_WORKERS=0 (one process) finishes sooner.
TEST_FAST_WORKERS ?= auto
test-fast: install-test system-deps test-assets
	HYPOTHESIS_PROFILE=fast $(BIN)/python -m pytest -m "not slow" -n $(TEST_FAST_WORKERS) $(PYTEST_ARGS)

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
