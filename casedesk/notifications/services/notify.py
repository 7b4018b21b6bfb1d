"""Writing notifications (docs/notifications.md): each source says who should hear of what;
this module drops whoever should not, applies each user's choices, writes the notifications
in the app and the e-mails, and has the e-mails sent once the transaction commits.

Cheap whatever the batch: one query for the recipients and their choices, one insert for the
notifications, one for the e-mails (when any)."""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from django.conf import settings

from casedesk.core import clock
from casedesk.directory.models import User
from casedesk.jobs import enqueue_on_commit
from casedesk.notifications import messages
from casedesk.notifications.choices import NotificationKind, default_channels
from casedesk.notifications.models import Notification, NotificationEmail


@dataclass(frozen=True)
class Pending:
    """One user to be told one thing."""

    kind: str
    recipient_id: uuid.UUID
    case_id: uuid.UUID | None
    actor_id: uuid.UUID | None
    message: str
    params: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Written:
    """What `notifications_write` wrote: in-app notifications and e-mails."""

    in_app: int
    emails: int


def emails_possible() -> bool:
    """Whether notification e-mails can go at all: a sender (`CASEDESK_MAIL_FROM`) and an
    SMTP server (`CASEDESK_SMTP_URL`). Without them none is written: kept back, it would
    arrive stale once they are set."""
    return bool(str(getattr(settings, "MAIL_FROM", "") or "").strip()) and bool(
        str(getattr(settings, "SMTP_URL", "") or "").strip()
    )


def notify_users(
    *,
    kind: str,
    recipients: Iterable[uuid.UUID],
    case_id: uuid.UUID | None,
    actor_id: uuid.UUID | None,
    message: str,
    params: Mapping[str, Any] | None = None,
) -> Written:
    """Tell `recipients` of one thing of `kind` on `case_id` that `actor_id` did (None: the
    system). Nobody hears of their own action; inactive users and repeats are dropped; each
    recipient's choices for `kind` decide between the app and e-mail. In the caller's
    transaction; the e-mails are sent by the worker after it commits."""
    return notifications_write(
        [
            Pending(
                kind=kind,
                recipient_id=recipient,
                case_id=case_id,
                actor_id=actor_id,
                message=message,
                params=params or {},
            )
            for recipient in recipients
        ]
    )


def _choices(recipient_ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, dict[str, tuple[bool, bool]]]:
    """The active users among `recipient_ids` with their choices (kind → (in_app, email),
    only the kinds they chose) and their address under the key "": one query."""
    found: dict[uuid.UUID, dict[str, tuple[bool, bool]]] = {}
    emails: dict[uuid.UUID, str] = {}
    rows = User.objects.filter(id__in=recipient_ids, is_active=True).values_list(
        "id",
        "email",
        "notification_settings__kind",
        "notification_settings__in_app",
        "notification_settings__email",
    )
    for user_id, email, kind, in_app, by_email in rows:
        chosen = found.setdefault(user_id, {})
        emails[user_id] = email or ""
        if kind is not None:
            chosen[kind] = (bool(in_app), bool(by_email))
    for user_id, address in emails.items():
        found[user_id][""] = (bool(address), bool(address))
    return found


def notifications_write(pending: Sequence[Pending]) -> Written:
    """Write the notifications of a batch (`notify_users` for many things at once): the same
    rules, one query and one insert each for the notifications and the e-mails."""
    wanted: dict[tuple[uuid.UUID, str, uuid.UUID | None], Pending] = {}
    for item in pending:
        if item.kind not in NotificationKind.values:
            raise ValueError(f"unknown notification kind {item.kind!r}")
        if item.actor_id is not None and item.recipient_id == item.actor_id:
            continue
        wanted.setdefault((item.recipient_id, item.kind, item.case_id), item)
    if not wanted:
        return Written(0, 0)
    choices = _choices(sorted({key[0] for key in wanted}, key=str))
    now = clock.now()
    send_email = emails_possible()
    notifications: list[Notification] = []
    emails: list[NotificationEmail] = []
    for item in wanted.values():
        chosen = choices.get(item.recipient_id)
        if chosen is None:  # inactive, or no such user
            continue
        in_app, by_email = chosen.get(item.kind) or default_channels(item.kind)
        columns = {
            "recipient_id": item.recipient_id,
            "kind": item.kind,
            "case_id": item.case_id,
            "actor_id": item.actor_id,
            "message": item.message,
            "params": dict(item.params),
            "created_at": now,
        }
        if in_app:
            notifications.append(Notification(**columns))
        if by_email and send_email and chosen[""][1]:
            emails.append(NotificationEmail(**columns, next_attempt_at=now))
    if notifications:
        Notification.objects.bulk_create(notifications)
    if emails:
        NotificationEmail.objects.bulk_create(emails)
        from casedesk.notifications.tasks import notification_emails_send

        enqueue_on_commit(notification_emails_send, [str(e.pk) for e in emails])
    return Written(len(notifications), len(emails))


class SlaFiring(Protocol):
    """What the service levels report when a KPI warns or fails (docs/service-levels.md)."""

    @property
    def case_id(self) -> uuid.UUID: ...
    @property
    def kind(self) -> str: ...  # "warning" or "failure"
    @property
    def kpi(self) -> str: ...
    @property
    def item_name(self) -> str: ...
    @property
    def recipients(self) -> Iterable[uuid.UUID | str]: ...


_SLA = {
    "warning": (NotificationKind.SLA_WARNING, messages.SLA_WARNING),
    "failure": (NotificationKind.SLA_FAILURE, messages.SLA_FAILURE),
}


def sla_firings_notify(firings: Iterable[SlaFiring]) -> None:
    """`sla_warning` / `sla_failure` to the users each firing names (whom the SLA item's
    actions name), in the transaction that records the firings; one write for all."""
    pending: list[Pending] = []
    for firing in firings:
        kind, message = _SLA[str(firing.kind)]
        for recipient in firing.recipients:
            pending.append(
                Pending(
                    kind=kind,
                    recipient_id=uuid.UUID(str(recipient)),
                    case_id=firing.case_id,
                    actor_id=None,
                    message=message,
                    params={"item": firing.item_name, "kpi": firing.kpi},
                )
            )
    notifications_write(pending)
