"""The audit writer: every service records what it changed, in its own transaction."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterable, Mapping
from decimal import Decimal
from enum import Enum
from typing import Any

from django.db.models import Model

from casedesk.core import clock
from casedesk.core.bulk import BulkInsert
from casedesk.core.models import AuditEntry


def jsonable(value: Any) -> Any:
    if isinstance(value, Model):
        return str(value.pk)
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, list | tuple | set):
        return [jsonable(v) for v in value]
    if isinstance(value, dict):
        return {str(k): jsonable(v) for k, v in value.items()}
    return value


def snapshot(obj: Model, fields: Iterable[str]) -> dict[str, Any]:
    """The current values of `fields` (foreign keys by id), for a later `diff`."""
    values: dict[str, Any] = {}
    for name in fields:
        field = obj._meta.get_field(name)
        attname = getattr(field, "attname", name)
        values[name] = jsonable(getattr(obj, attname))
    return values


def diff(before: Mapping[str, Any], after: Mapping[str, Any]) -> dict[str, list[Any]]:
    """`{field: [old, new]}` for each field whose value changed."""
    return {
        key: [before.get(key), after.get(key)] for key in after if before.get(key) != after.get(key)
    }


def _actor_id(actor: Any) -> Any:
    """The user of an entry: the acting user's id, none for the system
    (`casedesk.directory.access.SYSTEM`). No actor at all is a bug, not the system."""
    if actor is None:
        raise TypeError("an audit entry needs an actor (a user or SYSTEM), not None")
    return getattr(actor, "pk", None)


def audit_record(
    *,
    actor: Any,
    action: str,
    channel: str,
    entity: Model,
    changes: Mapping[str, Any] | None = None,
    details: Mapping[str, Any] | None = None,
    entity_type: str | None = None,
) -> AuditEntry:
    return AuditEntry.objects.create(
        at=clock.now(),
        actor_id=_actor_id(actor),
        action=action,
        channel=channel,
        entity_type=entity_type or entity._meta.model_name or "record",
        entity_id=entity.pk,
        changes=jsonable(dict(changes or {})),
        details=jsonable(dict(details or {})),
    )


def audit_record_many(
    *,
    actor: Any,
    action: str,
    channel: str,
    entity_type: str,
    entries: Iterable[tuple[uuid.UUID, Mapping[str, Any]]],
    details: Mapping[str, Any] | None = None,
) -> int:
    """One audit entry per `(entity_id, changes)`, all by one actor at one time with the same
    `details`, written set-wise (`casedesk.core.bulk`): for services that write many records
    at once. `changes` and `details` must already be JSON values (see `jsonable`)."""
    writer = BulkInsert(
        AuditEntry,
        ("entity_id", "changes"),
        constants={
            "at": clock.now(),
            "actor_id": _actor_id(actor),
            "action": action,
            "channel": channel,
            "entity_type": entity_type,
            "details": dict(details or {}),
        },
    )
    return writer.write(entries)
