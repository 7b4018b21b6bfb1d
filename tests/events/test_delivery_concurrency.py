"""Two worker processes delivering at once, against one database (SQLite file or PostgreSQL)
and a real receiver: every delivery is POSTed exactly once, each case's events in order."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.events.receiver import Receiver, running_receiver
from tests.support.processes import ask_worker, fresh_database_env, race, run

pytestmark = pytest.mark.slow

WORKER = str(Path(__file__).with_name("delivery_race_worker.py"))
CASES = 12


@pytest.fixture
def env(tmp_path: Path) -> Iterator[dict[str, str]]:
    with fresh_database_env(tmp_path, migrated=True) as environment:
        environment["CASEDESK_WEBHOOK_ALLOW_PRIVATE"] = "1"
        yield environment


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    with running_receiver() as running:
        running.hold = 0.02  # each answer takes a moment: the workers overlap
        yield running


def test_two_workers_deliver_every_event_once_and_each_case_in_order(
    tmp_path: Path, env: dict[str, str], receiver: Receiver
) -> None:
    setup = ask_worker(WORKER, env, {"do": "setup", "url": f"{receiver.url}/hook", "cases": CASES})
    receiver.script = [500, 500, 503]  # a few failures: retried later, not by this race

    results = race(tmp_path, env, WORKER, [{"do": "deliver"}, {"do": "deliver"}])

    state = ask_worker(WORKER, env, {"do": "state"})["deliveries"]
    posted = [r.headers["X-Casedesk-Delivery"] for r in receiver.received]
    assert len(state) == 2 * CASES
    assert len(posted) == sum(r["attempted"] for r in results)
    assert all(r["attempted"] > 0 for r in results), results
    delivered = {d for d, s, _ in state if s == "delivered"}
    assert len(delivered) >= 2 * CASES - 6
    # Exactly once: a delivery is POSTed again only after a failed attempt.
    attempts = {d: n for d, _s, n in state}
    assert sorted(set(posted)) == sorted(d for d, n in attempts.items() if n)
    assert all(posted.count(d) == attempts[d] for d in set(posted))
    # In order: a case's update reaches the receiver only after its creation was delivered.
    seen: dict[str, list[str]] = defaultdict(list)
    for got in receiver.received:
        event = got.event
        seen[event["case_id"]].append(event["type"])
    for case_id in setup["cases"]:
        types = seen[case_id]
        if "case.updated" in types:
            assert types.index("case.updated") == len(types) - 1, types
            assert "case.created" in types
    assert run(env, "check").returncode == 0
