"""Generate a large casedesk database for the search benchmark, through bulk paths.

    DATABASE_URL=... CASEDESK_DATA_DIR=... python -m bench.generate --cases 1000000

Loads accounts, contacts, a subject tree and cases with Italian and English text drawn from a
Zipf-like vocabulary (bench/vocabulary.py); about 60% of the cases are resolved with a
resolution activity, 5% cancelled. The search indexes are filled in the same transactions as
the rows, with the product's own document builder (casedesk/search/documents.py). Appends to
the database it is given (numbers continue after the last case).
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import random
import sys
import time
import uuid
from typing import Any


def _setup() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "casedesk.settings")
    import django

    django.setup()


def bulk_insert(model: Any, objects: list[Any]) -> None:
    """Insert model instances with one executemany (SQLite) or COPY (PostgreSQL), converting
    values the way Django does, without building an INSERT per batch."""
    from django.db import connection

    if not objects:
        return
    fields = [f for f in model._meta.concrete_fields]
    columns = ", ".join(connection.ops.quote_name(f.column) for f in fields)
    rows = [
        tuple(f.get_db_prep_save(getattr(obj, f.attname), connection) for f in fields)
        for obj in objects
    ]
    table = connection.ops.quote_name(model._meta.db_table)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            with cursor.cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
        else:
            marks = ", ".join(["%s"] * len(fields))
            cursor.executemany(f"INSERT INTO {table} ({columns}) VALUES ({marks})", rows)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Generate cases for the search benchmark.")
    parser.add_argument("--cases", type=int, default=1_000_000)
    parser.add_argument("--batch", type=int, default=5000)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args(argv)
    _setup()

    from django.core.management import call_command
    from django.db import connection, transaction

    from bench import vocabulary as vocab
    from casedesk.cases.choices import ActivityState, ActivityType
    from casedesk.cases.models import Activity, Case, CaseNumber
    from casedesk.catalog.models import Subject
    from casedesk.core.text import digits, fold
    from casedesk.customers.models import Account, Contact
    from casedesk.directory.models import User
    from casedesk.search.customers import customer_index_write_many
    from casedesk.search.documents import case_document, write_documents

    call_command("migrate", verbosity=0, interactive=False)
    rng = random.Random(args.seed)
    started = time.perf_counter()
    now = dt.datetime.now(dt.UTC)

    owner = User.objects.filter(username="bench").first()
    if owner is None:
        from casedesk.directory import services as directory

        owner = directory.user_create(
            actor=None, username="bench", password="bench-password-2026", role="manager"
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

    # Customers: a tenth as many accounts and a fifth as many contacts as cases.
    n_accounts = max(10, args.cases // 10)
    n_contacts = max(20, args.cases // 5)
    accounts: list[Account] = list(Account.objects.only("id")[:n_accounts])
    contacts: list[Contact] = list(Contact.objects.only("id")[:n_contacts])
    if len(accounts) >= n_accounts and len(contacts) >= n_contacts:
        n_accounts = n_contacts = 0  # a database generated before: reuse its customers
    else:
        accounts, contacts = [], []
    for start in range(0, n_accounts, args.batch):
        with transaction.atomic():
            batch = []
            for _ in range(start, min(n_accounts, start + args.batch)):
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
            accounts += batch
    for start in range(0, n_contacts, args.batch):
        with transaction.atomic():
            batch_c = []
            for i in range(start, min(n_contacts, start + args.batch)):
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
                        account=rng.choice(accounts) if rng.random() < 0.5 else None,
                        created_at=now,
                        modified_at=now,
                    )
                )
            bulk_insert(Contact, batch_c)
            customer_index_write_many(batch_c)
            contacts += batch_c
    print(
        f"customers: {n_accounts} accounts, {n_contacts} contacts "
        f"({time.perf_counter() - started:.0f}s)",
        file=sys.stderr,
    )

    first_number = (
        Case.objects.order_by("-number").values_list("number", flat=True).first() or 999
    ) + 1
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
    span = dt.timedelta(days=3 * 365)
    for start in range(0, args.cases, args.batch):
        count = min(args.batch, args.cases - start)
        with transaction.atomic():
            cases: list[Case] = []
            resolutions: dict[int, str] = {}
            numbers = []
            for k in range(count):
                number = first_number + start + k
                numbers.append(CaseNumber(id=number - 999))
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
                customer = rng.random()
                account = rng.choice(accounts) if customer < 0.6 else None
                contact = rng.choice(contacts) if account is None else None
                suffix = "".join(rng.choice(alphabet) for _ in range(6))
                case = Case(
                    id=uuid.uuid4(),
                    number=number,
                    ticket_number=f"CAS-{number:05d}-{suffix}",
                    title=vocab.sentence(rng, 4, 9)[:200],
                    description=vocab.sentence(rng, 12, 40),
                    customer_account=account,
                    customer_contact=contact,
                    subject=rng.choices(subjects, subject_weights)[0]
                    if rng.random() < 0.85
                    else None,
                    state=state,
                    status=status,
                    owner_user=owner,
                    created_by=owner,
                    created_at=created,
                    modified_at=created,
                    resolved_at=created + dt.timedelta(hours=rng.randint(1, 200))
                    if state == "resolved"
                    else None,
                )
                cases.append(case)
                if state == "resolved":
                    resolutions[number] = vocab.sentence(rng, 8, 25)
            bulk_insert(CaseNumber, numbers)
            bulk_insert(Case, cases)
            bulk_insert(
                Activity,
                [
                    Activity(
                        case=case,
                        type=ActivityType.CASE_RESOLUTION,
                        subject="Resolution",
                        description=resolutions[case.number],
                        state=ActivityState.COMPLETED,
                        created_at=case.resolved_at,
                        closed_at=case.resolved_at,
                        resolution_type=case.status,
                        total_minutes=0,
                        billable_minutes=0,
                    )
                    for case in cases
                    if case.number in resolutions
                ],
            )
            write_documents(
                connection,
                [
                    case_document(
                        number=c.number,
                        case_id=c.pk,
                        state=c.state,
                        status=c.status,
                        subject_id=c.subject_id,
                        title=c.title,
                        description=c.description,
                        resolution=resolutions.get(c.number),
                    )
                    for c in cases
                ],
            )
        done = start + count
        if done % (args.batch * 10) == 0 or done == args.cases:
            print(f"cases: {done} ({time.perf_counter() - started:.0f}s)", file=sys.stderr)

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
    print(f"done in {time.perf_counter() - started:.0f}s", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
