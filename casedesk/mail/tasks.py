"""Background jobs of the mail channel (docs/email.md#imap)."""

from __future__ import annotations

import logging

from django_tasks import task

from casedesk.mail.services.poll import PollFailed, mailbox_poll, mailboxes_due

logger = logging.getLogger("casedesk.mail")


@task()
def mail_poll_due() -> int:
    """Poll every active IMAP mailbox that is due; one mailbox's failure does not stop the
    others. Returns the number of messages taken."""
    taken = 0
    for mailbox in mailboxes_due():
        try:
            taken += mailbox_poll(mailbox_id=mailbox.pk).fetched
        except PollFailed as exc:
            logger.warning(
                "mail poll failed", extra={"mailbox": str(mailbox.pk), "error": str(exc)}
            )
    return taken
