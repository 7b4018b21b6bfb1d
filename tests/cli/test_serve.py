"""`casedesk serve`: several workers, a token, the API, and a clean stop."""

from __future__ import annotations

import re
import signal
from pathlib import Path

import httpx
import psutil
import pytest

from tests.support.processes import fresh_database_env, run, running_server

pytestmark = pytest.mark.slow


def test_serve_answers_the_api_with_several_workers_and_stops_them_all(tmp_path: Path) -> None:
    with fresh_database_env(tmp_path, migrated=True) as env:
        run(
            env,
            "user",
            "add",
            "smoke",
            "--password-stdin",
            "--role",
            "admin",
            input="a-long-enough-pass-1",
        )
        with running_server(env, workers=2) as (base, proc):
            children = psutil.Process(proc.pid).children(recursive=True)
            # gunicorn's master and its 2 workers, and the background worker.
            assert len(children) == 4
            with httpx.Client(base_url=base, timeout=10) as http:
                login = http.get("/login/")
                assert login.status_code == 200 and "<form" in login.text
                assert http.get("/static/casedesk/casedesk.css").status_code == 200
                issued = http.post(
                    "/api/v1/auth/token",
                    json={"username": "smoke", "password": "a-long-enough-pass-1"},
                )
                assert issued.status_code == 201
                auth = {"Authorization": f"Bearer {issued.json()['token']}"}
                # Spread calls over both workers: each must sign and verify with the same key.
                for _ in range(20):
                    assert http.get("/api/v1/users", headers=auth).status_code == 200
                created = http.post("/api/v1/teams", json={"name": "Smoke"}, headers=auth)
                assert created.status_code == 201
                assert http.get("/api/v1/docs").status_code == 200
            proc.send_signal(signal.SIGTERM)
            assert proc.wait(timeout=30) == 0
            for child in children:
                assert not child.is_running() or child.status() == psutil.STATUS_ZOMBIE


def test_serve_links_static_files_by_hashed_names_cached_for_a_year_when_started(
    tmp_path: Path,
) -> None:
    with (
        fresh_database_env(tmp_path, migrated=True) as env,
        running_server(env, workers=1) as (base, _proc),
        httpx.Client(base_url=base, timeout=10) as http,
    ):
        linked = re.findall(r'(?:href|src)="(/static/[^"]+)"', http.get("/login/").text)
        assert linked, "the sign-in page links no static file"
        for path in linked:
            assert re.search(r"\.[0-9a-f]{12}\.[a-z]+$", path), path
            answer = http.get(path)
            assert answer.status_code == 200, path
            cache = answer.headers["Cache-Control"]
            assert "max-age=315360000" in cache and "immutable" in cache, (path, cache)


def _gunicorn_argv(monkeypatch: pytest.MonkeyPatch, *args: str) -> list[str]:
    """What `casedesk serve` would exec, without starting it."""
    import os

    from django.core.management import call_command

    seen: list[list[str]] = []

    def fake_execve(path: str, argv: list[str], env: dict[str, str]) -> None:
        seen.append(list(argv))

    monkeypatch.setattr(os, "execve", fake_execve)
    call_command("serve", "--no-worker", *args)
    assert len(seen) == 1
    return seen[0]


@pytest.mark.django_db
def test_serve_runs_one_thread_per_worker_on_sqlite_and_four_on_postgresql(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from django.db import connection

    argv = _gunicorn_argv(monkeypatch, "--workers", "3")
    assert argv[argv.index("--workers") + 1] == "3"
    assert argv[argv.index("--worker-class") + 1] == "gthread"
    # The worker hooks (the SQLite checkpoint thread) come from casedesk's settings module.
    assert argv[argv.index("--config") + 1] == "python:casedesk.cli.gunicorn_config"
    expected = "1" if connection.vendor == "sqlite" else "4"
    assert argv[argv.index("--threads") + 1] == expected


@pytest.mark.django_db
def test_serve_takes_the_threads_it_is_given(monkeypatch: pytest.MonkeyPatch) -> None:
    argv = _gunicorn_argv(monkeypatch, "--threads", "3")
    assert argv[argv.index("--threads") + 1] == "3"
