"""Notifications, the caller's choices and following cases (docs/notifications.md). Every
operation is the caller's own: another user's notification is `not_found`."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from django.conf import settings
from django.http import HttpRequest
from django.utils import translation
from ninja import Query, Router

from casedesk.api.auth import actor
from casedesk.api.http import page_body
from casedesk.api.schemas import OPTIONAL_BODY, In, ListParams, NoBody, Out, errors
from casedesk.cases.selectors import case_identity
from casedesk.core.pagination import paginate
from casedesk.core.types import Flag
from casedesk.notifications import selectors
from casedesk.notifications.services import preferences

router = Router(tags=["notifications"])


class NotificationOut(Out):
    id: str
    kind: str
    case_id: str | None
    text: str
    created_at: dt.datetime
    read_at: dt.datetime | None


class NotificationPage(Out):
    items: list[NotificationOut]
    next: str | None
    unread: int


class NotificationListParams(ListParams):
    """`?unread=true`: only the unread ones."""

    unread: bool = False


class ReadAllOut(Out):
    marked: int
    unread: int


class ChannelsOut(Out):
    in_app: bool
    email: bool


class ChannelsIn(In):
    in_app: Flag | None = None
    email: Flag | None = None


class SettingsIn(In):
    """The kinds to set (docs/notifications.md#settings); another name is 422."""

    assigned: ChannelsIn | None = None
    email_received: ChannelsIn | None = None
    sla_warning: ChannelsIn | None = None
    sla_failure: ChannelsIn | None = None
    mention: ChannelsIn | None = None
    followed_case_changed: ChannelsIn | None = None


class FollowOut(Out):
    case_id: str
    following: bool


def _language(request: HttpRequest) -> str:
    """The caller's language: their profile's, else the request's (`Accept-Language`)."""
    supported = {code for code, _name in settings.LANGUAGES}
    chosen = getattr(actor(request), "language", "")
    if chosen in supported:
        return str(chosen)
    return translation.get_language_from_request(request) or settings.LANGUAGE_CODE


@router.get("/notifications", response={200: NotificationPage, **errors()})
def notification_list(request: HttpRequest, params: Query[NotificationListParams]) -> Any:
    """The caller's notifications, newest first (`?unread=true`: the unread ones), each's
    text in the caller's language, with the count of unread ones."""
    user = actor(request)
    page = paginate(
        selectors.notification_list(user=user, unread=params.unread),
        order=("-created_at", "-id"),
        limit=params.limit,
        cursor=params.cursor,
        scope=f"notifications:{user.pk}:{params.unread}",
    )
    with translation.override(_language(request)):
        body = page_body(page, selectors.notification_item)
    body["unread"] = selectors.notification_unread_count(user=user)
    return body


@router.post("/notifications/read-all", response={200: ReadAllOut, **errors(413, 422)})
def notifications_read_all(request: HttpRequest, payload: NoBody | None = OPTIONAL_BODY) -> Any:
    """Mark every unread notification of the caller read."""
    marked = preferences.notifications_mark_all_read(actor=actor(request))
    return {"marked": marked, "unread": 0}


@router.post(
    "/notifications/{notification_id}/read",
    response={200: NotificationOut, **errors(413, 422)},
)
def notification_read(
    request: HttpRequest,
    notification_id: uuid.UUID,
    payload: NoBody | None = OPTIONAL_BODY,
) -> Any:
    """Mark one of the caller's notifications read."""
    user = actor(request)
    preferences.notification_mark_read(actor=user, notification_id=notification_id)
    notification = selectors.notification_get(user=user, notification_id=notification_id)
    with translation.override(_language(request)):
        return selectors.notification_item(notification)


@router.get("/users/me/notification-settings", response={200: dict[str, ChannelsOut], **errors()})
def notification_settings_get(request: HttpRequest) -> Any:
    """Where each kind reaches the caller: `{kind: {"in_app", "email"}}`."""
    return selectors.notification_settings(user=actor(request))


@router.put(
    "/users/me/notification-settings",
    response={200: dict[str, ChannelsOut], **errors(413, 422)},
)
def notification_settings_put(request: HttpRequest, payload: SettingsIn) -> Any:
    """Set where each given kind reaches the caller; a kind or channel left out keeps its
    choice. An unknown kind → 422 `validation_error`."""
    user = actor(request)
    preferences.notification_settings_set(
        actor=user,
        choices=payload.model_dump(exclude_none=True),
    )
    return selectors.notification_settings(user=user)


@router.get("/cases/{case_id}/follow", response={200: FollowOut, **errors()})
def case_follow_get(request: HttpRequest, case_id: uuid.UUID) -> Any:
    """Whether the caller follows the case."""
    user = actor(request)
    case_identity(case_id=case_id)
    return {
        "case_id": str(case_id),
        "following": selectors.case_followed(user=user, case_id=case_id),
    }


@router.post("/cases/{case_id}/follow", response={200: FollowOut, **errors(413, 422)})
def case_follow(
    request: HttpRequest, case_id: uuid.UUID, payload: NoBody | None = OPTIONAL_BODY
) -> Any:
    """The caller follows the case: told of its changes and new e-mails."""
    following = preferences.case_follow(actor=actor(request), case_id=case_id)
    return {"case_id": str(case_id), "following": following}


@router.delete("/cases/{case_id}/follow", response={200: FollowOut, **errors()})
def case_unfollow(request: HttpRequest, case_id: uuid.UUID) -> Any:
    """The caller stops following the case."""
    following = preferences.case_unfollow(actor=actor(request), case_id=case_id)
    return {"case_id": str(case_id), "following": following}
