from __future__ import annotations

import uuid

from django.db.models import QuerySet

from casedesk.core.errors import NotFound
from casedesk.sla.models import Calendar


def calendar_list() -> QuerySet[Calendar]:
    return Calendar.objects.all()


def calendar_get(*, calendar_id: uuid.UUID) -> Calendar:
    found = Calendar.objects.filter(id=calendar_id).first()
    if found is None:
        raise NotFound("No such calendar.")
    return found
