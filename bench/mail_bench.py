"""E-mail intake benchmark: a backlog of N messages in a throw-away Dovecot mailbox, worked off
by one poller (`mailbox_poll`, as the worker runs it) on SQLite, or on PostgreSQL when
DATABASE_URL is set (docs/performance.md, "E-mail intake").

    .venv/bin/python bench/mail_bench.py                      # SQLite, 10,000 messages
    .venv/bin/python bench/mail_bench.py --messages 2000
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres .venv/bin/python bench/mail_bench.py

The database is fresh: a data dir under bench/out/mail, or a database `casedesk_bench_mail_*`
on the server of DATABASE_URL, dropped after. Four messages in five open a case (from 1,000
senders, so none reaches the sender limit), the fifth answers an earlier one and is appended to
its case. Reports messages a second over the whole backlog (every poll, IMAP included) and the
process's resident memory after the first poll, at the end and at its peak. Writes
bench/out/mail.json.
"""

from __future__ import annotations

import argparse
import imaplib
import json
import os
import random
import resource
import shutil
import sys
import time
import uuid
from email.message import EmailMessage
from pathlib import Path
from typing import Any
from urllib.parse import urlparse, urlunparse

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
OUT = BENCH / "out"
SENDERS = 1000
ADDRESS = "support@desk.example"


def _message(i: int, rng: random.Random) -> bytes:
    from bench.vocabulary import sentence

    message = EmailMessage()
    sender = i % SENDERS
    message["From"] = f"Customer {sender} <customer{sender}@company{sender % 37}.example>"
    message["To"] = ADDRESS
    message["Message-ID"] = f"<bench-{i}@company.example>"
    message["Date"] = "Mon, 07 Dec 2026 09:00:00 +0000"
    if i % 5 == 4:
        message["Subject"] = "Re: " + sentence(rng, 3, 7)
        message["In-Reply-To"] = f"<bench-{i - 4}@company.example>"
    else:
        message["Subject"] = sentence(rng, 3, 7)
    message.set_content("\n\n".join(sentence(rng, 20, 60) for _ in range(3)))
    return message.as_bytes()


def fill(client: imaplib.IMAP4, count: int) -> float:
    """Append `count` unseen messages to INBOX; the seconds it took."""
    rng = random.Random(20261207)
    started = time.perf_counter()
    for i in range(count):
        status, data = client.append("INBOX", None, None, _message(i, rng))
        if status != "OK":
            raise SystemExit(f"APPEND failed: {data!r}")
    return time.perf_counter() - started


def rss_mb() -> float:
    import psutil

    return round(psutil.Process().memory_info().rss / 2**20, 1)


def measure(count: int) -> dict[str, Any]:
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    from casedesk.cases.models import Case
    from casedesk.directory import services as directory
    from casedesk.directory.access import SYSTEM
    from casedesk.mail.services.mailboxes import ImapSettings, mailbox_create
    from casedesk.mail.services.poll import mailbox_poll
    from tests.support.dovecot import dovecot_server

    call_command("migrate", verbosity=0, interactive=False)
    admin = directory.user_create(
        actor=SYSTEM, username="admin", password="bench-password-1", role="admin"
    )
    with dovecot_server() as imap:
        client = imap.client()
        try:
            fill_seconds = fill(client, count)
        finally:
            client.logout()
        mailbox = mailbox_create(
            actor=admin,
            name="Support",
            address=ADDRESS,
            imap=ImapSettings(
                host=imap.host,
                port=imap.port,
                security="none",
                username=imap.username,
                password=imap.password,
            ),
        )
        rss: list[float] = []
        taken = new = appended = ignored = 0
        started = time.perf_counter()
        while True:
            result = mailbox_poll(mailbox_id=mailbox.pk)
            if not result.fetched:
                break
            taken += result.fetched
            new += result.new_cases
            appended += result.appended
            ignored += result.ignored
            rss.append(rss_mb())
        seconds = time.perf_counter() - started
        left = len(imap.unseen())
    return {
        "engine": connection.vendor,
        "messages": count,
        "taken": taken,
        "new_cases": new,
        "appended": appended,
        "ignored": ignored,
        "unseen_left": left,
        "cases": Case.objects.count(),
        "fill_seconds": round(fill_seconds, 1),
        "seconds": round(seconds, 1),
        "messages_per_second": round(taken / seconds, 1),
        "rss_mb_first_poll": rss[0] if rss else None,
        "rss_mb_end": rss[-1] if rss else None,
        "rss_mb_peak": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
        "load_average": [round(x, 2) for x in os.getloadavg()],
        "cpus": os.cpu_count(),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--messages", type=int, default=10_000)
    args = parser.parse_args()
    os.environ["DJANGO_SETTINGS_MODULE"] = "casedesk.settings"
    sys.path.insert(0, str(ROOT))
    data = OUT / "mail" / uuid.uuid4().hex[:8]
    data.mkdir(parents=True)
    os.environ["CASEDESK_DATA_DIR"] = str(data)
    server_url = os.environ.get("DATABASE_URL")
    name = None
    if server_url:
        import psycopg

        name = f"casedesk_bench_mail_{uuid.uuid4().hex[:8]}"
        with psycopg.connect(server_url, autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        os.environ["DATABASE_URL"] = urlunparse(urlparse(server_url)._replace(path=f"/{name}"))
    try:
        result = measure(args.messages)
    finally:
        if name is not None and server_url:
            import psycopg
            from django.db import connections

            connections.close_all()
            with psycopg.connect(server_url, autocommit=True) as conn:
                conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        shutil.rmtree(data, ignore_errors=True)
    (OUT / "mail.json").write_text(json.dumps(result, indent=2))
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
