"""The timers in a real `casedesk worker` (docs/service-levels.md#timers): warnings fire
within the tick's period of their time, and a worker killed in the middle of a tick leaves the
rest to another, with nothing fired twice."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.jobs.conftest import FAST
from tests.support.processes import CASEDESK, ROOT, ask_worker, fresh_database_env

pytestmark = pytest.mark.slow

SCRIPT = str(Path(__file__).with_name("timers_script.py"))
STALLING = str(Path(__file__).with_name("stalling_worker.py"))
TICK_EVERY = 30.0


@pytest.fixture
def env(tmp_path: Path) -> Iterator[dict[str, str]]:
    with fresh_database_env(tmp_path, migrated=True) as env:
        env.update(FAST, DJANGO_SETTINGS_MODULE="casedesk.settings")
        env["PYTHONPATH"] = os.pathsep.join(p for p in (ROOT, env.get("PYTHONPATH")) if p)
        yield env


def ask(env: dict[str, str], do: str, **job: Any) -> dict[str, Any]:
    return ask_worker(SCRIPT, env, {"do": do, **job})


def start(env: dict[str, str], log: Path, script: str | None = None) -> subprocess.Popen[str]:
    argv = [sys.executable, script] if script else [CASEDESK, "worker"]
    return subprocess.Popen(
        [*argv, "--interval", "0.05"],
        env=env,
        cwd=ROOT,
        stdout=log.open("w"),
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )


def stop(proc: subprocess.Popen[str]) -> None:
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=40)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()


def wait_until_all_warned(
    env: dict[str, str], proc: subprocess.Popen[str], log: Path, timeout: float
) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while True:
        instances = ask(env, "state")["instances"]
        if all(i["warned_at"] for i in instances.values()):
            return dict(instances)
        if proc.poll() is not None or time.monotonic() > deadline:
            pytest.fail(f"not all warned: {instances}\n{log.read_text()[-3000:]}")
        time.sleep(1)


def test_a_worker_fires_warnings_within_the_tick_period_of_their_time(
    env: dict[str, str], tmp_path: Path
) -> None:
    made = ask(env, "setup", count=5, in_seconds=6)
    log = tmp_path / "worker.log"
    worker = start(env, log)
    try:
        instances = wait_until_all_warned(env, worker, log, timeout=TICK_EVERY + 25)
    finally:
        stop(worker)

    assert sorted(instances) == sorted(made["ids"])
    late = [i["warned_at"] - i["warning_at"] for i in instances.values()]
    # Never early, and at most one period (plus the worker's look at its schedule) late.
    assert min(late) >= 0 and max(late) <= TICK_EVERY + 3, late
    assert {i["events"] for i in instances.values()} == {1}


def test_a_worker_killed_in_a_tick_leaves_the_rest_to_another_without_firing_twice(
    env: dict[str, str], tmp_path: Path
) -> None:
    ask(env, "setup", count=20, in_seconds=-60)  # due already: the first tick fires them
    stalled = tmp_path / "stalled"
    victim = start({**env, "CASEDESK_TEST_STALL_FILE": str(stalled)}, tmp_path / "a.log", STALLING)
    try:
        deadline = time.monotonic() + 60
        while not stalled.exists():
            assert victim.poll() is None, (tmp_path / "a.log").read_text()[-3000:]
            assert time.monotonic() < deadline, "the first worker never reached its second batch"
            time.sleep(0.1)
        os.killpg(victim.pid, signal.SIGKILL)
        victim.wait()
    finally:
        stop(victim)
    before = ask(env, "state")["instances"]
    # The first batch of five committed; the second died with its worker.
    assert sum(1 for i in before.values() if i["warned_at"]) == 5

    log = tmp_path / "b.log"
    survivor = start(env, log)
    try:
        # The dead worker's tick is taken back once its heartbeat is stale (2 s here), after
        # the job's back-off (at most 5 s); or the next periodic tick finds the rest.
        after = wait_until_all_warned(env, survivor, log, timeout=TICK_EVERY + 20)
    finally:
        stop(survivor)

    assert {i["events"] for i in after.values()} == {1}
    for key, instance in before.items():
        if instance["warned_at"]:
            assert after[key]["warned_at"] == instance["warned_at"]
