"""SLAs: `/slas`, `/slas/{id}`, `/slas/{id}/activate`, `/slas/{id}/deactivate`
(docs/service-levels.md#slas)."""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from django.http import HttpRequest, HttpResponse
from ninja import Query, Router, Status
from pydantic import Field, Strict

from casedesk.api.auth import actor
from casedesk.api.http import if_match, page_body, set_etag
from casedesk.api.schemas import OPTIONAL_BODY, In, ListParams, NoBody, Out, errors
from casedesk.core.pagination import paginate
from casedesk.core.types import Flag, Name, ShortText
from casedesk.sla import selectors
from casedesk.sla.choices import ActionType, Kpi
from casedesk.sla.models import Sla
from casedesk.sla.services import slas
from casedesk.sla.services.slas import item_state

router = Router(tags=["slas"])

WorkingMinutes = Annotated[int, Field(ge=1, le=slas.MAX_MINUTES), Strict()]


class SlaConditionIn(In):
    """`field` and `op` are checked when the SLA is saved (422 naming the condition)."""

    field: ShortText
    op: ShortText
    value: Any = None


class ActionIn(In):
    """`{"type": "notify", "to"}`, `{"type": "set_priority", "value"}` or `{"type": "queue",
    "queue_id"}`: the keys of another type are refused (422 naming them)."""

    type: ActionType
    to: ShortText | None = None
    value: ShortText | None = None
    queue_id: uuid.UUID | None = None


Actions = Annotated[list[ActionIn], Field(max_length=slas.MAX_ACTIONS)]


class SlaItemIn(In):
    name: Name
    kpi: Kpi
    conditions: list[SlaConditionIn] = Field(default_factory=list, max_length=slas.MAX_CONDITIONS)
    calendar_id: uuid.UUID | None = None
    warn_after_minutes: WorkingMinutes
    fail_after_minutes: WorkingMinutes
    on_warning: Actions = Field(default_factory=list)
    on_failure: Actions = Field(default_factory=list)


PauseStatuses = Annotated[list[ShortText], Field(max_length=20)]
Items = Annotated[list[SlaItemIn], Field(min_length=1, max_length=slas.MAX_ITEMS)]


class SlaIn(In):
    name: Name
    is_default: Flag = False
    pause_statuses: PauseStatuses = Field(default_factory=lambda: list(slas.DEFAULT_PAUSE_STATUSES))
    items: Items


class SlaPatch(In):
    name: Name | None = None
    is_default: Flag | None = None
    pause_statuses: PauseStatuses | None = None
    items: Items | None = None


class SlaItemOut(Out):
    name: str
    kpi: str
    conditions: list[dict[str, Any]]
    calendar_id: str | None
    warn_after_minutes: int
    fail_after_minutes: int
    on_warning: list[dict[str, Any]]
    on_failure: list[dict[str, Any]]


class SlaOut(Out):
    id: str
    name: str
    is_default: bool
    active: bool
    pause_statuses: list[str]
    items: list[SlaItemOut]
    version: int
    created_at: str
    modified_at: str


class SlaPage(Out):
    items: list[SlaOut]
    next: str | None


def sla_out(sla: Sla) -> dict[str, Any]:
    return {
        "id": str(sla.id),
        "name": sla.name,
        "is_default": sla.is_default,
        "active": sla.active,
        "pause_statuses": sla.pause_statuses,
        "items": [item_state(i) for i in sla.items.all()],
        "version": sla.version,
        "created_at": sla.created_at.isoformat(),
        "modified_at": sla.modified_at.isoformat(),
    }


def _sla_response(response: HttpResponse, sla_id: uuid.UUID) -> dict[str, Any]:
    sla = selectors.sla_get(sla_id=sla_id)
    set_etag(response, sla.version)
    return sla_out(sla)


def _items(items: list[SlaItemIn]) -> list[dict[str, Any]]:
    """The items as given: a key left out of an action is not sent, so the service refuses
    only the keys the caller wrote."""
    return [item.model_dump(mode="json", exclude_unset=True) for item in items]


@router.get("/slas", response={200: SlaPage, **errors()})
def sla_list(request: HttpRequest, params: Query[ListParams]) -> dict[str, Any]:
    """Every SLA, active or not, by name."""
    actor(request)
    page = paginate(
        selectors.sla_list(),
        order=("name", "id"),
        limit=params.limit,
        cursor=params.cursor,
        scope="slas",
    )
    return page_body(page, sla_out)


@router.post("/slas", response={201: SlaOut, **errors(403, 413, 422)})
def sla_create(request: HttpRequest, payload: SlaIn, response: HttpResponse) -> Status:
    """Create an inactive SLA (managers); every item, condition and action is checked."""
    sla = slas.sla_create(
        actor=actor(request),
        name=payload.name,
        is_default=payload.is_default,
        pause_statuses=payload.pause_statuses,
        items=_items(payload.items),
    )
    return Status(201, _sla_response(response, sla.pk))


@router.get("/slas/{sla_id}", response={200: SlaOut, **errors()})
def sla_get(request: HttpRequest, sla_id: uuid.UUID, response: HttpResponse) -> Any:
    actor(request)
    return _sla_response(response, sla_id)


@router.patch("/slas/{sla_id}", response={200: SlaOut, **errors(403, 409, 412, 413, 422)})
def sla_update(
    request: HttpRequest, sla_id: uuid.UUID, payload: SlaPatch, response: HttpResponse
) -> Any:
    """Change an inactive SLA (managers; `items` replaces the list); an active SLA is read-only
    (409 `sla_active`)."""
    changes = payload.model_dump(mode="json", exclude_unset=True)
    if payload.items is not None:
        changes["items"] = _items(payload.items)
    slas.sla_update(
        actor=actor(request),
        sla_id=sla_id,
        changes=changes,
        expected_version=if_match(request),
    )
    return _sla_response(response, sla_id)


@router.post("/slas/{sla_id}/activate", response={200: SlaOut, **errors(403, 412, 413, 422)})
def sla_activate(
    request: HttpRequest,
    sla_id: uuid.UUID,
    response: HttpResponse,
    payload: NoBody | None = OPTIONAL_BODY,
) -> Any:
    """Put the SLA in force (it needs at least one item); it becomes read-only."""
    slas.sla_activate(actor=actor(request), sla_id=sla_id, expected_version=if_match(request))
    return _sla_response(response, sla_id)


@router.post("/slas/{sla_id}/deactivate", response={200: SlaOut, **errors(403, 412, 413, 422)})
def sla_deactivate(
    request: HttpRequest,
    sla_id: uuid.UUID,
    response: HttpResponse,
    payload: NoBody | None = OPTIONAL_BODY,
) -> Any:
    """Take the SLA out of force, so that it can be edited."""
    slas.sla_deactivate(actor=actor(request), sla_id=sla_id, expected_version=if_match(request))
    return _sla_response(response, sla_id)
