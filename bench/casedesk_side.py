"""In-process measurements and look-ups on a casedesk database, one command per process.

`run_all.py` runs this with the environment of the database under test (DATABASE_URL or
CASEDESK_DATA_DIR), so Django is set up for exactly that database. Each command prints one
JSON object on stdout.

    python bench/casedesk_side.py facts
    python bench/casedesk_side.py page-queries --facts facts.json
    python bench/casedesk_side.py raw-insert --rows 20000
    python bench/casedesk_side.py service-import --rows 2000 --username bench_agent
    python bench/casedesk_side.py bulk-import --rows 20000 --username bench_admin
    python bench/casedesk_side.py seed --cases 3000 --username bench_agent
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import sys
import time
import uuid
from datetime import UTC, datetime
from typing import Any

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
if ROOT not in sys.path:
    sys.path.insert(0, ROOT)
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "casedesk.settings")

import django  # noqa: E402

django.setup()

from django.db import connection, transaction  # noqa: E402
from django.db.models import Count  # noqa: E402

from casedesk.cases.choices import State  # noqa: E402
from casedesk.cases.models import Case  # noqa: E402
from casedesk.cases.services import lifecycle, records  # noqa: E402
from casedesk.cases.services.common import Ref  # noqa: E402
from casedesk.customers.models import Account  # noqa: E402
from casedesk.customers.services import account_create  # noqa: E402
from casedesk.directory.models import User  # noqa: E402
from casedesk.routing.models import QueueItem  # noqa: E402

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import workload  # noqa: E402


def emit(payload: dict[str, Any]) -> None:
    sys.stdout.write(json.dumps(payload) + "\n")
    sys.stdout.flush()


def cmd_facts(args: argparse.Namespace) -> None:
    """What the HTTP scenarios need: sample ids, the busiest owner, accounts, counts."""
    rng = random.Random(args.seed)
    total = Case.objects.count()
    high = Case.objects.order_by("-number").values_list("number", flat=True).first() or 0
    numbers = [rng.randint(1, high) for _ in range(args.sample * 2)] if high else []
    case_ids = [
        str(i) for i in Case.objects.filter(number__in=numbers).values_list("id", flat=True)
    ][: args.sample]
    busiest = (
        Case.objects.filter(state=State.ACTIVE, owner_user__isnull=False)
        .values("owner_user")
        .annotate(n=Count("id"))
        .order_by("-n")
        .first()
    )
    owner = User.objects.filter(id=busiest["owner_user"]).first() if busiest else None
    active_numbers = [rng.randint(1, high) for _ in range(args.sample * 4)] if high else []
    active_ids = [
        str(i)
        for i in Case.objects.filter(number__in=active_numbers, state=State.ACTIVE).values_list(
            "id", flat=True
        )
    ][: args.sample]
    resolved_numbers = [rng.randint(1, high) for _ in range(args.sample * 2)] if high else []
    resolved_ids = [
        str(i)
        for i in Case.objects.filter(number__in=resolved_numbers, state=State.RESOLVED).values_list(
            "id", flat=True
        )
    ][: args.sample]
    # The queues with their open items, the fullest first (the queue pages of the benchmark).
    queues = [
        {"id": str(q["queue_id"]), "name": q["queue__name"], "open_items": q["n"]}
        for q in QueueItem.objects.filter(state="open")
        .values("queue_id", "queue__name")
        .annotate(n=Count("id"))
        .order_by("-n")
    ]
    accounts = [str(i) for i in Account.objects.order_by("?").values_list("id", flat=True)[:200]]
    # Active cases for bulk routing: a stretch of numbers from a random start.
    route_ids: list[str] = []
    if args.route:
        start = rng.randint(1, max(1, high - 4 * args.route))
        route_ids = [
            str(i)
            for i in Case.objects.filter(number__gte=start, state=State.ACTIVE)
            .order_by("number")
            .values_list("id", flat=True)[: args.route]
        ]
    agent = User.objects.filter(username=args.agent).first()
    emit(
        {
            "cases": total,
            "case_ids": case_ids,
            "active_case_ids": active_ids,
            "resolved_case_ids": resolved_ids,
            "queues": queues,
            "account_ids": accounts,
            "busiest_owner": (
                {"username": owner.username, "id": str(owner.id), "active": busiest["n"]}
                if owner and busiest
                else None
            ),
            "route_case_ids": route_ids,
            "agent_id": str(agent.id) if agent else None,
            "vendor": connection.vendor,
        }
    )


def _case_columns() -> list[str]:
    return [f.column for f in Case._meta.concrete_fields]


def _raw_row(template: Case, number: int, now: datetime) -> list[Any]:
    values = []
    for f in Case._meta.concrete_fields:
        if f.column == "id":
            value: Any = uuid.uuid4()
        elif f.column == "number":
            value = number
        elif f.column == "ticket_number":
            value = f"RAW-{number:08d}"
        elif f.column in ("created_at", "modified_at"):
            value = now
        else:
            value = getattr(template, f.attname)
        values.append(f.get_db_prep_save(value, connection))
    return values


def cmd_raw_insert(args: argparse.Namespace) -> None:
    """The engine's own insert rate for case rows: `executemany` of rows equal to a case row
    into a scratch table of the same columns, in batches, one transaction a batch."""
    template = Case.objects.order_by("-number").first()
    if template is None:
        raise SystemExit("raw-insert needs at least one case to copy")
    columns = _case_columns()
    table = "bench_raw_case"
    qcols = ", ".join(connection.ops.quote_name(c) for c in columns)
    marks = ", ".join(["%s"] * len(columns))
    now = datetime.now(UTC)
    rows = [_raw_row(template, n, now) for n in range(1, args.rows + 1)]
    with connection.cursor() as cursor:
        cursor.execute(f"DROP TABLE IF EXISTS {table}")
        # The same columns (and, on PostgreSQL, types and NOT NULLs) with a unique index on
        # the key like the real table, without the other indexes: plain inserts, the limit.
        if connection.vendor == "postgresql":
            cursor.execute(f"CREATE TABLE {table} (LIKE casedesk_cases_case INCLUDING DEFAULTS)")
        else:
            cursor.execute(f"CREATE TABLE {table} AS SELECT * FROM casedesk_cases_case WHERE 1 = 0")
        cursor.execute(f"CREATE UNIQUE INDEX {table}_id ON {table} (id)")
    connection.close()
    started = time.perf_counter()
    for low in range(0, len(rows), args.batch):
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.executemany(
                f"INSERT INTO {table} ({qcols}) VALUES ({marks})", rows[low : low + args.batch]
            )
    elapsed = time.perf_counter() - started
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT count(*) FROM {table}")
        written = cursor.fetchone()[0]
    out: dict[str, Any] = {
        "rows": written,
        "seconds": round(elapsed, 3),
        "rows_per_s": round(written / elapsed, 1),
        "batch": args.batch,
        "method": "executemany",
    }
    if connection.vendor == "postgresql":
        # PostgreSQL's fastest path too: COPY, the same rows and batches.
        with connection.cursor() as cursor:
            cursor.execute(f"TRUNCATE {table}")
        started = time.perf_counter()
        for low in range(0, len(rows), args.batch):
            with (
                transaction.atomic(),
                connection.cursor() as cursor,
                cursor.cursor.copy(f"COPY {table} ({qcols}) FROM STDIN") as copy,
            ):
                for row in rows[low : low + args.batch]:
                    copy.write_row(row)
        copy_elapsed = time.perf_counter() - started
        out["copy_rows_per_s"] = round(len(rows) / copy_elapsed, 1)
    # The same rows into a table with every index of the case table: what the engine itself
    # pays to insert a case row, whoever writes it.
    with connection.cursor() as cursor:
        cursor.execute(f"DROP TABLE {table}")
        if connection.vendor == "postgresql":
            cursor.execute(
                f"CREATE TABLE {table} (LIKE casedesk_cases_case INCLUDING DEFAULTS"
                " INCLUDING INDEXES)"
            )
        else:
            cursor.execute(f"CREATE TABLE {table} AS SELECT * FROM casedesk_cases_case WHERE 1 = 0")
            cursor.execute(
                "SELECT name, sql FROM sqlite_master WHERE type = 'index'"
                " AND tbl_name = 'casedesk_cases_case' AND sql IS NOT NULL"
            )
            for name, sql in cursor.fetchall():
                cursor.execute(
                    sql.replace(f'"{name}"', f'"{table}_{name}"', 1).replace(
                        '"casedesk_cases_case"', table
                    )
                )
            cursor.execute(f"CREATE UNIQUE INDEX {table}_id ON {table} (id)")
            cursor.execute(f"CREATE UNIQUE INDEX {table}_number ON {table} (number)")
            cursor.execute(f"CREATE UNIQUE INDEX {table}_ticket ON {table} (ticket_number)")
        cursor.execute(
            "SELECT count(*) FROM "
            + (
                f"pg_indexes WHERE tablename = '{table}'"
                if connection.vendor == "postgresql"
                else f"sqlite_master WHERE type = 'index' AND tbl_name = '{table}'"
            )
        )
        out["indexed_indexes"] = cursor.fetchone()[0]
    connection.close()
    started = time.perf_counter()
    for low in range(0, len(rows), args.batch):
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.executemany(
                f"INSERT INTO {table} ({qcols}) VALUES ({marks})", rows[low : low + args.batch]
            )
    out["indexed_rows_per_s"] = round(len(rows) / (time.perf_counter() - started), 1)
    with connection.cursor() as cursor:
        cursor.execute(f"DROP TABLE {table}")
    emit(out)


def _ensure_accounts(actor: User, rng: random.Random, count: int) -> list[uuid.UUID]:
    have = list(Account.objects.values_list("id", flat=True)[:count])
    for i in range(len(have), count):
        have.append(account_create(actor=actor, name=f"Bench account {i:05d}").id)
    rng.shuffle(have)
    return have


def cmd_service_import(args: argparse.Namespace) -> None:
    """Cases created through the product's service layer (`case_create`, one transaction
    each, with audit, system post, terms and search index), in one process."""
    actor = User.objects.get(username=args.username)
    rng = random.Random(args.seed)
    accounts = _ensure_accounts(actor, rng, 50)
    payload = [
        (workload.title(rng), workload.description(rng), accounts[i % len(accounts)])
        for i in range(args.rows)
    ]
    connection.close()
    started = time.perf_counter()
    for title, description, account in payload:
        records.case_create(
            actor=actor,
            title=title,
            customer=Ref("account", account),
            description=description,
            given=frozenset({"title", "customer", "description"}),
        )
    elapsed = time.perf_counter() - started
    emit(
        {
            "rows": args.rows,
            "seconds": round(elapsed, 3),
            "rows_per_s": round(args.rows / elapsed, 1),
            "path": "records.case_create per case",
        }
    )


def _import_rows(rng: random.Random, count: int) -> list[dict[str, Any]]:
    """Cases as an import file carries them (ids and times as JSON strings), drawn like
    bench/generate.py: 60 % resolved with a resolution, 5 % cancelled, the rest active; 85 %
    with a subject; customers of the database, 60 % accounts."""
    from bench import vocabulary as vocab
    from casedesk.catalog.models import Subject
    from casedesk.customers.models import Contact

    accounts = [str(i) for i in Account.objects.values_list("id", flat=True)[:20000]]
    contacts = [str(i) for i in Contact.objects.values_list("id", flat=True)[:20000]]
    subjects = [str(i) for i in Subject.objects.values_list("id", flat=True)]
    if not accounts:
        raise SystemExit("bulk-import needs accounts (run bench.generate or seed first)")
    now = datetime.now(UTC)
    span = 3 * 365 * 86400
    rows = []
    for k in range(count):
        created = now.timestamp() - span + span * k / max(1, count) - 86400
        roll = rng.random()
        row: dict[str, Any] = {
            "title": vocab.sentence(rng, 4, 9)[:200],
            "description": vocab.sentence(rng, 12, 40),
            "customer": (
                {"type": "contact", "id": rng.choice(contacts)}
                if contacts and rng.random() >= 0.6
                else {"type": "account", "id": rng.choice(accounts)}
            ),
            "created_at": datetime.fromtimestamp(created, UTC).isoformat(),
        }
        if subjects and rng.random() < 0.85:
            row["subject_id"] = rng.choice(subjects)
        if roll < 0.60:
            row["status"] = rng.choice(["problem_solved", "problem_solved", "information_provided"])
            resolved = min(created + 3600 * rng.randint(1, 200), now.timestamp())
            row["resolved_at"] = datetime.fromtimestamp(resolved, UTC).isoformat()
            row["resolution"] = vocab.sentence(rng, 8, 25)
        elif roll < 0.65:
            row["state"] = "cancelled"
        else:
            row["status"] = rng.choice(["in_progress", "on_hold", "researching"])
        rows.append(row)
    return rows


def cmd_bulk_import(args: argparse.Namespace) -> None:
    """The product's bulk import (`cases_import`: validation, reference checks, ticket
    numbers, cases, resolution activities, audit entries and search documents, `--batch`
    cases a transaction), timed without drawing the rows."""
    from casedesk.cases.services.imports import cases_import

    actor = User.objects.get(username=args.username)
    rows = _import_rows(random.Random(args.seed), args.rows)
    before = Case.objects.count()
    connection.close()
    profile = None
    if args.profile:
        import cProfile

        profile = cProfile.Profile()
        profile.enable()
    started, cpu = time.perf_counter(), time.process_time()
    result = cases_import(actor=actor, rows=rows, channel="cli", batch_size=args.batch)
    elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu
    if profile is not None:
        profile.disable()
        profile.dump_stats(args.profile)
    written = Case.objects.count() - before
    emit(
        {
            "rows": len(result.cases),
            "written": written,
            "seconds": round(elapsed, 3),
            "rows_per_s": round(len(result.cases) / elapsed, 1),
            "cpu_seconds": round(cpu, 3),
            "batch": args.batch,
            "path": "casedesk.cases.services.imports.cases_import",
        }
    )


def cmd_seed(args: argparse.Namespace) -> None:
    """A small data set through the services (smoke runs without a data generator): cases
    for `username` and some other agents, about a third of them resolved."""
    actor = User.objects.get(username=args.username)
    rng = random.Random(args.seed)
    accounts = _ensure_accounts(actor, rng, args.accounts)
    started = time.perf_counter()
    resolved = 0
    for i in range(args.cases):
        case = records.case_create(
            actor=actor,
            title=workload.title(rng),
            customer=Ref("account", accounts[i % len(accounts)]),
            description=workload.description(rng),
            given=frozenset({"title", "customer", "description"}),
        )
        if rng.random() < 0.35:
            lifecycle.case_resolve(
                actor=actor, case_id=case.id, resolution=" ".join(workload.sample_words(rng, 12))
            )
            resolved += 1
    emit(
        {
            "cases": args.cases,
            "resolved": resolved,
            "seconds": round(time.perf_counter() - started, 2),
            "words": workload.search_words(),
        }
    )


def cmd_query_counts(args: argparse.Namespace) -> None:
    """SQL queries per request of the read operations, through the whole stack (Django's
    test client: middleware, authentication, the router), at two page sizes: equal counts
    mean the cost of a page does not grow with its length."""
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    client = Client(HTTP_HOST="localhost", HTTP_AUTHORIZATION=f"Bearer {args.token}")
    paths = {
        "list_mine": f"/api/v1/cases?owner_id={args.owner}&state=active",
        "search": f"/api/v1/cases?search={args.word}",
        "similar": f"/api/v1/cases/{args.case}/similar?q={args.word}",
        "list_all": "/api/v1/cases",
    }
    # The token's first use records its last-use date (once a quarter of an hour): a write of
    # the token, not a cost of the page, so one request goes first, uncounted.
    client.get("/api/v1/cases?limit=1")
    out: dict[str, Any] = {}
    for name, path in paths.items():
        counts = {}
        for limit in (5, 50):
            sep = "&" if "?" in path else "?"
            with CaptureQueriesContext(connection) as ctx:
                response = client.get(f"{path}{sep}limit={limit}")
            if response.status_code != 200:
                counts[f"limit_{limit}"] = f"status {response.status_code}"
            else:
                counts[f"limit_{limit}"] = len(ctx.captured_queries)
        out[name] = counts
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(f"/api/v1/cases/{args.case}")
    out["get"] = len(ctx.captured_queries) if response.status_code == 200 else None
    emit(out)


def _short_sql(sql: str) -> str:
    """A statement with its first column list cut short: what it reads and how."""
    return re.sub(r"^SELECT (.{0,80}).*? FROM ", r"SELECT \1… FROM ", sql, count=1)[:1000]


def cmd_page_queries(args: argparse.Namespace) -> None:
    """SQL queries of each web page of the benchmark (bench/pages.py) through the whole
    stack (Django's test client, signed in as the page user with a session), with the time
    the database took for them in this process. Each page is requested twice and the second
    is counted: the first fills what a worker keeps between requests."""
    import pages
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from casedesk.cli.static import ensure_collected

    ensure_collected()  # the pages link the collected static files, as `casedesk serve` does
    with open(args.facts) as handle:
        facts = json.loads(handle.read())
    client = Client(HTTP_HOST="localhost")
    client.force_login(User.objects.get(username=args.username))
    out: dict[str, Any] = {}
    for op, paths in pages.page_paths(facts, facts["words"]).items():
        if not paths:
            continue
        path = paths[0]
        client.get(path)
        with CaptureQueriesContext(connection) as ctx:
            response = client.get(path)
        times = [float(q.get("time") or 0) * 1000 for q in ctx.captured_queries]
        slowest = max(range(len(times)), key=times.__getitem__) if times else None
        out[op] = {
            "path": path,
            "status": response.status_code,
            "queries": len(ctx.captured_queries),
            "sql_ms": round(sum(times), 1),
            "slowest_sql_ms": round(times[slowest], 1) if slowest is not None else None,
            "slowest_sql": (
                _short_sql(ctx.captured_queries[slowest]["sql"]) if slowest is not None else None
            ),
        }
    emit(out)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=7)
    sub = parser.add_subparsers(dest="command", required=True)
    facts = sub.add_parser("facts")
    facts.add_argument("--sample", type=int, default=500)
    facts.add_argument("--route", type=int, default=0)
    facts.add_argument("--agent", default="bench_agent")
    counts = sub.add_parser("query-counts")
    counts.add_argument("--token", required=True)
    counts.add_argument("--owner", required=True)
    counts.add_argument("--word", required=True)
    counts.add_argument("--case", required=True)
    page_queries = sub.add_parser("page-queries")
    page_queries.add_argument("--facts", required=True, help="the facts JSON, with `words`")
    page_queries.add_argument("--username", default="bench")
    raw = sub.add_parser("raw-insert")
    raw.add_argument("--rows", type=int, default=20000)
    raw.add_argument("--batch", type=int, default=1000)
    imp = sub.add_parser("service-import")
    imp.add_argument("--rows", type=int, default=2000)
    imp.add_argument("--username", required=True)
    bulk = sub.add_parser("bulk-import")
    bulk.add_argument("--rows", type=int, default=20000)
    bulk.add_argument("--batch", type=int, default=5000)
    bulk.add_argument("--username", default="bench_admin", help="a manager or administrator")
    bulk.add_argument("--profile", default="", help="write cProfile statistics to this file")
    seed = sub.add_parser("seed")
    seed.add_argument("--cases", type=int, default=3000)
    seed.add_argument("--accounts", type=int, default=100)
    seed.add_argument("--username", required=True)
    args = parser.parse_args(argv)
    {
        "facts": cmd_facts,
        "raw-insert": cmd_raw_insert,
        "service-import": cmd_service_import,
        "bulk-import": cmd_bulk_import,
        "seed": cmd_seed,
        "query-counts": cmd_query_counts,
        "page-queries": cmd_page_queries,
    }[args.command](args)


if __name__ == "__main__":
    main()
