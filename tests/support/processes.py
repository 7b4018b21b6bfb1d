"""Real processes for tests: fresh databases for child processes and a running server."""

from __future__ import annotations

import atexit
import contextlib
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlparse, urlunparse

import httpx

CASEDESK = str(Path(sys.executable).with_name("casedesk"))
ROOT = str(Path(__file__).resolve().parents[2])


def _postgres_url() -> str | None:
    url = os.environ.get("DATABASE_URL", "")
    return url if url.startswith(("postgres://", "postgresql://")) else None


# The migrated database each new `migrated=True` database is copied from, made once a test
# process (a migration runs for seconds; a copy takes a fraction of one).
_TEMPLATE: dict[str, str] = {}


def _admin_url(url: str) -> str:
    return urlunparse(urlparse(url)._replace(path="/postgres"))


def _template() -> str:
    """A migrated database of the configured engine, made on first use and dropped at the
    process's exit: the template's data directory (SQLite) or its database name (PostgreSQL)."""
    if "source" in _TEMPLATE:
        return _TEMPLATE["source"]
    env = dict(os.environ)
    env.pop("DJANGO_SETTINGS_MODULE", None)
    url = _postgres_url()
    if url is None:
        data = Path(tempfile.mkdtemp(prefix="casedesk-template-")) / "data"
        env.pop("DATABASE_URL", None)
        env["CASEDESK_DATA_DIR"] = str(data)
        run(env, "migrate", "--no-input", "-v", "0")
        atexit.register(shutil.rmtree, data.parent, True)
        _TEMPLATE["source"] = str(data)
        return str(data)
    import psycopg

    name = f"casedesk_template_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(_admin_url(url), autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    env["DATABASE_URL"] = urlunparse(urlparse(url)._replace(path=f"/{name}"))
    env["CASEDESK_DATA_DIR"] = tempfile.mkdtemp(prefix="casedesk-template-")
    run(env, "migrate", "--no-input", "-v", "0")

    def drop() -> None:
        with psycopg.connect(_admin_url(url), autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    atexit.register(drop)
    _TEMPLATE["source"] = name
    return name


@contextlib.contextmanager
def fresh_database_env(tmp_path: Path, *, migrated: bool = False) -> Iterator[dict[str, str]]:
    """An environment naming a new database of the configured engine (dropped after): empty,
    or with `migrated` a copy of a database `casedesk migrate` made (what a test that starts
    its processes on a migrated database needs, without a migration each)."""
    env = dict(os.environ)
    env["CASEDESK_DATA_DIR"] = str(tmp_path / "data")
    env.pop("DJANGO_SETTINGS_MODULE", None)
    url = _postgres_url()
    template = _template() if migrated else None
    if url is None:
        env.pop("DATABASE_URL", None)
        if template is not None:
            data = tmp_path / "data"
            data.mkdir(parents=True, exist_ok=True)
            for suffix in ("", "-wal"):
                source = Path(template) / f"casedesk.sqlite3{suffix}"
                if source.exists():
                    shutil.copyfile(source, data / source.name)
        yield env
        return
    import psycopg

    name = f"casedesk_proc_{uuid.uuid4().hex[:12]}"
    admin_url = _admin_url(url)
    with psycopg.connect(admin_url, autocommit=True) as conn:
        copy = f' TEMPLATE "{template}"' if template is not None else ""
        conn.execute(f'CREATE DATABASE "{name}"{copy}')
    env["DATABASE_URL"] = urlunparse(urlparse(url)._replace(path=f"/{name}"))
    try:
        yield env
    finally:
        with psycopg.connect(admin_url, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def run(
    env: dict[str, str],
    *args: str,
    check: bool = True,
    timeout: float = 120,
    input: str | None = None,
) -> subprocess.CompletedProcess[str]:
    """`casedesk ARGS`; `input` is its standard input (else it reads nothing: not a terminal)."""
    return subprocess.run(
        [CASEDESK, *args],
        env=env,
        capture_output=True,
        text=True,
        check=check,
        timeout=timeout,
        input=input if input is not None else "",
    )


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextlib.contextmanager
def running_server(
    env: dict[str, str], workers: int = 2, *args: str
) -> Iterator[tuple[str, subprocess.Popen[str]]]:
    """`casedesk serve` in the foreground (with `args` added); yields its base URL once it
    answers."""
    port = free_port()
    # The server's log goes to a file: a pipe nobody reads would fill up and stall it.
    log = tempfile.NamedTemporaryFile(  # noqa: SIM115 - lives as long as the server
        prefix="casedesk-serve-", suffix=".log", delete=False
    )
    proc = subprocess.Popen(
        [
            CASEDESK,
            "serve",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--workers",
            str(workers),
            *args,
        ],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    proc.log_path = log.name  # type: ignore[attr-defined]
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 180
    try:
        while True:
            if proc.poll() is not None:
                raise RuntimeError(f"server exited: {Path(log.name).read_text()[-3000:]}")
            try:
                if httpx.get(f"{base}/login/", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError("server did not start within 180 s")
            time.sleep(0.1)
        yield base, proc
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()


def start_worker(script: str, env: dict[str, str], job: dict[str, Any]) -> subprocess.Popen[str]:
    """A worker process running `script` with its job as one JSON argument (the script may
    import `tests.support.worker`)."""
    path = os.pathsep.join(p for p in (ROOT, env.get("PYTHONPATH", "")) if p)
    return subprocess.Popen(
        [sys.executable, script, json.dumps(job)],
        env={**env, "PYTHONPATH": path},
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def ask_worker(
    script: str, env: dict[str, str], job: dict[str, Any], *, timeout: float = 180
) -> dict[str, Any]:
    """Run `script` for one job that does not race (a set-up, a read of the outcome) and
    return its JSON answer."""
    proc = start_worker(script, env, job)
    out, err = proc.communicate(timeout=timeout)
    assert proc.returncode == 0, err
    return dict(json.loads(out))


def race(
    tmp_path: Path,
    env: dict[str, str],
    script: str,
    jobs: list[dict[str, Any]],
    *,
    timeout: float = 300,
) -> list[dict[str, Any]]:
    """Start a worker per job, wait until every one is ready, let them go at once, and prove
    that they ran at the same time: the latest start precedes the earliest end.

    Each worker touches the file named by its job's `ready`, waits for `go`, and prints a JSON
    result with `started` and `ended` times.
    """
    go = tmp_path / "go"
    procs = []
    for i, job in enumerate(jobs):
        ready = tmp_path / f"ready-{i}"
        procs.append(
            (ready, start_worker(script, env, {**job, "go": str(go), "ready": str(ready)}))
        )
    deadline = time.monotonic() + timeout
    while not all(ready.exists() for ready, _ in procs):
        failed = [p for _, p in procs if p.poll() is not None]
        assert not failed, failed[0].communicate()[1]
        assert time.monotonic() < deadline, "workers did not get ready"
        time.sleep(0.01)
    go.write_text("go")
    results = []
    for _, proc in procs:
        out, err = proc.communicate(timeout=timeout)
        assert proc.returncode == 0, err
        results.append(json.loads(out))
    latest_start = max(r["started"] for r in results)
    earliest_end = min(r["ended"] for r in results)
    assert latest_start < earliest_end, [(r["started"], r["ended"]) for r in results]
    return results
