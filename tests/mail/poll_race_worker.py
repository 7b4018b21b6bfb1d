"""A worker process for the two-pollers test; run as a script with a JSON argument.

python poll_race_worker.py '{"do": "setup", "imap": {...}}'   a mailbox polling the server
python poll_race_worker.py '{"do": "poll", ...}'               polls once GO exists
python poll_race_worker.py '{"do": "state"}'                   prints what the test checks
"""

from __future__ import annotations

import os
import time
import uuid
from pathlib import Path
from typing import Any

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "casedesk.settings")


def _setup(job: dict[str, Any]) -> dict[str, Any]:
    from casedesk.directory.access import SYSTEM
    from casedesk.directory.services import user_create
    from casedesk.mail.services.mailboxes import ImapSettings, mailbox_create

    admin = user_create(
        actor=SYSTEM, username="boss", password="a-long-enough-pass-1", role="admin"
    )
    mailbox = mailbox_create(
        actor=admin,
        name="Support",
        address="support@desk.example",
        imap=ImapSettings(security="none", **job["imap"]),
    )
    return {"mailbox": str(mailbox.pk)}


def _race(job: dict[str, Any]) -> dict[str, Any]:
    from django.db import connection

    from casedesk.mail.services.poll import mailbox_poll

    connection.ensure_connection()
    Path(job["ready"]).write_text("ready")
    go = Path(job["go"])
    while not go.exists():
        time.sleep(0.001)
    started = time.monotonic()
    result = mailbox_poll(mailbox_id=uuid.UUID(job["mailbox"]))
    ended = time.monotonic()
    return {"started": started, "ended": ended, "lines": result.lines}


def _state(job: dict[str, Any]) -> dict[str, Any]:
    from casedesk.cases.models import Activity, Case
    from casedesk.mail.models import InboundMessage

    return {
        "cases": Case.objects.count(),
        "emails": Activity.objects.filter(type="email").count(),
        "messages": InboundMessage.objects.count(),
    }


if __name__ == "__main__":
    from tests.support.worker import main

    main({"setup": _setup, "state": _state}, _race)
