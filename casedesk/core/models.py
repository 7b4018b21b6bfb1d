from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models


class AuditEntry(models.Model):
    """One change of one record: who, when, through what, and each field's old and new value."""

    id = models.BigAutoField(primary_key=True)
    at = models.DateTimeField()
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    action = models.CharField(max_length=40)
    channel = models.CharField(max_length=20)
    entity_type = models.CharField(max_length=40)
    entity_id = models.UUIDField(default=uuid.uuid4)
    changes = models.JSONField(default=dict)
    details = models.JSONField(default=dict)

    class Meta:
        indexes = [models.Index(fields=["entity_type", "entity_id", "id"], name="audit_entity_idx")]

    def __str__(self) -> str:
        return f"{self.entity_type} {self.entity_id} {self.action}"


class RateBucket(models.Model):
    """A token bucket per user for `CASEDESK_RATE_LIMIT`, shared by every worker and server."""

    key = models.CharField(max_length=100, primary_key=True)
    tokens = models.FloatField()
    updated = models.FloatField()
    allowed = models.BooleanField(default=True)

    def __str__(self) -> str:
        return self.key


class WorkerHeartbeat(models.Model):
    """When a background worker last said it was alive (`/readyz` with CASEDESK_REQUIRE_WORKER)."""

    worker = models.CharField(max_length=200, primary_key=True)
    seen_at = models.DateTimeField(db_index=True)

    def __str__(self) -> str:
        return f"{self.worker} {self.seen_at:%Y-%m-%d %H:%M:%S}"
