"""IMAP polling (docs/email.md#imap): take every unseen message of a mailbox's folder by UID,
store it (`mail_receive`), then flag it seen. Messages are never deleted.

A poller killed between storing a message and flagging it takes it again next time, and two
pollers of one mailbox may take the same message at once: `mail_receive` keeps each message id
once per mailbox, so the second is `ignored: duplicate` and both flag it. No database
transaction is open while the IMAP server is talked to.
"""

from __future__ import annotations

import contextlib
import ssl
import uuid
from dataclasses import dataclass, field

from django.db import transaction
from imapclient import IMAPClient
from imapclient.exceptions import IMAPClientError

from casedesk.core import clock
from casedesk.core.errors import NotFound, ValidationFailed
from casedesk.mail.choices import Outcome, Security
from casedesk.mail.models import Mailbox
from casedesk.mail.secrets import SecretUnreadable, secret_open
from casedesk.mail.services.receive import Received, mail_receive

TIMEOUT_SECONDS = 30
# Messages taken per poll: a large backlog is worked off over several polls.
BATCH = 200
SEEN = b"\\Seen"


@dataclass
class PollResult:
    """What one poll of one mailbox took."""

    mailbox_id: uuid.UUID
    fetched: int = 0
    new_cases: int = 0
    appended: int = 0
    reopened: int = 0
    ignored: int = 0
    lines: list[str] = field(default_factory=list)
    error: str = ""

    def add(self, received: Received) -> None:
        self.fetched += 1
        self.lines.append(received.line)
        if received.outcome == Outcome.NEW:
            self.new_cases += 1
        elif received.outcome == Outcome.APPENDED:
            self.appended += 1
        elif received.outcome == Outcome.REOPENED:
            self.reopened += 1
        else:
            self.ignored += 1


class PollFailed(Exception):
    """The IMAP server could not be reached or refused the mailbox's credentials."""


def _connect(mailbox: Mailbox) -> IMAPClient:
    context = ssl.create_default_context()
    port = mailbox.imap_port or (993 if mailbox.imap_security == Security.SSL else 143)
    client = IMAPClient(
        mailbox.imap_host,
        port=port,
        ssl=mailbox.imap_security == Security.SSL,
        ssl_context=context,
        timeout=TIMEOUT_SECONDS,
    )
    if mailbox.imap_security == Security.STARTTLS:
        client.starttls(context)
    client.login(mailbox.imap_username, secret_open(mailbox.imap_password))
    return client


def _note(mailbox_id: uuid.UUID, *, error: str, uidvalidity: int | None) -> None:
    values: dict[str, object] = {"last_polled_at": clock.now(), "last_poll_error": error[:2000]}
    if uidvalidity is not None:
        values["imap_uidvalidity"] = uidvalidity
    with transaction.atomic():
        Mailbox.objects.filter(id=mailbox_id).update(**values)


def mailbox_poll(*, mailbox_id: uuid.UUID) -> PollResult:
    """Poll the IMAP mailbox once, now: each unseen message is received, then flagged seen.

    Refuse with `not_found`, or `validation_error` for a mailbox without IMAP. Raise
    `PollFailed` when the server cannot be reached or refuses the login (the mailbox records
    the error); a message that cannot be stored stays unseen and is tried again next time.
    """
    mailbox = Mailbox.objects.select_related("queue").filter(id=mailbox_id).first()
    if mailbox is None:
        raise NotFound("No such mailbox.")
    if not mailbox.uses_imap:
        raise ValidationFailed({"imap": "this mailbox receives through the pipe, not IMAP"})
    result = PollResult(mailbox_id=mailbox.pk)
    uidvalidity: int | None = None
    try:
        client = _connect(mailbox)
        try:
            selected = client.select_folder(mailbox.imap_folder)
            raw_validity = selected.get(b"UIDVALIDITY")
            uidvalidity = int(raw_validity) if raw_validity is not None else None
            uids = sorted(client.search(["UNSEEN"]))[:BATCH]
            for uid in uids:
                fetched = client.fetch([uid], ["BODY.PEEK[]"]).get(uid, {})
                raw = fetched.get(b"BODY[]")
                if not isinstance(raw, bytes):
                    continue
                result.add(mail_receive(mailbox=mailbox, raw=raw, imap_uid=uid))
                client.add_flags([uid], [SEEN])
        finally:
            with contextlib.suppress(IMAPClientError, OSError):
                client.logout()
    except (IMAPClientError, OSError, SecretUnreadable) as exc:
        result.error = f"{type(exc).__name__}: {exc}"
        _note(mailbox.pk, error=result.error, uidvalidity=uidvalidity)
        raise PollFailed(result.error) from exc
    _note(mailbox.pk, error="", uidvalidity=uidvalidity)
    return result


def mailboxes_due() -> list[Mailbox]:
    """The active IMAP mailboxes whose poll interval has passed."""
    now = clock.now()
    due = []
    for mailbox in Mailbox.objects.filter(active=True).exclude(imap_host="").order_by("name"):
        last = mailbox.last_polled_at
        if last is None or (now - last).total_seconds() >= mailbox.poll_seconds:
            due.append(mailbox)
    return due
