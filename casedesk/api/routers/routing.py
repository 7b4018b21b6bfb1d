"""Assignment and routing: `/cases/{id}/assign`, `/cases/{id}/route`, `/cases/route` and
`/routing-rule-sets`."""

from __future__ import annotations

import uuid
from typing import Any, Literal

from django.http import HttpRequest, HttpResponse
from ninja import Query, Router, Status
from pydantic import Field

from casedesk.api.auth import actor
from casedesk.api.http import if_match, page_body, set_etag
from casedesk.api.routers.cases import (
    CasePatch,
    CaseRecordOut,
    OwnerIn,
    case_record_out,
    patch_changes,
)
from casedesk.api.schemas import OPTIONAL_BODY, In, ListParams, NoBody, Out, Ref, errors
from casedesk.cases.services import assignment
from casedesk.cases.services.common import Ref as OwnerRef
from casedesk.core.errors import DomainError
from casedesk.core.pagination import paginate
from casedesk.core.types import Name, ShortText
from casedesk.directory.models import Team, User
from casedesk.routing import selectors
from casedesk.routing.models import RoutingRuleSet, RuleItem
from casedesk.routing.services import rule_sets
from casedesk.routing.services.routing import MAX_BULK, RouteResult, case_route, cases_route

router = Router(tags=["routing"])

MAX_ITEMS = rule_sets.MAX_ITEMS
MAX_CONDITIONS = rule_sets.MAX_CONDITIONS


class AssignIn(In):
    owner: OwnerIn


class ConditionIn(In):
    """`field` and `op` are checked when the set is saved (422 naming the condition)."""

    field: ShortText
    op: ShortText
    value: Any = None


class RouteOwnerIn(In):
    type: Literal["user", "team"]
    id: uuid.UUID
    name: ShortText | None = None  # accepted (as answered) and ignored


class RouteToIn(In):
    queue_id: uuid.UUID | None = None
    owner: RouteOwnerIn | None = None


class RuleItemIn(In):
    name: Name
    conditions: list[ConditionIn] = Field(default_factory=list, max_length=MAX_CONDITIONS)
    route_to: RouteToIn


class RuleSetIn(In):
    name: Name
    items: list[RuleItemIn] = Field(default_factory=list, max_length=MAX_ITEMS)


class RuleSetPatch(In):
    name: Name | None = None
    items: list[RuleItemIn] | None = Field(default=None, max_length=MAX_ITEMS)


class RouteToOut(Out):
    queue_id: str | None
    owner: Ref | None


class RuleItemOut(Out):
    name: str
    conditions: list[dict[str, Any]]
    route_to: RouteToOut


class RuleSetOut(Out):
    id: str
    name: str
    active: bool
    version: int
    items: list[RuleItemOut]
    created_at: str
    modified_at: str


class RuleSetPage(Out):
    items: list[RuleSetOut]
    next: str | None


class RouteOut(Out):
    case: CaseRecordOut
    routed: bool
    reason: str | None
    rule_set_id: str | None
    rule_item: str | None
    queue_id: str | None
    owner: Ref | None


class BulkRouteIn(In):
    case_ids: list[uuid.UUID] = Field(max_length=MAX_BULK)


class BulkError(Out):
    status: int
    code: str
    message: str
    details: dict[str, Any]


class BulkRouteItemOut(Out):
    case_id: str
    routed: bool
    reason: str | None
    rule_set_id: str | None
    rule_item: str | None
    queue_id: str | None
    owner: Ref | None
    error: BulkError | None


class BulkRouteOut(Out):
    results: list[BulkRouteItemOut]


def _owner_out(owner: User | Team | None) -> dict[str, str] | None:
    if owner is None:
        return None
    if isinstance(owner, User):
        return {"type": "user", "id": str(owner.pk), "name": owner.display_name}
    return {"type": "team", "id": str(owner.pk), "name": owner.name}


def rule_item_out(item: RuleItem) -> dict[str, Any]:
    return {
        "name": item.name,
        "conditions": item.conditions,
        "route_to": {
            "queue_id": str(item.route_queue_id) if item.route_queue_id else None,
            "owner": _owner_out(item.route_owner_user or item.route_owner_team),
        },
    }


def rule_set_out(rule_set: RoutingRuleSet) -> dict[str, Any]:
    return {
        "id": str(rule_set.id),
        "name": rule_set.name,
        "active": rule_set.active,
        "version": rule_set.version,
        "items": [rule_item_out(i) for i in rule_set.items.all()],
        "created_at": rule_set.created_at.isoformat(),
        "modified_at": rule_set.modified_at.isoformat(),
    }


def _rule_set_response(response: HttpResponse, rule_set_id: uuid.UUID) -> dict[str, Any]:
    rule_set = selectors.rule_set_get(rule_set_id=rule_set_id)
    set_etag(response, rule_set.version)
    return rule_set_out(rule_set)


def _item_specs(items: list[RuleItemIn]) -> list[rule_sets.RuleItemSpec]:
    return [
        rule_sets.RuleItemSpec(
            name=item.name,
            conditions=[c.model_dump(exclude_unset=True) for c in item.conditions],
            queue_id=item.route_to.queue_id,
            owner=(
                OwnerRef(item.route_to.owner.type, item.route_to.owner.id)
                if item.route_to.owner
                else None
            ),
        )
        for item in items
    ]


def _decision(result: RouteResult, queues: selectors.VisibleQueues) -> dict[str, Any]:
    """The routing decision; a private queue the caller may not see is named as null."""
    queue_id = queues.shown(result.queue_id)
    return {
        "routed": result.routed,
        "reason": result.reason,
        "rule_set_id": str(result.rule_set.pk) if result.rule_set else None,
        "rule_item": result.rule_item.name if result.rule_item else None,
        "queue_id": str(queue_id) if queue_id else None,
        "owner": _owner_out(result.owner),
    }


def _error_out(exc: DomainError) -> dict[str, Any]:
    return {"status": exc.status, "code": exc.code, "message": exc.message, "details": exc.details}


@router.post("/cases/route", response={200: BulkRouteOut, **errors(413, 422)})
def cases_route_bulk(request: HttpRequest, payload: BulkRouteIn) -> dict[str, Any]:
    """Route up to 1,000 cases, each in its own transaction; a refusal goes into that case's
    `error` and does not stop the others."""
    results = []
    me = actor(request)
    queues = selectors.VisibleQueues(me)
    for entry in cases_route(actor=me, case_ids=payload.case_ids):
        if entry.result is not None:
            results.append(
                {"case_id": str(entry.case_id), **_decision(entry.result, queues), "error": None}
            )
        else:
            assert entry.error is not None
            results.append(
                {
                    "case_id": str(entry.case_id),
                    "routed": False,
                    "reason": None,
                    "rule_set_id": None,
                    "rule_item": None,
                    "queue_id": None,
                    "owner": None,
                    "error": _error_out(entry.error),
                }
            )
    return {"results": results}


@router.post(
    "/cases/{case_id}/assign", response={200: CaseRecordOut, **errors(403, 409, 412, 413, 422)}
)
def case_assign(
    request: HttpRequest, case_id: uuid.UUID, payload: AssignIn, response: HttpResponse
) -> Any:
    """Make a user or a team the owner (agents: cases they may change; managers: any)."""
    me = actor(request)
    case = assignment.case_assign(
        actor=me,
        case_id=case_id,
        owner=OwnerRef(payload.owner.type, payload.owner.id),
        expected_version=if_match(request),
    )
    set_etag(response, case.version)
    return case_record_out(case, me)


@router.post("/cases/{case_id}/route", response={200: RouteOut, **errors(403, 409, 412, 413, 422)})
def case_route_one(
    request: HttpRequest,
    case_id: uuid.UUID,
    response: HttpResponse,
    payload: CasePatch | None = OPTIONAL_BODY,
) -> Any:
    """Save and route: the optional PATCH fields are saved, then the active rule set routes the
    case, in one transaction."""
    me = actor(request)
    result = case_route(
        actor=me,
        case_id=case_id,
        changes=patch_changes(payload) if payload is not None else None,
        expected_version=if_match(request),
    )
    set_etag(response, result.case.version)
    return {
        "case": case_record_out(result.case, me),
        **_decision(result, selectors.VisibleQueues(me)),
    }


@router.get("/routing-rule-sets", response={200: RuleSetPage, **errors()})
def rule_set_list(request: HttpRequest, params: Query[ListParams]) -> dict[str, Any]:
    page = paginate(
        selectors.rule_set_list(),
        order=("name", "id"),
        limit=params.limit,
        cursor=params.cursor,
        scope="routing-rule-sets",
    )
    return page_body(page, rule_set_out)


@router.post("/routing-rule-sets", response={201: RuleSetOut, **errors(403, 413, 422)})
def rule_set_create(request: HttpRequest, payload: RuleSetIn, response: HttpResponse) -> Status:
    """Create an inactive rule set (managers); every item and condition is checked."""
    rule_set = rule_sets.rule_set_create(
        actor=actor(request), name=payload.name, items=_item_specs(payload.items)
    )
    return Status(201, _rule_set_response(response, rule_set.pk))


@router.get("/routing-rule-sets/{rule_set_id}", response={200: RuleSetOut, **errors()})
def rule_set_get(request: HttpRequest, rule_set_id: uuid.UUID, response: HttpResponse) -> Any:
    return _rule_set_response(response, rule_set_id)


@router.patch(
    "/routing-rule-sets/{rule_set_id}",
    response={200: RuleSetOut, **errors(403, 409, 412, 413, 422)},
)
def rule_set_update(
    request: HttpRequest, rule_set_id: uuid.UUID, payload: RuleSetPatch, response: HttpResponse
) -> Any:
    """Change an inactive set's name or items (`items` replaces the list); an active set is
    read-only (409 `rule_set_active`)."""
    changes: dict[str, Any] = {}
    given = payload.model_dump(exclude_unset=True)
    if "name" in given:
        changes["name"] = payload.name
    if "items" in given:
        changes["items"] = _item_specs(payload.items or [])
    rule_sets.rule_set_update(
        actor=actor(request),
        rule_set_id=rule_set_id,
        changes=changes,
        expected_version=if_match(request),
    )
    return _rule_set_response(response, rule_set_id)


@router.post(
    "/routing-rule-sets/{rule_set_id}/activate",
    response={200: RuleSetOut, **errors(403, 412, 413, 422)},
)
def rule_set_activate(
    request: HttpRequest,
    rule_set_id: uuid.UUID,
    response: HttpResponse,
    payload: NoBody | None = OPTIONAL_BODY,
) -> Any:
    """Make this set the active one; every other set is deactivated in the same transaction."""
    rule_sets.rule_set_activate(
        actor=actor(request), rule_set_id=rule_set_id, expected_version=if_match(request)
    )
    return _rule_set_response(response, rule_set_id)


@router.post(
    "/routing-rule-sets/{rule_set_id}/deactivate",
    response={200: RuleSetOut, **errors(403, 412, 413, 422)},
)
def rule_set_deactivate(
    request: HttpRequest,
    rule_set_id: uuid.UUID,
    response: HttpResponse,
    payload: NoBody | None = OPTIONAL_BODY,
) -> Any:
    rule_sets.rule_set_deactivate(
        actor=actor(request), rule_set_id=rule_set_id, expected_version=if_match(request)
    )
    return _rule_set_response(response, rule_set_id)
