from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q

from casedesk.routing.choices import QueueItemState, QueueType


class Queue(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    name = models.CharField(max_length=200)
    type = models.CharField(max_length=10, choices=QueueType.choices, default=QueueType.PUBLIC)
    members = models.ManyToManyField(settings.AUTH_USER_MODEL, blank=True, related_name="queues")
    created_at = models.DateTimeField()
    modified_at = models.DateTimeField()
    version = models.PositiveIntegerField(default=1)

    def __str__(self) -> str:
        return self.name


class QueueItem(models.Model):
    """A case's place in a queue. At most one open item per case, enforced by the database."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    queue = models.ForeignKey(Queue, on_delete=models.PROTECT, related_name="items")
    case = models.ForeignKey(
        "casedesk_cases.Case", on_delete=models.PROTECT, related_name="queue_items"
    )
    state = models.CharField(
        max_length=10, choices=QueueItemState.choices, default=QueueItemState.OPEN
    )
    entered_on = models.DateTimeField()
    worked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="worked_queue_items",
    )
    closed_at = models.DateTimeField(null=True, blank=True)
    version = models.PositiveIntegerField(default=1)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["case"],
                condition=Q(state=QueueItemState.OPEN),
                name="one_open_queue_item_per_case",
            ),
        ]
        indexes = [
            models.Index(fields=["queue", "state", "entered_on", "id"], name="queueitem_queue_idx"),
            # The open items of every queue, oldest first (Service › Queues without a queue).
            models.Index(fields=["state", "entered_on", "id"], name="queueitem_state_order_idx"),
            models.Index(fields=["case", "state"], name="queueitem_case_idx"),
            models.Index(fields=["worked_by", "state"], name="queueitem_worker_idx"),
            # The open items only, by queue and worker: the counts of the queue views and the
            # dashboard's queue sizes read it alone (docs/routing.md#listing-items).
            models.Index(
                fields=["queue", "worked_by"],
                condition=Q(state=QueueItemState.OPEN),
                name="queueitem_open_idx",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.queue_id}: {self.case_id}"


class QueueItemCount(models.Model):
    """How many open items a queue has, those somebody works on (`worked`) and those nobody
    works on apart: the queue views' and the dashboard's counts, read without scanning the
    queue items (docs/routing.md#counters).

    Kept by every write of queue items in the write's transaction (`routing/counters.py`).
    As the case counters, a key has a few rows (`shard`, chosen at random by each write) and a
    count is the sum of its rows' `n` (a row may be negative)."""

    # No foreign key: its check would lock the queue row (`FOR KEY SHARE`) after the counter
    # row, while a pick holds the queue row (`queue_item_lock`) and waits for the counter row.
    queue_id = models.UUIDField()
    worked = models.BooleanField()
    shard = models.PositiveSmallIntegerField()
    n = models.BigIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["queue_id", "worked", "shard"], name="queue_item_count_key"
            )
        ]

    def __str__(self) -> str:
        return f"{self.queue_id}/{'worked' if self.worked else 'available'}: {self.n}"


class RoutingRuleSet(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    name = models.CharField(max_length=200)
    active = models.BooleanField(default=False)
    created_at = models.DateTimeField()
    modified_at = models.DateTimeField()
    version = models.PositiveIntegerField(default=1)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["active"], condition=Q(active=True), name="at_most_one_active_rule_set"
            ),
        ]

    def __str__(self) -> str:
        return self.name


class RuleItem(models.Model):
    """One ordered rule: all `conditions` must hold; routes to a queue or an owner."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    rule_set = models.ForeignKey(RoutingRuleSet, on_delete=models.CASCADE, related_name="items")
    position = models.PositiveIntegerField()
    name = models.CharField(max_length=200)
    conditions = models.JSONField(default=list)
    route_queue = models.ForeignKey(
        Queue, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    route_owner_user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    route_owner_team = models.ForeignKey(
        "casedesk_directory.Team", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["rule_set", "position"], name="rule_item_position"),
            models.UniqueConstraint(fields=["rule_set", "name"], name="rule_item_name"),
            models.CheckConstraint(
                condition=(
                    Q(
                        route_queue__isnull=False,
                        route_owner_user__isnull=True,
                        route_owner_team__isnull=True,
                    )
                    | Q(
                        route_queue__isnull=True,
                        route_owner_user__isnull=False,
                        route_owner_team__isnull=True,
                    )
                    | Q(
                        route_queue__isnull=True,
                        route_owner_user__isnull=True,
                        route_owner_team__isnull=False,
                    )
                ),
                name="rule_item_exactly_one_destination",
            ),
        ]
        ordering = ["position"]

    def __str__(self) -> str:
        return self.name
