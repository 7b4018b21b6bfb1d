"""Generate a large casedesk database for the benchmark, through bulk paths.

    DATABASE_URL=... CASEDESK_DATA_DIR=... python -m bench.generate --cases 1000000

For N cases: N / 10 customers (two fifths accounts, the rest contacts, half of them at an
account), a subject tree, and N cases with Italian and English text drawn from a Zipf-like
vocabulary (bench/vocabulary.py): about 60% resolved with a resolution activity, 5% cancelled,
the rest active; a tenth of high priority, a fifth of low priority. A third of the active cases
wait in one of four public queues (an open queue item each, a fifth of them worked by the
owner `bench`), so the queue pages have items. Every case has one to four phone calls,
e-mails, tasks and appointments, so there are about three activities per case (3,000,000 at a
million cases); the activities of closed cases are closed, and resolved cases billed their
completed work (the totals `casedesk check` verifies). The search indexes are filled in the
same transactions as the rows, with the product's own document builder
(casedesk/search/documents.py).

Loading is the engine's bulk path: rows are built as tuples (no model instances) and written
with one executemany (SQLite) or COPY (PostgreSQL) per table and batch. The secondary indexes
of the case, activity and search tables are dropped first and built once at the end, as a
database restore does; on PostgreSQL the foreign-key triggers are off during the load (the
generator writes consistent rows) and commits are asynchronous. A progress bar goes to stderr.
Appends to the database it is given (numbers continue after the last case).
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import os
import random
import sys
import time
import uuid
from collections.abc import Callable, Iterator, Sequence
from typing import Any

ACTIVITY_TYPES = ("phone_call", "phone_call", "email", "email", "task", "appointment")
# Activities besides the resolution: 2.4 a case on average, so with the resolutions of 60% of
# the cases there are three a case.
ACTIVITY_COUNTS = (1, 2, 2, 3, 4)
TEXT_POOL = 20_000
PRIORITIES = ("high", "normal", "low")
PRIORITY_WEIGHTS = (0.10, 0.70, 0.20)
# Queues of the active cases: a third of them in one of these, the first the fullest.
QUEUE_NAMES = ("First line", "Billing", "Technical", "Escalations")
QUEUE_WEIGHTS = (0.45, 0.25, 0.20, 0.10)
QUEUED_SHARE = 1 / 3
# The service level of every case (docs/service-levels.md), on a 24x7 clock: a first response
# within 4 hours (warning at 3) and a resolution within 3 days (warning at 2).
SLA_NAME = "Standard (benchmark)"
SLA_MINUTES = {"first_response": (180, 240), "resolve": (2 * 1440, 3 * 1440)}
# The worst status first, as a case's `sla_status` takes it (casedesk.sla.choices.WORST).
SLA_WORST = ("noncompliant", "nearing_noncompliance", "in_progress", "paused", "succeeded")


def _setup() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "casedesk.settings")
    import django

    django.setup()


class Table:
    """Bulk rows of one model's table: values by column name, defaults from the model, written
    with executemany (SQLite) or COPY (PostgreSQL) in the caller's transaction."""

    def __init__(self, connection: Any, model: Any):
        from django.db import models

        self.connection = connection
        self.fields = list(model._meta.concrete_fields)
        self.names = [f.attname for f in self.fields]
        self.defaults = {
            f.attname: _plain(f.get_default()) if f.has_default() else None for f in self.fields
        }
        ops = connection.ops
        sqlite = connection.vendor == "sqlite"
        self.convert: list[Callable[[Any], Any] | None] = []
        for f in self.fields:
            target = f.target_field if f.is_relation else f
            if sqlite and isinstance(target, models.UUIDField):
                self.convert.append(_hex)
            elif sqlite and isinstance(target, models.DateTimeField):
                self.convert.append(ops.adapt_datetimefield_value)
            else:
                self.convert.append(None)
        quote = ops.quote_name
        self.columns = ", ".join(quote(f.column) for f in self.fields)
        self.table = quote(model._meta.db_table)

    def rows(self, values: Sequence[dict[str, Any]]) -> list[tuple[Any, ...]]:
        out = []
        pairs = list(zip(self.names, self.convert, strict=True))
        for value in values:
            row = self.defaults | value
            out.append(
                tuple(
                    row[name] if conv is None or row[name] is None else conv(row[name])
                    for name, conv in pairs
                )
            )
        return out

    def write(self, values: Sequence[dict[str, Any]]) -> None:
        if not values:
            return
        rows = self.rows(values)
        with self.connection.cursor() as cursor:
            if self.connection.vendor == "postgresql":
                with cursor.cursor.copy(f"COPY {self.table} ({self.columns}) FROM STDIN") as copy:
                    for row in rows:
                        copy.write_row(row)
            else:
                marks = ", ".join(["%s"] * len(self.fields))
                cursor.executemany(
                    f"INSERT INTO {self.table} ({self.columns}) VALUES ({marks})", rows
                )


def _plain(value: Any) -> Any:
    """A choice's value as a plain string."""
    return str(value) if isinstance(value, str) else value


def _hex(value: Any) -> str:
    return value.hex if isinstance(value, uuid.UUID) else uuid.UUID(str(value)).hex


def bulk_insert(model: Any, objects: list[Any]) -> None:
    """Insert model instances through `Table` (customers, subjects: the small tables)."""
    from django.db import connection

    table = Table(connection, model)
    table.write([{name: getattr(obj, name) for name in table.names} for obj in objects])


def _secondary_indexes(connection: Any, tables: list[str]) -> list[tuple[str, str]]:
    """(name, CREATE statement) of the indexes of `tables` that no constraint owns."""
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            marks = ", ".join(["%s"] * len(tables))
            cursor.execute(
                "SELECT name, sql FROM sqlite_master WHERE type = 'index'"
                f" AND sql IS NOT NULL AND tbl_name IN ({marks})",
                tables,
            )
        else:
            cursor.execute(
                "SELECT i.indexname, i.indexdef FROM pg_indexes i"
                " WHERE i.schemaname = current_schema() AND i.tablename = ANY(%s)"
                " AND NOT EXISTS (SELECT 1 FROM pg_constraint c"
                " WHERE c.conindid = (quote_ident(i.schemaname) || '.'"
                " || quote_ident(i.indexname))::regclass)",
                [tables],
            )
        return [(str(name), str(sql)) for name, sql in cursor.fetchall()]


class Loading:
    """The session settings and index drops of a bulk load, undone by `finish`."""

    def __init__(self, connection: Any, tables: list[str]):
        from django.db import DatabaseError

        self.connection = connection
        self.indexes = _secondary_indexes(connection, tables)
        with connection.cursor() as cursor:
            if connection.vendor == "sqlite":
                # A throwaway build: a crash means building it again.
                cursor.execute("PRAGMA synchronous = OFF")
                cursor.execute("PRAGMA cache_size = -1048576")
                cursor.execute("PRAGMA temp_store = MEMORY")
            else:
                cursor.execute("SET synchronous_commit = off")
                # Superusers only: without it the foreign keys are checked row by row.
                with contextlib.suppress(DatabaseError):
                    cursor.execute("SET session_replication_role = replica")
                cursor.execute("SET maintenance_work_mem = '1GB'")
            for name, _sql in self.indexes:
                cursor.execute(f"DROP INDEX {connection.ops.quote_name(name)}")

    def finish(self, log: Callable[[str], None]) -> None:
        from django.db import transaction

        with transaction.atomic(), self.connection.cursor() as cursor:
            for name, sql in self.indexes:
                started = time.perf_counter()
                cursor.execute(sql)
                log(f"index {name} ({time.perf_counter() - started:.0f}s)")
        with self.connection.cursor() as cursor:
            if self.connection.vendor == "postgresql":
                cursor.execute("SET session_replication_role = origin")


def _batches(total: int, size: int) -> Iterator[tuple[int, int]]:
    for start in range(0, total, size):
        yield start, min(size, total - start)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Generate cases for the benchmark.")
    parser.add_argument("--cases", type=int, default=1_000_000)
    parser.add_argument("--batch", type=int, default=5000)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args(argv)
    _setup()

    from django.core.management import call_command
    from django.db import connection, transaction
    from tqdm import tqdm

    from bench import vocabulary as vocab
    from casedesk.cases.models import Activity, Case, CaseNumber
    from casedesk.catalog.models import Subject
    from casedesk.core.text import digits, fold
    from casedesk.customers.models import Account, Contact
    from casedesk.directory.models import User
    from casedesk.routing.models import Queue, QueueItem
    from casedesk.search.customers import customer_index_write_many
    from casedesk.search.documents import case_document, insert_documents
    from casedesk.sla.models import KpiInstance, Sla, SlaItem

    def log(line: str) -> None:
        tqdm.write(line, file=sys.stderr)

    call_command("migrate", verbosity=0, interactive=False)
    rng = random.Random(args.seed)
    started = time.perf_counter()
    now = dt.datetime.now(dt.UTC)
    tty = sys.stderr.isatty()

    def bar(total: int, unit: str) -> Any:
        return tqdm(
            total=total,
            unit=unit,
            unit_scale=True,
            file=sys.stderr,
            mininterval=0.5 if tty else 30,
            dynamic_ncols=True,
        )

    owner = User.objects.filter(username="bench").first()
    if owner is None:
        from casedesk.directory import services as directory
        from casedesk.directory.access import SYSTEM

        owner = directory.user_create(
            actor=SYSTEM, username="bench", password="bench-password-2026", role="manager"
        )

    # Subjects: 8 roots with 5 children each.
    subjects = list(Subject.objects.all())
    if len(subjects) < 48:
        roots = [Subject(name=f"Area {i} {vocab.MEDIUM[i * 7]}", created_at=now) for i in range(8)]
        Subject.objects.bulk_create(roots)
        children = [
            Subject(name=f"{root.name} / {vocab.MEDIUM[100 + j]}", parent=root, created_at=now)
            for root in roots
            for j in range(5)
        ]
        Subject.objects.bulk_create(children)
        subjects = roots + children
    subject_weights = [1.0 / (i + 1) for i in range(len(subjects))]

    # Queues: four public ones (reused when the database has them).
    queues = {q.name: q for q in Queue.objects.filter(name__in=QUEUE_NAMES)}
    for name in QUEUE_NAMES:
        if name not in queues:
            queues[name] = Queue.objects.create(
                name=name, type="public", created_at=now, modified_at=now
            )
    queue_ids = [queues[name].pk for name in QUEUE_NAMES]

    # The default SLA, active, with one item a KPI that every case matches.
    sla = Sla.objects.filter(name=SLA_NAME).first()
    if sla is None:
        sla = Sla.objects.create(
            name=SLA_NAME, is_default=True, active=True, created_at=now, modified_at=now
        )
        for position, (kpi, (warn, fail)) in enumerate(SLA_MINUTES.items()):
            SlaItem.objects.create(
                sla=sla,
                position=position,
                name=kpi.replace("_", " ").capitalize(),
                kpi=kpi,
                warn_after_minutes=warn,
                fail_after_minutes=fail,
            )
    sla_items = {item.kpi: item for item in SlaItem.objects.filter(sla=sla)}

    # Customers: a tenth as many as cases, two fifths of them accounts.
    n_customers = max(30, args.cases // 10)
    n_accounts = n_customers * 2 // 5
    n_contacts = n_customers - n_accounts
    accounts: list[Any] = list(Account.objects.values_list("id", flat=True)[:n_accounts])
    contacts: list[Any] = list(Contact.objects.values_list("id", flat=True)[:n_contacts])
    if len(accounts) >= n_accounts and len(contacts) >= n_contacts:
        n_accounts = n_contacts = 0  # a database generated before: reuse its customers
    else:
        accounts, contacts = [], []
    progress = bar(n_accounts + n_contacts, "customers")
    for _start, count in _batches(n_accounts, args.batch):
        with transaction.atomic():
            batch = []
            for _ in range(count):
                if rng.random() < 0.5:
                    name = f"{rng.choice(vocab.COMPANY_WORDS)} {rng.choice(vocab.LAST_NAMES)}"
                else:
                    name = f"{vocab.draw(rng, 1)[0].capitalize()} {rng.choice(vocab.COMPANY_WORDS)}"
                name = f"{name} {rng.choice(vocab.COMPANY_SUFFIXES)}".strip()
                phone = f"0{rng.randint(2, 99)} {rng.randint(100000, 9999999)}"
                batch.append(
                    Account(
                        name=name,
                        name_folded=fold(name)[:200],
                        phone=phone,
                        phone_digits=digits(phone),
                        created_at=now,
                        modified_at=now,
                    )
                )
            bulk_insert(Account, batch)
            customer_index_write_many(batch)
            accounts += [a.pk for a in batch]
        progress.update(count)
    for start, count in _batches(n_contacts, args.batch):
        with transaction.atomic():
            batch_c = []
            for i in range(start, start + count):
                first = rng.choice(vocab.FIRST_NAMES)
                last = rng.choice(vocab.LAST_NAMES)
                if rng.random() < 0.2:
                    last = vocab.draw(rng, 1)[0].capitalize()
                name = f"{first} {last}"
                email = f"{fold(first)}.{fold(last).replace(' ', '')}{i}@example.com"
                phone = f"+39 3{rng.randint(10, 99)} {rng.randint(1000000, 9999999)}"
                batch_c.append(
                    Contact(
                        first_name=first,
                        last_name=last,
                        name=name,
                        name_folded=fold(name),
                        email=email,
                        email_folded=fold(email),
                        phone=phone,
                        phone_digits=digits(phone),
                        account_id=rng.choice(accounts) if rng.random() < 0.5 else None,
                        created_at=now,
                        modified_at=now,
                    )
                )
            bulk_insert(Contact, batch_c)
            customer_index_write_many(batch_c)
            contacts += [c.pk for c in batch_c]
        progress.update(count)
    progress.close()
    log(
        f"customers: {n_accounts} accounts, {n_contacts} contacts "
        f"({time.perf_counter() - started:.0f}s)"
    )

    # Activity text: a pool of sentences (the activities are not in the case index, so their
    # words need no Zipf draw of their own).
    pool = [vocab.sentence(rng, 6, 30) for _ in range(TEXT_POOL)]
    short = [vocab.sentence(rng, 2, 6)[:150] for _ in range(TEXT_POOL)]
    subject_ids = [s.pk for s in subjects]
    owner_id = owner.pk

    first_number = (
        Case.objects.order_by("-number").values_list("number", flat=True).first() or 999
    ) + 1
    cases_table = Table(connection, Case)
    numbers_table = Table(connection, CaseNumber)
    activities_table = Table(connection, Activity)
    items_table = Table(connection, QueueItem)
    kpis_table = Table(connection, KpiInstance)
    kpi_total = 0
    item_total = 0
    loading = Loading(
        connection,
        [
            Case._meta.db_table,
            Activity._meta.db_table,
            KpiInstance._meta.db_table,
            "search_case_doc" if connection.vendor == "postgresql" else "search_case_fts",
        ],
    )
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
    span = dt.timedelta(days=3 * 365)
    activity_total = 0
    progress = bar(args.cases, "cases")
    for start, count in _batches(args.cases, args.batch):
        cases: list[dict[str, Any]] = []
        activities: list[dict[str, Any]] = []
        items: list[dict[str, Any]] = []
        kpis: list[dict[str, Any]] = []
        docs = []
        for k in range(count):
            number = first_number + start + k
            created = now - span + span * ((start + k) / max(1, args.cases))
            roll = rng.random()
            if roll < 0.60:
                state, status = (
                    "resolved",
                    rng.choice(["problem_solved", "problem_solved", "information_provided"]),
                )
            elif roll < 0.65:
                state, status = "cancelled", "cancelled"
            else:
                state, status = "active", rng.choice(["in_progress", "on_hold", "researching"])
            account = rng.choice(accounts) if rng.random() < 0.6 else None
            contact = rng.choice(contacts) if account is None else None
            suffix = "".join(rng.choice(alphabet) for _ in range(6))
            closed_at = None
            if state != "active":
                closed_at = created + dt.timedelta(hours=rng.randint(1, 200))
            case_id = uuid.uuid4()
            subject_id = (
                rng.choices(subject_ids, subject_weights)[0] if rng.random() < 0.85 else None
            )
            priority = rng.choices(PRIORITIES, PRIORITY_WEIGHTS)[0]
            if state == "active" and rng.random() < QUEUED_SHARE:
                items.append(
                    {
                        "id": uuid.uuid4(),
                        "queue_id": rng.choices(queue_ids, QUEUE_WEIGHTS)[0],
                        "case_id": case_id,
                        "state": "open",
                        "entered_on": created + dt.timedelta(minutes=rng.randint(1, 600)),
                        "worked_by_id": owner_id if rng.random() < 0.2 else None,
                    }
                )
            # Its service level: the first response (most cases have one, a few hours in) and
            # the resolution, each met, missed, still running or cancelled with the case.
            responded = None
            if state != "active" or rng.random() < 0.7:
                responded = created + dt.timedelta(minutes=rng.randint(10, 480))
                if closed_at is not None and responded > closed_at:
                    responded = closed_at
            outcomes = {"first_response": responded, "resolve": closed_at}
            in_force = []
            for kpi, item in sla_items.items():
                warn, fail = SLA_MINUTES[kpi]
                row: dict[str, Any] = {
                    "id": uuid.uuid4(),
                    "case_id": case_id,
                    "sla_id": sla.pk,
                    "item_id": item.pk,
                    "item_name": item.name,
                    "kpi": kpi,
                    "in_force": True,
                    "started_at": created,
                    "warning_at": created + dt.timedelta(minutes=warn),
                    "failure_at": created + dt.timedelta(minutes=fail),
                    "paused_seconds": 0,
                }
                ended = outcomes[kpi]
                if state == "cancelled":  # cancelling a case cancels its KPIs
                    row.update(status="cancelled", cancelled_at=closed_at, in_force=False)
                elif ended is not None:  # met, in time or late (then it stays missed)
                    late = ended > row["failure_at"]
                    row.update(status="noncompliant" if late else "succeeded", succeeded_at=ended)
                    if ended > row["warning_at"]:
                        row["warned_at"] = row["warning_at"]
                    if late:
                        row["failed_at"] = row["failure_at"]
                elif row["failure_at"] <= now:
                    row.update(
                        status="noncompliant",
                        warned_at=row["warning_at"],
                        failed_at=row["failure_at"],
                    )
                elif row["warning_at"] <= now:
                    row.update(
                        status="nearing_noncompliance",
                        warned_at=row["warning_at"],
                        due_at=row["failure_at"],
                    )
                else:
                    row.update(status="in_progress", due_at=row["warning_at"])
                kpis.append(row)
                if row["in_force"]:
                    in_force.append(row)
            by_kpi = {row["kpi"]: row for row in in_force}
            sla_status = next(
                (w for w in SLA_WORST if any(row["status"] == w for row in in_force)), None
            )
            title = vocab.sentence(rng, 4, 9)[:200]
            description = vocab.sentence(rng, 12, 40)
            resolution = vocab.sentence(rng, 8, 25) if state == "resolved" else None
            cases.append(
                {
                    "id": case_id,
                    "number": number,
                    "ticket_number": f"CAS-{number:05d}-{suffix}",
                    "title": title,
                    "description": description,
                    "customer_account_id": account,
                    "customer_contact_id": contact,
                    "subject_id": subject_id,
                    "state": state,
                    "status": status,
                    "priority": priority,
                    "owner_user_id": owner_id,
                    "created_by_id": owner_id,
                    "created_at": created,
                    "modified_at": closed_at or created,
                    "resolved_at": closed_at if state == "resolved" else None,
                    "sla_id": sla.pk,
                    "first_response_at": responded,
                    "first_response_by": by_kpi.get("first_response", {}).get("failure_at"),
                    "resolve_by": by_kpi.get("resolve", {}).get("failure_at"),
                    "sla_status": sla_status,
                }
            )
            # The case's work: calls, e-mails, tasks and appointments before it closed.
            until = closed_at or now
            worked = 0
            for _ in range(rng.choice(ACTIVITY_COUNTS)):
                kind = rng.choice(ACTIVITY_TYPES)
                at = created + (until - created) * rng.random()
                if closed_at is None:
                    done = rng.random() < 0.6
                    act_state = "completed" if done else "open"
                else:
                    act_state = "cancelled" if rng.random() < 0.1 else "completed"
                activity: dict[str, Any] = {
                    "id": uuid.uuid4(),
                    "case_id": case_id,
                    "type": kind,
                    "subject": rng.choice(short),
                    "description": rng.choice(pool),
                    "state": act_state,
                    "owner_id": owner_id,
                    "created_by_id": owner_id,
                    "created_at": at,
                    "closed_at": None if act_state == "open" else at,
                }
                if kind in ("phone_call", "email"):
                    activity["direction"] = "incoming" if rng.random() < 0.6 else "outgoing"
                if kind == "phone_call":
                    activity["duration_minutes"] = rng.randint(1, 45)
                elif kind == "task":
                    activity["due"] = at + dt.timedelta(days=rng.randint(1, 10))
                elif kind == "appointment":
                    activity["scheduled_start"] = at + dt.timedelta(days=rng.randint(1, 10))
                    activity["scheduled_end"] = activity["scheduled_start"] + dt.timedelta(
                        minutes=rng.choice((30, 60, 90))
                    )
                    activity["duration_minutes"] = int(
                        (activity["scheduled_end"] - activity["scheduled_start"]).total_seconds()
                        // 60
                    )
                if act_state == "completed":
                    # Resolving bills the completed work; until then it is the case's total.
                    worked += activity.get("duration_minutes") or 0
                    activity["billed"] = state == "resolved"
                activities.append(activity)
            cases[-1]["total_minutes"] = worked
            if resolution is not None:
                cases[-1]["billable_minutes"] = worked
                activities.append(
                    {
                        "id": uuid.uuid4(),
                        "case_id": case_id,
                        "type": "case_resolution",
                        "subject": "Resolution",
                        "description": resolution,
                        "state": "completed",
                        "created_at": closed_at,
                        "closed_at": closed_at,
                        "resolution_type": status,
                        "total_minutes": worked,
                        "billable_minutes": worked,
                    }
                )
            docs.append(
                case_document(
                    number=number,
                    case_id=case_id,
                    state=state,
                    status=status,
                    subject_id=subject_id,
                    title=title,
                    description=description,
                    resolution=resolution,
                )
            )
        with transaction.atomic():
            numbers_table.write([{"id": c["number"] - 999} for c in cases])
            cases_table.write(cases)
            activities_table.write(activities)
            items_table.write(items)
            kpis_table.write(kpis)
            insert_documents(connection, docs)
        activity_total += len(activities)
        item_total += len(items)
        kpi_total += len(kpis)
        progress.update(count)
        done = start + count
        if done % (args.batch * 20) == 0 or done == args.cases:
            log(f"cases: {done} ({time.perf_counter() - started:.0f}s)")
    progress.close()
    log(f"activities: {activity_total} ({time.perf_counter() - started:.0f}s)")
    log(f"queue items: {item_total} in {len(queue_ids)} queues")
    log(f"KPI instances: {kpi_total} under the SLA {SLA_NAME!r}")

    loading.finish(log)
    # The rows above bypass the services that keep the counters: compute them from the data.
    from casedesk.cases.counters import counters_rebuild as case_counters_rebuild
    from casedesk.routing.counters import counters_rebuild as queue_counters_rebuild

    counted = time.perf_counter()
    with transaction.atomic():
        case_counters_rebuild()
        queue_counters_rebuild()
    log(f"counters ({time.perf_counter() - counted:.0f}s)")
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                "SELECT setval(pg_get_serial_sequence('casedesk_cases_casenumber', 'id'),"
                " (SELECT max(id) FROM casedesk_cases_casenumber))"
            )
            cursor.execute("ANALYZE")
        else:
            cursor.execute("INSERT INTO search_case_fts (search_case_fts) VALUES ('optimize')")
            cursor.execute(
                "INSERT INTO search_customer_fts (search_customer_fts) VALUES ('optimize')"
            )
            cursor.execute("ANALYZE")
    log(f"done in {time.perf_counter() - started:.0f}s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
