"""The jobs tests' database for child processes: migrated once per module, emptied per test."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.support.processes import ROOT, ask_worker, fresh_database_env

SCRIPT = str(Path(__file__).with_name("jobs_script.py"))
TASKS = "tests.jobs.tasks"
# Heartbeats every 0.3 s, a worker silent for 2 s is dead: recovery within seconds.
FAST = {"CASEDESK_JOBS_HEARTBEAT_SECONDS": "0.3", "CASEDESK_JOBS_WORKER_STALE_SECONDS": "2"}


@pytest.fixture(scope="module")
def migrated(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, str]]:
    """One migrated database for the module (a migration takes seconds)."""
    with fresh_database_env(tmp_path_factory.mktemp("jobs"), migrated=True) as env:
        env.update(FAST, DJANGO_SETTINGS_MODULE="casedesk.settings")
        env["PYTHONPATH"] = os.pathsep.join(p for p in (ROOT, env.get("PYTHONPATH")) if p)
        yield env


@pytest.fixture
def env(migrated: dict[str, str]) -> dict[str, str]:
    """The module's database; `enqueue` empties the job tables first (a process start saved)."""
    return dict(migrated)


def ask(env: dict[str, str], do: str, **job: Any) -> dict[str, Any]:
    return ask_worker(SCRIPT, env, {"do": do, **job})


def enqueue(
    env: dict[str, str], task: str, args: list[list[Any]], *, reset: bool = True
) -> list[str]:
    """Empty the job tables (unless `reset` is false), then enqueue `task` once per argument
    list; the jobs' ids."""
    return list(ask(env, "enqueue", task=f"{TASKS}.{task}", args=args, reset=reset)["ids"])
