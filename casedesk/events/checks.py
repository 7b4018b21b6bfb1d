"""Invariants of the outbox and webhook deliveries that `casedesk check` verifies."""

from __future__ import annotations

from collections.abc import Iterator

from django.db.models import Exists, F, OuterRef

from casedesk.core import clock
from casedesk.core.invariants import invariant
from casedesk.events import backoff
from casedesk.events.choices import DeliveryState
from casedesk.events.models import Delivery, Event

# The sweep runs every 15 s and a claim lasts `backoff.LEASE`: a delivery due for longer than
# this has been missed by the workers (or none runs).
OVERDUE_AFTER = backoff.LEASE * 5


@invariant("deliveries_have_their_event")
def deliveries_have_their_event() -> Iterator[str]:
    orphans = Delivery.objects.filter(~Exists(Event.objects.filter(id=OuterRef("event_id"))))
    for delivery_id, event_id in orphans.values_list("id", "event_id").order_by("id"):
        yield f"delivery {delivery_id} is of event {event_id}, which does not exist"


@invariant("pending_deliveries_within_back_off")
def pending_deliveries_within_back_off() -> Iterator[str]:
    now = clock.now()
    pending = Delivery.objects.filter(state=DeliveryState.PENDING, webhook__active=True)
    late_retry = pending.filter(next_attempt_at__gt=F("created_at") + backoff.GIVE_UP_AFTER)
    for delivery_id, at in late_retry.values_list("id", "next_attempt_at").order_by("id"):
        yield f"pending delivery {delivery_id} is due at {at}, after its 24 hours"
    earlier = Delivery.objects.filter(
        webhook_id=OuterRef("webhook_id"),
        case_id=OuterRef("case_id"),
        event_id__lt=OuterRef("event_id"),
        state=DeliveryState.PENDING,
    )
    overdue = (
        pending.filter(next_attempt_at__lt=now - OVERDUE_AFTER)
        .exclude(case_id__isnull=False, pk__in=pending.filter(Exists(earlier)).values("pk"))
        .values_list("id", "next_attempt_at")
        .order_by("id")
    )
    for delivery_id, at in overdue:
        yield f"pending delivery {delivery_id} was due at {at} and not attempted"
