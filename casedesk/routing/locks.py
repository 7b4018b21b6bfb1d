"""Every lock of `routing`, in the global lock order of docs/concurrency.md.

Configuration first (level 2): a routing rule set, or every rule set in id order (an
activation), or a queue. Then, on behalf of cases, after the cases themselves (level 4, taken
with `cases/locks.py`, or here with `cases_lock` for a chunk of bulk routing): the cases' open
queue items (level 7), or one queue item after its case.
"""

from __future__ import annotations

import uuid
from collections.abc import Collection

from casedesk.cases.locks import case_lock
from casedesk.cases.models import Case
from casedesk.core.errors import NotFound
from casedesk.core.locks import row_lock, rows_lock
from casedesk.routing.choices import QueueItemState
from casedesk.routing.models import Queue, QueueItem, RoutingRuleSet


def rule_set_lock(rule_set_id: uuid.UUID) -> RoutingRuleSet:
    """The rule set, locked (`not_found`)."""
    return row_lock(RoutingRuleSet, "No such routing rule set.", id=rule_set_id)


def rule_sets_lock_all() -> list[RoutingRuleSet]:
    """Every rule set, locked in id order: two activations serialise instead of deadlocking."""
    return list(rows_lock(RoutingRuleSet.objects.order_by("id")))


def queue_lock(queue_id: uuid.UUID) -> Queue:
    """The queue, locked (`not_found`)."""
    return row_lock(Queue, "No such queue.", id=queue_id)


def cases_lock(
    *, case_ids: Collection[uuid.UUID], fields: Collection[str], related: Collection[str] = ()
) -> dict[uuid.UUID, Case]:
    """The cases found among `case_ids` with only `fields` loaded (and the `related` records
    joined), locked for update until the end of the caller's transaction. On PostgreSQL the
    rows are locked in id order (as every other multi-case lock), so two bulk requests over
    overlapping cases wait for each other instead of deadlocking; only case rows are locked."""
    qs = Case.objects.filter(id__in=list(case_ids)).only(*fields, *related).order_by("id")
    if related:
        qs = qs.select_related(*related)
    return {case.pk: case for case in rows_lock(qs, of=("self",))}


def queue_items_open(*, case_ids: Collection[uuid.UUID]) -> dict[uuid.UUID, QueueItem]:
    """The open items of these cases (at most one each), locked; the caller locked the cases."""
    items = QueueItem.objects.filter(case_id__in=list(case_ids), state=QueueItemState.OPEN)
    return {item.case_id: item for item in rows_lock(items)}


def queue_item_lock(item_id: uuid.UUID) -> tuple[Case, QueueItem]:
    """The item and its case, both locked (case first, `not_found` for neither); the item's
    queue is read with it, not locked: a queue row locked here would hold up the foreign key
    checks of every other write of its items, which PostgreSQL makes at their commit, after
    they added to the queue item counters this write then waits for."""
    case_id = QueueItem.objects.filter(id=item_id).values_list("case_id", flat=True).first()
    if case_id is None:
        raise NotFound("No such queue item.")
    case = case_lock(case_id=case_id)
    item = rows_lock(QueueItem.objects.select_related("queue"), of=("self",)).get(id=item_id)
    return case, item
