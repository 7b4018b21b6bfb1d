"""Steps the timers' process tests run against a child's database: make due instances, read
back what fired."""

from __future__ import annotations

import datetime as dt

from tests.support.worker import Job, main


def setup(job: Job) -> Job:
    from casedesk.core import clock
    from casedesk.directory.access import SYSTEM
    from casedesk.directory.services import user_create
    from tests.support.sla_timers import case_make, instance_make, sla_make

    owner = user_create(actor=SYSTEM, username="owner", password="x-" * 8, role="agent")
    item = sla_make(warn=1, fail=600, on_warning=[{"type": "notify", "to": "owner"}])
    warning_at = clock.now() + dt.timedelta(seconds=float(job["in_seconds"]))
    ids = [
        str(
            instance_make(
                case_make(owner=owner),
                item,
                warning_at=warning_at,
                failure_at=warning_at + dt.timedelta(hours=10),
            ).pk
        )
        for _ in range(int(job["count"]))
    ]
    return {"ids": ids, "warning_at": warning_at.timestamp()}


def state(job: Job) -> Job:
    from collections import Counter

    from casedesk.events.models import Event
    from casedesk.sla.models import KpiInstance

    events = Counter(
        e.data["instance_id"] for e in Event.objects.filter(type="sla.warning").only("data")
    )
    return {
        "instances": {
            str(i.pk): {
                "warning_at": i.warning_at.timestamp(),
                "warned_at": i.warned_at.timestamp() if i.warned_at else None,
                "events": events.get(str(i.pk), 0),
            }
            for i in KpiInstance.objects.all()
        }
    }


def unknown(job: Job) -> Job:
    raise SystemExit(f"unknown step {job['do']}")


if __name__ == "__main__":
    main({"setup": setup, "state": state}, unknown)
