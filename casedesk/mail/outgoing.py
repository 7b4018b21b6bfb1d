"""The rules of sending an e-mail (docs/email.md#sending): addresses, the default subject,
the retry schedule and what an SMTP server's answer means.

Pure: no database, no network.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence
from dataclasses import dataclass
from email.utils import parseaddr

from casedesk.mail.threads import ticket_in_subject

# At most this many addresses in `to` and `cc` together.
RECIPIENTS_MAX = 50
ADDRESS_MAX = 254
SUBJECT_MAX = 200
TEXT_MAX = 100_000
# The References header carries at most this many ids (the newest).
REFERENCES_MAX = 20

_ADDRESS = re.compile(
    r"^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?"
    r"(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)*$"
)

# After a temporary failure (a 4xx answer, no answer), the next attempt waits the n-th of
# these; when they are spent (about a day in all) the e-mail fails.
RETRY_SCHEDULE: tuple[dt.timedelta, ...] = tuple(
    dt.timedelta(minutes=m) for m in (1, 5, 15, 30, 60, 120, 240, 480, 480)
)
# How long a worker holds an e-mail it is sending; past it, another may take it again
# (the first died mid-send).
CLAIM = dt.timedelta(minutes=5)


def address_clean(value: str) -> str | None:
    """The bare address of `value` (`a@b.example` or `Name <a@b.example>`), or None when it is
    not one."""
    if not isinstance(value, str) or "\n" in value or "\r" in value or len(value) > 400:
        return None
    _name, address = parseaddr(value.strip())
    address = address.strip()
    if not address or len(address) > ADDRESS_MAX or not _ADDRESS.match(address):
        return None
    return address


def addresses_clean(values: Sequence[str], field: str) -> tuple[list[str], dict[str, str]]:
    """The bare addresses of `values` (duplicates dropped) and the errors by field."""
    clean: list[str] = []
    for value in values:
        address = address_clean(value)
        if address is None:
            return [], {field: f"not an e-mail address: {str(value)[:100]!r}"}
        if address.lower() not in {a.lower() for a in clean}:
            clean.append(address)
    return clean, {}


def subject_default(*, title: str, ticket_number: str) -> str:
    """`Re: <title> [CAS-…]`, shortened to fit (a title that already starts with `Re:` gets
    no second one)."""
    tail = f" [{ticket_number}]"
    title = " ".join(title.split())
    head = title if title.lower().startswith("re:") else f"Re: {title}"
    return head[: SUBJECT_MAX - len(tail)] + tail


def subject_with_ticket(subject: str, *, ticket_number: str) -> str:
    """`subject` carrying the case's ticket number (so that a reply finds the case even
    without its threading headers); added at the end when it has none."""
    subject = " ".join(subject.split())
    if ticket_in_subject(subject) == ticket_number.upper():
        return subject[:SUBJECT_MAX]
    tail = f" [{ticket_number}]"
    return subject[: SUBJECT_MAX - len(tail)] + tail


def references_of(*, parent_id: str, parent_references: Sequence[str]) -> list[str]:
    """The References of a reply to the message `parent_id`: its own References, then it."""
    ids = [i for i in parent_references if i and i != parent_id] + [parent_id]
    return ids[-REFERENCES_MAX:]


@dataclass(frozen=True)
class Outcome:
    """What an attempt to send came to: `sent`, `retry` (temporary) or `failed` (for good),
    and the server's answer or the error."""

    status: str
    error: str = ""


SENT, RETRY, FAILED = "sent", "retry", "failed"


def classify(code: int | None, text: str) -> Outcome:
    """A failed attempt: a 5xx answer fails for good; a 4xx answer, or none (`code` None: no
    connection, a timeout, a dropped line), is tried again."""
    answer = f"{code} {text}".strip() if code is not None else text
    if code is not None and 500 <= code < 600:
        return Outcome(FAILED, answer)
    return Outcome(RETRY, answer)


def after_failure(
    outcome: Outcome, *, attempts: int, now: dt.datetime
) -> tuple[str, dt.datetime | None]:
    """The e-mail's status after its `attempts`-th attempt failed as `outcome`, and when the
    next attempt is due: `queued` and a time while the schedule lasts, else `failed`."""
    if outcome.status == FAILED or attempts > len(RETRY_SCHEDULE):
        return "failed", None
    return "queued", now + RETRY_SCHEDULE[attempts - 1]
