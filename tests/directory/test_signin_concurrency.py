"""Sign-in counts shared by several processes, as by the workers of several app servers: an
SQLite file, or PostgreSQL with DATABASE_URL. Every worker waits behind a barrier and the test
asserts that their running windows overlapped."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.support.processes import ask_worker, fresh_database_env, race

pytestmark = pytest.mark.slow

WORKER = str(Path(__file__).with_name("signin_race_worker.py"))
WORKERS = 4


@pytest.fixture
def env(tmp_path: Path) -> Any:
    with fresh_database_env(tmp_path, migrated=True) as environment:
        yield environment


def test_every_failure_is_counted_when_processes_fail_on_one_user_name_at_once(
    tmp_path: Path, env: dict[str, str]
) -> None:
    ask_worker(WORKER, env, {"do": "setup"})
    before = ask_worker(WORKER, env, {"do": "state"})["failures"]
    jobs = [{"do": "fail", "address": f"203.0.113.{i + 1}", "attempts": 40} for i in range(WORKERS)]
    results = race(tmp_path, env, WORKER, jobs)
    recorded = sum(r["done"] for r in results)
    assert recorded == WORKERS * 40
    assert ask_worker(WORKER, env, {"do": "state"})["failures"] == before + recorded


def test_one_attempt_gets_through_when_processes_try_together_after_a_wait(
    tmp_path: Path, env: dict[str, str]
) -> None:
    ask_worker(WORKER, env, {"do": "setup"})
    jobs = [{"do": "try", "address": f"203.0.113.{i + 1}", "attempts": 40} for i in range(WORKERS)]
    results = race(tmp_path, env, WORKER, jobs)
    assert sum(r["done"] for r in results) > WORKERS
    assert sum(r["passed"] for r in results) == 1, results
