"""Queue items as other services see them."""

from __future__ import annotations

from casedesk.cases.models import Case
from casedesk.core import clock
from casedesk.routing.choices import QueueItemState
from casedesk.routing.models import QueueItem


def queue_item_close_for_case(*, case: Case) -> int:
    """Close the case's open queue item, if any (resolve, cancel and merge). Returns how many
    items were closed (0 or 1)."""
    return QueueItem.objects.filter(case_id=case.pk, state=QueueItemState.OPEN).update(
        state=QueueItemState.CLOSED, closed_at=clock.now(), worked_by=None
    )
