"""Reads of `sla`: calendars, SLAs, and the SLAs in force that the KPI engine chooses from
(docs/service-levels.md)."""

from __future__ import annotations

import uuid

from django.db.models import Prefetch, QuerySet

from casedesk.core.errors import NotFound
from casedesk.sla.models import Calendar, KpiInstance, Sla, SlaItem


def calendar_list() -> QuerySet[Calendar]:
    return Calendar.objects.all()


def calendar_get(*, calendar_id: uuid.UUID) -> Calendar:
    found = Calendar.objects.filter(id=calendar_id).first()
    if found is None:
        raise NotFound("No such calendar.")
    return found


def _items() -> Prefetch:
    return Prefetch(
        "items", queryset=SlaItem.objects.select_related("calendar").order_by("position")
    )


def sla_list() -> QuerySet[Sla]:
    """Every SLA, its items prefetched in order (with their calendars)."""
    return Sla.objects.prefetch_related(_items())


def sla_get(*, sla_id: uuid.UUID) -> Sla:
    """One SLA with its items in order (`not_found`)."""
    found = sla_list().filter(id=sla_id).first()
    if found is None:
        raise NotFound("No such SLA.")
    return found


def sla_choices() -> list[tuple[str, str]]:
    """`(id, name)` of every SLA by name, inactive ones included (an entitlement may name an
    SLA before it is activated)."""
    return [
        (str(pk), name) for pk, name in Sla.objects.order_by("name", "id").values_list("id", "name")
    ]


def case_kpis(*, case_id: uuid.UUID, everything: bool = False) -> list[KpiInstance]:
    """The KPI instances of a case: the ones in force (one a KPI), or with `everything` also
    the cancelled and superseded ones; by KPI, then when they started."""
    rows = KpiInstance.objects.select_related("item__calendar").filter(case_id=case_id)
    if not everything:
        rows = rows.filter(in_force=True)
    return list(rows.order_by("kpi", "started_at", "id"))
