"""Reading a user's notifications, choices and follows (docs/notifications.md)."""

from __future__ import annotations

import uuid
from typing import Any

from django.db.models import Q, QuerySet

from casedesk.core.errors import NotFound
from casedesk.directory.models import User
from casedesk.notifications.choices import NotificationKind, default_channels
from casedesk.notifications.messages import notification_text
from casedesk.notifications.models import Follow, Notification, NotificationSetting


def notification_list(*, user: User, unread: bool = False) -> QuerySet[Notification]:
    """The user's own notifications (newest first: order by `-created_at`, `-id`), with
    their case and actor loaded."""
    qs = Notification.objects.filter(recipient_id=user.pk)
    if unread:
        qs = qs.filter(read_at__isnull=True)
    return qs.select_related("case", "actor").only(
        "id",
        "kind",
        "case_id",
        "message",
        "params",
        "created_at",
        "read_at",
        "case__ticket_number",
        "case__title",
        "actor__username",
        "actor__full_name",
        "actor__first_name",
        "actor__last_name",
    )


def notification_unread_count(*, user: User) -> int:
    """How many of the user's notifications are unread: one COUNT on the unread index."""
    return Notification.objects.filter(recipient_id=user.pk, read_at__isnull=True).count()


def notification_get(*, user: User, notification_id: uuid.UUID) -> Notification:
    """One of the user's own notifications; another's is `not_found`."""
    found = list(notification_list(user=user).filter(id=notification_id)[:1])
    if not found:
        raise NotFound("No such notification.")
    return found[0]


def notification_render(notification: Notification) -> str:
    """The notification's text in the active language."""
    case = notification.case
    actor = notification.actor
    return notification_text(
        message=notification.message,
        params=notification.params or {},
        ticket=case.ticket_number if case else "",
        title=case.title if case else "",
        actor_name=actor.display_name if actor else "",
    )


def notification_item(notification: Notification) -> dict[str, Any]:
    """A notification as the API and the web UI show it."""
    return {
        "id": str(notification.pk),
        "kind": notification.kind,
        "case_id": str(notification.case_id) if notification.case_id else None,
        "text": notification_render(notification),
        "created_at": notification.created_at,
        "read_at": notification.read_at,
    }


def notification_settings(*, user: User) -> dict[str, dict[str, bool]]:
    """The user's choice for every kind (`{kind: {"in_app", "email"}}`), the defaults where
    the user chose nothing."""
    chosen = {
        row.kind: (row.in_app, row.email)
        for row in NotificationSetting.objects.filter(user_id=user.pk)
    }
    out: dict[str, dict[str, bool]] = {}
    for kind in NotificationKind.values:
        in_app, email = chosen.get(kind) or default_channels(kind)
        out[kind] = {"in_app": in_app, "email": email}
    return out


def case_followed(*, user: User, case_id: uuid.UUID) -> bool:
    """Whether the user follows the case."""
    return Follow.objects.filter(user_id=user.pk, case_id=case_id).exists()


def mention_candidates(*, text: str, limit: int = 8) -> list[User]:
    """The active users a note may `@`-mention for what was typed after the `@`: user names
    that begin with it first, then names that contain it; by user name."""
    users = User.objects.filter(is_active=True).only(
        "id", "username", "full_name", "first_name", "last_name"
    )
    if not text:
        return list(users.order_by("username")[:limit])
    found = list(users.filter(username__istartswith=text).order_by("username")[:limit])
    if len(found) < limit:
        more = (
            users.filter(Q(full_name__icontains=text) | Q(last_name__istartswith=text))
            .exclude(id__in=[u.pk for u in found])
            .order_by("username")[: limit - len(found)]
        )
        found += list(more)
    return found
