"""The row locks of the mail channel (docs/concurrency.md: one module per app holds them)."""

from __future__ import annotations

import uuid

from casedesk.mail.models import Mailbox


def mailbox_lock(*, mailbox_id: uuid.UUID) -> Mailbox | None:
    """The mailbox, locked until the end of the caller's transaction (None: there is none)."""
    return Mailbox.objects.select_for_update().filter(id=mailbox_id).first()
