"""Reads of queues, queue items and routing rule sets, with who may see what
(docs/security.md#private-queues)."""

from __future__ import annotations

import uuid
from collections import Counter
from dataclasses import dataclass
from typing import TypeVar

from django.db.models import Prefetch, Q, QuerySet

from casedesk.core.errors import Forbidden, NotFound
from casedesk.core.statements import Statement
from casedesk.directory.access import has_role
from casedesk.directory.choices import Role
from casedesk.directory.models import User
from casedesk.routing import counters
from casedesk.routing.choices import QueueItemState, QueueType
from casedesk.routing.models import Queue, QueueItem, RoutingRuleSet, RuleItem

T = TypeVar("T")


# The private-queue rule (docs/security.md, "Who may see and change what"): a public queue and
# its items are seen by everyone; a private queue and its items — which cases sit in it — by
# its members, managers and administrators only. `queue_visible` (one queue),
# `_visible_queues_q` (queries of queues) and `VisibleQueues` (the queue ids shown with cases,
# their lists and their audit) are that one rule; every read of queues or of a case's queue
# goes through them.


def queue_visible(user: User, queue: Queue) -> bool:
    """Public queues are seen by everyone; private ones by their members, managers, admins."""
    if has_role(user, Role.MANAGER) or queue.type == QueueType.PUBLIC:
        return True
    return queue.members.filter(pk=user.pk).exists()


def _visible_queues_q(user: User, prefix: str = "") -> Q:
    if has_role(user, Role.MANAGER):
        return Q()
    return Q(**{f"{prefix}type": QueueType.PUBLIC}) | Q(**{f"{prefix}members": user})


class VisibleQueues:
    """The queues `user` may see, for reads that name a case's queue by its id: a case record,
    a page of them, a list filter, audit entries. `None` is the system, which sees every queue.

    The private queues hidden from the user are read once, on the first id that needs them
    (managers and administrators need none), so a page of cases costs at most one query more.
    """

    def __init__(self, user: User | None) -> None:
        self.user = user
        self._hidden: frozenset[str] | None = None

    def _hidden_ids(self) -> frozenset[str]:
        if self._hidden is None:
            assert self.user is not None
            private = Queue.objects.filter(type=QueueType.PRIVATE).exclude(members=self.user)
            self._hidden = frozenset(str(i) for i in private.values_list("id", flat=True))
        return self._hidden

    def shows(self, queue_id: object) -> bool:
        """Whether the user may see the queue `queue_id` (a UUID or its text; None: no queue)."""
        if queue_id is None or self.user is None or has_role(self.user, Role.MANAGER):
            return True
        return str(queue_id) not in self._hidden_ids()

    def shown(self, queue_id: T) -> T | None:
        """`queue_id` when the user may see that queue, else None (as if in no queue)."""
        return queue_id if self.shows(queue_id) else None


def queue_list(*, user: User) -> QuerySet[Queue]:
    qs = Queue.objects.prefetch_related("members")
    if has_role(user, Role.MANAGER):
        return qs
    visible = Queue.objects.filter(_visible_queues_q(user)).values("id")
    return qs.filter(id__in=visible)


def queue_get(*, user: User, queue_id: uuid.UUID) -> Queue:
    """The queue; `forbidden` when it is private and the user may not see it."""
    queue = Queue.objects.prefetch_related("members").filter(id=queue_id).first()
    if queue is None:
        raise NotFound("No such queue.")
    if not queue_visible(user, queue):
        raise Forbidden("This private queue is visible to its members only.")
    return queue


ITEM_RELATED = ("case", "worked_by", "queue")


@dataclass(frozen=True)
class ItemFilters:
    queue_id: uuid.UUID | None = None
    state: str = QueueItemState.OPEN
    worked_by: str | None = None  # "me", "none" or None (anyone)


def queue_item_list(*, user: User, filters: ItemFilters) -> QuerySet[QueueItem]:
    """Items of the queues the user may see (and, with `worked_by=me`, the items the user works
    on wherever they are)."""
    qs = QueueItem.objects.select_related(*ITEM_RELATED).filter(state=filters.state)
    if filters.queue_id is not None:
        qs = qs.filter(queue_id=filters.queue_id)
    if filters.worked_by == "me":
        qs = qs.filter(worked_by=user)
    elif filters.worked_by == "none":
        qs = qs.filter(worked_by__isnull=True)
    if not has_role(user, Role.MANAGER) and filters.worked_by != "me":
        visible = Queue.objects.filter(_visible_queues_q(user)).values("id")
        qs = qs.filter(queue_id__in=visible)
    return qs


def _counted_queues(user: User) -> QuerySet[Queue] | None:
    """The queues whose items `queue_item_list` lists for `user` (None: every queue)."""
    if has_role(user, Role.MANAGER):
        return None
    return Queue.objects.filter(_visible_queues_q(user))


def queue_item_count(*, user: User, filters: ItemFilters) -> int:
    """How many items `queue_item_list` lists (docs/routing.md#listing-items). The open items
    of one queue or of every queue the user sees, all of them or those nobody works on, are
    the sum of the queue item counters' rows (`routing/counters.py`), never a count of the
    queue items; the user's own items are counted on `queueitem_worker_idx`, and the closed
    ones (the history) on the queue items."""
    if filters.state != QueueItemState.OPEN or filters.worked_by == "me":
        return queue_item_list(user=user, filters=filters).order_by().count()
    return counters.open_item_count(
        queues=_counted_queues(user),
        queue_id=filters.queue_id,
        worked=False if filters.worked_by == "none" else None,
    )


def queue_item_counts(*, user: User) -> list[tuple[str, int]]:
    """Open items per queue the user may see, by queue name, the fullest first; queues with
    none are left out. Read from the queue item counters."""
    counts = counters.open_item_counts(queues=_counted_queues(user))
    names = Queue.objects.filter(id__in=list(counts)).values_list("id", "name")
    by_name: Counter[str] = Counter()
    for queue_id, name in names:
        by_name[name] += counts[queue_id]
    return sorted(by_name.items(), key=lambda row: (-row[1], row[0]))


def open_item_of(*, case_id: uuid.UUID) -> QueueItem | None:
    """The case's open queue item (at most one), with its queue and who works it."""
    found = _OPEN_ITEM.run(case_id=case_id)
    return found[0] if found else None


_OPEN_ITEM = Statement[QueueItem](
    lambda case_id: QueueItem.objects.select_related("worked_by", "queue").filter(
        case_id=case_id, state=QueueItemState.OPEN
    )[:1]
)


def queue_item_get(*, user: User, item_id: uuid.UUID) -> QueueItem:
    item = QueueItem.objects.select_related(*ITEM_RELATED).filter(id=item_id).first()
    if item is None:
        raise NotFound("No such queue item.")
    if item.worked_by_id != user.pk and not queue_visible(user, item.queue):
        raise Forbidden("This item is in a private queue visible to its members only.")
    return item


def rule_set_queryset() -> QuerySet[RoutingRuleSet]:
    items = RuleItem.objects.select_related(
        "route_queue", "route_owner_user", "route_owner_team"
    ).order_by("position")
    return RoutingRuleSet.objects.prefetch_related(Prefetch("items", queryset=items))


def rule_set_list() -> QuerySet[RoutingRuleSet]:
    return rule_set_queryset()


def rule_set_get(*, rule_set_id: uuid.UUID) -> RoutingRuleSet:
    found = rule_set_queryset().filter(id=rule_set_id).first()
    if found is None:
        raise NotFound("No such routing rule set.")
    return found


def rule_set_active() -> RoutingRuleSet | None:
    """The active rule set with its items in order, read fresh (every worker agrees)."""
    return rule_set_queryset().filter(active=True).first()
