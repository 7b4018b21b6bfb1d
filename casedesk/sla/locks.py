"""Every lock of `sla`, in the global lock order of docs/concurrency.md: a calendar is
configuration (level 2); the timers' claim of due KPI instances takes each with its case
(level 4) without waiting (`SKIP LOCKED`)."""

from __future__ import annotations

import datetime as dt
import uuid

from django.db import connection

from casedesk.core.locks import row_lock
from casedesk.sla.models import Calendar, KpiInstance


def calendar_lock(calendar_id: uuid.UUID) -> Calendar:
    """The calendar, locked (`not_found`)."""
    return row_lock(Calendar, "No such calendar.", id=calendar_id)


def kpi_instances_due_claim(*, now: dt.datetime, limit: int) -> list[KpiInstance]:
    """Up to `limit` KPI instances due at `now` (`due_at <= now`, read through the partial
    index `kpi_instance_due_idx`, oldest due first), each with its case (the columns the timers
    read), both locked until the end of the caller's transaction.

    On PostgreSQL `FOR UPDATE OF instance, case SKIP LOCKED`: an instance or a case another
    transaction holds (another worker's tick, a write to the case) is skipped, never waited
    for, so concurrent ticks take disjoint batches and a tick never deadlocks with a case
    write, which locks the case before its instances. On SQLite the caller's transaction holds
    the database's write lock: nobody else can fire meanwhile."""
    due = (
        KpiInstance.objects.filter(due_at__isnull=False, due_at__lte=now)
        .select_related("case")
        .only(*_INSTANCE_COLUMNS, *(f"case__{name}" for name in CASE_COLUMNS))
        .order_by("due_at", "id")
    )
    if connection.vendor == "postgresql":
        due = due.select_for_update(skip_locked=True, of=("self", "case"))
    return list(due[:limit])


# What the timers read of an instance and of its case.
_INSTANCE_COLUMNS = (
    "id",
    "case",
    "sla",
    "item",
    "item_name",
    "kpi",
    "status",
    "in_force",
    "warning_at",
    "failure_at",
    "due_at",
    "warned_at",
    "failed_at",
    "version",
)
CASE_COLUMNS = ("state", "priority", "owner_user", "owner_team", "sla_status")
