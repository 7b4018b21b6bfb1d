"""What managers read of the service levels (docs/service-levels.md#reports): how many KPIs
were met and missed over a period, by priority and by queue, and the cases nearest a breach.

Each figure reads KPI instances through an index of its own (`kpi_instance_met_idx`,
`kpi_instance_missed_idx`, `kpi_instance_running_idx`), never the whole case table: the cost
grows with the instances of the period, not with the cases kept.
"""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass
from typing import Literal

from django.db.models import BooleanField, Count, OuterRef, Q, QuerySet, Subquery
from django.db.models.expressions import RawSQL

from casedesk.cases.choices import Priority
from casedesk.directory.models import User
from casedesk.routing.models import Queue, QueueItem
from casedesk.routing.selectors import VisibleQueues
from casedesk.sla.calendar import BusinessCalendar
from casedesk.sla.choices import KpiStatus
from casedesk.sla.instances import RUNNING
from casedesk.sla.models import KpiInstance


@dataclass(frozen=True)
class Compliance:
    """KPIs met and missed in a group (a priority or a queue; `key` None: no queue)."""

    key: str | None
    label: str
    met: int
    missed: int

    @property
    def total(self) -> int:
        return self.met + self.missed

    @property
    def share(self) -> float | None:
        """The share met, 0..1; None when nothing ended in the period."""
        return self.met / self.total if self.total else None


def _outcomes(since: dt.datetime, until: dt.datetime) -> QuerySet[KpiInstance]:
    """The instances whose outcome fell in [since, until): met in time, or missed (their
    failure time passed; met late stays missed)."""
    met = Q(status=KpiStatus.SUCCEEDED, succeeded_at__gte=since, succeeded_at__lt=until)
    missed = Q(status=KpiStatus.NONCOMPLIANT, failure_at__gte=since, failure_at__lt=until)
    return KpiInstance.objects.filter(met | missed)


def _last_queue() -> Subquery:
    """The queue the instance's case was last placed in (open or closed item)."""
    return Subquery(
        QueueItem.objects.filter(case_id=OuterRef("case_id"))
        .order_by("-entered_on", "-id")
        .values("queue_id")[:1]
    )


def compliance(
    *,
    since: dt.datetime,
    until: dt.datetime,
    by: Literal["priority", "queue"],
    viewer: User,
) -> list[Compliance]:
    """KPIs met and missed whose outcome fell in [since, until), by the case's priority (every
    priority, in order) or by the queue it was last in (the queues `viewer` may see by name;
    the others, and cases never queued, as one group each)."""
    rows = _outcomes(since, until)
    if by == "priority":
        counted = rows.values_list("case__priority", "status").annotate(n=Count("id"))
        table: dict[str | None, dict[str, int]] = {}
        for key, status, n in counted:
            table.setdefault(key, {})[status] = n
        return [
            Compliance(
                p.value,
                str(p.label),
                table.get(p.value, {}).get(KpiStatus.SUCCEEDED, 0),
                table.get(p.value, {}).get(KpiStatus.NONCOMPLIANT, 0),
            )
            for p in Priority
        ]
    counted_q = (
        rows.annotate(queue_id=_last_queue())
        .values_list("queue_id", "status")
        .annotate(n=Count("id"))
    )
    by_queue: dict[str | None, dict[str, int]] = {}
    for queue_id, status, n in counted_q:
        key = str(queue_id) if queue_id else None
        by_queue.setdefault(key, {})
        by_queue[key][status] = by_queue[key].get(status, 0) + n
    visible = VisibleQueues(viewer)
    names = dict(
        Queue.objects.filter(pk__in=[uuid.UUID(k) for k in by_queue if k]).values_list("pk", "name")
    )
    groups: dict[str | None, Compliance] = {}
    for key, counts in by_queue.items():
        if key is not None and not visible.shows(key):
            key, label = "private", "private"
        else:
            label = names.get(uuid.UUID(key), "") if key else ""
        found = groups.get(key)
        met = counts.get(KpiStatus.SUCCEEDED, 0) + (found.met if found else 0)
        missed = counts.get(KpiStatus.NONCOMPLIANT, 0) + (found.missed if found else 0)
        groups[key] = Compliance(key, label, met, missed)
    return sorted(groups.values(), key=lambda c: (c.key is None, c.key == "private", c.label))


# The running statuses written into the SQL: SQLite uses the partial index
# `kpi_instance_running_idx` only when the query's condition shows the index's literals; with
# the statuses bound as parameters it scanned every instance (468 ms at 1,000,000 cases against
# 0.1 ms; docs/performance.md, "The web pages"). The values are the code's own constants.
_RUNNING_SQL = RawSQL(
    f'"{KpiInstance._meta.db_table}"."status" IN ('
    + ", ".join(f"'{status}'" for status in sorted(RUNNING))
    + ")",
    [],
    output_field=BooleanField(),
)


def nearing_breach(*, now: dt.datetime, within: dt.timedelta, limit: int) -> list[KpiInstance]:
    """The running KPIs in force whose failure time is before `now + within` (those already
    past it first), with their cases, the nearest first."""
    return list(nearing_breach_query(now=now, within=within, limit=limit))


def nearing_breach_query(
    *, now: dt.datetime, within: dt.timedelta, limit: int
) -> QuerySet[KpiInstance]:
    return (
        KpiInstance.objects.filter(_RUNNING_SQL, in_force=True, failure_at__lt=now + within)
        .select_related("case", "case__owner_user", "case__owner_team", "item__calendar")
        .order_by("failure_at", "id")[:limit]
    )


class TimeLeft:
    """Working time left before each instance's failure time, on its item's calendar (24×7
    without one), negative once past it. Calendars are built once per id."""

    def __init__(self) -> None:
        self._calendars: dict[uuid.UUID | None, BusinessCalendar] = {}

    def _calendar(self, instance: KpiInstance) -> BusinessCalendar:
        item = instance.item
        calendar = item.calendar if item is not None else None
        key = calendar.pk if calendar is not None else None
        if key not in self._calendars:
            self._calendars[key] = (
                calendar.business_calendar() if calendar is not None else BusinessCalendar.always()
            )
        return self._calendars[key]

    def of(self, instance: KpiInstance, now: dt.datetime) -> dt.timedelta:
        calendar = self._calendar(instance)
        if now <= instance.failure_at:
            return calendar.business_time_between(now, instance.failure_at)
        return -calendar.business_time_between(instance.failure_at, now)
