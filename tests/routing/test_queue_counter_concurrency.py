"""The queue item counters under concurrent writes of the same queues, with real OS processes
(docs/routing.md#counters): an SQLite file, or PostgreSQL with DATABASE_URL.

Two bulk routers put the cases in one queue while another worker moves some of them to a
second queue, two others pick and release the items of the same cases, and another resolves
some of them. Every worker waits behind a barrier and the test asserts that their running
windows overlapped. Whatever the interleaving: no worker meets a deadlock or an error, and the
counters equal the open items (`casedesk check` agrees), each queue's count spread over its
shards.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from tests.support.processes import ask_worker, fresh_database_env, race, run

pytestmark = pytest.mark.slow

WORKER = str(Path(__file__).with_name("route_race_worker.py"))
CASES = 30


@pytest.fixture
def env(tmp_path: Path) -> Any:
    with fresh_database_env(tmp_path, migrated=True) as environment:
        yield environment


def test_concurrent_adds_moves_picks_releases_and_resolves_keep_the_counters_exact(
    tmp_path: Path, env: dict[str, str]
) -> None:
    setup = ask_worker(WORKER, env, {"do": "setup", "cases": CASES})
    cases, actor = setup["cases"], setup["actor"]
    resolved, moved = cases[0::5], cases[1::3]
    router = {"do": "route", "actor": actor, "chunk": 5, "rounds": 2, "seconds": 1.5}
    worker = {"do": "work", "actor": actor, "rounds": 2, "seconds": 1.5}
    jobs: list[dict[str, Any]] = [
        {**router, "cases": cases},
        {**router, "cases": cases[::-1]},
        {"do": "move", "actor": actor, "cases": moved, "queue": setup["other"], "seconds": 1.5},
        {**worker, "cases": cases},
        {**worker, "cases": cases[::-1]},
        {"do": "resolve", "actor": actor, "cases": resolved},
    ]
    results = race(tmp_path, env, WORKER, jobs)

    allowed = {"ok", "case_not_active", "queue_item_closed"}
    for result in results:
        outcomes = Counter(result["outcomes"])
        assert set(outcomes) <= allowed, outcomes
    assert sum(Counter(r["outcomes"])["ok"] for r in results[3:5]) > 0
    counts = ask_worker(WORKER, env, {"do": "counts"})
    assert counts["stored"] == counts["real"]
    assert sum(counts["real"].values()) == CASES - len(resolved)
    assert run(env, "check").returncode == 0
