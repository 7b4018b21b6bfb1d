"""Forgetting old notifications (docs/notifications.md#how-long-they-are-kept)."""

from __future__ import annotations

import datetime as dt

from casedesk.core import clock
from casedesk.notifications.choices import EmailState
from casedesk.notifications.models import Notification, NotificationEmail

# A read notification is kept this long after it was written; an unread one until it is read.
KEEP_READ = dt.timedelta(days=180)
# A notification e-mail sent or given up is kept this long (its row only proves it went once).
KEEP_EMAIL = dt.timedelta(days=30)


def notifications_prune() -> tuple[int, int]:
    """Delete the read notifications older than `KEEP_READ` and the notification e-mails sent
    or failed more than `KEEP_EMAIL` ago; returns how many of each."""
    now = clock.now()
    notifications, _ = Notification.objects.filter(
        read_at__isnull=False, created_at__lt=now - KEEP_READ
    ).delete()
    emails, _ = NotificationEmail.objects.filter(
        state__in=[EmailState.SENT, EmailState.FAILED], created_at__lt=now - KEEP_EMAIL
    ).delete()
    return notifications, emails
