"""Making SLAs the default at the same time leaves exactly one default and refuses nobody
(docs/service-levels.md#default-activation-and-read-only), proved with real OS processes on the
configured engine (an SQLite file, or PostgreSQL with DATABASE_URL)."""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from tests.support.processes import ask_worker, fresh_database_env, race

pytestmark = pytest.mark.slow

WORKER = str(Path(__file__).with_name("sla_race_worker.py"))
PROCESSES = 4
CREATIONS = 3


@pytest.fixture
def env(tmp_path: Path) -> Any:
    with fresh_database_env(tmp_path, migrated=True) as environment:
        yield environment


def test_parallel_defaults_all_succeed_and_leave_one_default(
    tmp_path: Path, env: dict[str, str]
) -> None:
    ids = ask_worker(WORKER, env, {"do": "setup", "slas": PROCESSES})
    jobs = [
        {"do": "default", "actor": ids["actor"], "sla": sla, "creations": CREATIONS}
        for sla in ids["slas"]
    ]
    results = race(tmp_path, env, WORKER, jobs)
    outcomes = Counter(o for r in results for o in r["outcomes"])
    assert outcomes == {"ok": PROCESSES * (1 + CREATIONS)}
    state = ask_worker(WORKER, env, {"do": "count"})
    assert state == {"defaults": 1, "slas": 1 + PROCESSES + PROCESSES * CREATIONS}
