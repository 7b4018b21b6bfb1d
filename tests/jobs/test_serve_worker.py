"""`casedesk serve` starts a background worker beside gunicorn (unless `--no-worker`), starts
it again when it dies, and stops it on SIGTERM (cli/supervise.py)."""

from __future__ import annotations

import signal
import time
from pathlib import Path

import httpx
import psutil
import pytest

from tests.jobs.conftest import enqueue
from tests.support.processes import running_server

pytestmark = pytest.mark.slow


def _background_workers(pid: int) -> list[psutil.Process]:
    """The `casedesk worker` processes under process `pid`."""
    found = []
    for child in psutil.Process(pid).children(recursive=True):
        try:
            if "worker" in child.cmdline()[1:] and child.status() != psutil.STATUS_ZOMBIE:
                found.append(child)
        except psutil.NoSuchProcess:
            continue
    return found


def _wait(condition: object, what: str, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while not condition():  # type: ignore[operator]
        assert time.monotonic() < deadline, what
        time.sleep(0.05)


def test_serve_runs_jobs_in_its_worker_restarts_it_and_stops_it(
    env: dict[str, str], tmp_path: Path
) -> None:
    runs = tmp_path / "runs"
    env = {**env, "CASEDESK_REQUIRE_WORKER": "1"}
    with running_server(env, 1) as (base, proc):
        [worker] = _background_workers(proc.pid)
        # Its heartbeat makes the server ready where a worker is required.
        _wait(lambda: httpx.get(f"{base}/readyz", timeout=5).status_code == 200, "ready")
        enqueue(env, "record", [[str(runs), "first"]])
        _wait(lambda: runs.exists() and runs.read_text().strip(), "the job ran")
        assert runs.read_text().split()[1] == str(worker.pid)
        # A worker that dies is started again (after 1 s); the server keeps serving.
        worker.kill()
        _wait(
            lambda: [w.pid for w in _background_workers(proc.pid)] not in ([], [worker.pid]),
            "a new worker",
        )
        [again] = _background_workers(proc.pid)
        log = Path(proc.log_path)  # type: ignore[attr-defined]
        _wait(lambda: log.read_text().count("worker_started") == 2, "the new worker started")
        children = psutil.Process(proc.pid).children(recursive=True)
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=45) == 0
        for child in children:
            assert not child.is_running() or child.status() == psutil.STATUS_ZOMBIE
        assert again.pid != worker.pid
    # The worker's lines are in the server's log, in the same format.
    lines = log.read_text()
    assert "worker_restarted" in lines and "worker_stopped" in lines


def test_serve_with_no_worker_starts_none(env: dict[str, str]) -> None:
    with running_server(env, 1, "--no-worker") as (_base, proc):
        assert _background_workers(proc.pid) == []
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=30) == 0


def test_serve_stops_its_worker_and_exits_when_the_web_server_dies(env: dict[str, str]) -> None:
    with running_server(env, 1) as (_base, proc):
        [worker] = _background_workers(proc.pid)
        [server] = [
            c for c in psutil.Process(proc.pid).children() if "gunicorn" in " ".join(c.cmdline())
        ]
        server.kill()
        assert proc.wait(timeout=45) == 128 + signal.SIGKILL
        _wait(lambda: not worker.is_running() or worker.status() == psutil.STATUS_ZOMBIE, "stop")
