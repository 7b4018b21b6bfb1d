"""Routing a case by the active rule set, "save and route", and bulk routing (SPEC §10).

The first item of the active set whose conditions all hold routes the case: to a queue (add or
move) or to an owner (assign, whatever the caller's own assign rights). No match, or no active
set: nothing changes, and the answer says why. Every decision is written to the case's audit
(action `route`, channel `routing`) and timeline (a system post).
"""

from __future__ import annotations

import uuid
from collections.abc import Collection, Sequence
from dataclasses import dataclass, replace
from typing import Any

from django.db import transaction

from casedesk.cases.models import Case
from casedesk.cases.permissions import require_case_change
from casedesk.cases.selectors import case_get, case_lock
from casedesk.cases.services.assignment import case_owner_apply, owner_name, require_active
from casedesk.cases.services.common import case_touch, owner_ref, system_post
from casedesk.cases.services.records import case_update
from casedesk.core.audit import audit_record
from casedesk.core.choices import Channel
from casedesk.core.concurrency import check_version
from casedesk.core.errors import DomainError, ValidationFailed
from casedesk.directory.models import Team, User
from casedesk.routing import matching
from casedesk.routing.choices import QueueItemState
from casedesk.routing.models import QueueItem, RoutingRuleSet, RuleItem
from casedesk.routing.selectors import rule_set_active
from casedesk.routing.services.items import queue_place

NO_ACTIVE_RULE_SET = "no_active_rule_set"
NO_ITEM_MATCHED = "no_item_matched"
MAX_BULK = 1000


@dataclass(frozen=True)
class RouteResult:
    case: Case
    routed: bool
    reason: str | None = None
    rule_set: RoutingRuleSet | None = None
    rule_item: RuleItem | None = None
    queue_id: uuid.UUID | None = None
    owner: User | Team | None = None


def _id(value: Any) -> str | None:
    return str(value) if value is not None else None


def case_values(case: Case, fields: Collection[str] | None = None) -> dict[str, Any]:
    """The case as the matching rules see it: API field names, ids as strings.

    Names and the current queue cost a query each: they are read only when `fields` (the
    fields the rules use; None: all) asks for them.
    """
    wanted = set(matching.FIELDS) if fields is None else set(fields)
    values: dict[str, Any] = {
        "id": str(case.pk),
        "ticket_number": case.ticket_number,
        "number": case.number,
        "title": case.title,
        "description": case.description,
        "contact_id": _id(case.contact_id),
        "subject_id": _id(case.subject_id),
        "product_id": _id(case.product_id),
        "origin": case.origin,
        "case_type": case.case_type,
        "priority": case.priority,
        "stage": case.stage,
        "state": case.state,
        "status": case.status,
        "parent_id": _id(case.parent_id),
        "merged_into_id": _id(case.merged_into_id),
        "entitlement_id": _id(case.entitlement_id),
        "decrement_entitlement_terms": case.decrement_entitlement_terms,
        "contract_line_id": _id(case.contract_line_id),
        "total_minutes": case.total_minutes,
        "billable_minutes": case.billable_minutes,
        "created_at": case.created_at,
        "modified_at": case.modified_at,
        "resolved_at": case.resolved_at,
        "customer.type": "account" if case.customer_account_id else "contact",
        "customer.id": _id(case.customer_account_id or case.customer_contact_id),
        "owner.type": "user" if case.owner_user_id else "team",
        "owner.id": _id(case.owner_user_id or case.owner_team_id),
    }
    if "queue_id" in wanted:
        values["queue_id"] = _id(
            QueueItem.objects.filter(case_id=case.pk, state=QueueItemState.OPEN)
            .values_list("queue_id", flat=True)
            .first()
        )
    if "customer.name" in wanted:
        customer = case.customer_account or case.customer_contact
        values["customer.name"] = customer.name if customer else None
    if "owner.name" in wanted:
        owner = case.owner_user or case.owner_team
        values["owner.name"] = owner_name(owner) if owner else None
    return values


def _decide(
    *, case: Case, actor: User | None, result: RouteResult, changes: dict[str, Any], text: str
) -> RouteResult:
    rule_set, item = result.rule_set, result.rule_item
    details: dict[str, Any] = {
        "routed": result.routed,
        "reason": result.reason,
        "rule_set_id": rule_set.pk if rule_set else None,
        "rule_set_name": rule_set.name if rule_set else None,
        "rule_item": item.name if item else None,
        "queue_id": result.queue_id,
        "owner": owner_ref(case) if result.owner is not None else None,
    }
    audit_record(
        actor=actor,
        action="route",
        channel=Channel.ROUTING,
        entity=case,
        entity_type="case",
        changes=changes,
        details=details,
    )
    system_post(case, "routed" if result.routed else "not_routed", text)
    return result


class _Load:
    """Marker: read the active rule set now."""


LOAD = _Load()


def routing_apply(
    *, case: Case, actor: User | None, rule_set: RoutingRuleSet | _Load | None = LOAD
) -> RouteResult:
    """Route the locked, active `case` by the active rule set, in the caller's transaction.

    The caller has checked the case is active and that `actor` may change it (or created it).
    A bulk caller may pass the rule set it read at the start of its request.
    """
    if isinstance(rule_set, _Load):
        rule_set = rule_set_active()
    if rule_set is None:
        result = RouteResult(case=case, routed=False, reason=NO_ACTIVE_RULE_SET)
        text = "Routing: no active rule set; nothing changed."
        return _decide(case=case, actor=actor, result=result, changes={}, text=text)
    items = list(rule_set.items.all())
    fields = {c["field"] for item in items for c in item.conditions}
    index = matching.first_match([i.conditions for i in items], case_values(case, fields))
    if index is None:
        result = RouteResult(case=case, routed=False, reason=NO_ITEM_MATCHED, rule_set=rule_set)
        text = f'Routing by rule set "{rule_set.name}": no item matched; nothing changed.'
        return _decide(case=case, actor=actor, result=result, changes={}, text=text)
    item = items[index]
    prefix = f'Routed by rule set "{rule_set.name}", item "{item.name}": '
    if item.route_queue is not None:
        queue = item.route_queue
        placement = queue_place(case=case, queue=queue)
        changes: dict[str, Any] = {}
        if placement.changed:
            case_touch(case)
            case.save(update_fields=["version", "modified_at"])
            changes["queue_id"] = [placement.previous_queue_id, queue.pk]
            verb = "moved to" if placement.previous_queue_id else "added to"
        else:
            verb = "already in"
        result = RouteResult(
            case=case, routed=True, rule_set=rule_set, rule_item=item, queue_id=queue.pk
        )
        text = f'{prefix}{verb} queue "{queue.name}".'
        return _decide(case=case, actor=actor, result=result, changes=changes, text=text)
    owner: User | Team | None = item.route_owner_user or item.route_owner_team
    assert owner is not None  # the "exactly one destination" constraint
    before = owner_ref(case)
    changed = case_owner_apply(case, owner)
    changes = {"owner": [before, owner_ref(case)]} if changed else {}
    verb = "assigned to" if changed else "already owned by"
    result = RouteResult(case=case, routed=True, rule_set=rule_set, rule_item=item, owner=owner)
    text = f"{prefix}{verb} {owner_name(owner)}."
    return _decide(case=case, actor=actor, result=result, changes=changes, text=text)


@transaction.atomic
def _route(
    *,
    actor: User,
    case_id: uuid.UUID,
    changes: dict[str, Any] | None,
    expected_version: int | None,
    channel: str,
    rule_set: RoutingRuleSet | _Load | None,
) -> RouteResult:
    if changes:
        case_update(
            actor=actor,
            case_id=case_id,
            changes=changes,
            expected_version=expected_version,
            channel=channel,
        )
        expected_version = None  # checked against the version before the edits
    case = case_lock(case_id=case_id)
    check_version(expected_version, case.version)
    require_case_change(actor, case)
    require_active(case)
    return routing_apply(case=case, actor=actor, rule_set=rule_set)


def case_route(
    *,
    actor: User,
    case_id: uuid.UUID,
    changes: dict[str, Any] | None = None,
    expected_version: int | None = None,
    channel: str = Channel.API,
) -> RouteResult:
    """Save and route: apply the optional edits (as PATCH does), then route the case by the
    active rule set, all in one transaction.

    Only an active case is routed; the caller must be allowed to change it. Refuse with
    `not_found`, `version_mismatch`, `forbidden`, `case_not_active`, and whatever the edits
    refuse (`validation_error`, `transition_not_allowed`, `case_hierarchy`, ...).
    """
    result = _route(
        actor=actor,
        case_id=case_id,
        changes=changes,
        expected_version=expected_version,
        channel=channel,
        rule_set=LOAD,
    )
    return replace(result, case=case_get(case_id=case_id))


@dataclass(frozen=True)
class BulkRouteResult:
    case_id: uuid.UUID
    result: RouteResult | None = None
    error: DomainError | None = None


def cases_route(
    *, actor: User, case_ids: Sequence[uuid.UUID], channel: str = Channel.API
) -> list[BulkRouteResult]:
    """Route each case in its own transaction (at most 1,000; each id once, in the order
    given). A refusal of one case (403 included) is that case's result and does not stop the
    others. Refuse the whole request with `validation_error` only for too many ids."""
    if len(case_ids) > MAX_BULK:
        raise ValidationFailed({"case_ids": f"at most {MAX_BULK} cases"})
    results: list[BulkRouteResult] = []
    rule_set = rule_set_active()  # read once: a change applies from the next request
    for case_id in dict.fromkeys(case_ids):
        try:
            result = _route(
                actor=actor,
                case_id=case_id,
                changes=None,
                expected_version=None,
                channel=channel,
                rule_set=rule_set,
            )
        except DomainError as exc:
            results.append(BulkRouteResult(case_id=case_id, error=exc))
        else:
            results.append(BulkRouteResult(case_id=case_id, result=result))
    return results
