"""Sending notification e-mails (docs/notifications.md#e-mail): each once, by the worker,
outside any transaction, in the recipient's language, from `CASEDESK_MAIL_FROM`, with a link
to the case. A notification e-mail is not an e-mail of the case: it is not on its timeline."""

from __future__ import annotations

import logging
import socket
import uuid
from email.message import EmailMessage
from email.policy import default as default_policy
from email.utils import format_datetime, formataddr, make_msgid

from django.conf import settings
from django.db.models import Q
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext

from casedesk.core import clock
from casedesk.mail import outgoing
from casedesk.mail.services.send import smtp_send, smtp_server
from casedesk.notifications.choices import EmailState
from casedesk.notifications.messages import notification_text
from casedesk.notifications.models import NotificationEmail

logger = logging.getLogger("casedesk.notifications")

SWEEP_MAX = 100
SUBJECT_MAX = 200


def _language(code: str) -> str:
    supported = {c for c, _name in settings.LANGUAGES}
    if code in supported:
        return code
    return settings.LANGUAGE_CODE if settings.LANGUAGE_CODE in supported else "en"


def case_link(case_id: uuid.UUID) -> str:
    """The case page's address: absolute with `CASEDESK_BASE_URL`, else the path."""
    path = reverse("web:case_detail", kwargs={"case_id": case_id})
    base = str(getattr(settings, "BASE_URL", "") or "").rstrip("/")
    return base + path


def notification_email_build(email: NotificationEmail, *, sender: str) -> EmailMessage:
    """The message of `email`, written in its recipient's language."""
    recipient = email.recipient
    case = email.case
    with translation.override(_language(recipient.language)):
        text = notification_text(
            message=email.message,
            params=email.params or {},
            ticket=case.ticket_number if case else "",
            title=case.title if case else "",
            actor_name=email.actor.display_name if email.actor else "",
        )
        lines = [text, ""]
        if case is not None:
            lines += [gettext("Open the case: {url}").format(url=case_link(case.pk)), ""]
        lines.append(
            gettext(
                "You receive this e-mail because of your notification settings in casedesk "
                "(your profile)."
            )
        )
    message = EmailMessage(policy=default_policy)
    message["From"] = formataddr(("casedesk", sender))
    message["To"] = recipient.email
    message["Subject"] = " ".join(text.split())[:SUBJECT_MAX]
    message["Date"] = format_datetime(clock.now())
    domain = sender.rpartition("@")[2] or socket.getfqdn()
    message["Message-ID"] = make_msgid(domain=domain)
    # RFC 3834: auto-responders, and the desk's own mailboxes, do not answer it.
    message["Auto-Submitted"] = "auto-generated"
    message.set_content("\n".join(lines) + "\n")
    return message


def _claim(email_id: uuid.UUID) -> bool:
    """Take the pending, due e-mail for this worker until `outgoing.CLAIM` passes: one
    conditional UPDATE, so of two workers exactly one gets it."""
    now = clock.now()
    return bool(
        NotificationEmail.objects.filter(
            id=email_id, state=EmailState.PENDING, next_attempt_at__lte=now
        )
        .filter(Q(claimed_until__isnull=True) | Q(claimed_until__lt=now))
        .update(claimed_until=now + outgoing.CLAIM)
    )


def notification_email_deliver(email_id: uuid.UUID) -> str:
    """Send the pending notification e-mail `email_id` if it is due and no other worker holds
    it; returns `sent`, `retry`, `failed`, `not_configured` (left pending) or `skipped`."""
    server = smtp_server()
    sender = str(getattr(settings, "MAIL_FROM", "") or "").strip()
    if server is None or not sender:
        return "not_configured"
    if not _claim(email_id):
        return "skipped"
    email = NotificationEmail.objects.select_related("recipient", "case", "actor").get(id=email_id)
    if not email.recipient.is_active or not email.recipient.email:
        outcome = outgoing.Outcome(outgoing.FAILED, "the user is inactive or has no address")
    else:
        try:
            message = notification_email_build(email, sender=sender)
            outcome = smtp_send(server, message, sender=sender, recipients=[email.recipient.email])
        except Exception as exc:  # counted as a failed attempt, so that it ends
            logger.exception("notification e-mail failed", extra={"email": str(email_id)})
            outcome = outgoing.classify(None, f"{type(exc).__name__}: {exc}")
    return _record(email, outcome)


def _record(email: NotificationEmail, outcome: outgoing.Outcome) -> str:
    now = clock.now()
    attempts = email.attempts + 1
    if outcome.status == outgoing.SENT:
        state, next_at, result = EmailState.SENT, email.next_attempt_at, outgoing.SENT
    else:
        status, due = outgoing.after_failure(outcome, attempts=attempts, now=now)
        failed = status == "failed"
        state = EmailState.FAILED if failed else EmailState.PENDING
        next_at = due or email.next_attempt_at
        result = outgoing.FAILED if failed else outgoing.RETRY
    NotificationEmail.objects.filter(id=email.pk, state=EmailState.PENDING).update(
        state=state,
        attempts=attempts,
        error=outcome.error[:2000],
        next_attempt_at=next_at,
        claimed_until=None,
        sent_at=now if state == EmailState.SENT else None,
    )
    return result


def notification_emails_due(*, limit: int = SWEEP_MAX) -> list[uuid.UUID]:
    """The pending notification e-mails whose next attempt is due, oldest first."""
    now = clock.now()
    return list(
        NotificationEmail.objects.filter(state=EmailState.PENDING, next_attempt_at__lte=now)
        .filter(Q(claimed_until__isnull=True) | Q(claimed_until__lt=now))
        .order_by("next_attempt_at", "id")
        .values_list("id", flat=True)[:limit]
    )
