"""A worker process for the webhook delivery race; run as a script with a JSON argument.

    python delivery_race_worker.py '{"do": "setup", "url": URL, "cases": 12}'
        a webhook to URL for every event, and cases each created and then edited
    python delivery_race_worker.py '{"do": "deliver", ...}'
        runs deliveries until none is due, as `casedesk worker` would
    python delivery_race_worker.py '{"do": "state"}'   the deliveries and events, for the test

A racing worker sets Django up and opens its connection first, writes its READY file, waits
for the GO file and records when it started and ended.
"""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Any

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "casedesk.settings")


def _setup(job: dict[str, Any]) -> dict[str, Any]:
    from casedesk.cases.fields import CaseChanges
    from casedesk.cases.services import records
    from casedesk.cases.services.common import Ref
    from casedesk.customers.services import account_create
    from casedesk.directory.access import SYSTEM
    from casedesk.directory.services import user_create
    from casedesk.events.services import webhook_create

    admin = user_create(
        actor=SYSTEM, username="hooks", password="a-long-enough-pass-1", role="admin"
    )
    webhook_create(actor=admin, url=job["url"], events=["*"], secret="race-secret-of-length")
    account = account_create(actor=admin, name="Racing Srl")
    customer = Ref("account", account.pk)
    cases = []
    for i in range(job["cases"]):
        case = records.case_create(actor=admin, title=f"Race {i}", customer=customer)
        records.case_update(actor=admin, case_id=case.pk, changes=CaseChanges(priority="high"))
        cases.append(str(case.pk))
    return {"cases": cases, "account": str(account.pk)}


def _deliver(job: dict[str, Any]) -> dict[str, Any]:
    from django.db import connection

    from casedesk.events.delivery import deliveries_run

    connection.ensure_connection()
    Path(job["ready"]).touch()
    while not Path(job["go"]).exists():
        time.sleep(0.005)
    started = time.time()
    attempted = 0
    while True:
        done = deliveries_run(limit=5).attempted
        attempted += done
        if not done:
            break
    return {"started": started, "ended": time.time(), "attempted": attempted}


def _state(job: dict[str, Any]) -> dict[str, Any]:
    from casedesk.events.models import Delivery, Event

    rows = Delivery.objects.order_by("event_id").values_list("id", "state", "attempts")
    events = Event.objects.order_by("id").values_list("id", "case_id")
    return {
        "deliveries": [[str(i), state, attempts] for i, state, attempts in rows],
        "events": [[pk, str(case_id)] for pk, case_id in events],
    }


if __name__ == "__main__":
    from tests.support.worker import main

    main({"setup": _setup, "state": _state}, _deliver)
