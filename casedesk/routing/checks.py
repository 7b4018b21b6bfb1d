"""Invariants of queues and routing that `casedesk check` verifies."""

from __future__ import annotations

from collections.abc import Iterator

from django.db.models import Count

from casedesk.cases.choices import State
from casedesk.core.invariants import invariant
from casedesk.routing import counters
from casedesk.routing.choices import QueueItemState
from casedesk.routing.models import QueueItem, RoutingRuleSet


@invariant("one_open_queue_item_per_case")
def one_open_item_per_case() -> Iterator[str]:
    rows = (
        QueueItem.objects.filter(state=QueueItemState.OPEN)
        .values("case_id")
        .annotate(n=Count("id"))
        .filter(n__gt=1)
        .order_by("case_id")
    )
    for row in rows:
        yield f"case {row['case_id']} has {row['n']} open queue items"


@invariant("closed_cases_own_no_open_queue_item")
def closed_cases_own_no_open_item() -> Iterator[str]:
    rows = (
        QueueItem.objects.filter(state=QueueItemState.OPEN)
        .exclude(case__state=State.ACTIVE)
        .values_list("id", "case_id", "case__state")
        .order_by("case_id")
    )
    for item_id, case_id, state in rows:
        yield f"{state} case {case_id} still has open queue item {item_id}"


@invariant("closed_queue_items_have_closed_at")
def closed_items_have_closed_at() -> Iterator[str]:
    rows = QueueItem.objects.filter(state=QueueItemState.CLOSED, closed_at__isnull=True)
    for item_id in rows.values_list("id", flat=True).order_by("id"):
        yield f"closed queue item {item_id} has no closed_at"


@invariant("at_most_one_active_rule_set")
def at_most_one_active_rule_set() -> Iterator[str]:
    active = list(
        RoutingRuleSet.objects.filter(active=True).order_by("id").values_list("id", flat=True)
    )
    if len(active) > 1:
        yield f"{len(active)} routing rule sets are active: {', '.join(map(str, active))}"


@invariant("queue_item_counters_match_the_items")
def queue_item_counters_match_the_items() -> Iterator[str]:
    """The queue item counters (docs/routing.md#counters) equal the counts of the open queue
    items."""
    real = counters.real_counts()
    stored = counters.stored_counts()
    for queue_id, worked in sorted(set(real) | set(stored), key=str):
        key = (queue_id, worked)
        if real[key] != stored[key]:
            which = "worked on" if worked else "nobody works on"
            yield (
                f"open items {which} in queue {queue_id}: counted {stored[key]}, "
                f"there are {real[key]}"
            )
