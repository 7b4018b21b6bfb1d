from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class NotificationKind(models.TextChoices):
    """What a notification is about; each user chooses per kind where it reaches them."""

    ASSIGNED = "assigned", _("A case is assigned to me or my team")
    EMAIL_RECEIVED = "email_received", _("A new e-mail on a case I own or follow")
    SLA_WARNING = "sla_warning", _("An SLA warning")
    SLA_FAILURE = "sla_failure", _("An SLA failure")
    MENTION = "mention", _("I am mentioned in a note")
    FOLLOWED_CASE_CHANGED = "followed_case_changed", _("A case I follow changes")


# Where each kind reaches a user who chose nothing (docs/notifications.md#settings).
DEFAULT_EMAIL = frozenset({NotificationKind.ASSIGNED, NotificationKind.SLA_FAILURE})


def default_channels(kind: str) -> tuple[bool, bool]:
    """`(in_app, email)` of `kind` for a user who chose nothing."""
    return True, kind in DEFAULT_EMAIL


class EmailState(models.TextChoices):
    PENDING = "pending", _("Pending")
    SENT = "sent", _("Sent")
    FAILED = "failed", _("Failed")
