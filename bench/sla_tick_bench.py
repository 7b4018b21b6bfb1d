"""The service-level timers at scale (docs/performance.md, "Service-level timers").

    python -m bench.sla_tick_bench --engine sqlite --cases 1000000 --active 300000
    python -m bench.sla_tick_bench --engine postgres --cases 1000000 --active 300000

Builds a fresh database (SQLite under bench/out/sla_tick/, or the PostgreSQL database
`casedesk_sla_tick_bench` on BENCH_PG_URL's server) with `--cases` cases, of which `--active`
are active with a resolve KPI instance in force whose warning is hours to days ahead (the
others resolved, without instances), loaded with bench/generate.py's bulk path (`Table`:
executemany on SQLite, COPY on PostgreSQL; secondary indexes built after the load). Then:

1. **idle**: `sla_tick()` when nothing is due, `--idle-runs` times: what every worker pays
   every 30 s. The target is under 50 ms.
2. **events only**: `--due` instances made due (their warning a minute ago), one
   `sla_tick(limit=None)`: warnings fired a second, each with its instance update, its
   `sla.warning` event and the cases' `sla_status`. The target is at least 2,000 a second.
3. **with notify**: the same with the item's warning actions `notify owner` and `notify
   manager` (recipients computed per batch and handed to a registered hook).

Prints one JSON object.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import shutil
import statistics
import sys
import time
import uuid
from pathlib import Path
from typing import Any

BENCH = Path(__file__).resolve().parent
PG_ADMIN_URL = os.environ.get("BENCH_PG_URL", "postgres://postgres@127.0.0.1:5432/postgres")
PG_NAME = "casedesk_sla_tick_bench"
BATCH = 50_000


def _environment(engine: str, cases: int, reuse: bool) -> None:
    """Point this process at a new, empty database of `engine` (`reuse`: the one the last run
    built)."""
    from urllib.parse import urlparse, urlunparse

    os.environ["DJANGO_SETTINGS_MODULE"] = "casedesk.settings"
    data = BENCH / "out" / "sla_tick" / f"{engine}-{cases}" / "data"
    os.environ.pop("DATABASE_URL", None)
    if engine == "postgres":
        os.environ["DATABASE_URL"] = urlunparse(urlparse(PG_ADMIN_URL)._replace(path=f"/{PG_NAME}"))
    if reuse:
        os.environ["CASEDESK_DATA_DIR"] = str(data)
        return
    if data.parent.exists():
        shutil.rmtree(data.parent)
    data.mkdir(parents=True)
    os.environ["CASEDESK_DATA_DIR"] = str(data)
    if engine == "postgres":
        import psycopg

        with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{PG_NAME}" WITH (FORCE)')
            conn.execute(f'CREATE DATABASE "{PG_NAME}"')


def _log(line: str) -> None:
    print(line, file=sys.stderr, flush=True)


def populate(cases: int, active: int, now: dt.datetime) -> dict[str, Any]:
    """The users, the SLA and the cases with their instances; how long it took."""
    from django.db import connection, transaction

    from bench.generate import Loading, Table
    from casedesk.cases.models import Case
    from casedesk.customers.models import Account
    from casedesk.directory.models import Team, User
    from casedesk.sla.models import KpiInstance, Sla, SlaItem

    started = time.perf_counter()
    owner = User.objects.create(username="sla_owner", role="agent")
    boss = User.objects.create(username="sla_boss", role="manager")
    team = Team.objects.create(name="Tier 1")
    team.members.add(owner, boss)
    account = Account.objects.create(name="Acme", created_at=now, modified_at=now)
    sla = Sla.objects.create(name="Standard", active=True, created_at=now, modified_at=now)
    item = SlaItem.objects.create(
        sla=sla,
        position=1,
        name="Resolve",
        kpi="resolve",
        warn_after_minutes=8 * 60,
        fail_after_minutes=16 * 60,
    )
    tables = [Case._meta.db_table, KpiInstance._meta.db_table]
    loading = Loading(connection, tables)
    case_rows = Table(connection, Case)
    instance_rows = Table(connection, KpiInstance)
    # Every `active`-th case in `cases / active` is active, spread over the table.
    step = cases / active
    active_at = {int(i * step) for i in range(active)}
    for start in range(0, cases, BATCH):
        batch_cases: list[dict[str, Any]] = []
        batch_instances: list[dict[str, Any]] = []
        for n in range(start, min(cases, start + BATCH)):
            case_id = uuid.uuid4()
            created = now - dt.timedelta(minutes=n % 2000)
            row: dict[str, Any] = {
                "id": case_id,
                "number": n + 1,
                "ticket_number": f"CAS-{n + 1:08d}-SLA",
                "title": f"Case {n + 1}",
                "customer_account_id": account.pk,
                "owner_user_id": owner.pk,
                "created_at": created,
                "modified_at": created,
            }
            if n in active_at:
                # Warning 1 hour to 5 days ahead: nothing is due at `now`.
                warning = now + dt.timedelta(minutes=60 + (n * 7919) % (5 * 24 * 60))
                failure = warning + dt.timedelta(hours=8)
                row.update(sla_id=sla.pk, resolve_by=failure, sla_status="in_progress")
                batch_instances.append(
                    {
                        "id": uuid.uuid4(),
                        "case_id": case_id,
                        "sla_id": sla.pk,
                        "item_id": item.pk,
                        "item_name": item.name,
                        "kpi": "resolve",
                        "status": "in_progress",
                        "in_force": True,
                        "started_at": created,
                        "warning_at": warning,
                        "failure_at": failure,
                        "due_at": warning,
                    }
                )
            else:
                row.update(state="resolved", status="problem_solved", resolved_at=created)
            batch_cases.append(row)
        with transaction.atomic():
            case_rows.write(batch_cases)
            instance_rows.write(batch_instances)
        _log(f"cases: {start + len(batch_cases):,} ({time.perf_counter() - started:.0f}s)")
    loading.finish(_log)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    return {"populate_seconds": round(time.perf_counter() - started, 1)}


def make_due(count: int, now: dt.datetime) -> None:
    """`count` instances not yet warned get their warning a minute before `now` (set-wise)."""
    from django.db import transaction

    from casedesk.sla.models import KpiInstance

    past = now - dt.timedelta(minutes=1)
    ids = list(
        KpiInstance.objects.filter(warned_at__isnull=True, due_at__isnull=False)
        .order_by("id")
        .values_list("id", flat=True)[:count]
    )
    with transaction.atomic():
        for start in range(0, len(ids), 5000):
            KpiInstance.objects.filter(id__in=ids[start : start + 5000]).update(
                warning_at=past, due_at=past
            )


def idle(now: dt.datetime, runs: int) -> dict[str, Any]:
    from casedesk.sla.services.timers import sla_tick

    times = []
    for _ in range(runs):
        started = time.perf_counter()
        result = sla_tick(now)
        times.append((time.perf_counter() - started) * 1000)
        assert result.examined == 0, result
    times.sort()
    return {
        "runs": runs,
        "median_ms": round(statistics.median(times), 2),
        "p95_ms": round(times[int(0.95 * (runs - 1))], 2),
        "max_ms": round(times[-1], 2),
    }


def _statement(sql: str) -> str:
    """A statement's kind and table: `UPDATE casedesk_cases_case`."""
    import re

    words = sql.split()
    verb = words[0].upper() if words else ""
    table = re.search(r'(?:FROM|UPDATE|INTO)\s+"?(\w+)', sql)
    return f"{verb} {table.group(1) if table else ''}".strip()


def _worker_tick(now: dt.datetime, start: Any, results: Any) -> None:
    """One of `--workers` processes (spawned: the database settings come from the
    environment `_environment` set): wait for the start, then fire what it can claim."""
    import django

    django.setup()
    from django.db import connection

    from casedesk.sla.services.timers import sla_tick

    start.wait()
    cpu = time.process_time()
    result = sla_tick(now, limit=None)
    results.put((result.warnings, time.process_time() - cpu))
    connection.close()


def firing_parallel(due: int, now: dt.datetime, workers: int) -> dict[str, Any]:
    """Fire `due` warnings with `workers` processes ticking at once (each `sla_tick` claims
    its batches with SKIP LOCKED, as workers of `casedesk serve` do): the rate of them all."""
    import multiprocessing

    make_due(due, now)
    # Spawned, not forked: the parent's pooled connections must not be shared.
    context = multiprocessing.get_context("spawn")
    start = context.Event()
    results = context.Queue()
    procs = [
        context.Process(target=_worker_tick, args=(now, start, results)) for _ in range(workers)
    ]
    for proc in procs:
        proc.start()
    time.sleep(8.0)  # every process started, set up and waiting
    started = time.perf_counter()
    start.set()
    outcomes = [results.get() for _ in procs]
    seconds = time.perf_counter() - started
    for proc in procs:
        proc.join()
    fired = sum(n for n, _cpu in outcomes)
    assert fired == due, (fired, due)
    return {
        "workers": workers,
        "fired": fired,
        "fired_by_worker": [n for n, _cpu in outcomes],
        "seconds": round(seconds, 2),
        "firings_per_s": round(fired / seconds, 1),
        "workers_cpu_seconds": round(sum(c for _n, c in outcomes), 2),
    }


def firing(due: int, now: dt.datetime, workers: int = 1) -> dict[str, Any]:
    """Fire `due` warnings in one `sla_tick`; the rate, the process's CPU, and the wall time
    spent in each kind of statement."""
    from collections import defaultdict

    from django.db import connection

    from casedesk.sla.services.timers import sla_tick

    if workers > 1:
        return firing_parallel(due, now, workers)
    make_due(due, now)
    spent: dict[str, float] = defaultdict(float)

    def timed(execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
        started = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            spent[_statement(sql)] += time.perf_counter() - started

    cpu = time.process_time()
    started = time.perf_counter()
    with connection.execute_wrapper(timed):
        result = sla_tick(now, limit=None)
    seconds = time.perf_counter() - started
    cpu = time.process_time() - cpu
    assert result.warnings == due, result
    top = sorted(spent.items(), key=lambda kv: -kv[1])[:5]
    return {
        "fired": result.warnings,
        "seconds": round(seconds, 2),
        "firings_per_s": round(result.warnings / seconds, 1),
        "process_cpu_seconds": round(cpu, 2),
        "statements_seconds": {name: round(value, 2) for name, value in top},
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--engine", choices=["sqlite", "postgres"], required=True)
    parser.add_argument("--cases", type=int, default=1_000_000)
    parser.add_argument("--active", type=int, default=300_000)
    parser.add_argument("--due", type=int, default=20_000)
    parser.add_argument("--idle-runs", type=int, default=50)
    parser.add_argument(
        "--workers",
        type=int,
        default=1,
        help="processes firing at once (PostgreSQL; SQLite ticks under its write lock)",
    )
    parser.add_argument(
        "--reuse",
        action="store_true",
        help="measure on the database the last run built (its fired instances stay fired)",
    )
    args = parser.parse_args(argv)
    _environment(args.engine, args.cases, args.reuse)
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    from casedesk.sla.hooks import sla_firing_hook_add
    from casedesk.sla.models import SlaItem

    call_command("migrate", verbosity=0, interactive=False)
    now = dt.datetime.now(dt.UTC).replace(microsecond=0)
    report: dict[str, Any] = {
        "engine": connection.vendor,
        "cases": args.cases,
        "active_with_instances": args.active,
        "batch": 500,
        "workers": args.workers,
    }
    if args.reuse:
        from casedesk.sla.models import SlaItem as Item

        Item.objects.update(on_warning=[])
        with connection.cursor() as cursor:
            cursor.execute("VACUUM ANALYZE" if connection.vendor == "postgresql" else "ANALYZE")
        report["reused"] = True
    else:
        report.update(populate(args.cases, args.active, now))
    report["idle"] = idle(now, args.idle_runs)
    report["events_only"] = firing(args.due, now, args.workers)
    notified: list[int] = []
    sla_firing_hook_add(lambda firings: notified.append(sum(len(f.recipients) for f in firings)))
    SlaItem.objects.update(
        on_warning=[{"type": "notify", "to": "owner"}, {"type": "notify", "to": "manager"}]
    )
    report["with_notify"] = firing(args.due, now, args.workers)
    if args.workers == 1:
        report["with_notify"]["recipients"] = sum(notified)
    report["idle_after"] = idle(now, args.idle_runs)
    report["load_average"] = [round(x, 2) for x in os.getloadavg()]
    print(json.dumps(report, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
