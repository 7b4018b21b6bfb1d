"""A worker process for the default-SLA race; run as a script with a JSON argument.

    python sla_race_worker.py '{"do": "setup", "slas": N}'   a manager, a default SLA and N
                                                             inactive ones; prints their ids
    python sla_race_worker.py '{"do": "count"}'              prints how many SLAs are default
    python sla_race_worker.py '{"do": "default", ...}'       once GO exists, makes its SLA the
                                                             default, then creates default SLAs

Each racing worker opens its connection, writes its READY file and waits for GO, recording when
it started and ended so that the test can prove the windows overlapped.
"""

from __future__ import annotations

import os
import time
import uuid
from pathlib import Path
from typing import Any

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "casedesk.settings")

ITEM = {
    "name": "Respond",
    "kpi": "first_response",
    "warn_after_minutes": 30,
    "fail_after_minutes": 60,
}


def _setup(job: dict[str, Any]) -> dict[str, Any]:
    from casedesk.directory.access import SYSTEM
    from casedesk.directory.services import user_create
    from casedesk.sla.services import slas

    manager = user_create(
        actor=SYSTEM, username="racer", password="a-long-enough-pass-1", role="manager"
    )
    slas.sla_create(actor=manager, name="Old default", is_default=True, items=[ITEM])
    ids = [
        str(slas.sla_create(actor=manager, name=f"SLA {i}", items=[ITEM]).pk)
        for i in range(job["slas"])
    ]
    return {"actor": str(manager.pk), "slas": ids}


def _count(job: dict[str, Any]) -> dict[str, Any]:
    from casedesk.sla.models import Sla

    return {
        "defaults": Sla.objects.filter(is_default=True).count(),
        "slas": Sla.objects.count(),
    }


def _race(job: dict[str, Any]) -> dict[str, Any]:
    from django.db import connection

    from casedesk.core.errors import DomainError
    from casedesk.directory.models import User
    from casedesk.sla.services import slas

    actor = User.objects.get(pk=job["actor"])
    connection.ensure_connection()
    Path(job["ready"]).write_text("ready")
    go = Path(job["go"])
    while not go.exists():
        time.sleep(0.001)
    started = time.monotonic()
    outcomes: list[str] = []
    try:
        slas.sla_update(actor=actor, sla_id=uuid.UUID(job["sla"]), changes={"is_default": True})
        outcomes.append("ok")
    except DomainError as exc:
        outcomes.append(exc.code)
    for i in range(job["creations"]):
        try:
            slas.sla_create(
                actor=actor, name=f"New {os.getpid()} {i}", is_default=True, items=[ITEM]
            )
            outcomes.append("ok")
        except DomainError as exc:
            outcomes.append(exc.code)
    ended = time.monotonic()
    return {"started": started, "ended": ended, "outcomes": outcomes, "pid": os.getpid()}


if __name__ == "__main__":
    from tests.support.worker import main

    main({"setup": _setup, "count": _count}, _race)
