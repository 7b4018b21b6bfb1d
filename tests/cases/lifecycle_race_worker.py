"""A worker process for the lifecycle concurrency tests; run as a script with a JSON argument.

    python lifecycle_race_worker.py '{"do": "setup", ...}'     prepares cases, prints ids
    python lifecycle_race_worker.py '{"do": "merge", ...}'     merges its pairs once GO exists
    python lifecycle_race_worker.py '{"do": "complete", ...}'  completes its activities
    python lifecycle_race_worker.py '{"do": "resolve", ...}'   resolves its case
    python lifecycle_race_worker.py '{"do": "state", ...}'     prints what the test checks

A racing worker sets Django up and opens its connection first, writes its READY file and waits
for the GO file, so every worker starts at the same moment; it records when it started and
ended so the test can prove the windows overlapped. A refusal is recorded by its code; any
other exception (a deadlock, a lock timeout) by its class name, which the tests never expect.
"""

from __future__ import annotations

import os
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "casedesk.settings")


def _setup(job: dict[str, Any]) -> dict[str, Any]:
    from casedesk.cases.services import activities, records
    from casedesk.cases.services.common import Ref
    from casedesk.customers.services import account_create
    from casedesk.directory.access import SYSTEM
    from casedesk.directory.services import user_create

    manager = user_create(
        actor=SYSTEM, username="racer", password="a-long-enough-pass-1", role="manager"
    )
    customer = Ref("account", account_create(actor=manager, name="Racing Srl").pk)

    def case() -> str:
        return str(records.case_create(actor=manager, title="Race", customer=customer).pk)

    pairs = [[case(), case()] for _ in range(job.get("pairs", 0))]
    worked: dict[str, list[str]] = {}
    for _ in range(job.get("cases", 0)):
        case_id = case()
        worked[case_id] = [
            str(
                activities.activity_create(
                    actor=manager,
                    case_id=uuid.UUID(case_id),
                    type="task",
                    subject=f"Task {i}",
                    duration_minutes=job["minutes"],
                ).pk
            )
            for i in range(job["activities"])
        ]
    return {"actor": str(manager.pk), "pairs": pairs, "worked": worked}


def _attempt(outcomes: list[str], call: Callable[[], Any]) -> None:
    from casedesk.core.errors import DomainError

    try:
        call()
        outcomes.append("ok")
    except DomainError as exc:
        outcomes.append(exc.code)
    except Exception as exc:  # a deadlock or a lock timeout: the test fails on it
        outcomes.append(f"error:{type(exc).__name__}:{exc}")


def _race(job: dict[str, Any]) -> dict[str, Any]:
    from django.db import connection

    from casedesk.cases.services import activities, lifecycle, merge
    from casedesk.directory.models import User

    actor = User.objects.get(pk=job["actor"])
    connection.ensure_connection()
    Path(job["ready"]).write_text("ready")
    go = Path(job["go"])
    while not go.exists():
        time.sleep(0.001)
    started = time.monotonic()
    outcomes: list[str] = []
    if job["do"] == "merge":
        for sub, master in job["pairs"]:
            _attempt(
                outcomes,
                lambda s=sub, m=master: merge.case_merge(
                    actor=actor, case_id=uuid.UUID(s), into_id=uuid.UUID(m)
                ),
            )
    elif job["do"] == "complete":
        for activity_id in job["activities"]:
            _attempt(
                outcomes,
                lambda a=activity_id: activities.activity_complete(
                    actor=actor, activity_id=uuid.UUID(a)
                ),
            )
    elif job["do"] == "resolve":
        _attempt(
            outcomes,
            lambda: lifecycle.case_resolve(
                actor=actor,
                case_id=uuid.UUID(job["case"]),
                resolution="Raced to the end.",
                cancel_open_activities=True,
            ),
        )
    ended = time.monotonic()
    return {"started": started, "ended": ended, "outcomes": outcomes}


def _state(job: dict[str, Any]) -> dict[str, Any]:
    from casedesk.cases.models import Activity, Case

    cases = {
        str(c.pk): {
            "state": c.state,
            "status": c.status,
            "merged_into": str(c.merged_into_id) if c.merged_into_id else None,
            "total": c.total_minutes,
            "billable": c.billable_minutes,
        }
        for c in Case.objects.filter(id__in=job["cases"])
    }
    activities = {
        str(a.pk): {"state": a.state, "billed": a.billed, "case": str(a.case_id)}
        for a in Activity.objects.filter(case_id__in=job["cases"]).exclude(type="case_resolution")
    }
    return {"cases": cases, "activities": activities}


if __name__ == "__main__":
    from tests.support.worker import main

    main({"setup": _setup, "state": _state}, _race)
