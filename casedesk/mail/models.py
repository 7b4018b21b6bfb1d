"""Mailboxes and the messages they received."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q

from casedesk.core.constraints import exactly_one
from casedesk.mail.choices import Outcome, Security


class Mailbox(models.Model):
    """A support address: mail arrives by IMAP polling (`imap_host` set) or through the
    mail server's pipe (`casedesk mail receive`)."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    name = models.CharField(max_length=200)
    address = models.CharField(max_length=254, unique=True)
    owner_user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    owner_team = models.ForeignKey(
        "casedesk_directory.Team", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    imap_host = models.CharField(max_length=255, blank=True, default="")
    imap_port = models.PositiveIntegerField(null=True, blank=True)
    imap_security = models.CharField(max_length=10, choices=Security.choices, default=Security.SSL)
    imap_username = models.CharField(max_length=255, blank=True, default="")
    # Encrypted at rest (casedesk/mail/secrets.py); never shown again.
    imap_password = models.TextField(blank=True, default="")
    imap_folder = models.CharField(max_length=255, default="INBOX")
    imap_uidvalidity = models.BigIntegerField(null=True, blank=True)
    last_polled_at = models.DateTimeField(null=True, blank=True)
    last_poll_error = models.TextField(blank=True, default="")
    poll_seconds = models.PositiveIntegerField(default=60)
    queue = models.ForeignKey(
        "casedesk_routing.Queue", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    auto_acknowledge = models.BooleanField(default=False)
    reopen_days = models.PositiveIntegerField(default=7)
    active = models.BooleanField(default=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField()
    modified_at = models.DateTimeField()
    version = models.PositiveIntegerField(default=1)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=exactly_one("owner_user", "owner_team"), name="mailbox_exactly_one_owner"
            ),
            models.CheckConstraint(
                condition=Q(poll_seconds__gte=10), name="mailbox_poll_at_least_10s"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} <{self.address}>"

    @property
    def uses_imap(self) -> bool:
        return bool(self.imap_host)


class InboundMessage(models.Model):
    """A message a mailbox received, whatever became of it: the unique (mailbox, message id)
    is what takes each message once, however many pollers or pipes deliver it."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    mailbox = models.ForeignKey(Mailbox, on_delete=models.PROTECT, related_name="messages")
    message_id = models.CharField(max_length=255)
    imap_uid = models.BigIntegerField(null=True, blank=True)
    sender = models.CharField(max_length=320, blank=True, default="")
    subject = models.CharField(max_length=255, blank=True, default="")
    outcome = models.CharField(max_length=10, choices=Outcome.choices)
    reason = models.CharField(max_length=20, blank=True, default="")
    case = models.ForeignKey(
        "casedesk_cases.Case", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    activity = models.ForeignKey(
        "casedesk_cases.Activity",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    # A message held for review (over the sender limit) keeps its whole source here.
    source = models.ForeignKey(
        "casedesk_attachments.Attachment",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    received_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["mailbox", "message_id"], name="inbound_message_once_per_mailbox"
            )
        ]
        indexes = [
            models.Index(fields=["sender", "outcome", "received_at"], name="inbound_sender_idx")
        ]

    def __str__(self) -> str:
        return f"{self.message_id} {self.outcome}"
