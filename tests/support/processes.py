"""Real processes for tests: fresh databases for child processes and a running server."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlparse, urlunparse

import httpx

CASEDESK = str(Path(sys.executable).with_name("casedesk"))


def _postgres_url() -> str | None:
    url = os.environ.get("DATABASE_URL", "")
    return url if url.startswith(("postgres://", "postgresql://")) else None


@contextlib.contextmanager
def fresh_database_env(tmp_path: Path) -> Iterator[dict[str, str]]:
    """An environment naming a new, empty database of the configured engine (dropped after)."""
    env = dict(os.environ)
    env["CASEDESK_DATA_DIR"] = str(tmp_path / "data")
    env.pop("DJANGO_SETTINGS_MODULE", None)
    url = _postgres_url()
    if url is None:
        env.pop("DATABASE_URL", None)
        yield env
        return
    import psycopg

    name = f"casedesk_proc_{uuid.uuid4().hex[:12]}"
    parsed = urlparse(url)
    admin_url = urlunparse(parsed._replace(path="/postgres"))
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    env["DATABASE_URL"] = urlunparse(parsed._replace(path=f"/{name}"))
    try:
        yield env
    finally:
        with psycopg.connect(admin_url, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def run(
    env: dict[str, str], *args: str, check: bool = True, timeout: float = 120
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [CASEDESK, *args], env=env, capture_output=True, text=True, check=check, timeout=timeout
    )


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextlib.contextmanager
def running_server(
    env: dict[str, str], workers: int = 2
) -> Iterator[tuple[str, subprocess.Popen[str]]]:
    """`casedesk serve` in the foreground; yields its base URL once it answers."""
    port = free_port()
    # The server's log goes to a file: a pipe nobody reads would fill up and stall it.
    log = tempfile.NamedTemporaryFile(  # noqa: SIM115 - lives as long as the server
        prefix="casedesk-serve-", suffix=".log", delete=False
    )
    proc = subprocess.Popen(
        [CASEDESK, "serve", "--host", "127.0.0.1", "--port", str(port), "--workers", str(workers)],
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
