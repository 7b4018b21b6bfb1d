"""`casedesk worker` as real processes on the configured database: jobs run once each across
two workers, failures are retried with back-off, a killed worker's job runs again, periodic
jobs are enqueued once a period (docs/architecture.md, "Background work")."""

from __future__ import annotations

import contextlib
import itertools
import os
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.jobs.conftest import ask, enqueue
from tests.support.processes import CASEDESK, ROOT

pytestmark = pytest.mark.slow

PERIODIC_WORKER = str(Path(__file__).with_name("periodic_worker.py"))


@contextlib.contextmanager
def workers(
    env: dict[str, str], tmp_path: Path, count: int, *args: str, script: str | None = None
) -> Iterator[list[subprocess.Popen[str]]]:
    """`count` worker processes, stopped (SIGTERM) at the end of the block."""
    procs = []
    for i in range(count):
        argv = [sys.executable, script] if script else [CASEDESK]
        log = (tmp_path / f"worker-{i}.log").open("w")
        procs.append(
            subprocess.Popen(
                [*argv, *([] if script else ["worker"]), "--interval", "0.05", *args],
                env=env,
                cwd=ROOT,
                stdout=log,
                stderr=subprocess.STDOUT,
                text=True,
                start_new_session=True,
            )
        )
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


def lines(path: Path) -> list[list[str]]:
    return [line.split() for line in path.read_text().splitlines()] if path.exists() else []


def wait_for(
    condition: Callable[[], bool],
    what: str,
    procs: list[subprocess.Popen[str]],
    tmp_path: Path,
    timeout: float = 60,
) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        dead = [p for p in procs if p.poll() is not None]
        if dead or time.monotonic() > deadline:
            logs = "\n".join(p.read_text()[-2000:] for p in tmp_path.glob("worker-*.log"))
            pytest.fail(f"{what}: {'a worker exited' if dead else 'timed out'}\n{logs}")
        time.sleep(0.05)


def test_two_workers_run_every_job_exactly_once(env: dict[str, str], tmp_path: Path) -> None:
    runs = tmp_path / "runs"
    ids = enqueue(env, "record", [[str(runs), f"job{i}", 0.02] for i in range(80)])
    with workers(env, tmp_path, 2, "--concurrency", "2") as procs:
        wait_for(lambda: len(lines(runs)) >= 80, "80 runs", procs, tmp_path)
        time.sleep(0.5)  # a second run of any job would show by now
    seen = lines(runs)
    keys = Counter(line[0] for line in seen)
    assert len(seen) == 80 and set(keys.values()) == {1}, keys.most_common(3)
    # Both processes took jobs: they ran side by side, so the claim was contended.
    assert {line[1] for line in seen} == {str(p.pid) for p in procs}
    jobs = ask(env, "state")["jobs"]
    assert sorted(j["id"] for j in jobs) == sorted(ids)
    assert {j["status"] for j in jobs} == {"SUCCESSFUL"}
    assert {j["attempts"] for j in jobs} == {1}


def test_failing_job_is_retried_with_growing_back_off_then_marked_failed(
    env: dict[str, str], tmp_path: Path
) -> None:
    runs = tmp_path / "runs"
    [failing_id] = enqueue(env, "always_fails", [[str(runs), "failing"]])
    [flaky_id] = enqueue(env, "fails_twice", [[str(runs), "flaky"]], reset=False)
    with workers(env, tmp_path, 1) as procs:

        def finished() -> bool:
            keys = Counter(line[0] for line in lines(runs))
            return keys["failing"] >= 3 and keys["flaky"] >= 3

        wait_for(finished, "three attempts of each", procs, tmp_path)
        time.sleep(1.5)  # a fourth attempt would be due by now
    times = {
        key: [float(line[2]) for line in lines(runs) if line[0] == key]
        for key in ("failing", "flaky")
    }
    assert len(times["failing"]) == 3 and len(times["flaky"]) == 3, times
    # always_fails: back-off 0.3 s, then 0.6 s (no jitter); fails_twice: 0.2 s, then 0.4 s.
    failing, flaky = times["failing"], times["flaky"]
    assert failing[1] - failing[0] >= 0.3 and failing[2] - failing[1] >= 0.6, failing
    assert flaky[1] - flaky[0] >= 0.2 and flaky[2] - flaky[1] >= 0.4, flaky
    jobs = {j["id"]: j for j in ask(env, "state")["jobs"]}
    assert jobs[failing_id]["status"] == "FAILED" and jobs[failing_id]["attempts"] == 3
    assert jobs[failing_id]["exception"] == "builtins.RuntimeError"
    assert jobs[flaky_id]["status"] == "SUCCESSFUL" and jobs[flaky_id]["attempts"] == 3


def test_a_job_whose_worker_is_killed_is_run_again_by_another(
    env: dict[str, str], tmp_path: Path
) -> None:
    runs = tmp_path / "runs"
    [job_id] = enqueue(env, "hangs_first_time", [[str(runs), "hang"]])
    with workers(env, tmp_path, 2) as procs:
        wait_for(lambda: bool(lines(runs)), "the first run", procs, tmp_path)
        [first] = lines(runs)
        victim = next(p for p in procs if str(p.pid) == first[1])
        survivor = next(p for p in procs if p is not victim)
        os.kill(victim.pid, signal.SIGKILL)
        victim.wait()
        wait_for(
            lambda: any(line[0] == "hang-done" for line in lines(runs)),
            "the second run",
            [survivor],
            tmp_path,
        )
    runs_seen = lines(runs)
    assert [line[0] for line in runs_seen] == ["hang", "hang", "hang-done"]
    assert runs_seen[1][1] == str(survivor.pid)
    [job] = ask(env, "state")["jobs"]
    assert job["id"] == job_id and job["status"] == "SUCCESSFUL"
    # The cut-short run counts as an attempt.
    assert job["attempts"] == 2 and job["worker_ids"][0].endswith(f":{victim.pid}#0")


def test_a_periodic_job_is_enqueued_once_a_period_across_two_workers(
    env: dict[str, str], tmp_path: Path
) -> None:
    ticks = tmp_path / "ticks"
    env = {**env, "CASEDESK_TEST_TICK_LOG": str(ticks), "CASEDESK_TEST_TICK_EVERY": "1"}
    with workers(env, tmp_path, 2, script=PERIODIC_WORKER) as procs:
        wait_for(lambda: len(lines(ticks)) >= 1, "the first tick", procs, tmp_path)
        time.sleep(4.2)
    state = ask(env, "state")
    enqueued = sorted(j["enqueued_at"] for j in state["jobs"] if j["task"].endswith(".tick"))
    assert 4 <= len(enqueued) <= 6, enqueued
    gaps = [b - a for a, b in itertools.pairwise(enqueued)]
    assert min(gaps) >= 0.95, gaps
    assert len(lines(ticks)) == len(enqueued)
    assert set(state["schedule"]) == {"tests.tick"}


def test_sigterm_lets_the_job_in_hand_finish_then_the_worker_exits(
    env: dict[str, str], tmp_path: Path
) -> None:
    runs = tmp_path / "runs"
    [job_id] = enqueue(env, "record", [[str(runs), "long", 1.5]])
    with workers(env, tmp_path, 1) as procs:
        wait_for(lambda: bool(lines(runs)), "the job started", procs, tmp_path)
        stopped = time.monotonic()
        procs[0].send_signal(signal.SIGTERM)
        assert procs[0].wait(timeout=30) == 0
        assert time.monotonic() - stopped < 10
    [job] = ask(env, "state")["jobs"]
    assert job["id"] == job_id and job["status"] == "SUCCESSFUL"
    assert "worker_stopped" in (tmp_path / "worker-0.log").read_text()
