"""Queue items (docs/routing.md#queue-items): add or move a case to a queue, pick, release, remove.

A case has at most one open item; the partial unique index `one_open_queue_item_per_case`
enforces it. Every write here locks the case first (case before item, the house lock order),
so concurrent adds of one case serialise; should an open item appear anyway between our read
and our insert, the insert fails on the index and is retried as a move.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any, NamedTuple

from django.db import IntegrityError, connection, transaction
from django.db.models import F

from casedesk.cases.choices import CaseAction
from casedesk.cases.models import Case
from casedesk.cases.permissions import case_change_allowed, require_case_change
from casedesk.cases.services.assignment import (
    OWNER_FIELDS,
    active_case_lock,
    assign_write,
    case_owns,
    require_active,
)
from casedesk.cases.services.common import case_snapshot, set_owner
from casedesk.cases.services.pipeline import (
    CaseWrite,
    CaseWritten,
    case_write_finish,
)
from casedesk.core import clock
from casedesk.core.audit import audit_record
from casedesk.core.bulk import BulkInsert
from casedesk.core.choices import Channel
from casedesk.core.concurrency import ExpectedVersion, check_version
from casedesk.core.errors import Forbidden, QueueItemClosed, ValidationFailed
from casedesk.core.rows import rows_update
from casedesk.directory.models import User
from casedesk.routing.choices import QueueItemState
from casedesk.routing.counters import ItemDeltas, items_counted
from casedesk.routing.locks import queue_item_lock, queue_items_open
from casedesk.routing.models import Queue, QueueItem
from casedesk.routing.selectors import queue_visible

PLACE_ATTEMPTS = 3
MOVE_FIELDS = ("queue_id", "entered_on", "worked_by_id", "version")
ITEM_FIELDS = (
    "id",
    "queue_id",
    "case_id",
    "state",
    "entered_on",
    "worked_by_id",
    "closed_at",
    "version",
)
OPEN = QueueItemState.OPEN.value


def queue_item_close_for_case(*, case: Case) -> int:
    """Close the case's open queue item, if any (resolve, cancel and merge). Returns how many
    items were closed (0 or 1). `worked_by` stays as history."""
    return queue_items_close_for_cases(case_ids=[case.pk])


def queue_items_close_for_cases(*, case_ids: Collection[uuid.UUID]) -> int:
    """Close the open queue items of the locked cases (one read, one update, and the counters'
    statement); how many were closed."""
    found = list(
        QueueItem.objects.filter(case_id__in=list(case_ids), state=QueueItemState.OPEN)
        .values_list("id", "queue_id", "worked_by_id")
        .order_by()
    )
    if not found:
        return 0
    # The cases are locked and every write of an item locks its case first: what was read is
    # what is closed.
    closed = QueueItem.objects.filter(
        id__in=[item_id for item_id, _, _ in found], state=QueueItemState.OPEN
    ).update(state=QueueItemState.CLOSED, closed_at=clock.now(), version=F("version") + 1)
    items_counted((queue_id, worked_by_id, -1) for _, queue_id, worked_by_id in found)
    return closed


def queue_item_close_on_case_write(written: Sequence[CaseWritten]) -> None:
    """The case-write pipeline's step for queues: the cases that leave service (resolved,
    cancelled, merged) leave their queues. Registered by `RoutingConfig.ready()`."""
    leaving = [change.case_id for _, change in written if change.leaves_queue]
    if leaving:
        queue_items_close_for_cases(case_ids=leaving)


@dataclass(frozen=True)
class Placement:
    item: QueueItem
    previous_queue_id: uuid.UUID | None
    changed: bool


class Placed(NamedTuple):
    """Where `queue_place_many` put one case: the queue it was in (None: none), whether
    anything changed, and its open item: the one it had (moved or kept), or else the values of
    the new one (`ITEM_FIELDS`), which many cases at once need no model instance for."""

    previous_queue_id: uuid.UUID | None
    changed: bool
    item: QueueItem | None
    new: tuple[Any, ...] | None


def _open_item(case: Case) -> QueueItem | None:
    return queue_items_open(case_ids=[case.pk]).get(case.pk)


def _open_items_of(cases: Sequence[Case]) -> dict[uuid.UUID, QueueItem]:
    if len(cases) == 1:  # one case (add to a queue, save and route): its own read
        item = _open_item(cases[0])
        return {cases[0].pk: item} if item is not None else {}
    return queue_items_open(case_ids=[case.pk for case in cases])


def _insert(rows: Sequence[tuple[Any, ...]]) -> None:
    if rows:
        # A savepoint: losing the race to another transaction must not abort ours. The
        # driver's unique violation is raised as Django's IntegrityError.
        with transaction.atomic(), connection.wrap_database_errors:
            BulkInsert(QueueItem, ITEM_FIELDS).write(rows)


def queue_place_many(
    *,
    placements: Sequence[tuple[Case, Queue]],
    open_items: Mapping[uuid.UUID, QueueItem] | None = None,
) -> list[Placed]:
    """Put each locked, active case in its queue (`case_not_active` otherwise), with a few
    statements for all of them: an open item in another queue moves (new `entered_on`, nobody
    working on it), a case in no queue gets a new item, a case already in that queue changes
    nothing. `open_items`: the cases' open items,
    when the caller has read them (locked) in this transaction. Writes no audit row. The cases
    placed enter their queues in the order given (strictly increasing `entered_on`), so that a
    queue lists them in that order. The queue item counters follow, in one statement.

    The new items go in under a savepoint: should an open item of one of the cases appear
    between the read and the insert (the partial unique index refuses the insert), those cases'
    items are read again and placed again, moving what appeared.
    """
    assert len({case.pk for case, _ in placements}) == len(placements), "each case once"
    for case, _queue in placements:  # only an active case sits in a queue (never a merged one)
        require_active(case)
    if open_items is None:
        open_items = _open_items_of([case for case, _ in placements])
    done: dict[uuid.UUID, Placed] = {}
    deltas = ItemDeltas()
    pending = list(placements)
    last = clock.now()

    def entered_on() -> dt.datetime:
        nonlocal last
        last = max(clock.now(), last + dt.timedelta(microseconds=1))
        return last

    for attempt in range(PLACE_ATTEMPTS):
        moved: list[QueueItem] = []
        added: list[tuple[Any, ...]] = []
        for case, queue in pending:
            item = open_items.get(case.pk)
            if item is None:
                # The values of ITEM_FIELDS: an open item that nobody works on.
                added.append((uuid.uuid4(), queue.pk, case.pk, OPEN, entered_on(), None, None, 1))
            elif item.queue_id == queue.pk:
                done[case.pk] = Placed(queue.pk, False, item, None)
            else:
                previous = item.queue_id
                deltas.closed(previous, item.worked_by_id)
                deltas.opened(queue.pk, None)
                item.queue = queue
                item.entered_on = entered_on()
                item.worked_by = None
                item.version += 1
                moved.append(item)
                done[case.pk] = Placed(previous, True, item, None)
        rows_update(QueueItem, moved, MOVE_FIELDS)
        try:
            _insert(added)
        except IntegrityError:
            if attempt == PLACE_ATTEMPTS - 1:
                raise
            # An open item appeared meanwhile: read those cases' items again and move them.
            again = {row[2] for row in added}
            pending = [(case, queue) for case, queue in pending if case.pk in again]
            open_items = _open_items_of([case for case, _ in pending])
            continue
        for row in added:
            done[row[2]] = Placed(None, True, None, row)
            deltas.opened(row[1], None)
        break
    deltas.write()
    return [done[case.pk] for case, _ in placements]


def queue_place(*, case: Case, queue: Queue) -> Placement:
    """Put the locked `case` in `queue`: move its open item (new `entered_on`, nobody working
    on it) or add one. Already in that queue: nothing changes. Writes no audit row."""
    placed = queue_place_many(placements=[(case, queue)])[0]
    item = placed.item
    if item is None:
        assert placed.new is not None
        item = QueueItem(**dict(zip(ITEM_FIELDS, placed.new, strict=True)))
        item.queue = queue
    return Placement(item=item, previous_queue_id=placed.previous_queue_id, changed=placed.changed)


def _id(value: uuid.UUID | None) -> str | None:
    return None if value is None else str(value)


def queue_write(
    *, previous_queue_id: uuid.UUID | None, queue_id: uuid.UUID | None, item: QueueItem
) -> CaseWrite:
    """The case write of a queue change (action `queue`): the version grows, the audit row
    names the queue the case was in and the one it is in now (None: none)."""
    return CaseWrite(
        action=CaseAction.QUEUE,
        before={},
        changes={"queue_id": [_id(previous_queue_id), _id(queue_id)]},
        details={"queue_item_id": str(item.pk)},
        save_fields=(),
    )


def _queue_for(actor: User, queue_id: uuid.UUID) -> Queue:
    queue = Queue.objects.filter(id=queue_id).first()
    if queue is None:
        raise ValidationFailed({"queue_id": "no such queue"})
    if not queue_visible(actor, queue):
        raise Forbidden(
            "Only its members may add cases to a private queue.",
            details={"queue_id": str(queue.pk)},
        )
    return queue


@transaction.atomic
def queue_item_add(
    *,
    actor: User,
    case_id: uuid.UUID,
    queue_id: uuid.UUID,
    expected_version: ExpectedVersion = None,
    channel: str = Channel.API,
) -> Placement:
    """Add an active case to a queue, or move it there from the queue it is in (its item gets a
    new `entered_on` and nobody works on it). Adding it to the queue it is in changes nothing.

    The caller must be allowed to change the case and to see the queue (a private queue: its
    members, managers and admins). Refuse with `not_found`, `version_mismatch` (the case's),
    `forbidden`, `case_not_active`, `validation_error` (no such queue).
    """
    case = active_case_lock(actor=actor, case_id=case_id, expected_version=expected_version)
    queue = _queue_for(actor, queue_id)
    placement = queue_place(case=case, queue=queue)
    if placement.changed:
        case_write_finish(
            case=case,
            actor=actor,
            channel=channel,
            write=queue_write(
                previous_queue_id=placement.previous_queue_id,
                queue_id=queue.pk,
                item=placement.item,
            ),
        )
    return placement


def _require_open(item: QueueItem) -> None:
    if item.state != QueueItemState.OPEN:
        raise QueueItemClosed(details={"queue_item_id": str(item.pk)})


def _item_audit(
    *, actor: User, item: QueueItem, action: str, channel: str, before: uuid.UUID | None
) -> None:
    audit_record(
        actor=actor,
        action=action,
        channel=channel,
        entity=item,
        entity_type="queue_item",
        changes={"worked_by": [before, item.worked_by_id]} if before != item.worked_by_id else {},
        details={"case_id": item.case_id, "queue_id": item.queue_id, "state": item.state},
    )


@transaction.atomic
def queue_item_pick(
    *,
    actor: User,
    item_id: uuid.UUID,
    remove: bool = False,
    expected_version: ExpectedVersion = None,
    channel: str = Channel.API,
) -> QueueItem:
    """Work on an open item: `worked_by` becomes the caller (who may then change the case).

    Anyone who sees the queue may pick its items (a public queue: every agent; a private one:
    its members, managers and admins), also an item someone else works on. With `remove` the
    item also leaves the queue (closed) and the case is assigned to the caller, who would
    otherwise lose the right to change it. Refuse with `not_found`, `version_mismatch` (the
    item's), `forbidden`, `queue_item_closed`.
    """
    case, item = queue_item_lock(item_id)
    if not queue_visible(actor, item.queue):
        raise Forbidden("This item is in a private queue visible to its members only.")
    _require_open(item)
    check_version(expected_version, item.version)
    before = item.worked_by_id
    item.worked_by = actor
    item.version += 1
    deltas = ItemDeltas()
    if remove:
        item.state = QueueItemState.CLOSED
        item.closed_at = clock.now()
        deltas.closed(item.queue_id, before)
    else:
        deltas.worker_changed(item.queue_id, before, actor.pk)
    item.save(update_fields=["worked_by", "version", "state", "closed_at"])
    deltas.write()
    _item_audit(actor=actor, item=item, action="pick", channel=channel, before=before)
    if remove:
        _close_on_case(case=case, item=item, actor=actor, channel=channel, assign_to=actor)
    return item


def _close_on_case(
    *, case: Case, item: QueueItem, actor: User, channel: str, assign_to: User | None = None
) -> None:
    """The case left its queue (and, picked with `remove`, now belongs to the picker): one
    save, the queue's audit row, then the assignment's audit row and post."""
    before = case_snapshot(case)
    assigned = assign_to is not None and not case_owns(case, assign_to)
    if assigned and assign_to is not None:
        set_owner(case, assign_to)
    left = queue_write(previous_queue_id=item.queue_id, queue_id=None, item=item)
    case_write_finish(
        case=case,
        actor=actor,
        channel=channel,
        write=replace(left, save_fields=OWNER_FIELDS) if assigned else left,
    )
    if assigned and assign_to is not None:
        case_write_finish(
            case=case,
            actor=actor,
            channel=channel,
            # Saved with the queue's write: one version step, as one change.
            write=assign_write(before, assign_to, save=False),
        )


@transaction.atomic
def queue_item_release(
    *,
    actor: User,
    item_id: uuid.UUID,
    expected_version: ExpectedVersion = None,
    channel: str = Channel.API,
) -> QueueItem:
    """Stop working on an open item: `worked_by` is cleared.

    The worker releases their own item; others need the right to change the case (managers,
    its owners, members of its queue). Refuse with `not_found`, `version_mismatch` (the
    item's), `forbidden`, `queue_item_closed`.
    """
    case, item = queue_item_lock(item_id)
    if item.worked_by_id != actor.pk and not case_change_allowed(actor, case):
        raise Forbidden("You may not release this item.", details={"queue_item_id": str(item.pk)})
    _require_open(item)
    check_version(expected_version, item.version)
    if item.worked_by_id is None:
        return item
    before = item.worked_by_id
    item.worked_by = None
    item.version += 1
    item.save(update_fields=["worked_by", "version"])
    deltas = ItemDeltas()
    deltas.worker_changed(item.queue_id, before, None)
    deltas.write()
    _item_audit(actor=actor, item=item, action="release", channel=channel, before=before)
    return item


@transaction.atomic
def queue_item_remove(
    *,
    actor: User,
    item_id: uuid.UUID,
    expected_version: ExpectedVersion = None,
    channel: str = Channel.API,
) -> QueueItem:
    """Take a case out of its queue: the item is closed and stays as history.

    Needs the right to change the case. Refuse with `not_found`, `version_mismatch` (the
    item's), `forbidden`, `queue_item_closed`.
    """
    case, item = queue_item_lock(item_id)
    require_case_change(actor, case)
    _require_open(item)
    check_version(expected_version, item.version)
    item.state = QueueItemState.CLOSED
    item.closed_at = clock.now()
    item.version += 1
    item.save(update_fields=["state", "closed_at", "version"])
    items_counted([(item.queue_id, item.worked_by_id, -1)])
    _item_audit(actor=actor, item=item, action="remove", channel=channel, before=item.worked_by_id)
    _close_on_case(case=case, item=item, actor=actor, channel=channel)
    return item
