"""SLAs (docs/service-levels.md#slas): ordered items, each a KPI with its conditions, calendar,
warning and failure times and actions, validated as a whole on save.

Managers create, edit, activate and deactivate them. Several SLAs may be active (an
entitlement names its own); an active SLA is read-only. At most one SLA is the default: making
one the default clears the flag on the previous one in the same transaction.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from django.db import transaction

from casedesk.cases.choices import STATUSES_BY_STATE, Priority, State, Status
from casedesk.core import clock
from casedesk.core.audit import audit_record
from casedesk.core.choices import Channel
from casedesk.core.concurrency import ExpectedVersion, check_version
from casedesk.core.errors import SlaActive, ValidationFailed
from casedesk.directory.access import Actor, require_role
from casedesk.directory.choices import Role
from casedesk.routing import matching
from casedesk.routing.models import Queue
from casedesk.sla.choices import ActionType, Kpi, NotifyTarget
from casedesk.sla.locks import sla_default_serialize, sla_lock, sla_other_defaults_lock
from casedesk.sla.models import Calendar, Sla, SlaItem

MAX_ITEMS = 100
MAX_CONDITIONS = 50
MAX_ACTIONS = 10
MAX_NAME = 200
# A year of working time: the largest warning or failure time an item takes.
MAX_MINUTES = 525_600

DEFAULT_PAUSE_STATUSES: tuple[str, ...] = (Status.ON_HOLD, Status.WAITING_FOR_DETAILS)
PAUSABLE: tuple[str, ...] = tuple(str(s) for s in STATUSES_BY_STATE[State.ACTIVE])

ITEM_KEYS = frozenset(
    {
        "name",
        "kpi",
        "conditions",
        "calendar_id",
        "warn_after_minutes",
        "fail_after_minutes",
        "on_warning",
        "on_failure",
    }
)
# The keys of each kind of action, `type` included.
ACTION_KEYS: dict[str, frozenset[str]] = {
    ActionType.NOTIFY: frozenset({"type", "to"}),
    ActionType.SET_PRIORITY: frozenset({"type", "value"}),
    ActionType.QUEUE: frozenset({"type", "queue_id"}),
}
SLA_WRITABLE = frozenset({"name", "is_default", "pause_statuses", "items"})

_MANAGERS_ONLY = "Only managers maintain SLAs."


def _name(value: object, field: str = "name") -> str:
    if not isinstance(value, str) or not value.strip():
        raise ValidationFailed({field: "is required"})
    if len(value) > MAX_NAME:
        raise ValidationFailed({field: f"must be at most {MAX_NAME} characters"})
    return value.strip()


def _flag(value: object, field: str) -> bool:
    if not isinstance(value, bool):
        raise ValidationFailed({field: "must be true or false"})
    return value


def pause_statuses_clean(value: object) -> list[str]:
    """The statuses that stop the clock, each once, in the order of the active statuses; a
    status of a resolved or cancelled case is refused (`pause_statuses.N`)."""
    if not isinstance(value, list | tuple):
        raise ValidationFailed({"pause_statuses": "must be a list of statuses"})
    errors = {
        f"pause_statuses.{i}": f"must be one of {', '.join(PAUSABLE)}"
        for i, status in enumerate(value)
        if status not in PAUSABLE
    }
    if errors:
        raise ValidationFailed(errors)
    return [s for s in PAUSABLE if s in value]


def _uuid(value: object) -> uuid.UUID | None:
    if isinstance(value, uuid.UUID):
        return value
    if isinstance(value, str):
        try:
            return uuid.UUID(value)
        except ValueError:
            return None
    return None


def _minutes(value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValueError("must be a whole number of minutes")
    if not 1 <= value <= MAX_MINUTES:
        raise ValueError(f"must be from 1 to {MAX_MINUTES} minutes")
    return value


def _actions(
    raw: object, key: str, errors: dict[str, str], queue_ids: set[uuid.UUID]
) -> list[dict[str, Any]]:
    """The actions in canonical form; problems go to `errors` under `key.N.part`. The queues
    named are added to `queue_ids`, checked together afterwards."""
    if raw is None:
        return []
    if not isinstance(raw, list | tuple):
        errors[key] = "must be a list of actions"
        return []
    if len(raw) > MAX_ACTIONS:
        errors[key] = f"at most {MAX_ACTIONS} actions"
        return []
    out: list[dict[str, Any]] = []
    for index, action in enumerate(raw):
        where = f"{key}.{index}"
        if not isinstance(action, Mapping):
            errors[where] = "must be an object with a type"
            continue
        kind = action.get("type")
        if kind not in ACTION_KEYS:
            errors[f"{where}.type"] = f"must be one of {', '.join(ACTION_KEYS)}"
            continue
        unknown = sorted(str(k) for k in set(action) - ACTION_KEYS[kind])
        for name in unknown:
            errors[f"{where}.{name}"] = "is not a key of this action"
        if unknown:
            continue
        if kind == ActionType.NOTIFY:
            to = action.get("to")
            if to not in NotifyTarget.values:
                errors[f"{where}.to"] = f"must be one of {', '.join(NotifyTarget.values)}"
                continue
            out.append({"type": str(kind), "to": str(to)})
        elif kind == ActionType.SET_PRIORITY:
            value = action.get("value")
            if value not in Priority.values:
                errors[f"{where}.value"] = f"must be one of {', '.join(Priority.values)}"
                continue
            out.append({"type": str(kind), "value": str(value)})
        else:
            queue_id = _uuid(action.get("queue_id"))
            if queue_id is None:
                errors[f"{where}.queue_id"] = "must be a queue id"
                continue
            queue_ids.add(queue_id)
            out.append({"type": str(kind), "queue_id": str(queue_id)})
    return out


def _check_queues(
    items: Sequence[SlaItem], errors: dict[str, str], queue_ids: set[uuid.UUID]
) -> None:
    if not queue_ids:
        return
    existing = {
        str(pk) for pk in Queue.objects.filter(id__in=queue_ids).values_list("id", flat=True)
    }
    for index, item in enumerate(items):
        for key in ("on_warning", "on_failure"):
            for a_index, action in enumerate(getattr(item, key)):
                if action["type"] == ActionType.QUEUE and action["queue_id"] not in existing:
                    errors[f"items.{index}.{key}.{a_index}.queue_id"] = "no such queue"


def items_build(items: object) -> list[SlaItem]:
    """Unsaved SLA items in order, or `validation_error` naming every bad item, condition or
    action (`items.1.conditions.0.value`, `items.0.on_failure.1.queue_id`)."""
    if not isinstance(items, list | tuple):
        raise ValidationFailed({"items": "must be a list of items"})
    if not items:
        raise ValidationFailed({"items": "an SLA needs at least one item"})
    if len(items) > MAX_ITEMS:
        raise ValidationFailed({"items": f"at most {MAX_ITEMS} items"})
    errors: dict[str, str] = {}
    built: list[SlaItem] = []
    seen: set[str] = set()
    calendar_ids: dict[int, uuid.UUID] = {}
    queue_ids: set[uuid.UUID] = set()
    for index, raw in enumerate(items):
        key = f"items.{index}"
        if not isinstance(raw, Mapping):
            errors[key] = "must be an object"
            # A placeholder keeps the later items at their index.
            built.append(SlaItem(position=index, warn_after_minutes=1, fail_after_minutes=1))
            continue
        for unknown in sorted(str(k) for k in set(raw) - ITEM_KEYS):
            errors[f"{key}.{unknown}"] = "is not an item key"
        given = raw.get("name")
        name = given if isinstance(given, str) else ""
        if not name.strip():
            errors[f"{key}.name"] = "is required"
        elif len(name) > MAX_NAME:
            errors[f"{key}.name"] = f"must be at most {MAX_NAME} characters"
        elif name.strip().casefold() in seen:
            errors[f"{key}.name"] = "is already the name of another item of this SLA"
        name = name.strip()
        seen.add(name.casefold())
        kpi = raw.get("kpi")
        if kpi not in Kpi.values:
            errors[f"{key}.kpi"] = f"must be one of {', '.join(Kpi.values)}"
        conditions: list[dict[str, Any]] = []
        raw_conditions = raw.get("conditions") or []
        if not isinstance(raw_conditions, list | tuple):
            errors[f"{key}.conditions"] = "must be a list of conditions"
        elif len(raw_conditions) > MAX_CONDITIONS:
            errors[f"{key}.conditions"] = f"at most {MAX_CONDITIONS} conditions"
        else:
            for c_index, condition in enumerate(raw_conditions):
                try:
                    conditions.append(matching.condition_clean(condition))
                except matching.ConditionInvalid as exc:
                    for part, message in exc.errors.items():
                        errors[f"{key}.conditions.{c_index}.{part}"] = message
        calendar_raw = raw.get("calendar_id")
        if calendar_raw is not None:
            calendar_id = _uuid(calendar_raw)
            if calendar_id is None:
                errors[f"{key}.calendar_id"] = "must be a calendar id or null"
            else:
                calendar_ids[index] = calendar_id
        minutes: dict[str, int] = {}
        for field in ("warn_after_minutes", "fail_after_minutes"):
            if field not in raw:
                errors[f"{key}.{field}"] = "is required"
                continue
            try:
                minutes[field] = _minutes(raw[field])
            except ValueError as exc:
                errors[f"{key}.{field}"] = str(exc)
        warn = minutes.get("warn_after_minutes", 1)
        fail = minutes.get("fail_after_minutes", warn)
        if warn > fail:
            errors[f"{key}.warn_after_minutes"] = "must not be after the failure time"
        built.append(
            SlaItem(
                position=index,
                name=name,
                kpi=str(kpi),
                conditions=conditions,
                warn_after_minutes=warn,
                fail_after_minutes=fail,
                on_warning=_actions(raw.get("on_warning"), f"{key}.on_warning", errors, queue_ids),
                on_failure=_actions(raw.get("on_failure"), f"{key}.on_failure", errors, queue_ids),
            )
        )
    if calendar_ids:
        calendars = Calendar.objects.in_bulk(set(calendar_ids.values()))
        for index, calendar_id in calendar_ids.items():
            calendar = calendars.get(calendar_id)
            if calendar is None:
                errors[f"items.{index}.calendar_id"] = "no such calendar"
            else:
                built[index].calendar = calendar
    _check_queues(built, errors, queue_ids)
    if errors:
        raise ValidationFailed(errors)
    return built


def item_state(item: SlaItem) -> dict[str, Any]:
    """An item as the API shows it (and the audit records it)."""
    return {
        "name": item.name,
        "kpi": item.kpi,
        "conditions": item.conditions,
        "calendar_id": str(item.calendar_id) if item.calendar_id else None,
        "warn_after_minutes": item.warn_after_minutes,
        "fail_after_minutes": item.fail_after_minutes,
        "on_warning": item.on_warning,
        "on_failure": item.on_failure,
    }


def _items_state(items: Iterable[SlaItem]) -> list[dict[str, Any]]:
    return [item_state(i) for i in items]


def _state(sla: Sla) -> dict[str, Any]:
    return {"name": sla.name, "is_default": sla.is_default, "pause_statuses": sla.pause_statuses}


def _save_items(sla: Sla, items: list[SlaItem]) -> None:
    """Replace the SLA's items. KPI instances keep the name of an item that goes."""
    SlaItem.objects.filter(sla=sla).delete()
    for item in items:
        item.sla = sla
    SlaItem.objects.bulk_create(items)


def _touch(sla: Sla) -> None:
    sla.version += 1
    sla.modified_at = clock.now()


def _clear_other_default(*, actor: Actor, sla_id: uuid.UUID | None, channel: str) -> None:
    """At most one default: the flag leaves the previous default SLA (active or not), audited."""
    for other in sla_other_defaults_lock(sla_id):
        other.is_default = False
        _touch(other)
        other.save(update_fields=["is_default", "version", "modified_at"])
        audit_record(
            actor=actor,
            action="update",
            channel=channel,
            entity=other,
            entity_type="sla",
            changes={"is_default": [True, False]},
        )


@transaction.atomic
def sla_create(
    *,
    actor: Actor,
    name: str,
    items: Sequence[Mapping[str, Any]],
    pause_statuses: Sequence[str] | None = None,
    is_default: bool = False,
    channel: str = Channel.API,
) -> Sla:
    """Create an inactive SLA with its ordered items (`calendar_id` null: 24x7).

    Managers only (`forbidden`). Item names are unique within the SLA; each item has a KPI,
    conditions in the language of routing rules, an existing calendar or none, warning and
    failure times of 1 to 525,600 working minutes (warning not after failure) and actions on
    warning and on failure. Pause statuses default to on hold and waiting for details. Refuse
    with `validation_error` naming each bad place (`items.1.conditions.0.value`). `is_default`
    takes the flag from the previous default SLA.
    """
    require_role(actor, Role.MANAGER, "Only managers create SLAs.")
    clean_name = _name(name)
    pauses = pause_statuses_clean(
        list(DEFAULT_PAUSE_STATUSES) if pause_statuses is None else pause_statuses
    )
    default = _flag(is_default, "is_default")
    built = items_build(items)
    if default:
        sla_default_serialize()
        _clear_other_default(actor=actor, sla_id=None, channel=channel)
    now = clock.now()
    sla = Sla.objects.create(
        name=clean_name,
        is_default=default,
        pause_statuses=pauses,
        created_at=now,
        modified_at=now,
    )
    _save_items(sla, built)
    audit_record(
        actor=actor,
        action="create",
        channel=channel,
        entity=sla,
        entity_type="sla",
        changes={
            **{k: [None, v] for k, v in _state(sla).items()},
            "items": [None, _items_state(built)],
        },
    )
    return sla


@transaction.atomic
def sla_update(
    *,
    actor: Actor,
    sla_id: uuid.UUID,
    changes: Mapping[str, Any],
    expected_version: ExpectedVersion = None,
    channel: str = Channel.API,
) -> Sla:
    """Change an inactive SLA (a merge patch; `items` replaces the whole list).

    Managers only. Refuse with `not_found`, `forbidden`, `version_mismatch`, `sla_active`
    (deactivate it first) and `validation_error` (as `sla_create`).
    """
    require_role(actor, Role.MANAGER, "Only managers edit SLAs.")
    if changes.get("is_default") is True:
        sla_default_serialize()
    sla = sla_lock(sla_id)
    check_version(expected_version, sla.version)
    if sla.active:
        raise SlaActive(details={"sla_id": str(sla.pk)})
    unknown = set(changes) - SLA_WRITABLE
    if unknown:
        raise ValidationFailed({name: "is not a writable field" for name in sorted(unknown)})
    for name in SLA_WRITABLE:
        if name in changes and changes[name] is None:
            raise ValidationFailed({name: "may not be cleared"})
    before = _state(sla)
    if "name" in changes:
        sla.name = _name(changes["name"])
    if "pause_statuses" in changes:
        sla.pause_statuses = pause_statuses_clean(changes["pause_statuses"])
    if "is_default" in changes:
        sla.is_default = _flag(changes["is_default"], "is_default")
    audit_changes: dict[str, Any] = {
        k: [before[k], v] for k, v in _state(sla).items() if before[k] != v
    }
    if "items" in changes:
        built = items_build(changes["items"])
        items_before = _items_state(sla.items.order_by("position"))
        items_after = _items_state(built)
        if items_before != items_after:
            _save_items(sla, built)
            audit_changes["items"] = [items_before, items_after]
    if not audit_changes:
        return sla
    if sla.is_default and not before["is_default"]:
        _clear_other_default(actor=actor, sla_id=sla.pk, channel=channel)
    _touch(sla)
    sla.save(update_fields=["name", "is_default", "pause_statuses", "version", "modified_at"])
    audit_record(
        actor=actor,
        action="update",
        channel=channel,
        entity=sla,
        entity_type="sla",
        changes=audit_changes,
    )
    return sla


def _set_active(
    *,
    actor: Actor,
    sla_id: uuid.UUID,
    active: bool,
    expected_version: ExpectedVersion,
    channel: str,
) -> Sla:
    sla = sla_lock(sla_id)
    check_version(expected_version, sla.version)
    if sla.active == active:
        return sla
    if active and not sla.items.exists():
        raise ValidationFailed({"items": "an SLA needs at least one item to be activated"})
    sla.active = active
    _touch(sla)
    sla.save(update_fields=["active", "version", "modified_at"])
    audit_record(
        actor=actor,
        action="activate" if active else "deactivate",
        channel=channel,
        entity=sla,
        entity_type="sla",
        changes={"active": [not active, active]},
    )
    return sla


@transaction.atomic
def sla_activate(
    *,
    actor: Actor,
    sla_id: uuid.UUID,
    expected_version: ExpectedVersion = None,
    channel: str = Channel.API,
) -> Sla:
    """Put an SLA in force (it becomes read-only); other active SLAs stay active. Activating an
    active SLA changes nothing. Managers only. Refuse with `not_found`, `forbidden`,
    `version_mismatch`, `validation_error` (an SLA without items)."""
    require_role(actor, Role.MANAGER, "Only managers activate SLAs.")
    return _set_active(
        actor=actor, sla_id=sla_id, active=True, expected_version=expected_version, channel=channel
    )


@transaction.atomic
def sla_deactivate(
    *,
    actor: Actor,
    sla_id: uuid.UUID,
    expected_version: ExpectedVersion = None,
    channel: str = Channel.API,
) -> Sla:
    """Take an SLA out of force, so that it can be edited. An inactive SLA stays as it is.
    Managers only. Refuse with `not_found`, `forbidden`, `version_mismatch`."""
    require_role(actor, Role.MANAGER, "Only managers deactivate SLAs.")
    return _set_active(
        actor=actor, sla_id=sla_id, active=False, expected_version=expected_version, channel=channel
    )
