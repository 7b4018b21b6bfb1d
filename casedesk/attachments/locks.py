"""The row locks of attachments (docs/concurrency.md: one module per app holds them). Taken
after the case's lock, in id order."""

from __future__ import annotations

import uuid
from collections.abc import Collection

from casedesk.attachments.models import Attachment


def attachments_lock(*, ids: Collection[uuid.UUID]) -> dict[uuid.UUID, Attachment]:
    """The attachments among `ids`, locked until the end of the caller's transaction."""
    found = Attachment.objects.select_for_update().filter(id__in=list(ids)).order_by("id")
    return {a.pk: a for a in found}
