"""Parallel requests never overdraw a restricted entitlement (docs/entitlements.md), proved with
real OS
processes on the configured engine (an SQLite file, or PostgreSQL with DATABASE_URL).

N workers start together behind a barrier against one restricted entitlement with K terms
left; exactly K operations succeed, the others are refused with `entitlement_exhausted`, the
ledger holds K debits and nothing remains. Each worker records its start and end, and the test
asserts that all the windows overlap, so the operations really raced.
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from tests.support.processes import ask_worker, fresh_database_env, race, run

pytestmark = pytest.mark.slow

WORKER = str(Path(__file__).with_name("race_worker.py"))
ROOT = str(Path(__file__).resolve().parents[2])
PROCESSES = 6


def _setup(env: dict[str, str], **job: Any) -> dict[str, Any]:
    return ask_worker(WORKER, env, {"do": "setup", **job})


def _race(tmp_path: Path, env: dict[str, str], jobs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Start every worker, wait until all are ready, then let them go at once."""
    return race(tmp_path, env, WORKER, jobs)


def _state(env: dict[str, str], entitlement_id: str) -> dict[str, Any]:
    script = (
        "import json, django, os;"
        "os.environ.setdefault('DJANGO_SETTINGS_MODULE', 'casedesk.settings');"
        "django.setup();"
        "from casedesk.entitlements.models import Entitlement, TermLedger;"
        f"e = Entitlement.objects.get(id='{entitlement_id}');"
        "rows = list(TermLedger.objects.filter(entitlement=e).values_list('amount', flat=True));"
        "print(json.dumps({'remaining': e.remaining_terms, 'rows': rows,"
        " 'channel': e.channels.get().remaining_terms}))"
    )
    out = subprocess.run(
        [sys.executable, "-c", script], env=env, cwd=ROOT, capture_output=True, text=True
    )
    assert out.returncode == 0, out.stderr
    return dict(json.loads(out.stdout))


@pytest.fixture
def env(tmp_path: Path) -> Any:
    with fresh_database_env(tmp_path, migrated=True) as environment:
        yield environment


def test_parallel_creations_succeed_exactly_k_times_when_k_terms_are_left(
    tmp_path: Path, env: dict[str, str]
) -> None:
    terms, attempts = 7, 3
    ids = _setup(env, allocation_type="cases", terms=terms)
    job = {"do": "create", "attempts": attempts, **ids}
    results = _race(tmp_path, env, [job] * PROCESSES)
    outcomes = Counter(o for r in results for o in r["outcomes"])
    assert outcomes == {"ok": terms, "entitlement_exhausted": PROCESSES * attempts - terms}
    state = _state(env, ids["entitlement"])
    assert state == {"remaining": 0, "rows": [-1] * terms, "channel": 0}
    assert run(env, "check").returncode == 0


def test_parallel_resolves_succeed_exactly_k_times_when_k_hours_are_left(
    tmp_path: Path, env: dict[str, str]
) -> None:
    hours, per_worker = 5, 2
    ids = _setup(env, allocation_type="hours", terms=hours, cases=PROCESSES * per_worker)
    cases = ids.pop("cases")
    jobs = [
        {"do": "resolve", "minutes": 60, **ids, "cases": cases[i::PROCESSES]}
        for i in range(PROCESSES)
    ]
    results = _race(tmp_path, env, jobs)
    outcomes = Counter(o for r in results for o in r["outcomes"])
    assert outcomes == {"ok": hours, "entitlement_exhausted": PROCESSES * per_worker - hours}
    state = _state(env, ids["entitlement"])
    assert state == {"remaining": 0, "rows": [-60] * hours, "channel": 0}
    assert run(env, "check").returncode == 0
