"""Every lock of `sla`, in the global lock order of docs/concurrency.md: moving the default
SLA is serialised first (level 1); a calendar and an SLA are configuration (level 2), the SLA
being written before the other default one."""

from __future__ import annotations

import uuid

from casedesk.core.locks import row_lock, rows_lock, serialize_writes
from casedesk.sla.models import Calendar, Sla


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
