"""Background jobs of notifications (docs/notifications.md#e-mail)."""

from __future__ import annotations

import logging
import uuid

from casedesk.jobs import job
from casedesk.mail.services.send import smtp_server
from casedesk.notifications.services.emails import (
    notification_email_deliver,
)
from casedesk.notifications.services.emails import (
    notification_emails_due as emails_due,
)
from casedesk.notifications.services.prune import notifications_prune

logger = logging.getLogger("casedesk.notifications")


@job(max_attempts=1)
def notification_emails_send(email_ids: list[str]) -> int:
    """Send the notification e-mails of one change (enqueued when it commits); a temporary
    failure leaves one pending for `notification_emails_due`. Returns how many were sent."""
    sent = 0
    for email_id in email_ids:
        try:
            sent += notification_email_deliver(uuid.UUID(email_id)) == "sent"
        except Exception:  # one e-mail's trouble does not stop the others
            logger.exception("notification e-mail failed", extra={"email": email_id})
    return sent


@job(max_attempts=1)
def notification_emails_due() -> int:
    """Send the pending notification e-mails that are due (retries, and those whose job was
    lost); returns how many were sent."""
    if smtp_server() is None:
        return 0
    sent = 0
    for email_id in emails_due():
        try:
            sent += notification_email_deliver(email_id) == "sent"
        except Exception:
            logger.exception("notification e-mail failed", extra={"email": str(email_id)})
    return sent


@job(max_attempts=1)
def notifications_prune_job() -> int:
    """Forget old read notifications and finished notification e-mails; returns how many."""
    return sum(notifications_prune())
