"""A worker process for the concurrent-delivery test; run as a script with a JSON argument.

python send_race_worker.py '{"do": "setup"}'                a case with one queued answer
python send_race_worker.py '{"do": "deliver", ...}'          delivers it once GO exists
python send_race_worker.py '{"do": "state", "email": ID}'   prints what the test checks
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
    from casedesk.mail.services.mailboxes import mailbox_create
    from casedesk.mail.services.receive import mail_receive
    from casedesk.mail.services.send import email_send
    from tests.mail.conftest import message

    admin = user_create(
        actor=SYSTEM, username="boss", password="a-long-enough-pass-1", role="admin"
    )
    mailbox = mailbox_create(actor=admin, name="Support", address="support@desk.example")
    received = mail_receive(mailbox=mailbox, raw=message())
    assert received.case_id is not None
    email = email_send(actor=admin, case_id=received.case_id, text="Only once, please.")
    return {"email": str(email.pk)}


def _race(job: dict[str, Any]) -> dict[str, Any]:
    from django.db import connection

    from casedesk.mail.services.send import email_deliver

    connection.ensure_connection()
    Path(job["ready"]).write_text("ready")
    go = Path(job["go"])
    while not go.exists():
        time.sleep(0.001)
    started = time.monotonic()
    outcome = email_deliver(uuid.UUID(job["email"])).outcome
    ended = time.monotonic()
    return {"started": started, "ended": ended, "outcome": outcome}


def _state(job: dict[str, Any]) -> dict[str, Any]:
    from casedesk.cases.models import Activity

    email = Activity.objects.get(id=job["email"])
    return {"status": email.email_status, "attempts": email.email_attempts}


if __name__ == "__main__":
    from tests.support.worker import main

    main({"setup": _setup, "state": _state}, _race)
