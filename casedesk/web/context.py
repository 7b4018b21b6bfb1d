"""Template context every page shares (settings TEMPLATES `context_processors`)."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.utils.functional import SimpleLazyObject

from casedesk.notifications.selectors import notification_unread_count

_UNREAD = "_notifications_unread"


def remember_unread(request: HttpRequest, count: int) -> None:
    """The bell's count, when the view has read it already."""
    setattr(request, _UNREAD, count)


def notifications(request: HttpRequest) -> dict[str, Any]:
    """`notifications_unread`: the bell's count, read once a request and only when a page
    shows it (one COUNT on the unread index)."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}

    def count() -> int:
        cached = getattr(request, _UNREAD, None)
        if cached is None:
            cached = notification_unread_count(user=user)
            remember_unread(request, cached)
        return int(cached)

    return {"notifications_unread": SimpleLazyObject(count)}
