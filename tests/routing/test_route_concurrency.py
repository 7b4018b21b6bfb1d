"""Bulk routing racing other writers of the same cases, with real OS processes (docs/routing.md,
docs/concurrency.md):
an SQLite file, or PostgreSQL with DATABASE_URL.

Two bulk routers go over the same cases in opposite orders, in small chunks, while other
workers resolve some of the cases, move others to another queue and edit others. Every worker
waits behind a barrier and the test asserts that their running windows overlapped. Whatever the
interleaving: no worker meets a deadlock or an error, a resolved case has no open queue item,
an active case has exactly one, no write is lost (each case's version counts exactly its
audited changes, and the last edit is the description kept).
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from tests.support.processes import ask_worker, fresh_database_env, race, run

pytestmark = pytest.mark.slow

WORKER = str(Path(__file__).with_name("route_race_worker.py"))
CASES = 40


def _once(env: dict[str, str], **job: Any) -> dict[str, Any]:
    return ask_worker(WORKER, env, job)


@pytest.fixture
def env(tmp_path: Path) -> Any:
    with fresh_database_env(tmp_path, migrated=True) as environment:
        yield environment


def test_bulk_routing_racing_resolves_moves_and_edits_loses_nothing_and_leaves_no_item_open(
    tmp_path: Path, env: dict[str, str]
) -> None:
    setup = _once(env, do="setup", cases=CASES)
    cases, actor = setup["cases"], setup["actor"]
    resolved, moved, edited = cases[0::4], cases[1::4], cases[2::4]
    router = {"do": "route", "actor": actor, "chunk": 7, "rounds": 3, "seconds": 1.5}
    jobs: list[dict[str, Any]] = [
        {**router, "cases": cases},
        {**router, "cases": cases[::-1]},
        {"do": "resolve", "actor": actor, "cases": resolved},
        {"do": "move", "actor": actor, "cases": moved, "queue": setup["other"], "seconds": 1},
        {"do": "edit", "actor": actor, "cases": edited, "seconds": 1},
    ]
    results = race(tmp_path, env, WORKER, jobs)

    routed = Counter(o for r in results[:2] for o in r["outcomes"])
    assert set(routed) <= {"ok", "case_not_active"}, routed
    assert routed["ok"] > 0
    for other in results[2:]:
        assert set(other["outcomes"]) == {"ok"}, other["outcomes"][:5]
    state = _once(env, do="state", cases=cases)
    for case_id, case in state.items():
        if case_id in resolved:
            assert case["state"] == "resolved" and case["open"] == [], case
        else:
            assert case["state"] == "active" and len(case["open"]) == 1, case
            assert case["routes"] >= 1
        # Each change was made on the latest version: one version step per audited change.
        assert case["version"] == 1 + case["changes"], case
    written = results[4]["written"]
    assert set(written) == set(edited)
    assert all(state[c]["description"] == written[c] for c in edited)
    assert run(env, "check").returncode == 0
