"""Queues and queue items: `/queues`, `/queues/{id}/items`, `/queue-items`, `/cases/{id}/queue`."""

from __future__ import annotations

import uuid
from typing import Any, Literal

from django.http import HttpRequest, HttpResponse
from ninja import Query, Router, Status
from pydantic import Field

from casedesk.api.auth import actor
from casedesk.api.http import if_match, page_body, set_etag
from casedesk.api.routers.cases import CaseRecordOut, case_record_out
from casedesk.api.schemas import OPTIONAL_BODY, IdName, In, ListParams, NoBody, Out, errors
from casedesk.cases import selectors as case_selectors
from casedesk.core.pagination import paginate
from casedesk.core.types import Flag, Name
from casedesk.routing import selectors
from casedesk.routing.choices import QueueItemState, QueueType
from casedesk.routing.models import Queue, QueueItem
from casedesk.routing.services import items, queues

router = Router(tags=["queues"])

MAX_MEMBERS = 1000


class QueueOut(Out):
    id: str
    name: str
    type: str
    member_ids: list[str]
    version: int
    created_at: str
    modified_at: str


class QueuePage(Out):
    items: list[QueueOut]
    next: str | None


class QueueIn(In):
    name: Name
    type: QueueType = QueueType.PUBLIC
    member_ids: list[uuid.UUID] = Field(default_factory=list, max_length=MAX_MEMBERS)


class QueuePatch(In):
    name: Name | None = None
    type: QueueType | None = None
    member_ids: list[uuid.UUID] | None = Field(default=None, max_length=MAX_MEMBERS)


class QueueItemOut(Out):
    id: str
    queue_id: str
    case_id: str
    ticket_number: str
    title: str
    state: str
    entered_on: str
    worked_by: IdName | None
    closed_at: str | None
    version: int


class QueueItemPage(Out):
    items: list[QueueItemOut]
    next: str | None


class QueueItemListParams(ListParams):
    state: QueueItemState = QueueItemState.OPEN
    worked_by: Literal["me", "none"] | None = None


class QueueItemsParams(QueueItemListParams):
    queue_id: uuid.UUID | None = None


class CaseQueueIn(In):
    queue_id: uuid.UUID


class CaseQueuedOut(CaseRecordOut):
    queue_item: QueueItemOut


class PickIn(In):
    remove: Flag = False


def queue_out(queue: Queue) -> dict[str, Any]:
    return {
        "id": str(queue.id),
        "name": queue.name,
        "type": queue.type,
        "member_ids": sorted(str(m.pk) for m in queue.members.all()),
        "version": queue.version,
        "created_at": queue.created_at.isoformat(),
        "modified_at": queue.modified_at.isoformat(),
    }


def queue_item_out(item: QueueItem) -> dict[str, Any]:
    worker = item.worked_by
    return {
        "id": str(item.id),
        "queue_id": str(item.queue_id),
        "case_id": str(item.case_id),
        "ticket_number": item.case.ticket_number,
        "title": item.case.title,
        "state": item.state,
        "entered_on": item.entered_on.isoformat(),
        "worked_by": {"id": str(worker.pk), "name": worker.display_name} if worker else None,
        "closed_at": item.closed_at.isoformat() if item.closed_at else None,
        "version": item.version,
    }


def _queue_response(response: HttpResponse, queue_id: uuid.UUID, user: Any) -> dict[str, Any]:
    queue = selectors.queue_get(user=user, queue_id=queue_id)
    set_etag(response, queue.version)
    return queue_out(queue)


def _item_response(response: HttpResponse, item: QueueItem) -> dict[str, Any]:
    fresh = QueueItem.objects.select_related(*selectors.ITEM_RELATED).get(id=item.pk)
    set_etag(response, fresh.version)
    return queue_item_out(fresh)


ITEM_ORDER = ("entered_on", "id")


@router.get("/queues", response={200: QueuePage, **errors()})
def queue_list(request: HttpRequest, params: Query[ListParams]) -> dict[str, Any]:
    """The queues the caller sees: public ones and private ones they are a member of
    (managers and admins: all)."""
    page = paginate(
        selectors.queue_list(user=actor(request)),
        order=("name", "id"),
        limit=params.limit,
        cursor=params.cursor,
        scope="queues",
    )
    return page_body(page, queue_out)


@router.post("/queues", response={201: QueueOut, **errors(403, 413, 422)})
def queue_create(request: HttpRequest, payload: QueueIn, response: HttpResponse) -> Status:
    """Create a queue (managers)."""
    user = actor(request)
    queue = queues.queue_create(
        actor=user, name=payload.name, type=payload.type, member_ids=payload.member_ids
    )
    return Status(201, _queue_response(response, queue.pk, user))


@router.get("/queues/{queue_id}", response={200: QueueOut, **errors(403)})
def queue_get(request: HttpRequest, queue_id: uuid.UUID, response: HttpResponse) -> Any:
    return _queue_response(response, queue_id, actor(request))


@router.patch("/queues/{queue_id}", response={200: QueueOut, **errors(403, 412, 413, 422)})
def queue_update(
    request: HttpRequest, queue_id: uuid.UUID, payload: QueuePatch, response: HttpResponse
) -> Any:
    """Change name, type or members (managers); `member_ids` replaces the list."""
    user = actor(request)
    queues.queue_update(
        actor=user,
        queue_id=queue_id,
        changes=payload.model_dump(exclude_unset=True),
        expected_version=if_match(request),
    )
    return _queue_response(response, queue_id, user)


@router.get("/queues/{queue_id}/items", response={200: QueueItemPage, **errors(403)})
def queue_items(
    request: HttpRequest, queue_id: uuid.UUID, params: Query[QueueItemListParams]
) -> dict[str, Any]:
    """The queue's open items, oldest first (`?state=closed`: its history;
    `?worked_by=me|none`)."""
    user = actor(request)
    selectors.queue_get(user=user, queue_id=queue_id)
    filters = selectors.ItemFilters(
        queue_id=queue_id, state=params.state, worked_by=params.worked_by
    )
    page = paginate(
        selectors.queue_item_list(user=user, filters=filters),
        order=ITEM_ORDER,
        limit=params.limit,
        cursor=params.cursor,
        scope=f"queue-items:{queue_id}:{params.state}:{params.worked_by}",
    )
    return page_body(page, queue_item_out)


@router.get("/queue-items", response={200: QueueItemPage, **errors()})
def queue_item_list(request: HttpRequest, params: Query[QueueItemsParams]) -> dict[str, Any]:
    """Items across the queues the caller sees, oldest first: `?worked_by=none` is "available
    to work on", `?worked_by=me` is "I am working on"."""
    user = actor(request)
    filters = selectors.ItemFilters(
        queue_id=params.queue_id, state=params.state, worked_by=params.worked_by
    )
    page = paginate(
        selectors.queue_item_list(user=user, filters=filters),
        order=ITEM_ORDER,
        limit=params.limit,
        cursor=params.cursor,
        scope=f"queue-items:{params.queue_id}:{params.state}:{params.worked_by}:{user.pk}",
    )
    return page_body(page, queue_item_out)


@router.get("/queue-items/{item_id}", response={200: QueueItemOut, **errors(403)})
def queue_item_get(request: HttpRequest, item_id: uuid.UUID, response: HttpResponse) -> Any:
    user = actor(request)
    item = selectors.queue_item_get(user=user, item_id=item_id)
    set_etag(response, item.version)
    return queue_item_out(item)


@router.post(
    "/queue-items/{item_id}/pick", response={200: QueueItemOut, **errors(403, 409, 412, 413, 422)}
)
def queue_item_pick(
    request: HttpRequest,
    item_id: uuid.UUID,
    response: HttpResponse,
    payload: PickIn | None = OPTIONAL_BODY,
) -> Any:
    """Work on the item (`worked_by` becomes the caller); `{"remove": true}` also takes it out
    of the queue and assigns the case to the caller."""
    user = actor(request)
    item = items.queue_item_pick(
        actor=user,
        item_id=item_id,
        remove=payload.remove if payload else False,
        expected_version=if_match(request),
    )
    return _item_response(response, item)


@router.post(
    "/queue-items/{item_id}/release",
    response={200: QueueItemOut, **errors(403, 409, 412, 413, 422)},
)
def queue_item_release(
    request: HttpRequest,
    item_id: uuid.UUID,
    response: HttpResponse,
    payload: NoBody | None = OPTIONAL_BODY,
) -> Any:
    """Stop working on the item (`worked_by` cleared)."""
    user = actor(request)
    item = items.queue_item_release(actor=user, item_id=item_id, expected_version=if_match(request))
    return _item_response(response, item)


@router.post(
    "/queue-items/{item_id}/remove", response={200: QueueItemOut, **errors(403, 409, 412, 413, 422)}
)
def queue_item_remove(
    request: HttpRequest,
    item_id: uuid.UUID,
    response: HttpResponse,
    payload: NoBody | None = OPTIONAL_BODY,
) -> Any:
    """Take the case out of the queue: the item is closed and kept as history."""
    user = actor(request)
    item = items.queue_item_remove(actor=user, item_id=item_id, expected_version=if_match(request))
    return _item_response(response, item)


@router.post(
    "/cases/{case_id}/queue", response={200: CaseQueuedOut, **errors(403, 409, 412, 413, 422)}
)
def case_queue(
    request: HttpRequest, case_id: uuid.UUID, payload: CaseQueueIn, response: HttpResponse
) -> Any:
    """Add the case to a queue, or move it there; answers the case with its `queue_item`.
    Adding it to the queue it is in changes nothing."""
    user = actor(request)
    placement = items.queue_item_add(
        actor=user, case_id=case_id, queue_id=payload.queue_id, expected_version=if_match(request)
    )
    case = case_selectors.case_get(case_id=case_id)
    set_etag(response, case.version)
    item = QueueItem.objects.select_related(*selectors.ITEM_RELATED).get(id=placement.item.pk)
    return {**case_record_out(case, user), "queue_item": queue_item_out(item)}
