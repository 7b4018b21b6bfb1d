"""The service-level step's cost (docs/performance.md, "Service levels on a case"): what the
KPI instances add to a case create and to the import, on SQLite and PostgreSQL.

    .venv/bin/python bench/sla_bench.py                         # both engines
    .venv/bin/python bench/sla_bench.py --engines sqlite --creates 500 --import-rows 20000

Each engine gets a fresh database (a data dir under bench/out/sla, or the PostgreSQL database
`casedesk_bench_sla_*` on BENCH_PG_URL, dropped after). In the benchmark's own process:

- create: `--creates` creates a arm through the service (`records.case_create`, what
  `POST /cases` runs), in interleaved rounds of 25, with no active SLA (`none`: the step reads
  that no SLA is active, one query), with the default SLA of two items (`sla`: 24x7, no
  conditions) and with an SLA of four items on a business-hours calendar whose conditions read
  the priority (`calendar`); CPU of the process (`time.process_time`, not the PostgreSQL
  server's) and wall time per create.
- import: `--import-rows` rows through `cases_import` (batches of 2,000), without and with the
  `calendar` SLA active; cases a second.

Writes bench/out/sla.json.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
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
PG_URL = os.environ.get("BENCH_PG_URL", "postgres://postgres@127.0.0.1:5432/postgres")
ROUND = 25
ARMS = ("none", "sla", "calendar")


def child(args: argparse.Namespace) -> dict[str, Any]:
    """In a process set up for one fresh database: every measurement of that engine."""
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    from casedesk.cases.services import imports, records
    from casedesk.cases.services.common import Ref
    from casedesk.core import clock
    from casedesk.customers.services import account_create
    from casedesk.directory.access import SYSTEM
    from casedesk.directory.services import user_create
    from casedesk.sla.models import Calendar, KpiInstance, Sla, SlaItem

    call_command("migrate", verbosity=0, interactive=False)
    admin = user_create(
        actor=SYSTEM, username="bench", password="a-long-enough-pass-1", role="admin"
    )
    account = account_create(actor=admin, name="Bench Srl")
    customer = Ref("account", account.pk)
    now = clock.now()
    week = {
        d: [["09:00", "13:00"], ["14:00", "18:00"]] for d in ("mon", "tue", "wed", "thu", "fri")
    }
    office = Calendar.objects.create(
        name="Office",
        time_zone="Europe/Rome",
        week=week,
        holidays=[],
        holiday_country="IT",
        created_at=now,
        modified_at=now,
    )

    def sla(name: str, items: list[dict[str, Any]]) -> Any:
        made = Sla.objects.create(
            name=name,
            pause_statuses=["on_hold", "waiting_for_details"],
            created_at=now,
            modified_at=now,
        )
        for position, item in enumerate(items, start=1):
            SlaItem.objects.create(sla=made, position=position, name=f"item {position}", **item)
        return made

    plain = sla(
        "Plain",
        [
            {"kpi": "first_response", "warn_after_minutes": 60, "fail_after_minutes": 120},
            {"kpi": "resolve", "warn_after_minutes": 480, "fail_after_minutes": 960},
        ],
    )
    high = [{"field": "priority", "op": "eq", "value": "high"}]
    hours = sla(
        "Office hours",
        [
            {
                "kpi": "first_response",
                "conditions": high,
                "calendar": office,
                "warn_after_minutes": 30,
                "fail_after_minutes": 60,
            },
            {
                "kpi": "first_response",
                "calendar": office,
                "warn_after_minutes": 120,
                "fail_after_minutes": 240,
            },
            {
                "kpi": "resolve",
                "conditions": high,
                "calendar": office,
                "warn_after_minutes": 240,
                "fail_after_minutes": 480,
            },
            {
                "kpi": "resolve",
                "calendar": office,
                "warn_after_minutes": 960,
                "fail_after_minutes": 1920,
            },
        ],
    )
    arms = {"none": None, "sla": plain, "calendar": hours}

    def activate(which: Any) -> None:
        Sla.objects.update(active=False, is_default=False)
        if which is not None:
            Sla.objects.filter(pk=which.pk).update(active=True, is_default=True)

    out: dict[str, Any] = {"engine": connection.vendor, "load_before": os.getloadavg()}
    cpu = dict.fromkeys(ARMS, 0.0)
    wall = dict.fromkeys(ARMS, 0.0)
    done = dict.fromkeys(ARMS, 0)
    i = 0
    for _round in range(max(1, args.creates // ROUND)):
        for arm in ARMS:
            activate(arms[arm])
            c0, w0 = time.process_time(), time.perf_counter()
            for _ in range(ROUND):
                records.case_create(
                    actor=admin,
                    title=f"Bench {i}",
                    customer=customer,
                    priority="high" if i % 3 == 0 else "normal",
                )
                i += 1
            cpu[arm] += time.process_time() - c0
            wall[arm] += time.perf_counter() - w0
            done[arm] += ROUND
    out["create_ms"] = {
        arm: {
            "cpu": round(cpu[arm] * 1000 / done[arm], 3),
            "wall": round(wall[arm] * 1000 / done[arm], 3),
            "creates": done[arm],
        }
        for arm in ARMS
    }
    out["instances_after_creates"] = KpiInstance.objects.count()
    out["import"] = {}
    for arm in ("none", "calendar"):
        activate(arms[arm])
        rows = [
            {
                "title": f"Imported {n}",
                "customer": {"type": "account", "id": str(account.pk)},
                "priority": "high" if n % 3 == 0 else "normal",
            }
            for n in range(args.import_rows)
        ]
        before = KpiInstance.objects.count()
        c0, w0 = time.process_time(), time.perf_counter()
        imports.cases_import(actor=admin, rows=rows, channel="cli", batch_size=2000)
        seconds = time.perf_counter() - w0
        out["import"][arm] = {
            "rows": args.import_rows,
            "seconds": round(seconds, 2),
            "cases_per_second": round(args.import_rows / seconds, 1),
            "cpu_seconds": round(time.process_time() - c0, 2),
            "instances": KpiInstance.objects.count() - before,
        }
    out["load_after"] = os.getloadavg()
    return out


def run_engine(engine: str, argv: list[str]) -> dict[str, Any]:
    env = dict(os.environ)
    env["DJANGO_SETTINGS_MODULE"] = "casedesk.settings"
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(ROOT), env.get("PYTHONPATH")) if p)
    data = OUT / "sla" / engine
    shutil.rmtree(data, ignore_errors=True)
    data.mkdir(parents=True)
    env["CASEDESK_DATA_DIR"] = str(data)
    env.pop("DATABASE_URL", None)
    name = ""
    if engine == "postgresql":
        name = f"casedesk_bench_sla_{uuid.uuid4().hex[:8]}"
        subprocess.run(["createdb", *_pg_args(), name], check=True)
        env["DATABASE_URL"] = urlunparse(urlparse(PG_URL)._replace(path=f"/{name}"))
    try:
        done = subprocess.run(
            [sys.executable, __file__, "--child", *argv],
            env=env,
            check=True,
            capture_output=True,
            text=True,
        )
    finally:
        if name:
            subprocess.run(["dropdb", *_pg_args(), "--if-exists", name], check=False)
    return dict(json.loads(done.stdout.strip().splitlines()[-1]))


def _pg_args() -> list[str]:
    url = urlparse(PG_URL)
    return [
        "-h",
        url.hostname or "127.0.0.1",
        "-p",
        str(url.port or 5432),
        "-U",
        url.username or "postgres",
    ]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--engines", default="sqlite,postgresql")
    parser.add_argument("--creates", type=int, default=500)
    parser.add_argument("--import-rows", type=int, default=20_000)
    parser.add_argument("--child", action="store_true")
    args, _rest = parser.parse_known_args()
    if args.child:
        print(json.dumps(child(args)))
        return
    argv = ["--creates", str(args.creates), "--import-rows", str(args.import_rows)]
    results = [run_engine(engine, argv) for engine in args.engines.split(",")]
    OUT.mkdir(exist_ok=True)
    (OUT / "sla.json").write_text(json.dumps(results, indent=2))
    print(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
