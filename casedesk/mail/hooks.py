"""What the e-mail channel tells the apps that build on it (the outbox, docs/webhooks.md#events):
each received e-mail and each e-mail recorded sent or failed, inside the transaction that
records it. `mail` cannot import those apps; they add a hook from their `ready()`."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass, field

RECEIVED = "email.received"
SENT = "email.sent"
FAILED = "email.failed"


@dataclass(frozen=True)
class EmailChange:
    """One e-mail fact; never a body."""

    kind: str  # RECEIVED, SENT or FAILED
    case_id: uuid.UUID | None
    activity_id: uuid.UUID | None
    message_id: str
    sender: str
    to: list[str] = field(default_factory=list)
    cc: list[str] = field(default_factory=list)
    subject: str = ""
    status: str = ""  # the outcome of a received e-mail; the e-mail status of a sent one
    error: str = ""  # why a received e-mail was not threaded; the server's answer


EmailHook = Callable[[EmailChange], object]
_hooks: list[EmailHook] = []


def email_hook_add(hook: EmailHook) -> None:
    """Run `hook` for every e-mail change (once, however often it is added); call from
    `ready()`."""
    if hook not in _hooks:
        _hooks.append(hook)


def email_hook_remove(hook: EmailHook) -> None:
    if hook in _hooks:
        _hooks.remove(hook)


def email_changed(change: EmailChange) -> None:
    """Tell every hook about `change`; must run inside the transaction that records it."""
    for hook in _hooks:
        hook(change)
