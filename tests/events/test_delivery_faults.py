"""Deliveries under faults: case writes through a real app server while two `casedesk worker`
processes deliver to a real receiver, and one worker is killed (SIGKILL) in the middle and
replaced. Every committed event still reaches the receiver at least once, each case's events
first arrive in the order they happened, and no delivery is left pending (docs/webhooks.md)."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import time
from collections import defaultdict
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.events.receiver import Receiver, running_receiver
from tests.support.processes import (
    CASEDESK,
    ROOT,
    ask_worker,
    fresh_database_env,
    run,
    running_server,
)

pytestmark = pytest.mark.slow

WORKER = str(Path(__file__).with_name("delivery_race_worker.py"))
CASES = 30
PASSWORD = "a-long-enough-pass-1"


@pytest.fixture
def env(tmp_path: Path) -> Iterator[dict[str, str]]:
    with fresh_database_env(tmp_path, migrated=True) as environment:
        environment["CASEDESK_WEBHOOK_ALLOW_PRIVATE"] = "1"
        # A killed worker's claims run out in 2 s, not a minute: the test stays short.
        environment["CASEDESK_WEBHOOK_LEASE_SECONDS"] = "2"
        yield environment


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    with running_receiver() as running:
        running.hold = 0.03  # each answer takes a moment: a kill may land mid-POST
        yield running


@contextlib.contextmanager
def worker_pool(env: dict[str, str], tmp_path: Path) -> Iterator[list[subprocess.Popen[str]]]:
    """`casedesk worker` processes started with `start(procs)`; all stopped at the end."""
    procs: list[subprocess.Popen[str]] = []
    try:
        yield procs
    finally:
        for proc in procs:
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
        for proc in procs:
            try:
                proc.wait(timeout=40)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()


def start(procs: list[subprocess.Popen[str]], env: dict[str, str], tmp_path: Path) -> None:
    log = (tmp_path / f"worker-{len(procs)}.log").open("w")
    procs.append(
        subprocess.Popen(
            [CASEDESK, "worker", "--interval", "0.05"],
            env=env,
            cwd=ROOT,
            stdout=log,
            stderr=subprocess.STDOUT,
            text=True,
            start_new_session=True,
        )
    )


def test_every_committed_event_is_delivered_in_order_though_a_worker_is_killed(
    tmp_path: Path, env: dict[str, str], receiver: Receiver
) -> None:
    setup = ask_worker(WORKER, env, {"do": "setup", "url": f"{receiver.url}/hook", "cases": 0})
    with (
        running_server(env, 1, "--no-worker") as (base, _server),
        worker_pool(env, tmp_path) as procs,
        httpx.Client(base_url=base, timeout=30) as http,
    ):
        start(procs, env, tmp_path)
        start(procs, env, tmp_path)
        token = http.post("/api/v1/auth/token", json={"username": "hooks", "password": PASSWORD})
        http.headers["Authorization"] = f"Bearer {token.json()['token']}"
        killed = False
        customer = {"type": "account", "id": setup["account"]}
        for i in range(CASES):
            created = http.post("/api/v1/cases", json={"title": f"Fault {i}", "customer": customer})
            assert created.status_code == 201, created.text
            case_id = created.json()["id"]
            patched = http.patch(f"/api/v1/cases/{case_id}", json={"priority": "high"})
            assert patched.status_code == 200, patched.text
            if not killed and i >= CASES // 3 and receiver.received:
                os.killpg(procs[0].pid, signal.SIGKILL)  # mid-batch, maybe mid-POST
                procs[0].wait()
                killed = True
                start(procs, env, tmp_path)  # its replacement
        assert killed

        deadline = time.monotonic() + 40
        while True:
            state = ask_worker(WORKER, env, {"do": "state"})
            if all(s == "delivered" for _d, s, _n in state["deliveries"]):
                break
            left = [d for d in state["deliveries"] if d[1] != "delivered"]
            assert time.monotonic() < deadline, left
            time.sleep(0.5)
        assert [p.poll() for p in procs[1:]] == [None, None]  # the others still run

    events = state["events"]
    assert len(events) >= 2 * CASES
    assert len(state["deliveries"]) == len(events)
    # At least once: every committed event reached the receiver.
    first_seen: dict[int, int] = {}
    for n, got in enumerate(receiver.received):
        first_seen.setdefault(int(got.event["id"]), n)
    assert {pk for pk, _case in events} <= set(first_seen)
    # In order: each case's events first arrived in the order they were written.
    by_case: dict[str, list[int]] = defaultdict(list)
    for pk, case_id in events:
        by_case[case_id].append(pk)
    for case_id, ids in by_case.items():
        arrived = sorted(ids, key=lambda pk: first_seen[pk])
        assert arrived == ids, (case_id, ids, arrived)
    assert run(env, "check").returncode == 0
