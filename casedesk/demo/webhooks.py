"""A demo webhook, disabled: what a subscription looks like, calling nobody
(docs/webhooks.md)."""

from __future__ import annotations

import secrets

from casedesk.core.choices import Channel
from casedesk.directory.models import User
from casedesk.events.services import webhook_create


def load(users: dict[str, User]) -> dict[str, int]:
    webhook_create(
        actor=users["admin"],
        url="https://hooks.example.com/casedesk",
        events=["case.created", "case.resolved", "case.cancelled"],
        secret=secrets.token_urlsafe(32),
        active=False,
        channel=Channel.CLI,
    )
    return {"webhooks": 1}
