"""Background jobs of the mail channel (docs/email.md#imap)."""

from __future__ import annotations

import logging
import uuid

from django_tasks import task

from casedesk.mail.services.poll import PollFailed, mailbox_poll, mailboxes_due
from casedesk.mail.services.send import email_deliver, emails_due, smtp_server

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


@task()
def email_send_job(activity_id: str) -> str:
    """Send one outgoing e-mail (enqueued when its case's transaction commits); returns what
    the attempt came to. A temporary failure leaves it queued for `email_send_due`."""
    return email_deliver(uuid.UUID(activity_id)).outcome


@task()
def email_send_due() -> int:
    """Send the queued e-mails whose next attempt is due (retries, and those whose job was
    lost); returns how many were sent."""
    if smtp_server() is None:  # they wait, saying why, until one is configured
        return 0
    sent = 0
    for activity_id in emails_due():
        try:
            sent += email_deliver(activity_id).outcome == "sent"
        except Exception:  # one e-mail's trouble does not stop the others
            logger.exception("e-mail delivery failed", extra={"activity": str(activity_id)})
    return sent
