from django.db import models
from django.utils.translation import gettext_lazy as _


class EventType(models.TextChoices):
    """Every event the outbox holds (docs/webhooks.md#events). Adding one is adding a member
    here; webhooks may subscribe to it at once."""

    CASE_CREATED = "case.created", "case.created"
    CASE_UPDATED = "case.updated", "case.updated"
    CASE_ASSIGNED = "case.assigned", "case.assigned"
    CASE_QUEUED = "case.queued", "case.queued"
    CASE_ROUTED = "case.routed", "case.routed"
    CASE_RESOLVED = "case.resolved", "case.resolved"
    CASE_CANCELLED = "case.cancelled", "case.cancelled"
    CASE_MERGED = "case.merged", "case.merged"
    CASE_REACTIVATED = "case.reactivated", "case.reactivated"
    ACTIVITY_CREATED = "activity.created", "activity.created"
    ACTIVITY_UPDATED = "activity.updated", "activity.updated"
    ACTIVITY_COMPLETED = "activity.completed", "activity.completed"
    ACTIVITY_CANCELLED = "activity.cancelled", "activity.cancelled"
    EMAIL_RECEIVED = "email.received", "email.received"
    EMAIL_SENT = "email.sent", "email.sent"
    EMAIL_FAILED = "email.failed", "email.failed"
    SLA_WARNING = "sla.warning", "sla.warning"
    SLA_FAILURE = "sla.failure", "sla.failure"


# A webhook's `events` list: these types, or this one entry for all of them.
ALL_EVENTS = "*"


class DeliveryState(models.TextChoices):
    PENDING = "pending", _("Pending")
    DELIVERED = "delivered", _("Delivered")
    FAILED = "failed", _("Failed")
