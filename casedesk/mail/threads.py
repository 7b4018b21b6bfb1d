"""Which case a message belongs to, and what its arrival does to it (docs/email.md#threading).

Pure: the facts come from the caller.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from enum import StrEnum

TICKET = re.compile(r"\[(CAS-\d{5,}-[A-Z0-9]{6})\]", re.IGNORECASE)


def ticket_in_subject(subject: str) -> str | None:
    """The ticket number a subject carries as `[CAS-…]` (the last one: replies prepend)."""
    found = TICKET.findall(subject or "")
    return found[-1].upper() if found else None


def referenced_ids(*, in_reply_to: str, references: list[str]) -> list[str]:
    """The message ids a reply names, the nearest first: `In-Reply-To`, then `References`
    from the newest."""
    ids = [in_reply_to] if in_reply_to else []
    ids += list(reversed(references))
    return list(dict.fromkeys(i for i in ids if i))


class Fate(StrEnum):
    APPEND = "append"
    REOPEN = "reopen"
    NEW_CONNECTED = "new_connected"
    NEW = "new"


@dataclass(frozen=True)
class CaseFacts:
    state: str  # active | resolved | cancelled
    resolved_at: dt.datetime | None


def fate(case: CaseFacts | None, *, now: dt.datetime, reopen_days: int) -> Fate:
    """What a message does to the case it belongs to: an active case takes it; a resolved one
    is reopened when resolved at most `reopen_days` ago, else a new case connected to it
    opens; a cancelled case's mail (and mail of no case) opens a new case."""
    if case is None or case.state == "cancelled":
        return Fate.NEW
    if case.state == "active":
        return Fate.APPEND
    if case.resolved_at is not None and now - case.resolved_at <= dt.timedelta(days=reopen_days):
        return Fate.REOPEN
    return Fate.NEW_CONNECTED
