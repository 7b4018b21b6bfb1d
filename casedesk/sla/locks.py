"""Every lock of `sla`, in the global lock order of docs/concurrency.md: moving the default
SLA is serialised first (level 1); a calendar and an SLA are configuration (level 2), the SLA
being written before the other default one; the KPI instances of cases come after their cases
(level 7, with the rows of a case); the timers' claim of due KPI instances takes them and
their cases without waiting (`SKIP LOCKED`), so it never holds up a case write."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Collection

from django.db import connection

from casedesk.cases.models import Case
from casedesk.core.locks import row_lock, rows_lock, serialize_writes
from casedesk.sla.models import Calendar, KpiInstance, Sla


def calendar_lock(calendar_id: uuid.UUID) -> Calendar:
    """The calendar, locked (`not_found`)."""
    return row_lock(Calendar, "No such calendar.", id=calendar_id)


def sla_default_serialize() -> None:
    """Make this transaction the only one moving the default flag until it ends: two writes
    that each make an SLA the default (one of them possibly new) cannot both clear the same
    old default and then collide on `at_most_one_default_sla`."""
    serialize_writes("casedesk.sla.default")


def sla_lock(sla_id: uuid.UUID) -> Sla:
    """The SLA, locked (`not_found`)."""
    return row_lock(Sla, "No such SLA.", id=sla_id)


def sla_other_defaults_lock(sla_id: uuid.UUID | None) -> list[Sla]:
    """The default SLA other than `sla_id` (at most one), locked; after
    `sla_default_serialize` and the SLA being written."""
    rows = Sla.objects.filter(is_default=True).order_by("id")
    if sla_id is not None:
        rows = rows.exclude(id=sla_id)
    return list(rows_lock(rows))


def kpi_instances_due_claim(
    *,
    now: dt.datetime,
    limit: int,
    only_ids: Collection[uuid.UUID] | None = None,
    skip_ids: Collection[uuid.UUID] = (),
) -> tuple[list[KpiInstance], int]:
    """Up to `limit` KPI instances due at `now` (`due_at <= now`, read through the partial
    index `kpi_instance_due_idx`, oldest due first), each with its case (the columns the timers
    read), both locked until the end of the caller's transaction; and how many due instances
    were read (the claimed ones and those whose case was busy).

    On PostgreSQL the instances are read `FOR UPDATE SKIP LOCKED`, then their cases in id
    order `FOR UPDATE SKIP LOCKED`: an instance or a case another transaction holds (another
    worker's tick, a write to the case) is skipped, never waited for, so concurrent ticks take
    disjoint batches and a tick never deadlocks with a case write (which locks the case before
    its instances); an instance whose case is busy is left to the next tick. The two reads are
    separate so that the join to the cases is made for the batch only, not for every due
    instance. On SQLite the caller's transaction holds the database's write lock: nobody else
    can fire meanwhile. `only_ids`: among these instances only; `skip_ids`: not these."""
    postgres = connection.vendor == "postgresql"
    due = (
        KpiInstance.objects.filter(due_at__isnull=False, due_at__lte=now)
        .only(*_INSTANCE_COLUMNS)
        .order_by("due_at", "id")
    )
    if only_ids is not None:
        due = due.filter(id__in=list(only_ids))
    if skip_ids:
        due = due.exclude(id__in=list(skip_ids))
    if postgres:
        due = due.select_for_update(skip_locked=True)
        # The planner, which expects few due rows, would read them all through a bitmap and
        # sort them: a backlog sorted whole at every batch, and index entries of instances
        # fired meanwhile (dead until vacuumed) visited at every tick. The index scan reads in
        # the index's order, stops at the limit, and marks the dead entries as it meets them.
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL enable_bitmapscan = off")
            instances = list(due[:limit])
            cursor.execute("SET LOCAL enable_bitmapscan TO DEFAULT")
    else:
        instances = list(due[:limit])
    if not instances:
        return [], 0
    cases = Case.objects.filter(id__in={i.case_id for i in instances}).only(*CASE_COLUMNS)
    if postgres:
        cases = cases.order_by("id").select_for_update(skip_locked=True)
    found = {case.pk: case for case in cases}
    claimed = []
    for instance in instances:
        case = found.get(instance.case_id)
        if case is not None:
            instance.case = case
            claimed.append(instance)
    return claimed, len(instances)


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
CASE_COLUMNS = ("id", "state", "priority", "owner_user", "owner_team", "sla_status")


def kpi_instances_in_force_lock(case_ids: Collection[uuid.UUID]) -> list[KpiInstance]:
    """The KPI instances in force of these cases, locked in id order; after their cases (the
    caller locked them), like every row of a case (docs/concurrency.md)."""
    rows = KpiInstance.objects.filter(case_id__in=list(case_ids), in_force=True).order_by("id")
    return list(rows_lock(rows))
