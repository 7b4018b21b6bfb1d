"""The row locks of events and webhooks (docs/concurrency.md: one module per app holds them)."""

from __future__ import annotations

import uuid

from casedesk.events.models import Webhook


def webhook_lock(*, webhook_id: uuid.UUID) -> Webhook | None:
    """The webhook, locked until the end of the caller's transaction (None: there is none)."""
    return Webhook.objects.select_for_update().filter(id=webhook_id).first()
