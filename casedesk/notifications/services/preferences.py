"""Following cases and choosing where each kind of notification arrives
(docs/notifications.md)."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from typing import Any

from django.db import transaction

from casedesk.cases.selectors import case_identity
from casedesk.core import clock
from casedesk.core.errors import NotFound, ValidationFailed
from casedesk.directory.access import Actor, actor_user
from casedesk.directory.models import User
from casedesk.notifications.choices import NotificationKind
from casedesk.notifications.models import Follow, Notification, NotificationSetting

CHANNELS = ("in_app", "email")


def _user(actor: Actor) -> User:
    user = actor_user(actor)
    if user is None:
        raise ValidationFailed({"user": "the system has no notifications"})
    return user


def case_follow(*, actor: Actor, case_id: uuid.UUID) -> bool:
    """The actor follows the case (every user reads every case, so may follow it); following
    it again changes nothing. Refuse with `not_found` (no such case)."""
    user = _user(actor)
    case_identity(case_id=case_id)
    with transaction.atomic():
        Follow.objects.bulk_create(
            [Follow(user_id=user.pk, case_id=case_id, created_at=clock.now())],
            ignore_conflicts=True,
        )
    return True


def case_unfollow(*, actor: Actor, case_id: uuid.UUID) -> bool:
    """The actor stops following the case (not following it: nothing changes). Refuse with
    `not_found` (no such case)."""
    user = _user(actor)
    case_identity(case_id=case_id)
    with transaction.atomic():
        Follow.objects.filter(user_id=user.pk, case_id=case_id).delete()
    return False


def notification_mark_read(*, actor: Actor, notification_id: uuid.UUID) -> None:
    """Mark one of the actor's notifications read (already read: it keeps its time). Refuse
    with `not_found` for another user's notification."""
    user = _user(actor)
    with transaction.atomic():
        mine = Notification.objects.filter(id=notification_id, recipient_id=user.pk)
        if not mine.exists():
            raise NotFound("No such notification.")
        mine.filter(read_at__isnull=True).update(read_at=clock.now())


def notifications_mark_all_read(*, actor: Actor) -> int:
    """Mark every unread notification of the actor read; returns how many were."""
    user = _user(actor)
    with transaction.atomic():
        return Notification.objects.filter(recipient_id=user.pk, read_at__isnull=True).update(
            read_at=clock.now()
        )


def case_notifications_mark_read(*, actor: Actor, case_id: uuid.UUID) -> int:
    """Mark the actor's unread notifications about one case read (the actor opened the case);
    returns how many were. The system, which has no notifications, marks none."""
    user = actor_user(actor)
    if user is None:
        return 0
    unread = Notification.objects.filter(
        recipient_id=user.pk, case_id=case_id, read_at__isnull=True
    )
    # Every view of a case page asks: a read first, so the usual answer (none unread) takes
    # no write lock; the UPDATE alone is atomic.
    if not unread.exists():
        return 0
    return unread.update(read_at=clock.now())


def notification_settings_set(*, actor: Actor, choices: Mapping[str, Any]) -> None:
    """Set where each given kind reaches the actor: `{kind: {"in_app": bool, "email": bool}}`;
    a channel left out keeps its choice, and so does a kind left out.

    Refuse with `validation_error` for an unknown kind or channel, or a value that is not
    true or false."""
    user = _user(actor)
    errors: dict[str, str] = {}
    for kind, value in choices.items():
        if kind not in NotificationKind.values:
            errors[kind] = "unknown notification kind"
        elif not isinstance(value, Mapping):
            errors[kind] = "must be an object with in_app and email"
        else:
            for channel, flag in value.items():
                if channel not in CHANNELS:
                    errors[f"{kind}.{channel}"] = "unknown channel: in_app or email"
                elif not isinstance(flag, bool):
                    errors[f"{kind}.{channel}"] = "must be true or false"
    if errors:
        raise ValidationFailed(errors)
    from casedesk.notifications.selectors import notification_settings

    with transaction.atomic():
        current = notification_settings(user=user)
        rows = [
            NotificationSetting(
                user_id=user.pk,
                kind=kind,
                in_app=bool(value.get("in_app", current[kind]["in_app"])),
                email=bool(value.get("email", current[kind]["email"])),
            )
            for kind, value in choices.items()
        ]
        if rows:
            NotificationSetting.objects.bulk_create(
                rows,
                update_conflicts=True,
                unique_fields=["user", "kind"],
                update_fields=["in_app", "email"],
            )
