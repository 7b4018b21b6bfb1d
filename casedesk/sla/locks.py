"""Every lock of `sla`, in the global lock order of docs/concurrency.md: a calendar is
configuration (level 2); the KPI instances of cases come after
their cases (level 7, with the rows of a case)."""

from __future__ import annotations

import uuid
from collections.abc import Collection

from casedesk.core.locks import row_lock, rows_lock
from casedesk.sla.models import Calendar, KpiInstance


def calendar_lock(calendar_id: uuid.UUID) -> Calendar:
    """The calendar, locked (`not_found`)."""
    return row_lock(Calendar, "No such calendar.", id=calendar_id)


def kpi_instances_in_force_lock(case_ids: Collection[uuid.UUID]) -> list[KpiInstance]:
    """The KPI instances in force of these cases, locked in id order; after their cases (the
    caller locked them), like every row of a case (docs/concurrency.md)."""
    rows = KpiInstance.objects.filter(case_id__in=list(case_ids), in_force=True).order_by("id")
    return list(rows_lock(rows))
