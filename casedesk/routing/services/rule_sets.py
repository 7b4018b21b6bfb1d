"""Routing rule sets (docs/routing.md#routing-rule-sets): ordered items, validated on save; at most
one active.

Managers create, edit, activate and deactivate them. An active set is read-only. Activating a
set deactivates every other one in the same transaction; the partial unique index
`at_most_one_active_rule_set` backs the rule should two activations race.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.db import IntegrityError, transaction

from casedesk.cases.services.common import Ref, resolve_owner
from casedesk.core import clock
from casedesk.core.audit import audit_record
from casedesk.core.choices import Channel
from casedesk.core.concurrency import ExpectedVersion, check_version
from casedesk.core.errors import DomainError, NotFound, RuleSetActive, ValidationFailed
from casedesk.directory.access import Actor, require_role
from casedesk.directory.choices import Role
from casedesk.directory.models import User
from casedesk.routing import matching
from casedesk.routing.locks import rule_set_lock, rule_sets_lock_all
from casedesk.routing.models import Queue, RoutingRuleSet, RuleItem

MAX_ITEMS = 500
MAX_CONDITIONS = 50


@dataclass(frozen=True)
class RuleItemSpec:
    """An item as given: conditions as raw mappings; `queue_id` or `owner`, exactly one."""

    name: str
    conditions: Sequence[Any] = ()
    queue_id: uuid.UUID | None = None
    owner: Ref | None = None


def _build_items(items: Sequence[RuleItemSpec]) -> list[RuleItem]:
    """Unsaved rule items in order, or `validation_error` naming every bad item/condition."""
    errors: dict[str, str] = {}
    if len(items) > MAX_ITEMS:
        raise ValidationFailed({"items": f"at most {MAX_ITEMS} items"})
    built: list[RuleItem] = []
    seen: set[str] = set()
    for index, spec in enumerate(items):
        key = f"items.{index}"
        name = (spec.name or "").strip()
        if not name:
            errors[f"{key}.name"] = "is required"
        elif name.casefold() in seen:
            errors[f"{key}.name"] = "is already the name of another item of this set"
        seen.add(name.casefold())
        conditions: list[dict[str, Any]] = []
        if len(spec.conditions) > MAX_CONDITIONS:
            errors[f"{key}.conditions"] = f"at most {MAX_CONDITIONS} conditions"
        else:
            for c_index, raw in enumerate(spec.conditions):
                try:
                    conditions.append(matching.condition_clean(raw))
                except matching.ConditionInvalid as exc:
                    for part, message in exc.errors.items():
                        errors[f"{key}.conditions.{c_index}.{part}"] = message
        item = RuleItem(position=index, name=name, conditions=conditions)
        if (spec.queue_id is None) == (spec.owner is None):
            errors[f"{key}.route_to"] = "must name exactly one of queue_id and owner"
        elif spec.queue_id is not None:
            queue = Queue.objects.filter(id=spec.queue_id).first()
            if queue is None:
                errors[f"{key}.route_to.queue_id"] = "no such queue"
            item.route_queue = queue
        elif spec.owner is not None:
            try:
                owner = resolve_owner(spec.owner, field=f"{key}.route_to.owner")
            except ValidationFailed as exc:
                errors.update(exc.details.get("fields", {}))
            else:
                if isinstance(owner, User):
                    item.route_owner_user = owner
                else:
                    item.route_owner_team = owner
        built.append(item)
    if errors:
        raise ValidationFailed(errors)
    return built


def route_to_of(item: RuleItem) -> dict[str, Any]:
    if item.route_queue_id is not None:
        return {"queue_id": str(item.route_queue_id)}
    if item.route_owner_user_id is not None:
        return {"owner": {"type": "user", "id": str(item.route_owner_user_id)}}
    return {"owner": {"type": "team", "id": str(item.route_owner_team_id)}}


def _items_state(items: Sequence[RuleItem]) -> list[dict[str, Any]]:
    return [{"name": i.name, "conditions": i.conditions, "route_to": route_to_of(i)} for i in items]


def _save_items(rule_set: RoutingRuleSet, items: list[RuleItem]) -> None:
    RuleItem.objects.filter(rule_set=rule_set).delete()
    for item in items:
        item.rule_set = rule_set
    RuleItem.objects.bulk_create(items)


def _require_name(name: str | None) -> str:
    if not name or not name.strip():
        raise ValidationFailed({"name": "is required"})
    return name


@transaction.atomic
def rule_set_create(
    *,
    actor: Actor,
    name: str,
    items: Sequence[RuleItemSpec] = (),
    channel: str = Channel.API,
) -> RoutingRuleSet:
    """Create an inactive rule set with its ordered items.

    Managers only (`forbidden`). Item names are unique within the set; every condition must
    name a known field and operator with a value of the field's kind; each item routes to one
    existing queue or one owner. Refuse with `validation_error` naming each bad item or
    condition (`items.0.conditions.1.op`).
    """
    require_role(actor, Role.MANAGER, "Only managers create routing rule sets.")
    _require_name(name)
    built = _build_items(items)
    now = clock.now()
    rule_set = RoutingRuleSet.objects.create(name=name, created_at=now, modified_at=now)
    _save_items(rule_set, built)
    audit_record(
        actor=actor,
        action="create",
        channel=channel,
        entity=rule_set,
        entity_type="routing_rule_set",
        changes={"name": [None, name], "items": [None, _items_state(built)]},
    )
    return rule_set


RULE_SET_WRITABLE = frozenset({"name", "items"})


@transaction.atomic
def rule_set_update(
    *,
    actor: Actor,
    rule_set_id: uuid.UUID,
    changes: dict[str, Any],
    expected_version: ExpectedVersion = None,
    channel: str = Channel.API,
) -> RoutingRuleSet:
    """Change an inactive set's name and/or items (`items` replaces the whole list).

    Managers only. Refuse with `not_found`, `forbidden`, `version_mismatch`, `rule_set_active`
    (deactivate it first), `validation_error`.
    """
    require_role(actor, Role.MANAGER, "Only managers edit routing rule sets.")
    rule_set = rule_set_lock(rule_set_id)
    check_version(expected_version, rule_set.version)
    if rule_set.active:
        raise RuleSetActive(details={"rule_set_id": str(rule_set.pk)})
    unknown = set(changes) - RULE_SET_WRITABLE
    if unknown:
        raise ValidationFailed({name: "is not a writable field" for name in sorted(unknown)})
    audit_changes: dict[str, Any] = {}
    if "name" in changes:
        name = _require_name(changes["name"])
        if name != rule_set.name:
            audit_changes["name"] = [rule_set.name, name]
            rule_set.name = name
    if "items" in changes:
        built = _build_items(changes["items"] or [])
        before = _items_state(list(rule_set.items.order_by("position")))
        after = _items_state(built)
        if before != after:
            _save_items(rule_set, built)
            audit_changes["items"] = [before, after]
    if not audit_changes:
        return rule_set
    rule_set.version += 1
    rule_set.modified_at = clock.now()
    rule_set.save(update_fields=["name", "version", "modified_at"])
    audit_record(
        actor=actor,
        action="update",
        channel=channel,
        entity=rule_set,
        entity_type="routing_rule_set",
        changes=audit_changes,
    )
    return rule_set


def _set_active(*, actor: Actor, rule_set: RoutingRuleSet, active: bool, channel: str) -> None:
    rule_set.active = active
    rule_set.version += 1
    rule_set.modified_at = clock.now()
    rule_set.save(update_fields=["active", "version", "modified_at"])
    audit_record(
        actor=actor,
        action="activate" if active else "deactivate",
        channel=channel,
        entity=rule_set,
        entity_type="routing_rule_set",
        changes={"active": [not active, active]},
    )


class _ActivationRace(DomainError):
    """Another activation committed between our read and our write; go round again."""


@transaction.atomic
def _activate_once(
    *, actor: Actor, rule_set_id: uuid.UUID, expected_version: ExpectedVersion, channel: str
) -> RoutingRuleSet:
    sets = rule_sets_lock_all()
    rule_set = next((s for s in sets if s.pk == rule_set_id), None)
    if rule_set is None:
        raise NotFound("No such routing rule set.")
    check_version(expected_version, rule_set.version)
    if rule_set.active:
        return rule_set
    for other in sets:
        if other.active and other.pk != rule_set.pk:
            _set_active(actor=actor, rule_set=other, active=False, channel=channel)
    try:
        with transaction.atomic():
            _set_active(actor=actor, rule_set=rule_set, active=True, channel=channel)
    except IntegrityError as exc:  # a set created and activated after our lock
        raise _ActivationRace() from exc
    return rule_set


def rule_set_activate(
    *,
    actor: Actor,
    rule_set_id: uuid.UUID,
    expected_version: ExpectedVersion = None,
    channel: str = Channel.API,
) -> RoutingRuleSet:
    """Make this set the active one; every other set is deactivated in the same transaction.

    Activating the active set changes nothing. Managers only. Refuse with `not_found`,
    `forbidden`, `version_mismatch`.
    """
    require_role(actor, Role.MANAGER, "Only managers activate routing rule sets.")
    for _attempt in range(3):
        try:
            return _activate_once(
                actor=actor,
                rule_set_id=rule_set_id,
                expected_version=expected_version,
                channel=channel,
            )
        except _ActivationRace:
            continue
    return _activate_once(
        actor=actor, rule_set_id=rule_set_id, expected_version=expected_version, channel=channel
    )


@transaction.atomic
def rule_set_deactivate(
    *,
    actor: Actor,
    rule_set_id: uuid.UUID,
    expected_version: ExpectedVersion = None,
    channel: str = Channel.API,
) -> RoutingRuleSet:
    """Deactivate a set (routing then finds no active set). An inactive set stays as it is.
    Managers only. Refuse with `not_found`, `forbidden`, `version_mismatch`."""
    require_role(actor, Role.MANAGER, "Only managers deactivate routing rule sets.")
    rule_set = rule_set_lock(rule_set_id)
    check_version(expected_version, rule_set.version)
    if rule_set.active:
        _set_active(actor=actor, rule_set=rule_set, active=False, channel=channel)
    return rule_set
