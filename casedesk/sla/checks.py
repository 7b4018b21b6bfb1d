"""Invariants of service levels that `casedesk check` verifies (docs/service-levels.md#on-a-
case)."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterator

from django.db.models import F, Q

from casedesk.cases.choices import State
from casedesk.cases.models import Case
from casedesk.core import clock
from casedesk.core.invariants import invariant
from casedesk.routing.choices import QueueItemState
from casedesk.routing.models import QueueItem
from casedesk.routing.services.routing import case_values
from casedesk.sla import engine
from casedesk.sla.choices import KpiStatus
from casedesk.sla.models import KpiInstance
from casedesk.sla.services.kpis import slas_for_cases

# The timers look at due instances every minute: two ticks late is a fault.
TICKS_LATE = dt.timedelta(minutes=2)
_BATCH = 2000


@invariant("kpi_instances_in_force_belong_to_active_cases")
def instances_of_closed_cases_ended() -> Iterator[str]:
    """An instance in force on a case that is not active has ended (met), or the case was
    resolved (its instances then are met)."""
    rows = (
        KpiInstance.objects.filter(in_force=True, succeeded_at__isnull=True)
        .exclude(case__state=State.ACTIVE)
        .values_list("id", "case_id", "case__state", "kpi", "status")
        .order_by("case_id", "kpi")
    )
    for instance_id, case_id, state, kpi, status in rows:
        yield f"{state} case {case_id} has {kpi} instance {instance_id} in force, {status}, not met"


@invariant("kpi_instances_follow_the_case_sla")
def instances_follow_the_case_sla() -> Iterator[str]:
    """Every instance in force is of its case's SLA; an active case with an SLA has one in
    force for each KPI whose items one matches the case."""
    wrong = (
        KpiInstance.objects.filter(in_force=True)
        .filter(~Q(sla_id=F("case__sla_id")) | Q(case__sla_id__isnull=True))
        .values_list("id", "case_id")
        .order_by("case_id")
    )
    for instance_id, case_id in wrong:
        yield f"case {case_id} has instance {instance_id} in force of another SLA than its own"
    specs, _active = slas_for_cases(
        Case.objects.filter(state=State.ACTIVE, sla__isnull=False)
        .values_list("sla_id", flat=True)
        .distinct()
    )
    cases = (
        Case.objects.filter(state=State.ACTIVE, sla__isnull=False)
        .select_related("customer_account", "customer_contact", "owner_user", "owner_team")
        .order_by("id")
    )
    chunk: list[Case] = []
    for case in cases.iterator(chunk_size=_BATCH):
        chunk.append(case)
        if len(chunk) >= _BATCH:
            yield from _missing(chunk, specs)
            chunk = []
    yield from _missing(chunk, specs)


def _missing(cases: list[Case], specs: dict[uuid.UUID, engine.SlaSpec]) -> Iterator[str]:
    """The KPIs the SLA of each active case gives it (its first matching item) that have no
    instance in force."""
    if not cases:
        return
    held: set[tuple[uuid.UUID, str]] = set(
        KpiInstance.objects.filter(case_id__in=[c.pk for c in cases], in_force=True).values_list(
            "case_id", "kpi"
        )
    )
    queues = dict(
        QueueItem.objects.filter(
            case_id__in=[c.pk for c in cases], state=QueueItemState.OPEN
        ).values_list("case_id", "queue_id")
    )
    for case in cases:
        assert case.sla_id is not None
        spec = specs.get(case.sla_id)
        if spec is None:
            continue
        fields = {f for item in spec.items for f in item.reads}
        values = case_values(case, fields, queue_id=queues.get(case.pk))
        for kpi in engine.KPIS:
            if spec.match(kpi, values) is not None and (case.pk, kpi) not in held:
                yield f"active case {case.pk} has no {kpi} instance in force"


@invariant("kpi_instances_fire_on_time")
def instances_fire_on_time() -> Iterator[str]:
    """No instance in force is still running two ticks after its failure time."""
    late = clock.now() - TICKS_LATE
    rows = (
        KpiInstance.objects.filter(
            in_force=True,
            status__in=[KpiStatus.IN_PROGRESS, KpiStatus.NEARING_NONCOMPLIANCE],
            failure_at__lt=late,
        )
        .values_list("id", "case_id", "status", "failure_at")
        .order_by("failure_at", "id")
    )
    for instance_id, case_id, status, failure_at in rows:
        yield (
            f"instance {instance_id} of case {case_id} is still {status} after its failure "
            f"time {failure_at.isoformat()}"
        )
