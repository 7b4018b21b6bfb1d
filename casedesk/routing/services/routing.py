"""Routing a case by the active rule set, "save and route", and bulk routing
(docs/routing.md#what-routing-does).

The first item of the active set whose conditions all hold routes the case: to a queue (add or
move) or to an owner (assign, whatever the caller's own assign rights). No match, or no active
set: nothing changes, and the answer says why. Every decision is written to the case's audit
(action `route`, channel `routing`) and timeline (a system post).

One case or a thousand go the same way, in two steps: decide (the rules of `matching.py` on
each case's values, in Python) and apply (the queue items with a few set-wise statements, then
the cases, audit rows and posts through the case-write pipeline's batch,
`cases/services/pipeline.py:case_writes_finish`). A single case is a list of one.
"""

from __future__ import annotations

import uuid
from collections.abc import Collection, Sequence
from dataclasses import dataclass, replace
from typing import Any, NamedTuple

from django.db import transaction

from casedesk.cases.choices import CaseAction
from casedesk.cases.fields import CaseChanges
from casedesk.cases.models import Case
from casedesk.cases.permissions import require_case_change
from casedesk.cases.selectors import case_get
from casedesk.cases.services.assignment import (
    OWNER_FIELDS,
    active_case_lock,
    case_owns,
    owner_name,
    require_active,
)
from casedesk.cases.services.common import owner_ref, set_owner
from casedesk.cases.services.pipeline import CaseWrite, SystemPost, case_writes_finish
from casedesk.cases.services.records import case_create_step, case_update_step
from casedesk.core.choices import Channel
from casedesk.core.concurrency import ExpectedVersion
from casedesk.core.errors import DomainError, NotFound, ValidationFailed
from casedesk.directory.access import Actor
from casedesk.directory.models import Team, User
from casedesk.routing import matching
from casedesk.routing.choices import QueueItemState, QueueType
from casedesk.routing.locks import cases_lock, queue_items_open
from casedesk.routing.models import QueueItem, RoutingRuleSet, RuleItem
from casedesk.routing.selectors import rule_set_active
from casedesk.routing.services.items import queue_place_many

NO_ACTIVE_RULE_SET = "no_active_rule_set"
NO_ITEM_MATCHED = "no_item_matched"
MAX_BULK = 1000
# Cases routed per transaction in bulk: SQLite's write lock (and PostgreSQL's row locks) are
# held for one chunk only, some tens of milliseconds, so interactive writers are not starved.
CHUNK = 250


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


# The matching fields that are not columns of the case, and the columns each one reads.
_DERIVED: dict[str, tuple[str, ...]] = {
    "customer.type": ("customer_account", "customer_contact"),
    "customer.id": ("customer_account", "customer_contact"),
    "customer.name": ("customer_account", "customer_contact"),
    "owner.type": ("owner_user", "owner_team"),
    "owner.id": ("owner_user", "owner_team"),
    "owner.name": ("owner_user", "owner_team"),
    "queue_id": (),  # the open queue item's, not the case's
}
# What applying a decision reads (rights, state, owner, version) and writes.
_APPLY_COLUMNS = ("id", "state", "status", "version", "owner_user", "owner_team")
# The related records that name matching needs joined (else: a query per case).
_NAMES = {
    "customer.name": ("customer_account", "customer_contact"),
    "owner.name": ("owner_user", "owner_team"),
}
_UNREAD = object()


def case_values(
    case: Case, fields: Collection[str] | None = None, *, queue_id: Any = _UNREAD
) -> dict[str, Any]:
    """The case as the matching rules see it: API field names, ids as strings.

    Only `fields` (the fields the rules use; None: all) are given. The current queue costs a
    query unless `queue_id` (the open item's queue, or None) is given; the names cost a query
    each unless their records were read with the case.
    """
    wanted = matching.FIELDS if fields is None else fields
    values: dict[str, Any] = {}
    for name in wanted:
        if name in _DERIVED:
            continue
        value = case.pk if name == "id" else getattr(case, name)
        values[name] = _id(value) if matching.FIELDS[name].kind == "uuid" else value
    if "customer.type" in wanted:
        values["customer.type"] = "account" if case.customer_account_id else "contact"
    if "customer.id" in wanted:
        values["customer.id"] = _id(case.customer_account_id or case.customer_contact_id)
    if "owner.type" in wanted:
        values["owner.type"] = "user" if case.owner_user_id else "team"
    if "owner.id" in wanted:
        values["owner.id"] = _id(case.owner_user_id or case.owner_team_id)
    if "queue_id" in wanted:
        if queue_id is _UNREAD:
            queue_id = (
                QueueItem.objects.filter(case_id=case.pk, state=QueueItemState.OPEN)
                .values_list("queue_id", flat=True)
                .first()
            )
        values["queue_id"] = _id(queue_id)
    if "customer.name" in wanted:
        customer = case.customer_account or case.customer_contact
        values["customer.name"] = customer.name if customer else None
    if "owner.name" in wanted:
        owner = case.owner_user or case.owner_team
        values["owner.name"] = owner_name(owner) if owner else None
    return values


def _rule_fields(rule_set: RoutingRuleSet | None) -> set[str]:
    if rule_set is None:
        return set()
    return {c["field"] for item in rule_set.items.all() for c in item.conditions}


def _case_columns(fields: Collection[str]) -> tuple[list[str], list[str]]:
    """The case columns to read for routing on `fields`, and the related records to join."""
    columns = dict.fromkeys(_APPLY_COLUMNS)
    for name in fields:
        columns.update(dict.fromkeys(_DERIVED.get(name, (name,))))
    related = [r for name in fields for r in _NAMES.get(name, ())]
    return [c for c in columns if c not in related], related


class _Record(NamedTuple):
    """What routing one case writes to its audit (`changes`: JSON values) and timeline, and
    which of its columns it changed (None: none)."""

    result: RouteResult
    changes: dict[str, Any]
    post: SystemPost
    save_fields: tuple[str, ...] | None = None


OpenItems = dict[uuid.UUID, QueueItem]


def _decide(
    cases: Sequence[Case], rule_set: RoutingRuleSet
) -> tuple[list[RuleItem | None], OpenItems]:
    """The item that routes each case (None: no match), and the cases' open queue items."""
    items = list(rule_set.items.all())
    conditions = [item.conditions for item in items]
    fields = _rule_fields(rule_set)
    open_items: OpenItems = {}
    if "queue_id" in fields or any(item.route_queue_id for item in items):
        open_items = queue_items_open(case_ids=[case.pk for case in cases])
    chosen: list[RuleItem | None] = []
    for case in cases:
        item = open_items.get(case.pk)
        values = case_values(case, fields, queue_id=item.queue_id if item else None)
        index = matching.first_match(conditions, values)
        chosen.append(None if index is None else items[index])
    return chosen, open_items


def _apply(
    cases: Sequence[Case],
    rule_set: RoutingRuleSet,
    chosen: Sequence[RuleItem | None],
    open_items: OpenItems,
) -> list[_Record]:
    """Carry out the decisions: place the queue-routed cases and give the owner-routed ones
    their owner (in memory: the case-write pipeline saves them)."""
    placements = iter(
        queue_place_many(
            placements=[
                (case, item.route_queue)
                for case, item in zip(cases, chosen, strict=True)
                if item is not None and item.route_queue is not None
            ],
            open_items=open_items,
        )
    )
    records: list[_Record] = []
    for case, item in zip(cases, chosen, strict=True):
        if item is None:
            result = RouteResult(case=case, routed=False, reason=NO_ITEM_MATCHED, rule_set=rule_set)
            post = SystemPost("not_routed", {"form": "no_item", "rule_set": rule_set.name})
            records.append(_Record(result, {}, post))
            continue
        by = {"rule_set": rule_set.name, "item": item.name}
        if item.route_queue is not None:
            queue = item.route_queue
            placement = next(placements)
            changes: dict[str, Any] = {}
            if placement.changed:
                changes["queue_id"] = [_id(placement.previous_queue_id), _id(queue.pk)]
                form = "moved" if placement.previous_queue_id else "added"
            else:
                form = "already_in"
            result = RouteResult(
                case=case, routed=True, rule_set=rule_set, rule_item=item, queue_id=queue.pk
            )
            # Everyone who reads the case reads its timeline: a private queue is not named.
            if queue.type == QueueType.PRIVATE:
                post = SystemPost("routed", {**by, "form": f"{form}_private"})
            else:
                post = SystemPost("routed", {**by, "form": form, "queue": queue.name})
            records.append(_Record(result, changes, post, () if changes else None))
            continue
        owner: User | Team | None = item.route_owner_user or item.route_owner_team
        assert owner is not None  # the "exactly one destination" constraint
        before = owner_ref(case)
        changed = not case_owns(case, owner)
        if changed:
            set_owner(case, owner)
        changes = {"owner": [before, owner_ref(case)]} if changed else {}
        form = "assigned" if changed else "already_owned"
        result = RouteResult(case=case, routed=True, rule_set=rule_set, rule_item=item, owner=owner)
        post = SystemPost("routed", {**by, "form": form, "owner": owner_name(owner)})
        records.append(_Record(result, changes, post, OWNER_FIELDS if changed else None))
    return records


ROUTING = Channel.ROUTING.value


def _details(result: RouteResult) -> dict[str, Any]:
    """The decision's audit details. They depend on the decision only (the owner routed to is
    the case's owner afterwards), so every case decided alike shares them."""
    rule_set, item, owner = result.rule_set, result.rule_item, result.owner
    return {
        "routed": result.routed,
        "reason": result.reason,
        "rule_set_id": _id(rule_set.pk) if rule_set else None,
        "rule_set_name": rule_set.name if rule_set else None,
        "rule_item": item.name if item else None,
        "queue_id": _id(result.queue_id),
        "owner": owner_ref(result.case) if owner is not None else None,
    }


def _write_records(records: Sequence[_Record], actor: Actor) -> None:
    """Each decision through the case-write pipeline (action `route`, channel `routing`): the
    cases that changed are saved, every case gets its audit row and its timeline post, a few
    statements for the whole batch. The cases decided alike share one details mapping."""
    alike: dict[tuple[Any, ...], dict[str, Any]] = {}
    writes = []
    for record in records:
        result = record.result
        key = (result.reason, result.rule_item.pk if result.rule_item else None)
        details = alike.get(key)
        if details is None:
            details = alike[key] = _details(result)
        write = CaseWrite(
            action=CaseAction.ROUTE,
            before={},
            changes=record.changes,
            details=details,
            post=record.post,
            save_fields=record.save_fields,
            save=record.save_fields is not None,
        )
        writes.append((result.case, write))
    case_writes_finish(writes=writes, actor=actor, channel=ROUTING)


def routing_apply_many(
    *, cases: Sequence[Case], actor: Actor, rule_set: RoutingRuleSet | None
) -> list[RouteResult]:
    """Route the locked, active `cases` (each once) by `rule_set` (None: no active set), in the
    caller's transaction, with a few statements for all of them; a result per case, in order.

    The caller has checked that each case is active and that `actor` may change it (or
    created it). The cases need the columns `_case_columns` names for the set's fields.
    """
    if not cases:
        return []
    if rule_set is None:
        nothing = SystemPost("not_routed", {"form": "no_rule_set"})
        records = [
            _Record(RouteResult(case=case, routed=False, reason=NO_ACTIVE_RULE_SET), {}, nothing)
            for case in cases
        ]
    else:
        chosen, open_items = _decide(cases, rule_set)
        records = _apply(cases, rule_set, chosen, open_items)
    _write_records(records, actor)
    return [record.result for record in records]


class _Load:
    """Marker: read the active rule set now."""


LOAD = _Load()


def routing_apply(
    *, case: Case, actor: Actor, rule_set: RoutingRuleSet | _Load | None = LOAD
) -> RouteResult:
    """Route the locked, active `case` by the active rule set, in the caller's transaction.

    The caller has checked the case is active and that `actor` may change it (or created it).
    """
    if isinstance(rule_set, _Load):
        rule_set = rule_set_active()
    return routing_apply_many(cases=[case], actor=actor, rule_set=rule_set)[0]


@transaction.atomic
def case_create_and_route(
    *, actor: User, route: bool, channel: str = Channel.API, **fields: Any
) -> Case:
    """Open a case as `case_create` does with `fields` and, with `route`, route it by the
    active rule set in the same transaction (no match or no active set: it stays where it is,
    and the timeline says why). Refuse as `case_create` does."""
    case = case_create_step(actor=actor, channel=channel, **fields)
    if route:
        routing_apply(case=case, actor=actor)
    return case


@transaction.atomic
def _route(
    *,
    actor: User,
    case_id: uuid.UUID,
    changes: CaseChanges | None,
    expected_version: ExpectedVersion,
    channel: str,
) -> RouteResult:
    if changes:
        case_update_step(
            actor=actor,
            case_id=case_id,
            changes=changes,
            expected_version=expected_version,
            channel=channel,
        )
        expected_version = None  # checked against the version before the edits
    case = active_case_lock(actor=actor, case_id=case_id, expected_version=expected_version)
    return routing_apply(case=case, actor=actor)


def case_route(
    *,
    actor: User,
    case_id: uuid.UUID,
    changes: CaseChanges | None = None,
    expected_version: ExpectedVersion = None,
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
    )
    return replace(result, case=case_get(case_id=case_id))


@dataclass(frozen=True)
class BulkRouteResult:
    """One case's outcome: its routing `result` (whose case has only the columns routing
    read), or the `error` that refused it."""

    case_id: uuid.UUID
    result: RouteResult | None = None
    error: DomainError | None = None


@transaction.atomic
def _route_chunk(
    *, actor: User, case_ids: Sequence[uuid.UUID], rule_set: RoutingRuleSet | None
) -> list[BulkRouteResult]:
    """Route a chunk of cases in one transaction. Every refusal is found before anything is
    written (a case is missing, may not be changed by `actor`, or is not active), so a refused
    case is left out and changes nothing, and the others are routed as if alone."""
    columns, related = _case_columns(_rule_fields(rule_set))
    found = cases_lock(case_ids=case_ids, fields=columns, related=related)
    ready: list[Case] = []
    refused: dict[uuid.UUID, DomainError] = {}
    for case_id in case_ids:
        case = found.get(case_id)
        try:
            if case is None:
                raise NotFound("No such case.")
            require_case_change(actor, case)
            require_active(case)
        except DomainError as exc:
            refused[case_id] = exc
        else:
            ready.append(case)
    routed = {
        result.case.pk: result
        for result in routing_apply_many(cases=ready, actor=actor, rule_set=rule_set)
    }
    return [
        BulkRouteResult(case_id=case_id, error=refused[case_id])
        if case_id in refused
        else BulkRouteResult(case_id=case_id, result=routed[case_id])
        for case_id in case_ids
    ]


def cases_route(*, actor: User, case_ids: Sequence[uuid.UUID]) -> list[BulkRouteResult]:
    """Route each case by the active rule set (at most 1,000; each id once, in the order
    given), as `case_route` without edits would. A refusal of one case (`not_found`,
    `forbidden`, `case_not_active`) is that case's result: it changes nothing and does not stop
    the others. Refuse the whole request with `validation_error` only for too many ids.

    The cases are routed in chunks of `CHUNK`, one transaction each; refusals are found before
    a chunk writes anything, so each case is routed completely or not at all, and a case's
    refusal never undoes or holds back another case's routing.
    """
    if len(case_ids) > MAX_BULK:
        raise ValidationFailed({"case_ids": f"at most {MAX_BULK} cases"})
    ids = list(dict.fromkeys(case_ids))
    rule_set = rule_set_active()  # read once: a change applies from the next request
    results: list[BulkRouteResult] = []
    for start in range(0, len(ids), CHUNK):
        results.extend(
            _route_chunk(actor=actor, case_ids=ids[start : start + CHUNK], rule_set=rule_set)
        )
    return results
