"""Reads of `sla`: calendars, SLAs, and the SLAs in force that the KPI engine chooses from
(docs/service-levels.md)."""

from __future__ import annotations

import uuid
from collections.abc import Iterable

from django.db.models import Prefetch, QuerySet

from casedesk.core.errors import NotFound
from casedesk.sla.models import Calendar, Sla, SlaItem


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


def active_slas() -> list[Sla]:
    """The SLAs in force: every active SLA, by name, each with `items.all()` prefetched in
    order (`position`) and each item's `calendar` joined (None: 24x7). Two queries whatever the
    number of SLAs and items; the KPI engine reads it once per batch of cases.

    A case is measured by its entitlement's SLA when that is among these, else by the
    default one (`default_sla_id`); docs/service-levels.md#slas.
    """
    return list(Sla.objects.filter(active=True).order_by("name", "id").prefetch_related(_items()))


def default_sla_id(slas: Iterable[Sla]) -> uuid.UUID | None:
    """The id of the default SLA among `slas` (those of `active_slas()`), None without one: an
    inactive default SLA is no default."""
    return next((sla.pk for sla in slas if sla.is_default and sla.active), None)
