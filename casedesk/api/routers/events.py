"""The outbox and webhooks (administrators): `/events`, `/webhooks`,
`/webhooks/{id}/deliveries` (docs/webhooks.md)."""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from django.http import HttpRequest, HttpResponse
from ninja import Query, Router, Schema, Status
from pydantic import Field

from casedesk.api.auth import actor
from casedesk.api.http import if_match, page_body, set_etag
from casedesk.api.schemas import In, ListParams, Out, errors
from casedesk.core.pagination import paginate
from casedesk.core.types import Cursor, Limit, Text
from casedesk.directory.access import require_role
from casedesk.directory.choices import Role
from casedesk.events import selectors, services
from casedesk.events.models import Delivery, DeliveryAttempt, Webhook

router = Router(tags=["events"])

EVENTS_MAX = 50
Url = Text(2000, min_length=1)
Secret = Text(services.SECRET_MAX, strip=False)
EventName = Text(40, min_length=1)


class EventParams(Schema):
    """`?after=EVENT_ID` (the events after it), `?limit=`, `?cursor=`."""

    after: Annotated[int, Field(ge=0, le=2**62)] | None = None
    limit: Limit = 50
    cursor: Cursor | None = None


class EventOut(Out):
    id: int
    type: str
    occurred_at: str
    case_id: str | None
    data: dict[str, Any]


class EventPage(Out):
    items: list[EventOut]
    next: str | None


class WebhookIn(In):
    url: Url  # type: ignore[valid-type]
    events: list[EventName] = Field(min_length=1, max_length=EVENTS_MAX)  # type: ignore[valid-type]
    secret: Secret  # type: ignore[valid-type]
    active: Annotated[bool, Field(strict=True)] = True


class WebhookPatch(In):
    url: Url | None = None  # type: ignore[valid-type]
    events: list[EventName] | None = Field(default=None, max_length=EVENTS_MAX)  # type: ignore[valid-type]
    secret: Secret | None = None  # type: ignore[valid-type]
    active: Annotated[bool, Field(strict=True)] | None = None


class WebhookOut(Out):
    id: str
    url: str
    events: list[str]
    active: bool
    version: int
    created_at: str
    modified_at: str


class WebhookPage(Out):
    items: list[WebhookOut]
    next: str | None


class AttemptOut(Out):
    number: int
    started_at: str
    duration_ms: int
    status: int | None
    error: str


class DeliveryOut(Out):
    id: str
    event_id: int
    event_type: str
    case_id: str | None
    state: str
    attempts: int
    last_status: int | None
    last_error: str
    next_attempt_at: str | None
    delivered_at: str | None
    created_at: str
    attempt_list: list[AttemptOut]


class DeliveryPage(Out):
    items: list[DeliveryOut]
    next: str | None


def _iso(value: Any) -> str | None:
    return value.isoformat() if value is not None else None


def webhook_out(webhook: Webhook) -> dict[str, Any]:
    """A webhook as answered: never its secret."""
    return {
        "id": str(webhook.pk),
        "url": webhook.url,
        "events": list(webhook.events),
        "active": webhook.active,
        "version": webhook.version,
        "created_at": webhook.created_at.isoformat(),
        "modified_at": webhook.modified_at.isoformat(),
    }


def attempt_out(attempt: DeliveryAttempt) -> dict[str, Any]:
    return {
        "number": attempt.number,
        "started_at": attempt.started_at.isoformat(),
        "duration_ms": attempt.duration_ms,
        "status": attempt.status,
        "error": attempt.error,
    }


def delivery_out(delivery: Delivery) -> dict[str, Any]:
    return {
        "id": str(delivery.pk),
        "event_id": delivery.event_id,
        "event_type": delivery.event.type,
        "case_id": str(delivery.case_id) if delivery.case_id else None,
        "state": delivery.state,
        "attempts": delivery.attempts,
        "last_status": delivery.last_status,
        "last_error": delivery.last_error,
        "next_attempt_at": _iso(delivery.next_attempt_at),
        "delivered_at": _iso(delivery.delivered_at),
        "created_at": delivery.created_at.isoformat(),
        "attempt_list": [attempt_out(a) for a in delivery.attempt_rows.all()],
    }


def _webhook_response(response: HttpResponse, webhook: Webhook) -> dict[str, Any]:
    set_etag(response, webhook.version)
    return webhook_out(webhook)


@router.get("/events", response={200: EventPage, **errors(403)})
def event_list(request: HttpRequest, params: Query[EventParams]) -> dict[str, Any]:
    """The outbox, oldest first; `?after=` the last id you have seen to go on
    (docs/api.md#events)."""
    require_role(actor(request), Role.ADMIN, services.ADMINS_ONLY)
    page = paginate(
        selectors.event_list(after=params.after),
        order=("id",),
        limit=params.limit,
        cursor=params.cursor,
        scope="events",
    )
    return page_body(page, selectors.event_item)


@router.get("/webhooks", response={200: WebhookPage, **errors(403)})
def webhook_list(request: HttpRequest, params: Query[ListParams]) -> dict[str, Any]:
    require_role(actor(request), Role.ADMIN, services.ADMINS_ONLY)
    page = paginate(
        selectors.webhook_list(),
        order=("created_at", "id"),
        limit=params.limit,
        cursor=params.cursor,
        scope="webhooks",
    )
    return page_body(page, webhook_out)


@router.post("/webhooks", response={201: WebhookOut, **errors(403, 413, 422)})
def webhook_create(request: HttpRequest, payload: WebhookIn, response: HttpResponse) -> Status:
    """Subscribe a URL to events (`["*"]`: all); the secret signs each delivery and is never
    answered."""
    webhook = services.webhook_create(
        actor=actor(request),
        url=payload.url,
        events=payload.events,
        secret=payload.secret,
        active=payload.active,
    )
    return Status(201, _webhook_response(response, webhook))


@router.get("/webhooks/{webhook_id}", response={200: WebhookOut, **errors(403)})
def webhook_get(request: HttpRequest, webhook_id: uuid.UUID, response: HttpResponse) -> Any:
    require_role(actor(request), Role.ADMIN, services.ADMINS_ONLY)
    return _webhook_response(response, selectors.webhook_get(webhook_id=webhook_id))


@router.patch("/webhooks/{webhook_id}", response={200: WebhookOut, **errors(403, 412, 413, 422)})
def webhook_update(
    request: HttpRequest, webhook_id: uuid.UUID, payload: WebhookPatch, response: HttpResponse
) -> Any:
    """Change `url`, `events`, `secret` or `active` (absent: unchanged)."""
    changes = payload.model_dump(exclude_unset=True)
    for name in ("url", "events", "secret", "active"):
        if name in changes and changes[name] is None:
            changes.pop(name)
    webhook = services.webhook_update(
        actor=actor(request),
        webhook_id=webhook_id,
        changes=changes,
        expected_version=if_match(request),
    )
    return _webhook_response(response, webhook)


@router.delete("/webhooks/{webhook_id}", response={204: None, **errors(403, 412)})
def webhook_delete(request: HttpRequest, webhook_id: uuid.UUID) -> Status:
    """Delete a webhook and its delivery log; events stay in the outbox."""
    services.webhook_delete(
        actor=actor(request), webhook_id=webhook_id, expected_version=if_match(request)
    )
    return Status(204, None)


@router.get("/webhooks/{webhook_id}/deliveries", response={200: DeliveryPage, **errors(403)})
def delivery_list(
    request: HttpRequest, webhook_id: uuid.UUID, params: Query[ListParams]
) -> dict[str, Any]:
    """The webhook's deliveries, newest event first, each with its attempts."""
    require_role(actor(request), Role.ADMIN, services.ADMINS_ONLY)
    selectors.webhook_get(webhook_id=webhook_id)
    page = paginate(
        selectors.delivery_list(webhook_id=webhook_id),
        order=("-event_id", "-id"),
        limit=params.limit,
        cursor=params.cursor,
        scope=f"deliveries:{webhook_id}",
    )
    return page_body(page, delivery_out)
