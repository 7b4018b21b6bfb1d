"""Every lock of `sla`, in the global lock order of docs/concurrency.md: a calendar is
configuration (level 2)."""

from __future__ import annotations

import uuid

from casedesk.core.locks import row_lock
from casedesk.sla.models import Calendar


def calendar_lock(calendar_id: uuid.UUID) -> Calendar:
    """The calendar, locked (`not_found`)."""
    return row_lock(Calendar, "No such calendar.", id=calendar_id)
