"""The events benchmark (docs/performance.md, "Events and webhooks"): webhook deliveries a
second one `casedesk worker` gets through, the delay from a case's commit to its delivery under
a steady load of case writes, and what the outbox adds to a case create; on SQLite and
PostgreSQL.

    .venv/bin/python bench/events_bench.py                          # both engines
    .venv/bin/python bench/events_bench.py --engines sqlite --backlog 300 --creates 200

Each engine gets a fresh database (a data dir under bench/out/events, or the PostgreSQL
database `casedesk_bench_events_*` on BENCH_PG_URL, dropped after) with one webhook for every
event to a receiver on loopback in the benchmark's process (it answers 200 at once).

- throughput: `--backlog` cases are created with no worker running (an event and a delivery
  each), then one worker delivers them; the rate is taken between the first and the last POST.
- delay: with that worker running, a case is created every 1/`--rate` s for `--seconds`; the
  delay is from the create's commit to its `case.created` reaching the receiver.
- create cost: `--creates` creates per arm, the outbox on (its pipeline step registered, the
  webhook active) and off (the step taken out of the pipeline), in interleaved rounds of 25;
  CPU of the benchmark's process (`time.process_time`, so not the PostgreSQL server's) and
  wall time per create. Writes bench/out/events.json.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from statistics import median, quantiles
from typing import Any
from urllib.parse import urlparse, urlunparse

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
OUT = BENCH / "out"
CASEDESK = str(Path(sys.executable).with_name("casedesk"))
PG_URL = os.environ.get("BENCH_PG_URL", "postgres://postgres@127.0.0.1:5432/postgres")
ROUND = 25


class Arrivals:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.first: dict[int, float] = {}  # event id -> time of its first POST
        self.case_created: dict[str, float] = {}  # case id -> first POST of its case.created
        self.posts = 0


def receiver(arrivals: Arrivals) -> tuple[str, ThreadingHTTPServer]:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            now = time.time()
            event = json.loads(body)
            with arrivals.lock:
                arrivals.posts += 1
                arrivals.first.setdefault(int(event["id"]), now)
                if event["type"] == "case.created":
                    arrivals.case_created.setdefault(str(event["case_id"]), now)
            self.send_response(200)
            self.send_header("Content-Length", "2")
            self.end_headers()
            self.wfile.write(b"ok")

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return f"http://127.0.0.1:{server.server_address[1]}/hook", server


def _worker() -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [CASEDESK, "worker", "--interval", "0.05"],
        env=os.environ.copy(),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def _wait(condition: Any, what: str, timeout: float = 300) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise SystemExit(f"timed out waiting for {what}")
        time.sleep(0.05)


def child(args: argparse.Namespace) -> dict[str, Any]:
    """In a process set up for one fresh database: every measurement of that engine."""
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    from casedesk.cases.services import pipeline, records
    from casedesk.cases.services.common import Ref
    from casedesk.customers.services import account_create
    from casedesk.directory.access import SYSTEM
    from casedesk.directory.services import user_create
    from casedesk.events.outbox import case_event_step
    from casedesk.events.services import webhook_create

    call_command("migrate", verbosity=0, interactive=False)
    arrivals = Arrivals()
    url, server = receiver(arrivals)
    admin = user_create(
        actor=SYSTEM, username="bench", password="a-long-enough-pass-1", role="admin"
    )
    webhook_create(actor=admin, url=url, events=["*"], secret="bench-secret-of-length")
    customer = Ref("account", account_create(actor=admin, name="Bench Srl").pk)
    out: dict[str, Any] = {"engine": connection.vendor, "load_before": os.getloadavg()}

    def create(i: int) -> Any:
        return records.case_create(actor=admin, title=f"Bench {i}", customer=customer)

    # Throughput: a backlog, then one worker.
    for i in range(args.backlog):
        create(i)
    connection.close()
    worker = _worker()
    try:
        _wait(lambda: arrivals.posts >= args.backlog, "the backlog")
        times = sorted(arrivals.first.values())
        out["backlog"] = args.backlog
        out["deliveries_per_second_one_worker"] = round(
            (len(times) - 1) / (times[-1] - times[0]), 1
        )

        # Delay from commit to delivery under a steady load.
        committed: dict[str, float] = {}
        started = time.monotonic()
        n = 0
        while time.monotonic() - started < args.seconds:
            case = create(10_000 + n)
            committed[str(case.pk)] = time.time()
            n += 1
            time.sleep(max(0.0, started + n / args.rate - time.monotonic()))
        _wait(lambda: all(c in arrivals.case_created for c in committed), "the steady load")
        delays = sorted((arrivals.case_created[c] - t) * 1000 for c, t in committed.items())
        cuts = quantiles(delays, n=20)
        out["steady"] = {
            "creates": n,
            "rate_per_second": round(n / args.seconds, 1),
            "delay_ms_p50": round(median(delays), 1),
            "delay_ms_p95": round(cuts[18], 1),
            "delay_ms_max": round(delays[-1], 1),
        }
    finally:
        worker.send_signal(signal.SIGTERM)
        worker.wait(timeout=60)

    # The create's cost, outbox on and off, interleaved.
    cpu = {"on": 0.0, "off": 0.0}
    wall = {"on": 0.0, "off": 0.0}
    done = {"on": 0, "off": 0}
    i = 20_000
    for _round in range(max(1, args.creates // ROUND)):
        for arm in ("on", "off"):
            if arm == "off":
                pipeline._steps.remove(case_event_step)
            try:
                c0, w0 = time.process_time(), time.perf_counter()
                for _ in range(ROUND):
                    create(i)
                    i += 1
                cpu[arm] += time.process_time() - c0
                wall[arm] += time.perf_counter() - w0
                done[arm] += ROUND
            finally:
                if arm == "off":
                    pipeline.case_write_step_add(case_event_step)
    out["create_ms"] = {
        arm: {
            "cpu": round(cpu[arm] * 1000 / done[arm], 2),
            "wall": round(wall[arm] * 1000 / done[arm], 2),
            "creates": done[arm],
        }
        for arm in ("on", "off")
    }
    out["load_after"] = os.getloadavg()
    server.shutdown()
    return out


def run_engine(engine: str, argv: list[str]) -> dict[str, Any]:
    env = dict(os.environ)
    env["DJANGO_SETTINGS_MODULE"] = "casedesk.settings"
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(ROOT), env.get("PYTHONPATH")) if p)
    env["CASEDESK_WEBHOOK_ALLOW_PRIVATE"] = "1"
    data = OUT / "events" / engine
    shutil.rmtree(data, ignore_errors=True)
    data.mkdir(parents=True)
    env["CASEDESK_DATA_DIR"] = str(data)
    env.pop("DATABASE_URL", None)
    name = None
    if engine == "postgres":
        import psycopg

        name = f"casedesk_bench_events_{uuid.uuid4().hex[:8]}"
        with psycopg.connect(PG_URL, autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        env["DATABASE_URL"] = urlunparse(urlparse(PG_URL)._replace(path=f"/{name}"))
    try:
        done = subprocess.run(
            [sys.executable, __file__, "--child", *argv],
            env=env,
            cwd=ROOT,
            capture_output=True,
            text=True,
            check=False,
        )
        if done.returncode:
            raise SystemExit(done.stderr[-3000:])
        return dict(json.loads(done.stdout.strip().splitlines()[-1]))
    finally:
        if name is not None:
            import psycopg

            with psycopg.connect(PG_URL, autocommit=True) as conn:
                conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--engines", default="sqlite,postgres")
    parser.add_argument("--backlog", type=int, default=500)
    parser.add_argument("--rate", type=float, default=10.0, help="creates a second, steady")
    parser.add_argument("--seconds", type=float, default=15.0)
    parser.add_argument("--creates", type=int, default=300, help="creates per arm")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(child(args)))
        return
    argv = [
        f"--backlog={args.backlog}",
        f"--rate={args.rate}",
        f"--seconds={args.seconds}",
        f"--creates={args.creates}",
    ]
    results = [run_engine(e, argv) for e in args.engines.split(",")]
    OUT.mkdir(exist_ok=True)
    (OUT / "events.json").write_text(json.dumps(results, indent=2))
    for r in results:
        s, c = r["steady"], r["create_ms"]
        print(f"\n{r['engine']} (load average before {r['load_before'][0]:.1f})")
        print(
            f"  one worker: {r['deliveries_per_second_one_worker']} deliveries/s"
            f" ({r['backlog']} backlog)"
        )
        print(
            f"  steady {s['rate_per_second']} creates/s: commit to delivery"
            f" p50 {s['delay_ms_p50']} ms, p95 {s['delay_ms_p95']} ms, max {s['delay_ms_max']} ms"
        )
        print(
            f"  create, outbox on: {c['on']['cpu']} ms CPU ({c['on']['wall']} ms wall);"
            f" off: {c['off']['cpu']} ms CPU ({c['off']['wall']} ms wall)"
        )


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT))
    main()
