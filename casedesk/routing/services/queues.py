"""Queues (docs/routing.md#queues): managers create and edit them; public or private, with
members."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any

from django.db import transaction

from casedesk.core import clock
from casedesk.core.audit import audit_record
from casedesk.core.choices import Channel
from casedesk.core.concurrency import ExpectedVersion, check_version
from casedesk.core.errors import ValidationFailed
from casedesk.directory.access import Actor, require_role
from casedesk.directory.choices import Role
from casedesk.directory.models import User
from casedesk.routing.choices import QueueType
from casedesk.routing.locks import queue_lock
from casedesk.routing.models import Queue


def _members(member_ids: Sequence[uuid.UUID]) -> list[User]:
    wanted = list(dict.fromkeys(member_ids))
    found = list(User.objects.filter(id__in=wanted, is_active=True))
    if len(found) != len(wanted):
        known = {u.pk for u in found}
        missing = [str(i) for i in wanted if i not in known]
        raise ValidationFailed({"member_ids": f"no such user: {', '.join(missing)}"})
    return found


def _type(value: str) -> str:
    if value not in QueueType.values:
        raise ValidationFailed({"type": f"must be one of {', '.join(QueueType.values)}"})
    return value


def _queue_state(queue: Queue) -> dict[str, Any]:
    return {
        "name": queue.name,
        "type": queue.type,
        "member_ids": sorted(str(m) for m in queue.members.values_list("id", flat=True)),
    }


@transaction.atomic
def queue_create(
    *,
    actor: Actor,
    name: str,
    type: str = QueueType.PUBLIC,
    member_ids: Sequence[uuid.UUID] = (),
    channel: str = Channel.API,
) -> Queue:
    """Create a public or private queue with its members. Managers only (`forbidden`);
    `validation_error` for an unknown member or type."""
    require_role(actor, Role.MANAGER, "Only managers create queues.")
    if not name or not name.strip():
        raise ValidationFailed({"name": "is required"})
    now = clock.now()
    queue = Queue.objects.create(name=name, type=_type(type), created_at=now, modified_at=now)
    queue.members.set(_members(member_ids))
    audit_record(
        actor=actor,
        action="create",
        channel=channel,
        entity=queue,
        entity_type="queue",
        changes={k: [None, v] for k, v in _queue_state(queue).items()},
    )
    return queue


QUEUE_WRITABLE = frozenset({"name", "type", "member_ids"})


@transaction.atomic
def queue_update(
    *,
    actor: Actor,
    queue_id: uuid.UUID,
    changes: dict[str, Any],
    expected_version: ExpectedVersion = None,
    channel: str = Channel.API,
) -> Queue:
    """Change a queue's name, type or members (a merge patch; `member_ids` replaces the list).

    Managers only. Refuse with `not_found`, `forbidden`, `version_mismatch`, `validation_error`.
    """
    require_role(actor, Role.MANAGER, "Only managers edit queues.")
    queue = queue_lock(queue_id)
    check_version(expected_version, queue.version)
    unknown = set(changes) - QUEUE_WRITABLE
    if unknown:
        raise ValidationFailed({name: "is not a writable field" for name in sorted(unknown)})
    before = _queue_state(queue)
    if "name" in changes:
        name = changes["name"]
        if not name or not str(name).strip():
            raise ValidationFailed({"name": "is required"})
        queue.name = name
    if "type" in changes:
        if changes["type"] is None:
            raise ValidationFailed({"type": "may not be cleared"})
        queue.type = _type(changes["type"])
    if "member_ids" in changes:
        queue.members.set(_members(changes["member_ids"] or []))
    after = _queue_state(queue)
    if after == before:
        return queue
    queue.version += 1
    queue.modified_at = clock.now()
    queue.save(update_fields=["name", "type", "version", "modified_at"])
    audit_record(
        actor=actor,
        action="update",
        channel=channel,
        entity=queue,
        entity_type="queue",
        changes={k: [before[k], after[k]] for k in after if before[k] != after[k]},
    )
    return queue
