"""Notifications, each user's choices, the cases users follow and the notification e-mails
(docs/notifications.md)."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models

from casedesk.cases.models import Case
from casedesk.notifications.choices import EmailState, NotificationKind


class Message(models.Model):
    """What a notification says and to whom: a kind, the case, who did it, and the text as a
    message key and its parameters (`casedesk/notifications/messages.py`), rendered in the
    recipient's language whenever it is shown. Shared by the in-app row and the e-mail."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+"
    )
    kind = models.CharField(max_length=32, choices=NotificationKind.choices)
    case = models.ForeignKey(
        Case, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    message = models.CharField(max_length=40)
    params = models.JSONField(default=dict)

    class Meta:
        abstract = True


class Notification(Message):
    """One thing that happened, for one user, in the app. The text is kept as a message key
    and its parameters (`casedesk/notifications/messages.py`), so that it reads in the
    recipient's language whenever it is shown."""

    created_at = models.DateTimeField()
    read_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [
            models.Index(fields=["recipient", "-created_at"], name="notification_recipient_idx"),
            # The bell's count and the unread list.
            models.Index(
                fields=["recipient", "-created_at"],
                condition=models.Q(read_at__isnull=True),
                name="notification_unread_idx",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind} for {self.recipient_id}"


class NotificationSetting(models.Model):
    """A user's choice for one kind; a kind without a row has the defaults
    (`choices.default_channels`)."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notification_settings"
    )
    kind = models.CharField(max_length=32, choices=NotificationKind.choices)
    in_app = models.BooleanField(default=True)
    email = models.BooleanField(default=False)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "kind"], name="notification_setting_unique")
        ]

    def __str__(self) -> str:
        return f"{self.kind} of {self.user_id}"


class Follow(models.Model):
    """A user follows a case: told of its changes and its new e-mails."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="+")
    created_at = models.DateTimeField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["case", "user"], name="follow_unique")]
        indexes = [models.Index(fields=["user", "-created_at"], name="follow_user_idx")]

    def __str__(self) -> str:
        return f"{self.user_id} follows {self.case_id}"


class NotificationEmail(Message):
    """One notification e-mail to one user, until it is sent or given up. It carries what it
    says (not a notification row: a user may want a kind by e-mail only) and is written in
    the user's language when it is sent. `claimed_until`: a worker holds it until then."""

    state = models.CharField(max_length=10, choices=EmailState.choices, default=EmailState.PENDING)
    attempts = models.PositiveIntegerField(default=0)
    error = models.TextField(blank=True, default="")
    created_at = models.DateTimeField()
    next_attempt_at = models.DateTimeField()
    claimed_until = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [
            models.Index(
                fields=["next_attempt_at"],
                condition=models.Q(state="pending"),
                name="notification_email_due_idx",
            )
        ]

    def __str__(self) -> str:
        return f"{self.kind} e-mail to {self.recipient_id} ({self.state})"
