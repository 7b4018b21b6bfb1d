"""The background queue's benchmark: the cost of enqueueing a job, and jobs a second that
`casedesk worker` processes get through, on SQLite and PostgreSQL (docs/performance.md,
"Background jobs").

    .venv/bin/python bench/jobs_bench.py                    # both engines, 2,000 jobs a point
    .venv/bin/python bench/jobs_bench.py --engines sqlite --jobs 500

Each engine gets a fresh database (a data dir under bench/out/jobs, or the PostgreSQL database
`casedesk_bench_jobs_*` on BENCH_PG_URL, dropped after). The jobs do nothing
(bench/jobs_tasks.py), so a rate is the queue's own cost: claiming the job in a transaction,
running it, recording its outcome. A rate is measured between the first and the last job's
finish, so the workers' start-up is left out. Writes bench/out/jobs.json.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path
from typing import Any
from urllib.parse import urlparse, urlunparse

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
OUT = BENCH / "out"
CASEDESK = str(Path(sys.executable).with_name("casedesk"))
PG_URL = os.environ.get("BENCH_PG_URL", "postgres://postgres@127.0.0.1:5432/postgres")
# (worker processes, threads each)
POINTS = [(1, 1), (2, 1), (1, 4)]


def _timed(count: int, enqueue: Any) -> float:
    """Microseconds per call of `enqueue(i)`."""
    started = time.perf_counter()
    for i in range(count):
        enqueue(i)
    return round((time.perf_counter() - started) / count * 1e6, 1)


def child(jobs: int) -> dict[str, Any]:
    """In a process set up for one fresh database: every measurement of that engine."""
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection, transaction
    from django_tasks_db.models import DBTaskResult

    from bench.jobs_tasks import noop
    from casedesk.jobs import enqueue_on_commit

    call_command("migrate", verbosity=0, interactive=False)
    out: dict[str, Any] = {"engine": connection.vendor, "jobs": jobs}
    sample = min(jobs, 500)

    def own_transaction(i: int) -> None:
        with transaction.atomic():
            enqueue_on_commit(noop, i)

    out["enqueue_us"] = {
        "alone": _timed(sample, lambda i: noop.enqueue(i)),
        "on_commit_of_its_own_transaction": _timed(sample, own_transaction),
    }
    with transaction.atomic():
        out["enqueue_us"]["inside_a_larger_transaction"] = _timed(sample, lambda i: noop.enqueue(i))
    DBTaskResult.objects.all().delete()
    out["points"] = []
    for processes, threads in POINTS:
        for i in range(jobs):
            noop.enqueue(i)
        connection.close()
        workers = [
            subprocess.Popen(
                [CASEDESK, "worker", "--concurrency", str(threads), "--interval", "0.05"],
                env=os.environ.copy(),
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
            for _ in range(processes)
        ]
        cpu_before = _cpu(workers)
        deadline = time.monotonic() + 600
        while DBTaskResult.objects.successful().count() < jobs:
            assert time.monotonic() < deadline, "the workers did not finish"
            assert all(w.poll() is None for w in workers), "a worker exited"
            time.sleep(0.2)
        cpu = _cpu(workers) - cpu_before
        for w in workers:
            w.send_signal(signal.SIGTERM)
        for w in workers:
            w.wait(timeout=60)
        finished = sorted(DBTaskResult.objects.values_list("finished_at", flat=True))
        span = (finished[-1] - finished[0]).total_seconds()
        out["points"].append(
            {
                "processes": processes,
                "threads": threads,
                "jobs_per_second": round((jobs - 1) / span, 1),
                "jobs_per_second_per_process": round((jobs - 1) / span / processes, 1),
                "worker_cpu_ms_per_job": round(cpu * 1000 / jobs, 2),
            }
        )
        DBTaskResult.objects.all().delete()
        connection.close()
    return out


def _cpu(procs: list[subprocess.Popen[bytes]]) -> float:
    import psutil

    total = 0.0
    for p in procs:
        times = psutil.Process(p.pid).cpu_times()
        total += times.user + times.system
    return total


def run_engine(engine: str, jobs: int) -> dict[str, Any]:
    env = dict(os.environ)
    env["DJANGO_SETTINGS_MODULE"] = "casedesk.settings"
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(ROOT), env.get("PYTHONPATH")) if p)
    data = OUT / "jobs" / engine
    shutil.rmtree(data, ignore_errors=True)
    data.mkdir(parents=True)
    env["CASEDESK_DATA_DIR"] = str(data)
    env.pop("DATABASE_URL", None)
    name = None
    if engine == "postgres":
        import psycopg

        name = f"casedesk_bench_jobs_{uuid.uuid4().hex[:8]}"
        with psycopg.connect(PG_URL, autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        env["DATABASE_URL"] = urlunparse(urlparse(PG_URL)._replace(path=f"/{name}"))
    try:
        done = subprocess.run(
            [sys.executable, __file__, "--child", str(jobs)],
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
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--engines", default="sqlite,postgres")
    parser.add_argument("--jobs", type=int, default=2000)
    parser.add_argument("--child", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(child(args.child)))
        return
    results = [run_engine(e, args.jobs) for e in args.engines.split(",")]
    OUT.mkdir(exist_ok=True)
    (OUT / "jobs.json").write_text(json.dumps(results, indent=2))
    for r in results:
        print(f"\n{r['engine']}: {r['jobs']} jobs a point")
        for what, us in r["enqueue_us"].items():
            print(f"  enqueue, {what.replace('_', ' ')}: {us} µs")
        for p in r["points"]:
            print(
                f"  {p['processes']} process(es) x {p['threads']} thread(s):"
                f" {p['jobs_per_second']} jobs/s ({p['jobs_per_second_per_process']} a process),"
                f" {p['worker_cpu_ms_per_job']} ms worker CPU a job"
            )


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT))
    main()
