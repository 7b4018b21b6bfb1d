"""Webhook subscriptions (docs/webhooks.md): administrators create, change and delete them.

The secret is write-only: it is stored sealed (`casedesk.events.secrets`) to sign deliveries,
never answered, logged or audited (the audit row says only that it changed).
"""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import Sequence
from typing import Any

from django.conf import settings
from django.db import transaction

from casedesk.core import clock
from casedesk.core.audit import audit_record
from casedesk.core.choices import Channel
from casedesk.core.concurrency import ExpectedVersion, check_version
from casedesk.core.errors import NotFound, ValidationFailed
from casedesk.directory.access import Actor, require_role
from casedesk.directory.choices import Role
from casedesk.events import addresses
from casedesk.events.choices import ALL_EVENTS, EventType
from casedesk.events.locks import webhook_lock
from casedesk.events.models import Webhook
from casedesk.events.secrets import SecretUnreadable, secret_open, secret_seal

SECRET_MIN = 16
SECRET_MAX = 200
WRITABLE = frozenset({"url", "events", "secret", "active"})


# Why an agent or a manager is refused webhooks and the outbox (`require_role`).
ADMINS_ONLY = "Only administrators manage webhooks and read events."


def url_check(url: str) -> str:
    """Refuse with `validation_error` (field `url`) a URL casedesk will not call: not http or
    https, or a loopback, link-local or private host (resolved now) unless
    `CASEDESK_WEBHOOK_ALLOW_PRIVATE` allows it. A name that does not resolve yet is accepted:
    every delivery checks the addresses again."""
    allow_private = settings.WEBHOOK_ALLOW_PRIVATE
    try:
        target = addresses.allowed_target(url, allow_private=allow_private)
        # A name that does not resolve yet is checked again at every delivery.
        if not allow_private:
            with contextlib.suppress(addresses.HostUnresolved):
                addresses.vetted_addresses(target.host, target.port, allow_private=False)
    except addresses.AddressRefused as exc:
        raise ValidationFailed({"url": str(exc)}) from exc
    return url


def events_check(events: Sequence[str]) -> list[str]:
    """The subscribed event types, without repeats; `["*"]` for all of them."""
    if not events:
        raise ValidationFailed({"events": "name at least one event type, or *"})
    wanted = list(dict.fromkeys(events))
    if ALL_EVENTS in wanted:
        if len(wanted) > 1:
            raise ValidationFailed({"events": "* stands alone"})
        return wanted
    unknown = [name for name in wanted if name not in EventType.values]
    if unknown:
        raise ValidationFailed({"events": f"unknown event type: {', '.join(unknown)}"})
    return wanted


def secret_check(secret: str) -> str:
    if not (SECRET_MIN <= len(secret) <= SECRET_MAX):
        raise ValidationFailed({"secret": f"from {SECRET_MIN} to {SECRET_MAX} characters"})
    return secret


def _opened(sealed: str) -> str | None:
    try:
        return secret_open(sealed)
    except SecretUnreadable:
        return None


def _state(webhook: Webhook) -> dict[str, Any]:
    return {"url": webhook.url, "events": list(webhook.events), "active": webhook.active}


@transaction.atomic
def webhook_create(
    *,
    actor: Actor,
    url: str,
    events: Sequence[str],
    secret: str,
    active: bool = True,
    channel: str = Channel.API,
) -> Webhook:
    """Subscribe `url` to `events` (or `["*"]`), signing with `secret`.

    Refuse with `forbidden` (not an administrator) or `validation_error` (`url`: not http or
    https, or a refused address; `events`; `secret`: 16 to 200 characters).
    """
    require_role(actor, Role.ADMIN, ADMINS_ONLY)
    now = clock.now()
    webhook = Webhook(
        url=url_check(url),
        events=events_check(events),
        secret=secret_seal(secret_check(secret)),
        active=active,
        created_at=now,
        modified_at=now,
    )
    webhook.save()
    audit_record(
        actor=actor,
        action="create",
        channel=channel,
        entity=webhook,
        entity_type="webhook",
        changes={key: [None, value] for key, value in _state(webhook).items()},
        details={"secret_changed": True},
    )
    return webhook


def _lock(webhook_id: uuid.UUID) -> Webhook:
    webhook = webhook_lock(webhook_id=webhook_id)
    if webhook is None:
        raise NotFound("No such webhook.")
    return webhook


@transaction.atomic
def webhook_update(
    *,
    actor: Actor,
    webhook_id: uuid.UUID,
    changes: dict[str, Any],
    expected_version: ExpectedVersion = None,
    channel: str = Channel.API,
) -> Webhook:
    """Change a webhook's `url`, `events`, `secret` or `active`; deliveries already made or
    pending keep going to the webhook as it is when they are attempted.

    Refuse with `forbidden`, `not_found`, `version_mismatch` or `validation_error`.
    """
    require_role(actor, Role.ADMIN, ADMINS_ONLY)
    webhook = _lock(webhook_id)
    check_version(expected_version, webhook.version)
    unknown = set(changes) - WRITABLE
    if unknown:
        raise ValidationFailed({name: "is not a writable field" for name in sorted(unknown)})
    before = _state(webhook)
    if "url" in changes:
        webhook.url = url_check(changes["url"])
    if "events" in changes:
        webhook.events = events_check(changes["events"])
    secret_changed = "secret" in changes and changes["secret"] != _opened(webhook.secret)
    if "secret" in changes:
        webhook.secret = secret_seal(secret_check(changes["secret"]))
    if "active" in changes:
        webhook.active = bool(changes["active"])
    after = _state(webhook)
    if after == before and not secret_changed:
        return webhook
    webhook.version += 1
    webhook.modified_at = clock.now()
    webhook.save()
    audit_record(
        actor=actor,
        action="update",
        channel=channel,
        entity=webhook,
        entity_type="webhook",
        changes={k: [before[k], after[k]] for k in after if before[k] != after[k]},
        details={"secret_changed": secret_changed},
    )
    return webhook


@transaction.atomic
def webhook_delete(
    *,
    actor: Actor,
    webhook_id: uuid.UUID,
    expected_version: ExpectedVersion = None,
    channel: str = Channel.API,
) -> None:
    """Delete a webhook with its deliveries and their attempts (the events stay).

    Refuse with `forbidden`, `not_found` or `version_mismatch`.
    """
    require_role(actor, Role.ADMIN, ADMINS_ONLY)
    webhook = _lock(webhook_id)
    check_version(expected_version, webhook.version)
    audit_record(
        actor=actor,
        action="delete",
        channel=channel,
        entity=webhook,
        entity_type="webhook",
        changes={key: [value, None] for key, value in _state(webhook).items()},
    )
    webhook.delete()
