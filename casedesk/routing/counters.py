"""The queue item counters (docs/routing.md#counters): how many open items each queue has,
those somebody works on and those nobody works on apart (`QueueItemCount`), kept by every
write of queue items in the write's own transaction so that neither the queue views nor the
dashboard count the queue items.

They are kept as the case counters are (`casedesk/cases/counters.py`): each write adds its
deltas to one of `SHARDS` rows of each key, chosen at random, with one
`INSERT ... ON CONFLICT DO UPDATE SET n = n + delta` for all its keys, in key order. Readers
sum the rows.
"""

from __future__ import annotations

import random
import uuid
from collections import Counter
from collections.abc import Iterable
from typing import Any

from django.db.models import Count, Q, QuerySet, Sum

from casedesk.cases.counters import counter_rows_add
from casedesk.routing.choices import QueueItemState
from casedesk.routing.models import Queue, QueueItem, QueueItemCount

SHARDS = 8

ItemKey = tuple[uuid.UUID, bool]  # queue, somebody works on it


class ItemDeltas:
    """The changes a write makes to the open items of the queues."""

    def __init__(self) -> None:
        self.counts: Counter[ItemKey] = Counter()

    def opened(self, queue_id: uuid.UUID, worked_by_id: Any) -> None:
        """An open item appeared in the queue (a new one, or one moved there)."""
        self.counts[(queue_id, worked_by_id is not None)] += 1

    def closed(self, queue_id: uuid.UUID, worked_by_id: Any) -> None:
        """An open item left the queue (closed, or moved away)."""
        self.counts[(queue_id, worked_by_id is not None)] -= 1

    def worker_changed(self, queue_id: uuid.UUID, before: Any, after: Any) -> None:
        """Somebody started or stopped working on an open item."""
        if (before is None) != (after is None):
            self.closed(queue_id, before)
            self.opened(queue_id, after)

    def write(self) -> None:
        """Add the deltas to the counters: one statement, in key order (concurrent writers
        lock alike)."""
        rows = sorted((key, n) for key, n in self.counts.items() if n)
        if rows:
            shard = random.randrange(SHARDS)
            counter_rows_add(
                QueueItemCount,
                ("queue_id", "worked"),
                [(queue_id, worked, shard, n) for (queue_id, worked), n in rows],
            )
        self.counts.clear()


def items_counted(changes: Iterable[tuple[uuid.UUID, Any, int]]) -> None:
    """Add `(queue_id, worked_by_id, delta)` changes of open items to the counters."""
    deltas = ItemDeltas()
    for queue_id, worked_by_id, n in changes:
        deltas.counts[(queue_id, worked_by_id is not None)] += n
    deltas.write()


# --- reads ----------------------------------------------------------------------------------


def _rows(queues: QuerySet[Queue] | None, queue_id: uuid.UUID | None) -> QuerySet[QueueItemCount]:
    rows = QueueItemCount.objects.all()
    if queue_id is not None:
        rows = rows.filter(queue_id=queue_id)
    if queues is not None:
        rows = rows.filter(queue_id__in=queues.values("id"))
    return rows


def open_item_count(
    *,
    queues: QuerySet[Queue] | None = None,
    queue_id: uuid.UUID | None = None,
    worked: bool | None = None,
) -> int:
    """How many open items the queues have (`queues`: those of the query, None: all; and
    `queue_id`: that one only), those somebody works on (`worked`), nobody does, or all."""
    rows = _rows(queues, queue_id)
    if worked is not None:
        rows = rows.filter(worked=worked)
    total = rows.aggregate(total=Sum("n"))["total"]
    return int(total or 0)


def open_item_counts(*, queues: QuerySet[Queue] | None = None) -> dict[uuid.UUID, int]:
    """How many open items each queue has (`queues`: those of the query, None: all); queues
    with none are absent."""
    rows = (
        _rows(queues, None)
        .values_list("queue_id")
        .annotate(total=Sum("n"))
        .values_list("queue_id", "total")
        .order_by()
    )
    return {queue_id: int(total) for queue_id, total in rows if total}


# --- rebuilding and checking ------------------------------------------------------------------


def real_counts() -> Counter[ItemKey]:
    """The counts as the queue items say (reads every open item: for the check and the
    rebuild)."""
    counts: Counter[ItemKey] = Counter()
    rows = (
        QueueItem.objects.filter(state=QueueItemState.OPEN)
        .values_list("queue_id")
        .annotate(
            worked=Count("id", filter=Q(worked_by__isnull=False)),
            total=Count("id"),
        )
        .values_list("queue_id", "worked", "total")
        .order_by()
    )
    for queue_id, worked, total in rows:
        if worked:
            counts[(queue_id, True)] = worked
        if total - worked:
            counts[(queue_id, False)] = total - worked
    return counts


def stored_counts() -> Counter[ItemKey]:
    counts: Counter[ItemKey] = Counter()
    for queue_id, worked, n in QueueItemCount.objects.values_list(
        "queue_id", "worked", "n"
    ).order_by():
        counts[(queue_id, worked)] += n
    return Counter({key: n for key, n in counts.items() if n})


def counters_rebuild() -> None:
    """Replace the counters by the queue items' counts (a repair; the data migration that
    filled them first keeps a frozen copy of this, as migrations do)."""
    QueueItemCount.objects.all().delete()
    QueueItemCount.objects.bulk_create(
        [
            QueueItemCount(queue_id=queue_id, worked=worked, shard=0, n=n)
            for (queue_id, worked), n in real_counts().items()
        ],
        batch_size=2000,
    )
