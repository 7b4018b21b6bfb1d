"""Reads of the outbox, webhooks and deliveries (administrators: the interfaces check)."""

from __future__ import annotations

import uuid
from typing import Any

from django.db import connection
from django.db.models import Prefetch, QuerySet

from casedesk.core.errors import NotFound
from casedesk.events.models import Delivery, DeliveryAttempt, Event, Webhook

# On PostgreSQL ids come from a sequence when a row is written, not when it commits: a
# transaction holding id 10 may commit after one holding id 11. An event is listed only when no
# transaction that could still commit a smaller id is running: its transaction id (`txid`, set
# by the database) is below that of every writing transaction of this database still in
# progress, as the statement's own snapshot sees them. A transaction whose database cannot be
# told (it ended meanwhile, or is prepared) counts as running: it holds events back for one
# more read, never lets one be skipped. SQLite has one writer at a time: ids are already in
# commit order there.
_NO_EARLIER_WRITER_RUNNING = """
txid < COALESCE(
    (SELECT min(x) FROM pg_snapshot_xip(pg_current_snapshot()) AS x
     WHERE NOT EXISTS (
        SELECT 1 FROM pg_stat_activity AS a
        WHERE a.backend_xid = x::xid AND a.datname IS DISTINCT FROM current_database())),
    pg_snapshot_xmax(pg_current_snapshot()))
"""


def event_queryset() -> QuerySet[Event]:
    """Events a reader may list now, in id order."""
    events = Event.objects.all()
    if connection.vendor == "postgresql":
        events = events.extra(where=[_NO_EARLIER_WRITER_RUNNING])
    return events


def event_list(*, after: int | None = None) -> QuerySet[Event]:
    """The outbox, oldest first, after the event `after` (docs/api.md#events)."""
    events = event_queryset()
    if after is not None:
        events = events.filter(id__gt=after)
    return events.order_by("id")


def event_item(event: Event) -> dict[str, Any]:
    """An event as `GET /events` lists it and a delivery POSTs it."""
    return {
        "id": event.pk,
        "type": event.type,
        "occurred_at": event.occurred_at.isoformat(),
        "case_id": str(event.case_id) if event.case_id else None,
        "data": event.data,
    }


def webhook_list() -> QuerySet[Webhook]:
    return Webhook.objects.all()


def webhook_get(*, webhook_id: uuid.UUID) -> Webhook:
    webhook = Webhook.objects.filter(id=webhook_id).first()
    if webhook is None:
        raise NotFound("No such webhook.")
    return webhook


def delivery_list(*, webhook_id: uuid.UUID) -> QuerySet[Delivery]:
    """A webhook's deliveries with their events and attempts (a constant number of queries)."""
    attempts = DeliveryAttempt.objects.order_by("number")
    return (
        Delivery.objects.filter(webhook_id=webhook_id)
        .select_related("event")
        .prefetch_related(Prefetch("attempt_rows", queryset=attempts))
    )
