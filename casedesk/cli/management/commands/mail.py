"""`casedesk mail receive MAILBOX < message.eml` and `casedesk mail poll [MAILBOX]`
(docs/email.md)."""

from __future__ import annotations

import sys
from typing import Any

from django.core.management.base import CommandError, CommandParser
from django.db import DatabaseError

from casedesk.cli.base import Command as BaseCommand
from casedesk.mail.services.mailboxes import mailbox_find
from casedesk.mail.services.poll import PollFailed, mailbox_poll
from casedesk.mail.services.receive import mail_receive

# A mail server's pipe reads this exit code as "try again later" (sysexits.h EX_TEMPFAIL):
# the message is not lost when the database is down for a while.
EX_TEMPFAIL = 75
# The largest message taken from standard input.
MAX_MESSAGE_BYTES = 200 * 1024 * 1024


class Command(BaseCommand):
    help = (
        "Take one message for a mailbox from standard input (a mail server's pipe), or poll "
        "the IMAP mailboxes once."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        actions = parser.add_subparsers(dest="action", required=True)
        receive = actions.add_parser("receive", help="take one message from standard input")
        receive.add_argument("mailbox", help="the mailbox's address or id")
        poll = actions.add_parser("poll", help="poll the IMAP mailboxes (or one) now")
        poll.add_argument("mailbox", nargs="?", help="the mailbox's address or id")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["action"] == "receive":
            self._receive(options["mailbox"])
        else:
            self._poll(options["mailbox"])

    def _receive(self, reference: str) -> None:
        mailbox = mailbox_find(reference)
        raw = sys.stdin.buffer.read(MAX_MESSAGE_BYTES + 1)
        if not raw.strip():
            raise CommandError("no message on standard input")
        if len(raw) > MAX_MESSAGE_BYTES:
            raise CommandError(f"the message is over {MAX_MESSAGE_BYTES} bytes")
        try:
            received = mail_receive(mailbox=mailbox, raw=raw)
        except (DatabaseError, OSError) as exc:
            raise CommandError(
                f"the message could not be stored: {exc}", returncode=EX_TEMPFAIL
            ) from exc
        self.stdout.write(received.line)

    def _poll(self, reference: str | None) -> None:
        from casedesk.mail.models import Mailbox

        if reference:
            mailboxes = [mailbox_find(reference)]
            if not mailboxes[0].uses_imap:
                raise CommandError(f"{mailboxes[0].address} receives through the pipe, not IMAP")
        else:
            mailboxes = list(
                Mailbox.objects.filter(active=True).exclude(imap_host="").order_by("name")
            )
        failed = 0
        for mailbox in mailboxes:
            try:
                result = mailbox_poll(mailbox_id=mailbox.pk)
            except PollFailed as exc:
                failed += 1
                self.stderr.write(f"{mailbox.address}: {exc}")
                continue
            for line in result.lines:
                self.stdout.write(f"{mailbox.address}: {line}")
            self.stdout.write(f"{mailbox.address}: {result.fetched} message(s) taken")
        if failed:
            raise CommandError(f"{failed} mailbox(es) could not be polled")
