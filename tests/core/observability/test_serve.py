"""A real `casedesk serve` with two workers: /metrics adds up both, and each request is one
JSON log line (gunicorn writes no access line of its own)."""

from __future__ import annotations

import json
import os
import signal
import time
from pathlib import Path
from typing import Any

import httpx
import psutil
import pytest

from tests.core.observability.conftest import parse_metrics
from tests.support import skips
from tests.support.processes import fresh_database_env, running_server


def _log(proc: Any) -> list[dict[str, Any]]:
    """The server's complete log lines so far, each parsed as JSON (any other line fails)."""
    text = Path(proc.log_path).read_text()
    return [json.loads(line) for line in text[: text.rfind("\n") + 1].splitlines()]


def _spread(base: str, proc: Any, workers: set[int], prefix: str, each: int = 10) -> int:
    """Have every worker in `workers` answer `each` requests (`GET /api/v1/users`, 401): the
    others are stopped meanwhile (SIGSTOP), so the one left accepts them all. Return how many
    were sent."""
    sent = 0
    for worker in sorted(workers):
        others = [psutil.Process(pid) for pid in workers if pid != worker]
        for other in others:
            other.suspend()
        try:
            for _ in range(each):
                headers = {"X-Request-ID": f"{prefix}-{sent}"}
                answer = httpx.get(f"{base}/api/v1/users", headers=headers, timeout=30)
                assert answer.status_code == 401
                sent += 1
        finally:
            for other in others:
                other.resume()
    lines = [r for r in _log(proc) if r.get("event") == "request"]
    served_by = {r["pid"] for r in lines if r["request_id"].startswith(f"{prefix}-")}
    assert served_by == workers, served_by
    return sent


def _scrape(base: str) -> dict[tuple[str, frozenset[Any]], float]:
    response = httpx.get(f"{base}/metrics", timeout=30)
    assert response.status_code == 200
    return parse_metrics(response.text)


@pytest.mark.slow
def test_serve_adds_up_the_metrics_of_every_worker(tmp_path: Path) -> None:
    with fresh_database_env(tmp_path, migrated=True) as env:
        env["CASEDESK_LOG_FORMAT"] = "json"
        # gunicorn alone (--no-worker): the process is its master, the children its workers.
        with running_server(env, 2, "--no-worker") as (base, proc):
            workers = {child.pid for child in psutil.Process(proc.pid).children()}
            assert len(workers) == 2
            sent = _spread(base, proc, workers, "agg")

            samples = _scrape(base)
            labels = {"route": "/api/v1/users", "method": "GET", "status": "401"}
            assert samples[("casedesk_http_requests_total", frozenset(labels.items()))] == sent

            # One line per request: gunicorn's access log would add a second.
            deadline = time.monotonic() + 10
            while True:
                ids = [
                    r["request_id"]
                    for r in _log(proc)
                    if r.get("event") == "request" and r["request_id"].startswith("agg-")
                ]
                if len(ids) >= sent or time.monotonic() > deadline:
                    break
                time.sleep(0.05)
            assert sorted(ids) == sorted(f"agg-{n}" for n in range(sent))

            if "DATABASE_URL" in env:  # PostgreSQL: the pools of both workers, added up
                assert samples[("casedesk_db_pool_max_connections", frozenset())] == 2 * 8
            else:  # SQLite has no pool: no pool family at all
                assert not any(name.startswith("casedesk_db_pool") for name, _ in samples)


@pytest.mark.slow
def test_serve_drops_the_live_gauges_of_a_worker_that_exited(tmp_path: Path) -> None:
    with fresh_database_env(tmp_path, migrated=True) as env:
        if "DATABASE_URL" not in env:
            pytest.skip(skips.engine_reason("postgresql", "the live gauges are the pool's"))
        env["CASEDESK_LOG_FORMAT"] = "json"
        # gunicorn alone (--no-worker): the process is its master, the children its workers.
        with running_server(env, 2, "--no-worker") as (base, proc):
            master = psutil.Process(proc.pid)
            first = {child.pid for child in master.children()}
            _spread(base, proc, first, "before")
            gone = min(first)
            os.kill(gone, signal.SIGKILL)
            deadline = time.monotonic() + 60
            while True:
                now = {child.pid for child in master.children()}
                if gone not in now and len(now) == 2:
                    break
                assert time.monotonic() < deadline, "gunicorn did not replace the worker"
                time.sleep(0.05)
            _spread(base, proc, now, "after")
            # Two live workers' pools, not the exited one's as well.
            assert _scrape(base)[("casedesk_db_pool_max_connections", frozenset())] == 2 * 8


@pytest.mark.django_db
def test_serve_gives_the_workers_an_emptied_metrics_folder_under_the_data_dir(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from django.core.management import call_command

    from casedesk import config

    stale = config.metrics_dir() / "counter_12345.db"
    stale.parent.mkdir(parents=True, exist_ok=True)
    stale.write_bytes(b"an earlier run")
    envs: list[dict[str, str]] = []
    monkeypatch.setattr(os, "execve", lambda path, argv, env: envs.append(env))
    call_command("serve", "--no-worker")
    (env,) = envs
    assert env["PROMETHEUS_MULTIPROC_DIR"] == str(config.metrics_dir())
    assert list(config.metrics_dir().iterdir()) == []
    # Only the server's environment names it, not the process that started it.
    assert "PROMETHEUS_MULTIPROC_DIR" not in os.environ
