"""The peer: django-helpdesk 2.6.1 in its own virtual environment, served like casedesk.

Everything it writes lives under bench/out/peer/ (never committed): the virtual environment
(`venv/`, reused while its stamp matches), the SQLite data dir of one run (`data/`) and the
ticket texts. The Django project itself is bench/peer/project/ (settings, urls, a bulk
loader).

    python bench/peer/helpdesk_peer.py --tickets 50000 --seconds 5

runs it on its own (the same steps run_all.py takes) and prints the figures as JSON.
"""

from __future__ import annotations

import argparse
import base64
import contextlib
import http.cookies
import json
import os
import random
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import psutil

BENCH = Path(__file__).resolve().parent.parent
if str(BENCH) not in sys.path:
    sys.path.insert(0, str(BENCH))

from http_bench import Client, Request, run_load  # noqa: E402
from server_cpu import ServerCpu  # noqa: E402

PEER_VERSION = "2.6.1"
# django-helpdesk 2.6.1 asks for Django>=5.2; this keeps it on the same Django as casedesk.
REQUIREMENTS = [f"django-helpdesk=={PEER_VERSION}", "Django>=5.2,<5.3", "gunicorn>=23,<28"]
PIP_FLAGS = ["--disable-pip-version-check"]
PROJECT = Path(__file__).resolve().parent / "project"
USER = "bench"
PASSWORD = "peer-bench-password-1"

# Threads per gunicorn worker: what `casedesk serve` runs on SQLite.
THREADS = 1


def log(message: str) -> None:
    print(f"[peer] {message}", file=sys.stderr, flush=True)


def ensure_venv(out: Path) -> Path:
    """The peer's virtual environment under `out`, created and installed once."""
    venv = out / "venv"
    stamp = venv / ".installed"
    wanted = "\n".join(REQUIREMENTS)
    if stamp.exists() and stamp.read_text() == wanted:
        return venv
    if venv.exists():
        shutil.rmtree(venv)
    log(f"creating {venv} with {', '.join(REQUIREMENTS)}")
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    subprocess.run(
        [str(venv / "bin" / "python"), "-m", "pip", "install", "-q", *PIP_FLAGS, *REQUIREMENTS],
        check=True,
    )
    stamp.write_text(wanted)
    return venv


def installed_versions(venv: Path) -> dict[str, str]:
    code = (
        "import importlib.metadata as m, json;"
        "print(json.dumps({n: m.version(n) for n in"
        " ('django-helpdesk', 'Django', 'djangorestframework', 'gunicorn')}))"
    )
    out = subprocess.run(
        [str(venv / "bin" / "python"), "-c", code], check=True, capture_output=True, text=True
    )
    return dict(json.loads(out.stdout))


@dataclass
class Peer:
    venv: Path
    data: Path

    def env(self) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "CASEDESK_"))}
        env.pop("DATABASE_URL", None)
        env.update(
            {
                "PEER_DATA_DIR": str(self.data),
                "DJANGO_SETTINGS_MODULE": "peerproj.settings",
                "PYTHONPATH": str(PROJECT),
            }
        )
        return env

    def python(self, *args: str, capture: bool = False) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [str(self.venv / "bin" / "python"), *args],
            env=self.env(),
            cwd=PROJECT,
            check=True,
            capture_output=capture,
            text=True,
        )

    def prepare(self, texts: list[tuple[str, str]]) -> dict[str, Any]:
        """A fresh database: migrate, a staff user, one queue, the tickets in bulk."""
        if self.data.exists():
            shutil.rmtree(self.data)
        self.data.mkdir(parents=True)
        started = time.perf_counter()
        self.python("-m", "django", "migrate", "--no-input", "-v", "0")
        migrated = time.perf_counter() - started
        tickets = self.data / "tickets.jsonl"
        with tickets.open("w", encoding="utf-8") as fh:
            for title, description in texts:
                fh.write(json.dumps({"title": title, "description": description}) + "\n")
        done = self.python(
            str(PROJECT / "peer_load.py"),
            "--user",
            USER,
            "--password",
            PASSWORD,
            "--tickets",
            str(tickets),
            capture=True,
        )
        loaded = json.loads(done.stdout.strip().splitlines()[-1])
        loaded["migrate_seconds"] = round(migrated, 1)
        return loaded

    @contextlib.contextmanager
    def serve(
        self, port: int, workers: int = 2, threads: int = THREADS
    ) -> Iterator[subprocess.Popen[str]]:
        """gunicorn with the same worker model as `casedesk serve` on SQLite (gthread, one
        thread a worker)."""
        log_path = self.data / "gunicorn.log"
        with log_path.open("w") as log_file:
            proc = subprocess.Popen(
                [
                    str(self.venv / "bin" / "python"),
                    "-m",
                    "gunicorn",
                    "peerproj.wsgi:application",
                    "--bind",
                    f"127.0.0.1:{port}",
                    "--workers",
                    str(workers),
                    "--worker-class",
                    "gthread",
                    "--threads",
                    str(threads),
                    "--timeout",
                    "60",
                    "--keep-alive",
                    "5",
                ],
                env=self.env(),
                cwd=PROJECT,
                stdout=log_file,
                stderr=subprocess.STDOUT,
                text=True,
                start_new_session=True,
            )
        try:
            wait_until_up(f"http://127.0.0.1:{port}", "/helpdesk/login/", proc, log_path)
            yield proc
        finally:
            stop(proc)


def wait_until_up(base: str, path: str, proc: subprocess.Popen[str], log_path: Path) -> None:
    deadline = time.monotonic() + 90
    client = Client(base, timeout=5)
    while True:
        if proc.poll() is not None:
            raise RuntimeError(f"server exited: {log_path.read_text()[-2000:]}")
        try:
            if client.get(path).status < 500:
                return
        except OSError:
            client.close()
        if time.monotonic() > deadline:
            raise RuntimeError(f"server did not start within 90 s: {log_path.read_text()[-2000:]}")
        time.sleep(0.2)


def stop(proc: subprocess.Popen[str]) -> None:
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()


class Session:
    """A logged-in browser-like session: cookies and the CSRF token for unsafe requests."""

    def __init__(self, base: str):
        self.base = base
        self.cookies: dict[str, str] = {}

    def _absorb(self, headers: dict[str, str], raw: list[str]) -> None:
        for value in raw:
            jar = http.cookies.SimpleCookie()
            jar.load(value)
            for name, morsel in jar.items():
                self.cookies[name] = morsel.value

    def _send(self, client: Client, request: Request) -> Any:
        conn = client._connection()
        headers = {**request.headers, "Cookie": self.cookie_header()}
        conn.request(request.method, request.path, request.body, headers)
        response = conn.getresponse()
        body = response.read()
        self._absorb({}, response.headers.get_all("Set-Cookie") or [])
        return response.status, body

    def cookie_header(self) -> str:
        return "; ".join(f"{k}={v}" for k, v in self.cookies.items())

    def login(self, username: str, password: str) -> None:
        client = Client(self.base)
        try:
            status, _ = self._send(client, Request("GET", "/helpdesk/login/"))
            if status != 200 or "csrftoken" not in self.cookies:
                raise RuntimeError(f"login page answered {status} without a CSRF cookie")
            form = urlencode(
                {
                    "username": username,
                    "password": password,
                    "csrfmiddlewaretoken": self.cookies["csrftoken"],
                    "next": "/helpdesk/",
                }
            ).encode()
            status, body = self._send(
                client,
                Request(
                    "POST",
                    "/helpdesk/login/",
                    form,
                    {
                        "Content-Type": "application/x-www-form-urlencoded",
                        "Referer": f"{self.base}/helpdesk/login/",
                    },
                ),
            )
            if status != 302 or "sessionid" not in self.cookies:
                raise RuntimeError(f"login answered {status}: {body[:300]!r}")
        finally:
            client.close()

    def headers(self) -> dict[str, str]:
        return {
            "Cookie": self.cookie_header(),
            "X-CSRFToken": self.cookies["csrftoken"],
            "Referer": f"{self.base}/helpdesk/",
            "Accept": "application/json",
        }


def search_path(word: str, length: int) -> str:
    """The JSON endpoint behind the peer's ticket list search box: newest first, one page."""
    query = {"search_string": word, "sorting": "created", "sortreverse": True, "filtering": {}}
    b64 = base64.b64encode(json.dumps(query).encode()).decode("ascii")
    return f"/helpdesk/datatables_ticket_list/{b64}?draw=1&start=0&length={length}"


def measure(
    *,
    base: str,
    session: Session,
    queue_id: int,
    words: dict[str, list[str]],
    concurrencies: list[int],
    seconds: float,
    warmup: float,
    page: int,
    title_words: list[str],
    cpu: ServerCpu,
    search_concurrencies: list[int] | None = None,
) -> list[dict[str, Any]]:
    """Ticket create (POST /helpdesk/api/tickets/) and keyword search at each concurrency."""
    results: list[dict[str, Any]] = []
    headers = session.headers()
    rng = random.Random(11)
    # Slow operations: every thread gets a few requests in, however long each one takes.
    slow = {"min_requests": 10, "max_seconds": max(4 * seconds, 90.0)}

    def create(_t: int, i: int) -> Request:
        title = " ".join(rng.choices(title_words, k=5))
        body = {
            "queue": queue_id,
            "title": title,
            "description": f"{title}. Load test ticket {i}.",
            "submitter_email": "customer@example.com",
            "priority": 3,
        }
        return Request("POST", "/helpdesk/api/tickets/", json.dumps(body).encode())

    for concurrency in concurrencies:
        before = cpu.snapshot()
        result = run_load(
            name="create",
            base=base,
            make=create,
            concurrency=concurrency,
            seconds=seconds,
            warmup=warmup,
            headers=headers,
            expect=frozenset({201}),
            **slow,
        )
        results.append({"op": "create", **result.summary(), **cpu.per_request(before, result.sent)})
        log(f"create c={concurrency}: {result.summary()['throughput_rps']} req/s")
    for cls, class_words in words.items():
        if not class_words:
            continue
        for concurrency in search_concurrencies or concurrencies:
            before = cpu.snapshot()
            result = run_load(
                name=f"search_{cls}",
                base=base,
                make=lambda _t, i, w=class_words: Request("GET", search_path(w[i % len(w)], page)),
                concurrency=concurrency,
                seconds=seconds,
                warmup=warmup,
                headers=headers,
                expect=frozenset({200}),
                **{**slow, "min_requests": max(5, concurrency)},
            )
            results.append(
                {"op": f"search_{cls}", **result.summary(), **cpu.per_request(before, result.sent)}
            )
            log(f"search_{cls} c={concurrency}: p95 {result.summary()['p95_ms']} ms")
    return results


def run_peer(
    *,
    out: Path,
    texts: list[tuple[str, str]],
    words: dict[str, list[str]],
    concurrencies: list[int],
    seconds: float,
    warmup: float,
    port: int,
    page: int = 25,
    search_concurrencies: list[int] | None = None,
) -> dict[str, Any]:
    """Install (once), prepare a fresh database with `texts` as tickets, serve, measure."""
    out.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    venv = ensure_venv(out)
    peer = Peer(venv=venv, data=out / "data")
    log(f"preparing {len(texts)} tickets")
    loaded = peer.prepare(texts)
    log(f"loaded: {loaded}")
    base = f"http://127.0.0.1:{port}"
    with peer.serve(port) as proc:
        session = Session(base)
        session.login(USER, PASSWORD)
        title_words = [w for ws in words.values() for w in ws] or ["printer"]
        results = measure(
            base=base,
            session=session,
            queue_id=int(loaded["queue_id"]),
            words=words,
            concurrencies=concurrencies,
            seconds=seconds,
            warmup=warmup,
            page=page,
            title_words=title_words,
            cpu=ServerCpu(proc.pid),
            search_concurrencies=search_concurrencies,
        )
        rss = worker_rss_mb(proc.pid)
    return {
        "versions": installed_versions(venv),
        "threads": THREADS,
        "tickets": loaded["tickets"],
        "load": loaded,
        "results": results,
        "rss_mb": rss,
        "seconds": round(time.perf_counter() - started, 1),
        "search_endpoint": "GET /helpdesk/datatables_ticket_list/<query> (its ticket list search)",
        "page": page,
    }


def worker_rss_mb(master_pid: int) -> dict[str, Any]:
    master = psutil.Process(master_pid)
    workers = master.children(recursive=True)
    return {
        "workers": [round(w.memory_info().rss / 2**20, 1) for w in workers],
        "master": round(master.memory_info().rss / 2**20, 1),
    }


def main() -> None:
    from workload import texts_and_words

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tickets", type=int, default=50000)
    parser.add_argument("--seconds", type=float, default=5)
    parser.add_argument("--warmup", type=float, default=1)
    parser.add_argument("--concurrency", default="1,4,16")
    parser.add_argument("--port", type=int, default=8611)
    parser.add_argument("--out", default=str(BENCH / "out" / "peer"))
    args = parser.parse_args()
    texts, words = texts_and_words(args.tickets, seed=5)
    figures = run_peer(
        out=Path(args.out),
        texts=texts,
        words=words,
        concurrencies=[int(c) for c in args.concurrency.split(",")],
        seconds=args.seconds,
        warmup=args.warmup,
        port=args.port,
    )
    print(json.dumps(figures, indent=2))


if __name__ == "__main__":
    main()
