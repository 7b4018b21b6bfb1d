"""Service levels for the timers' tests, written straight to the tables: an SLA with its items
and KPI instances on cases (the engine that makes instances from case writes is tested on its
own; these tests need instances in a given state at a given time)."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from casedesk.cases.fields import Ref
from casedesk.cases.models import Case
from casedesk.cases.services.records import case_create
from casedesk.core import clock
from casedesk.customers.services import account_create
from casedesk.directory.access import SYSTEM
from casedesk.sla.choices import Kpi, KpiStatus
from casedesk.sla.instances import next_due
from casedesk.sla.models import KpiInstance, Sla, SlaItem


def sla_make(
    *,
    on_warning: list[dict[str, Any]] | None = None,
    on_failure: list[dict[str, Any]] | None = None,
    warn: int = 60,
    fail: int = 120,
    kpi: str = Kpi.RESOLVE,
) -> SlaItem:
    """An active SLA with one item for `kpi`: warning after `warn` minutes, failure after
    `fail`, with these actions."""
    now = clock.now()
    sla = Sla.objects.create(
        name=f"SLA {uuid.uuid4().hex[:6]}", active=True, created_at=now, modified_at=now
    )
    return SlaItem.objects.create(
        sla=sla,
        position=1,
        name="Standard",
        kpi=kpi,
        warn_after_minutes=warn,
        fail_after_minutes=fail,
        on_warning=on_warning or [],
        on_failure=on_failure or [],
    )


def case_make(*, owner: Any = None, title: str = "Printer on fire", **fields: Any) -> Case:
    """A case opened by the system for a new account, owned by `owner` (a user or a team)."""
    account = account_create(actor=SYSTEM, name=f"Acme {uuid.uuid4().hex[:6]}")
    ref = None
    if owner is not None:
        kind = "team" if owner.__class__.__name__ == "Team" else "user"
        ref = Ref(type=kind, id=owner.pk)
    return case_create(
        actor=SYSTEM,
        title=title,
        customer=Ref(type="account", id=account.pk),
        owner=ref,
        **fields,
    )


def instance_make(
    case: Case,
    item: SlaItem,
    *,
    started_at: dt.datetime | None = None,
    status: str = KpiStatus.IN_PROGRESS,
    in_force: bool = True,
    warning_at: dt.datetime | None = None,
    failure_at: dt.datetime | None = None,
    warned_at: dt.datetime | None = None,
    failed_at: dt.datetime | None = None,
    succeeded_at: dt.datetime | None = None,
    due_at: Any = "computed",
) -> KpiInstance:
    """A KPI instance of `item` on `case`, started at `started_at` (default now), its warning
    and failure at the item's minutes from then unless given; `due_at` as the engine would set
    it (`next_due`) unless given."""
    started = started_at or clock.now()
    warning = warning_at or started + dt.timedelta(minutes=item.warn_after_minutes)
    failure = failure_at or started + dt.timedelta(minutes=item.fail_after_minutes)
    if due_at == "computed":
        due_at = next_due(
            status=status,
            in_force=in_force,
            warning_at=warning,
            failure_at=failure,
            warned_at=warned_at,
            failed_at=failed_at,
        )
    return KpiInstance.objects.create(
        case=case,
        sla=item.sla,
        item=item,
        item_name=item.name,
        kpi=item.kpi,
        status=status,
        in_force=in_force,
        started_at=started,
        warning_at=warning,
        failure_at=failure,
        warned_at=warned_at,
        failed_at=failed_at,
        succeeded_at=succeeded_at,
        due_at=due_at,
        paused_since=started if status == KpiStatus.PAUSED else None,
    )
