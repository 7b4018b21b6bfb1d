"""Concurrent lifecycle operations on one database, with real OS processes (docs/cases.md,
docs/concurrency.md): an
SQLite file, or PostgreSQL with DATABASE_URL.

Opposite merges of the same pair of cases lock both in id order: exactly one wins, the other
finds a case no longer active, and no worker meets a deadlock. Activities completed while their
case is resolved are either counted and billed by the resolution or refused as closed: the
totals always match what was billed. Every worker waits behind a barrier and the test asserts
that their running windows overlapped.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from tests.support.processes import ask_worker, fresh_database_env, race, run

pytestmark = pytest.mark.slow

WORKER = str(Path(__file__).with_name("lifecycle_race_worker.py"))


def _once(env: dict[str, str], **job: Any) -> dict[str, Any]:
    return ask_worker(WORKER, env, job)


def _race(tmp_path: Path, env: dict[str, str], jobs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Start every worker, wait until all are ready, then let them go at once."""
    return race(tmp_path, env, WORKER, jobs)


@pytest.fixture
def env(tmp_path: Path) -> Any:
    with fresh_database_env(tmp_path, migrated=True) as environment:
        yield environment


def test_opposite_merges_of_the_same_cases_never_deadlock_and_one_wins(
    tmp_path: Path, env: dict[str, str]
) -> None:
    setup = _once(env, do="setup", pairs=6)
    pairs = setup["pairs"]
    forward = {"do": "merge", "actor": setup["actor"], "pairs": pairs}
    backward = {"do": "merge", "actor": setup["actor"], "pairs": [[b, a] for a, b in pairs]}
    results = _race(tmp_path, env, [forward, backward, forward, backward])
    outcomes = Counter(o for r in results for o in r["outcomes"])
    assert outcomes == {"ok": len(pairs), "case_not_active": 3 * len(pairs)}, outcomes
    state = _once(env, do="state", cases=[c for pair in pairs for c in pair])["cases"]
    for a, b in pairs:
        merged = [c for c in (a, b) if state[c]["status"] == "merged"]
        assert len(merged) == 1
        master = b if merged == [a] else a
        assert state[merged[0]]["merged_into"] == master
        assert state[master]["state"] == "active"
    assert run(env, "check").returncode == 0


def test_completions_racing_a_resolve_are_billed_or_refused_never_lost(
    tmp_path: Path, env: dict[str, str]
) -> None:
    setup = _once(env, do="setup", cases=2, activities=12, minutes=5)
    (raced, raced_acts), (tally, tally_acts) = setup["worked"].items()
    actor = setup["actor"]
    jobs: list[dict[str, Any]] = [
        {"do": "complete", "actor": actor, "activities": raced_acts[i::3] + tally_acts[i::3]}
        for i in range(3)
    ]
    jobs.append({"do": "resolve", "actor": actor, "case": raced})
    results = _race(tmp_path, env, jobs)
    outcomes = Counter(o for r in results for o in r["outcomes"])
    assert set(outcomes) <= {"ok", "activity_closed"}, outcomes
    state = _once(env, do="state", cases=[raced, tally])
    cases, activities = state["cases"], state["activities"]
    # Every completion on the other case counted: no lost update of its total.
    assert cases[tally] == {
        "state": "active",
        "status": "in_progress",
        "merged_into": None,
        "total": 12 * 5,
        "billable": 0,
    }
    # The raced case: completed before the resolve → billed; after it → refused (closed).
    on_raced = [a for a in activities.values() if a["case"] == raced]
    completed = [a for a in on_raced if a["state"] == "completed"]
    assert all(a["billed"] for a in completed)
    assert all(a["state"] == "cancelled" for a in on_raced if a not in completed)
    assert cases[raced]["state"] == "resolved"
    assert cases[raced]["total"] == cases[raced]["billable"] == 5 * len(completed)
    assert outcomes["activity_closed"] == 12 - len(completed)
    assert run(env, "check").returncode == 0
