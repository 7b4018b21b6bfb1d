"""A worker process for the bulk routing race; run as a script with a JSON argument.

    python route_race_worker.py '{"do": "setup", "cases": 40}'   a rule set, queues and cases
    python route_race_worker.py '{"do": "route", ...}'   bulk-routes its cases, round after round
    python route_race_worker.py '{"do": "resolve", ...}' resolves its cases one by one
    python route_race_worker.py '{"do": "move", ...}'    adds its cases to the other queue
    python route_race_worker.py '{"do": "edit", ...}'    edits its cases' descriptions
    python route_race_worker.py '{"do": "work", ...}'    picks and releases its cases' items
    python route_race_worker.py '{"do": "counts"}'       the queue item counters and the items
    python route_race_worker.py '{"do": "state", ...}'   prints what the test checks

A racing worker sets Django up and opens its connection first, writes its READY file and waits
for the GO file; it works for at least `seconds` and records when it started and ended. A
refusal is recorded by its code; any other exception (a deadlock, a lock timeout, a unique
violation) by its class name, which the test never expects.
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
    from casedesk.cases.services import records
    from casedesk.cases.services.common import Ref
    from casedesk.customers.services import account_create
    from casedesk.directory.access import SYSTEM
    from casedesk.directory.services import user_create
    from casedesk.routing.services.queues import queue_create
    from casedesk.routing.services.rule_sets import (
        RuleItemSpec,
        rule_set_activate,
        rule_set_create,
    )

    manager = user_create(
        actor=SYSTEM, username="router", password="a-long-enough-pass-1", role="manager"
    )
    customer = Ref("account", account_create(actor=manager, name="Racing Srl").pk)
    home, other = (queue_create(actor=manager, name=name).pk for name in ("Home", "Other"))
    rule_set = rule_set_create(
        actor=manager, name="Everything home", items=[RuleItemSpec(name="All", queue_id=home)]
    )
    rule_set_activate(actor=manager, rule_set_id=rule_set.pk)
    cases = [
        str(records.case_create(actor=manager, title=f"Race {i}", customer=customer).pk)
        for i in range(job["cases"])
    ]
    return {"actor": str(manager.pk), "cases": cases, "home": str(home), "other": str(other)}


def _attempt(outcomes: list[str], call: Callable[[], Any]) -> None:
    from casedesk.core.errors import DomainError

    try:
        call()
        outcomes.append("ok")
    except DomainError as exc:
        outcomes.append(exc.code)
    except Exception as exc:  # the test fails on it
        outcomes.append(f"error:{type(exc).__name__}:{exc}")


def _race(job: dict[str, Any]) -> dict[str, Any]:
    from django.db import connection

    from casedesk.cases.fields import CaseChanges
    from casedesk.cases.services import lifecycle, records
    from casedesk.directory.models import User
    from casedesk.routing.models import QueueItem
    from casedesk.routing.services import items, routing

    routing.CHUNK = job.get("chunk", routing.CHUNK)
    actor = User.objects.get(pk=job["actor"])
    cases = [uuid.UUID(c) for c in job.get("cases", [])]
    connection.ensure_connection()
    Path(job["ready"]).write_text("ready")
    go = Path(job["go"])
    while not go.exists():
        time.sleep(0.001)
    started = time.monotonic()
    outcomes: list[str] = []
    written: dict[str, str] = {}
    rounds = 0
    while rounds < job.get("rounds", 1) or time.monotonic() - started < job.get("seconds", 0):
        rounds += 1
        if job["do"] == "route":
            try:
                results = routing.cases_route(actor=actor, case_ids=cases)
            except Exception as exc:
                outcomes.append(f"error:{type(exc).__name__}:{exc}")
            else:
                outcomes += [r.error.code if r.error else "ok" for r in results]
        elif job["do"] == "resolve":
            for case_id in cases:
                _attempt(
                    outcomes,
                    lambda c=case_id: lifecycle.case_resolve(
                        actor=actor, case_id=c, resolution="Raced to the end."
                    ),
                )
            break  # once is enough
        elif job["do"] == "move":
            queue = uuid.UUID(job["queue"])
            for case_id in cases:
                _attempt(
                    outcomes,
                    lambda c=case_id, q=queue: items.queue_item_add(
                        actor=actor, case_id=c, queue_id=q
                    ),
                )
        elif job["do"] == "work":
            for case_id in cases:
                item = (
                    QueueItem.objects.filter(case_id=case_id, state="open")
                    .values_list("id", flat=True)
                    .first()
                )
                if item is None:
                    continue
                _attempt(outcomes, lambda i=item: items.queue_item_pick(actor=actor, item_id=i))
                if rounds % 2:
                    _attempt(
                        outcomes, lambda i=item: items.queue_item_release(actor=actor, item_id=i)
                    )
        elif job["do"] == "edit":
            for case_id in cases:
                text = f"Edit {rounds} of {case_id}"
                _attempt(
                    outcomes,
                    lambda c=case_id, t=text: records.case_update(
                        actor=actor, case_id=c, changes=CaseChanges(description=t)
                    ),
                )
                if outcomes[-1] == "ok":
                    written[str(case_id)] = text
    ended = time.monotonic()
    return {"started": started, "ended": ended, "outcomes": outcomes, "written": written}


def _state(job: dict[str, Any]) -> dict[str, Any]:
    from casedesk.cases.models import Case
    from casedesk.core.models import AuditEntry
    from casedesk.routing.models import QueueItem

    state: dict[str, Any] = {}
    for case in Case.objects.filter(id__in=job["cases"]):
        audits = AuditEntry.objects.filter(entity_type="case", entity_id=case.pk)
        changes = [a for a in audits.exclude(action="create") if a.changes]
        state[str(case.pk)] = {
            "state": case.state,
            "version": case.version,
            "description": case.description,
            "open": [
                str(q)
                for q in QueueItem.objects.filter(case_id=case.pk, state="open").values_list(
                    "queue_id", flat=True
                )
            ],
            "changes": len(changes),
            "routes": audits.filter(action="route").count(),
        }
    return state


def _counts(job: dict[str, Any]) -> dict[str, Any]:
    from casedesk.routing import counters

    def named(counts: Any) -> dict[str, int]:
        return {f"{queue_id}/{worked}": n for (queue_id, worked), n in counts.items()}

    return {
        "stored": named(counters.stored_counts()),
        "real": named(counters.real_counts()),
        "rows": counters.QueueItemCount.objects.count(),
    }


if __name__ == "__main__":
    from tests.support.worker import main

    main({"setup": _setup, "state": _state, "counts": _counts}, _race)
