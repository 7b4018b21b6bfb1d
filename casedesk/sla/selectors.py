from __future__ import annotations

import uuid

from django.db.models import QuerySet

from casedesk.core.errors import NotFound
from casedesk.sla.models import Calendar, KpiInstance


def calendar_list() -> QuerySet[Calendar]:
    return Calendar.objects.all()


def calendar_get(*, calendar_id: uuid.UUID) -> Calendar:
    found = Calendar.objects.filter(id=calendar_id).first()
    if found is None:
        raise NotFound("No such calendar.")
    return found


def case_kpis(*, case_id: uuid.UUID, everything: bool = False) -> list[KpiInstance]:
    """The KPI instances of a case: the ones in force (one a KPI), or with `everything` also
    the cancelled and superseded ones; by KPI, then when they started."""
    rows = KpiInstance.objects.filter(case_id=case_id)
    if not everything:
        rows = rows.filter(in_force=True)
    return list(rows.order_by("kpi", "started_at", "id"))
