"""A worker process for the term concurrency tests; run as a script with a JSON argument.

    python race_worker.py '{"do": "setup", ...}'    prepares the data, prints ids as JSON
    python race_worker.py '{"do": "create", ...}'   creates cases once GO exists
    python race_worker.py '{"do": "resolve", ...}'  resolves its cases once GO exists

Each racing worker sets Django up and opens its database connection first, then writes its
READY file and waits for the GO file, so that every worker starts at the same moment; it records
when it started and ended, so the test can prove that the windows overlapped.
"""

from __future__ import annotations

import datetime as dt
import os
import time
import uuid
from pathlib import Path
from typing import Any

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "casedesk.settings")


def _setup(job: dict[str, Any]) -> dict[str, Any]:
    from casedesk.cases.services import records
    from casedesk.cases.services.common import Ref
    from casedesk.core import clock
    from casedesk.customers.services import account_create
    from casedesk.directory.access import SYSTEM
    from casedesk.directory.services import user_create
    from casedesk.entitlements.services import entitlements

    manager = user_create(
        actor=SYSTEM, username="racer", password="a-long-enough-pass-1", role="manager"
    )
    account = account_create(actor=manager, name="Racing Srl")
    today = clock.today()
    hours = job["allocation_type"] == "hours"
    entitlement = entitlements.entitlement_create(
        actor=manager,
        name="Race",
        customer=Ref("account", account.pk),
        start_date=today - dt.timedelta(days=1),
        end_date=today + dt.timedelta(days=30),
        allocation_type=job["allocation_type"],
        total_terms=job["terms"],
        decrease_on="resolution" if hours else "creation",
        restrict_case_creation=True,
        channels=[entitlements.ChannelTerms("phone", job["terms"])],
    )
    entitlements.entitlement_activate(actor=manager, entitlement_id=entitlement.pk)
    case_ids = [
        str(
            records.case_create(
                actor=manager,
                title=f"Case {i}",
                customer=Ref("account", account.pk),
                entitlement_id=entitlement.pk,
                given=frozenset({"entitlement_id"}),
            ).pk
        )
        for i in range(job.get("cases", 0))
    ]
    return {
        "actor": str(manager.pk),
        "account": str(account.pk),
        "entitlement": str(entitlement.pk),
        "cases": case_ids,
    }


def _race(job: dict[str, Any]) -> dict[str, Any]:
    from django.db import connection

    from casedesk.cases.services import lifecycle, records
    from casedesk.cases.services.common import Ref
    from casedesk.core.errors import DomainError
    from casedesk.directory.models import User

    actor = User.objects.get(pk=job["actor"])
    connection.ensure_connection()
    Path(job["ready"]).write_text("ready")
    go = Path(job["go"])
    while not go.exists():
        time.sleep(0.001)
    started = time.monotonic()
    outcomes: list[str] = []
    if job["do"] == "create":
        for i in range(job["attempts"]):
            try:
                records.case_create(
                    actor=actor,
                    title=f"Race {os.getpid()} {i}",
                    customer=Ref("account", uuid.UUID(job["account"])),
                    entitlement_id=uuid.UUID(job["entitlement"]),
                    given=frozenset({"entitlement_id"}),
                )
                outcomes.append("ok")
            except DomainError as exc:
                outcomes.append(exc.code)
    else:
        for case_id in job["cases"]:
            try:
                lifecycle.case_resolve(
                    actor=actor,
                    case_id=uuid.UUID(case_id),
                    resolution="Raced to the end.",
                    billable_minutes=job["minutes"],
                )
                outcomes.append("ok")
            except DomainError as exc:
                outcomes.append(exc.code)
    ended = time.monotonic()
    return {"started": started, "ended": ended, "outcomes": outcomes, "pid": os.getpid()}


if __name__ == "__main__":
    from tests.support.worker import main

    main({"setup": _setup}, _race)
