"""The outbox (`Event`), webhook subscriptions, their deliveries and each delivery's attempts
(docs/webhooks.md)."""

from __future__ import annotations

import uuid

from django.db import models

from casedesk.events.choices import DeliveryState


class Event(models.Model):
    """One change, written in the transaction of the change itself (docs/webhooks.md#events).

    The id grows with every event; on PostgreSQL the table also keeps the writing
    transaction's id (column `txid`, set by the database, unknown to Django) so that
    `GET /events` lists an event only once every transaction that could still commit a smaller
    id has ended (`casedesk.events.selectors.event_list`).
    """

    id = models.BigAutoField(primary_key=True)
    type = models.CharField(max_length=40)
    occurred_at = models.DateTimeField()
    case_id = models.UUIDField(null=True, blank=True)
    data = models.JSONField(default=dict)

    def __str__(self) -> str:
        return f"{self.type} #{self.pk}"


class Webhook(models.Model):
    """A subscription: the events it wants POSTed to `url`, signed with `secret`."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    url = models.CharField(max_length=2000)
    events = models.JSONField(default=list)
    # Sealed (`casedesk.events.secrets`): never the secret itself.
    secret = models.CharField(max_length=600)
    active = models.BooleanField(default=True)
    version = models.PositiveIntegerField(default=1)
    created_at = models.DateTimeField()
    modified_at = models.DateTimeField()

    class Meta:
        indexes = [models.Index(fields=["active"], name="events_webhook_active")]

    def __str__(self) -> str:
        return self.url


class Delivery(models.Model):
    """One event for one webhook, until it is delivered or given up.

    `lease_until` and `lease_token` mark a delivery a worker has claimed: no other worker takes
    it until the lease runs out (a worker that died leaves it to be taken again then).
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    webhook = models.ForeignKey(Webhook, on_delete=models.CASCADE, related_name="deliveries")
    event = models.ForeignKey(Event, on_delete=models.PROTECT, related_name="deliveries")
    case_id = models.UUIDField(null=True, blank=True)
    state = models.CharField(
        max_length=10, choices=DeliveryState.choices, default=DeliveryState.PENDING
    )
    attempts = models.PositiveIntegerField(default=0)
    last_status = models.PositiveIntegerField(null=True, blank=True)
    last_error = models.CharField(max_length=500, blank=True, default="")
    created_at = models.DateTimeField()
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    delivered_at = models.DateTimeField(null=True, blank=True)
    lease_until = models.DateTimeField(null=True, blank=True)
    lease_token = models.UUIDField(null=True, blank=True)

    class Meta:
        indexes = [
            models.Index(fields=["state", "next_attempt_at"], name="events_delivery_due"),
            models.Index(fields=["webhook", "case_id", "event"], name="events_delivery_case"),
            models.Index(fields=["webhook", "event"], name="events_delivery_webhook"),
        ]
        constraints = [
            models.UniqueConstraint(fields=["webhook", "event"], name="events_delivery_once"),
            models.CheckConstraint(
                condition=models.Q(state__in=DeliveryState.values), name="events_delivery_state"
            ),
        ]

    def __str__(self) -> str:
        return f"delivery {self.pk}"


class DeliveryAttempt(models.Model):
    """One POST of a delivery: its answer's status, or why there was none."""

    id = models.BigAutoField(primary_key=True)
    delivery = models.ForeignKey(Delivery, on_delete=models.CASCADE, related_name="attempt_rows")
    number = models.PositiveIntegerField()
    started_at = models.DateTimeField()
    duration_ms = models.PositiveIntegerField()
    status = models.PositiveIntegerField(null=True, blank=True)
    error = models.CharField(max_length=500, blank=True, default="")

    class Meta:
        indexes = [models.Index(fields=["delivery", "number"], name="events_attempt_delivery")]

    def __str__(self) -> str:
        return f"attempt {self.number} of delivery {self.delivery_id}"
