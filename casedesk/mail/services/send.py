"""Sending e-mail from a case (docs/email.md#sending).

`email_send` records an agent's answer on the case, `queued`, and enqueues its delivery when
the transaction commits; `email_acknowledge_step` does the same for the acknowledgement of a
new case. `email_deliver` (the worker's job, and the periodic sweep `email_send_due`) sends
one over SMTP, outside any transaction, and `email_outcome_record` is the one place where an
e-mail is recorded `sent` or `failed`.
"""

from __future__ import annotations

import datetime as dt
import logging
import smtplib
import socket
import ssl
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from email.message import EmailMessage
from email.policy import default as default_policy
from email.utils import format_datetime, formataddr, make_msgid
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.template.loader import render_to_string
from django.utils import translation
from django.utils.translation import gettext

from casedesk.attachments.models import Attachment
from casedesk.attachments.selectors import attachment_open
from casedesk.attachments.services import (
    StagedFile,
    Upload,
    attachments_claim,
    attachments_record,
    files_staged,
    max_bytes,
)
from casedesk.cases.choices import ActivityType, Direction, EmailStatus, State
from casedesk.cases.locks import activity_lock, case_lock
from casedesk.cases.models import Activity, Case
from casedesk.cases.permissions import require_case_change
from casedesk.cases.services.emails import (
    OutgoingEmail,
    case_first_response_step,
    email_outgoing_step,
)
from casedesk.config import Smtp, smtp_parse
from casedesk.core import clock
from casedesk.core.audit import audit_record
from casedesk.core.choices import Channel
from casedesk.core.errors import CaseNotActive, TooLarge, ValidationFailed
from casedesk.directory.access import SYSTEM, Actor
from casedesk.mail import hooks, outgoing
from casedesk.mail.models import Mailbox

logger = logging.getLogger("casedesk.mail")

# Why a queued e-mail waits, when no SMTP server is configured.
NOT_CONFIGURED = "Not sent yet: no SMTP server is configured (CASEDESK_SMTP_URL)."
SMTP_TIMEOUT = 30
# At most this many e-mails a sweep takes.
SWEEP_MAX = 100


def smtp_server() -> Smtp | None:
    """The configured SMTP server (`CASEDESK_SMTP_URL`), or None."""
    return smtp_parse(str(getattr(settings, "SMTP_URL", "") or ""))


def _last_incoming(case: Case) -> Activity | None:
    return (
        Activity.objects.filter(
            case_id=case.pk, type=ActivityType.EMAIL, direction=Direction.INCOMING
        )
        .order_by("-created_at", "-id")
        .first()
    )


def _sender(case: Case, last: Activity | None) -> tuple[str, Mailbox | None]:
    """The From of the case's mail: its mailbox's address (or the mailbox its last incoming
    e-mail came to), else `CASEDESK_MAIL_FROM`."""
    mailbox_id = case.mailbox_id or (last.email_mailbox_id if last else None)
    mailbox = Mailbox.objects.filter(id=mailbox_id).first() if mailbox_id else None
    if mailbox is not None:
        return mailbox.address, mailbox
    mail_from = str(getattr(settings, "MAIL_FROM", "") or "").strip()
    if mail_from:
        return mail_from, None
    raise ValidationFailed(
        {"from": "the case has no mailbox and CASEDESK_MAIL_FROM is not set: no sender address"}
    )


def _default_to(case: Case, last: Activity | None) -> list[str]:
    """The case's contact's address, else its customer's (a contact), else the sender of its
    last incoming e-mail."""
    for contact in (case.contact, case.customer_contact):
        if contact is not None and contact.email and outgoing.address_clean(contact.email):
            return [contact.email]
    if last is not None and last.email_from:
        return [last.email_from]
    return []


def _message_id(sender: str) -> str:
    domain = sender.rpartition("@")[2] or socket.getfqdn()
    return make_msgid(domain=domain).strip("<>")


def _thread(last: Activity | None) -> tuple[str, list[str]]:
    """`In-Reply-To` and `References` of an answer: the case's last incoming message."""
    if last is None or not last.email_message_id:
        return "", []
    return last.email_message_id, outgoing.references_of(
        parent_id=last.email_message_id, parent_references=last.email_references or []
    )


def _queue_on_commit(activity_id: uuid.UUID) -> None:
    def enqueue() -> None:
        from casedesk.mail.tasks import email_send_job

        try:
            email_send_job.enqueue(str(activity_id))
        except Exception:  # the periodic sweep sends it instead
            logger.exception("could not enqueue an e-mail", extra={"activity": str(activity_id)})

    transaction.on_commit(enqueue)


_UNREAD: Any = object()


def last_incoming_of(activities: Iterable[Activity]) -> Activity | None:
    """The newest incoming e-mail among `activities` (every activity of a case, read already)."""
    incoming = [
        a for a in activities if a.type == ActivityType.EMAIL and a.direction == Direction.INCOMING
    ]
    return max(incoming, key=lambda a: (a.created_at, str(a.pk)), default=None)


def email_defaults(case: Case, last: Activity | None = _UNREAD) -> dict[str, str]:
    """What an answer from `case` gets when the agent gives nothing: `to`, `subject`, `from`
    (empty when there is none). `last`: the case's newest incoming e-mail when the caller has
    read it (`last_incoming_of`)."""
    if last is _UNREAD:
        last = _last_incoming(case)
    try:
        sender = _sender(case, last)[0]
    except ValidationFailed:
        sender = ""
    return {
        "to": ", ".join(_default_to(case, last)),
        "subject": outgoing.subject_default(title=case.title, ticket_number=case.ticket_number),
        "from": sender,
    }


def email_send(
    *,
    actor: Actor,
    case_id: uuid.UUID,
    text: str,
    to: Sequence[str] | None = None,
    cc: Sequence[str] = (),
    subject: str | None = None,
    attachment_ids: Sequence[uuid.UUID] = (),
    uploads: Sequence[Upload] = (),
    channel: str = Channel.API,
) -> Activity:
    """Answer from the case by e-mail: record an outgoing e-mail activity, `queued`, and have
    the worker send it once the transaction commits.

    `to` defaults to the case's contact (else the sender of its last incoming e-mail), the
    subject to `Re: <title> [CAS-…]` (a given subject gets the ticket number if it lacks it);
    the From is the case's mailbox address, else `CASEDESK_MAIL_FROM`. The e-mail answers the
    case's last incoming message (`In-Reply-To`, `References`). `attachment_ids`: files
    uploaded by the actor or already on the case; `uploads`: files given with it, stored
    first and removed again if the e-mail is refused.

    Refuse with `validation_error` (no or a bad address, too many, empty text, no sender,
    a file that cannot be attached), `forbidden` (the actor may not change the case),
    `case_not_active` (a cancelled or merged case), `too_large` (the files together over
    `CASEDESK_MAX_UPLOAD_MB`), `not_found` (no such case).
    """
    text = (text or "").strip()
    errors: dict[str, str] = {}
    if not text:
        errors["text"] = "is required"
    elif len(text) > outgoing.TEXT_MAX:
        errors["text"] = f"at most {outgoing.TEXT_MAX} characters"
    to_clean, to_errors = outgoing.addresses_clean(list(to or []), "to")
    cc_clean, cc_errors = outgoing.addresses_clean(list(cc), "cc")
    errors |= to_errors | cc_errors
    if len(to_clean) + len(cc_clean) > outgoing.RECIPIENTS_MAX:
        errors["to"] = f"at most {outgoing.RECIPIENTS_MAX} addresses in to and cc together"
    if subject is not None and not subject.strip():
        subject = None
    if errors:
        raise ValidationFailed(errors)
    with files_staged(uploads) as staged:
        return _email_send(
            actor=actor,
            case_id=case_id,
            text=text,
            to_clean=to_clean,
            cc_clean=cc_clean,
            subject=subject,
            attachment_ids=attachment_ids,
            staged=staged,
            channel=channel,
        )


def _email_send(
    *,
    actor: Actor,
    case_id: uuid.UUID,
    text: str,
    to_clean: list[str],
    cc_clean: list[str],
    subject: str | None,
    attachment_ids: Sequence[uuid.UUID],
    staged: list[StagedFile],
    channel: str,
) -> Activity:
    with transaction.atomic():
        case = case_lock(case_id=case_id)
        require_case_change(actor, case)
        if case.state == State.CANCELLED:
            raise CaseNotActive(
                "A cancelled or merged case sends no e-mail.",
                details={"case_id": str(case.pk), "state": case.state, "status": case.status},
            )
        last = _last_incoming(case)
        sender, mailbox = _sender(case, last)
        if not to_clean:
            to_clean = _default_to(case, last)
            if not to_clean:
                raise ValidationFailed({"to": "is required: the case has no customer address"})
        if subject is None:
            subject = outgoing.subject_default(title=case.title, ticket_number=case.ticket_number)
        else:
            subject = outgoing.subject_with_ticket(subject, ticket_number=case.ticket_number)
        in_reply_to, references = _thread(last)
        activity = email_outgoing_step(
            case=case,
            email=OutgoingEmail(
                message_id=_message_id(sender),
                sender=sender,
                to=to_clean,
                cc=cc_clean,
                subject=subject,
                text=text,
                in_reply_to=in_reply_to,
                references=references,
                mailbox_id=mailbox.pk if mailbox else None,
                error="" if smtp_server() else NOT_CONFIGURED,
            ),
            actor=actor,
            channel=channel,
        )
        files = []
        if attachment_ids:
            files = attachments_claim(
                actor=actor, attachment_ids=attachment_ids, case=case, activity=activity
            )
        if staged:
            files += attachments_record(
                files=staged, actor=actor, case=case, activity=activity, channel=channel
            )
        if files:
            total = sum(f.size for f in files)
            if total > max_bytes():
                raise TooLarge(
                    f"The files together are over {settings.MAX_UPLOAD_MB} MB.",
                    details={"max_bytes": max_bytes(), "size": total},
                )
        _queue_on_commit(activity.pk)
    return activity


def email_acknowledge_step(
    *, case: Case, mailbox: Mailbox, to: str, in_reply_to: str, references: Sequence[str]
) -> Activity:
    """Acknowledge the new `case` to `to`, who wrote to `mailbox`: an automatic outgoing
    e-mail in the site's language (`LANGUAGE_CODE`), its subject carrying the ticket number,
    sent like any other, never a first response. In the caller's transaction; the caller
    decides that the message may be answered (docs/email.md#loops-and-junk)."""
    language = settings.LANGUAGE_CODE if settings.LANGUAGE_CODE in ("en", "it") else "en"
    context = {"case": case, "mailbox": mailbox}
    with translation.override(language):
        subject = gettext("We have received your request")
        text = render_to_string(f"mail/acknowledgement.{language}.txt", context).strip()
    thread_references = outgoing.references_of(parent_id=in_reply_to, parent_references=references)
    activity = email_outgoing_step(
        case=case,
        email=OutgoingEmail(
            message_id=_message_id(mailbox.address),
            sender=mailbox.address,
            to=[to],
            cc=[],
            subject=outgoing.subject_with_ticket(subject, ticket_number=case.ticket_number),
            text=text,
            in_reply_to=in_reply_to,
            references=thread_references if in_reply_to else [],
            mailbox_id=mailbox.pk,
            automatic=True,
            error="" if smtp_server() else NOT_CONFIGURED,
        ),
        actor=SYSTEM,
        channel=Channel.SYSTEM,
    )
    _queue_on_commit(activity.pk)
    return activity


@dataclass(frozen=True)
class Delivery:
    """What one call of `email_deliver` did: `sent`, `retry`, `failed`, `not_configured`
    (left queued), `skipped` (not due, already sent or failed, or held by another worker)."""

    outcome: str
    error: str = ""


def _claim(activity_id: uuid.UUID) -> bool:
    """Take the queued, due e-mail for this worker until `CLAIM` passes: one conditional
    UPDATE, so of two workers racing exactly one gets it (on both engines)."""
    now = clock.now()
    with transaction.atomic():
        return bool(
            Activity.objects.filter(
                id=activity_id,
                type=ActivityType.EMAIL,
                direction=Direction.OUTGOING,
                email_status=EmailStatus.QUEUED,
            )
            .filter(Q(email_next_attempt_at__isnull=True) | Q(email_next_attempt_at__lte=now))
            .filter(Q(email_claimed_until__isnull=True) | Q(email_claimed_until__lt=now))
            .update(email_claimed_until=now + outgoing.CLAIM)
        )


def email_message_build(activity: Activity) -> EmailMessage:
    """The message to send for the outgoing e-mail `activity`, with its files."""
    mailbox = (
        Mailbox.objects.filter(id=activity.email_mailbox_id).first()
        if activity.email_mailbox_id
        else None
    )
    message = EmailMessage(policy=default_policy)
    sender = activity.email_from or ""
    message["From"] = formataddr((mailbox.name, sender)) if mailbox else sender
    if activity.email_to:
        message["To"] = ", ".join(activity.email_to)
    if activity.email_cc:
        message["Cc"] = ", ".join(activity.email_cc)
    message["Subject"] = activity.subject
    message["Date"] = format_datetime(activity.created_at)
    message["Message-ID"] = f"<{activity.email_message_id}>"
    if activity.email_in_reply_to:
        message["In-Reply-To"] = f"<{activity.email_in_reply_to}>"
    if activity.email_references:
        message["References"] = " ".join(f"<{i}>" for i in activity.email_references)
    if mailbox is not None:
        message["Reply-To"] = mailbox.address
    if activity.email_automatic:
        # RFC 3834: other desks and auto-responders do not answer it.
        message["Auto-Submitted"] = "auto-replied"
    message.set_content(activity.description)
    files = Attachment.objects.filter(activity_id=activity.pk).order_by("created_at", "id")
    for attachment in files:
        with attachment_open(attachment) as handle:
            data = handle.read()
        maintype, _sep, subtype = attachment.content_type.partition("/")
        if maintype in ("message", "multipart"):  # these may not be base64-encoded: as bytes
            maintype, subtype = "application", "octet-stream"
        message.add_attachment(
            data,
            maintype=maintype or "application",
            subtype=subtype or "octet-stream",
            filename=attachment.filename,
        )
    return message


def _smtp_send(server: Smtp, message: EmailMessage, *, sender: str, recipients: list[str]) -> str:
    """Send over SMTP; the refusals of some recipients (others took it) as text."""
    client: smtplib.SMTP
    if server.tls:
        client = smtplib.SMTP_SSL(
            server.host, server.port, timeout=SMTP_TIMEOUT, context=ssl.create_default_context()
        )
    else:
        client = smtplib.SMTP(server.host, server.port, timeout=SMTP_TIMEOUT)
    try:
        if server.starttls:
            client.starttls(context=ssl.create_default_context())
        if server.username:
            client.login(server.username, server.password)
        refused = client.send_message(message, from_addr=sender, to_addrs=recipients)
    finally:
        try:
            client.quit()
        except (smtplib.SMTPException, OSError):
            client.close()
    return "; ".join(
        f"{address}: {code} {_text(answer)}" for address, (code, answer) in refused.items()
    )


def _text(answer: bytes | str) -> str:
    return answer.decode("utf-8", "replace") if isinstance(answer, bytes) else str(answer)


def _attempt(server: Smtp, activity: Activity) -> outgoing.Outcome:
    """One attempt to send `activity`: what it came to."""
    recipients = list(activity.email_to or []) + list(activity.email_cc or [])
    try:
        message = email_message_build(activity)
    except OSError as exc:
        return outgoing.classify(None, f"{type(exc).__name__}: {exc}".strip())
    return smtp_send(server, message, sender=activity.email_from or "", recipients=recipients)


def smtp_send(
    server: Smtp, message: EmailMessage, *, sender: str, recipients: list[str]
) -> outgoing.Outcome:
    """Send `message` over `server`: what the attempt came to (`outgoing.classify`). For every
    message the desk sends, a case's e-mail or another (a notification)."""
    try:
        refused = _smtp_send(server, message, sender=sender, recipients=recipients)
    except smtplib.SMTPRecipientsRefused as exc:
        answers = list(exc.recipients.values())
        text = "; ".join(f"{a}: {c} {_text(t)}" for a, (c, t) in exc.recipients.items())
        temporary = any(400 <= code < 500 for code, _t in answers)
        return outgoing.classify(None if temporary else answers[0][0], text)
    except smtplib.SMTPAuthenticationError as exc:
        # The desk's own configuration is wrong: retried, so that mail goes once it is fixed.
        return outgoing.classify(None, f"{exc.smtp_code} {_text(exc.smtp_error)}")
    except smtplib.SMTPResponseException as exc:
        return outgoing.classify(exc.smtp_code, _text(exc.smtp_error))
    except (smtplib.SMTPException, OSError) as exc:
        return outgoing.classify(None, f"{type(exc).__name__}: {exc}".strip())
    return outgoing.Outcome(outgoing.SENT, refused)


def email_deliver(activity_id: uuid.UUID) -> Delivery:
    """Send the queued outgoing e-mail `activity_id` if it is due and no other worker holds
    it; never one already sent or failed. With no SMTP server configured it stays queued.
    The SMTP conversation runs outside any transaction."""
    server = smtp_server()
    if server is None:
        return Delivery("not_configured", NOT_CONFIGURED)
    if not _claim(activity_id):
        return Delivery("skipped")
    activity = Activity.objects.get(id=activity_id)
    try:
        outcome = _attempt(server, activity)
    except Exception as exc:  # counted as a failed attempt, so that it ends
        logger.exception("e-mail could not be built or sent", extra={"activity": str(activity_id)})
        outcome = outgoing.classify(None, f"{type(exc).__name__}: {exc}")
    return email_outcome_record(activity_id=activity_id, outcome=outcome)


def email_outcome_record(
    *, activity_id: uuid.UUID, outcome: outgoing.Outcome, report: bool = False
) -> Delivery:
    """Record what an attempt to send the e-mail came to: `sent` (and, for the first e-mail
    an agent wrote on the case, its first response), `failed` with the server's answer, or
    queued again with the error and the time of the next attempt; with `report`, a
    delivery-status report that came back for it (a queued or sent e-mail fails). The one
    place where an e-mail is recorded sent or failed (the `email.sent` / `email.failed` events
    are written here, mail/hooks.py)."""
    now = clock.now()
    with transaction.atomic():
        case, activity = activity_lock(activity_id)  # the case first (docs/concurrency.md)
        open_statuses = (EmailStatus.QUEUED, EmailStatus.SENT) if report else (EmailStatus.QUEUED,)
        if activity.email_status not in open_statuses:  # a report came first, or a repeat
            return Delivery("skipped")
        before = {"email_status": activity.email_status, "email_error": activity.email_error}
        attempts = (activity.email_attempts or 0) + (0 if report else 1)
        activity.email_attempts = attempts
        activity.email_claimed_until = None
        status: str
        next_at: dt.datetime | None
        if report:
            status, next_at = EmailStatus.FAILED, None
            activity.email_error = outcome.error
        elif outcome.status == outgoing.SENT:
            status, next_at = EmailStatus.SENT, None
            activity.email_sent_at = now
            activity.email_error = outcome.error or None
        else:
            status, next_at = outgoing.after_failure(outcome, attempts=attempts, now=now)
            if status == EmailStatus.FAILED and outcome.status == outgoing.RETRY:
                activity.email_error = f"Gave up after {attempts} attempts: {outcome.error}"
            else:
                activity.email_error = outcome.error
        activity.email_status = status
        activity.email_next_attempt_at = next_at
        activity.version += 1
        activity.save(
            update_fields=[
                "email_status",
                "email_error",
                "email_sent_at",
                "email_attempts",
                "email_next_attempt_at",
                "email_claimed_until",
                "version",
            ]
        )
        if status != before["email_status"] or activity.email_error != before["email_error"]:
            audit_record(
                actor=SYSTEM,
                action="email_" + (status if status != EmailStatus.QUEUED else "retry"),
                channel=Channel.SYSTEM,
                entity=activity,
                entity_type="activity",
                changes={
                    "email_status": [before["email_status"], status],
                    "email_error": [before["email_error"], activity.email_error],
                },
                details={"case_id": str(case.pk), "attempts": attempts},
            )
        if status == EmailStatus.SENT and not activity.email_automatic:
            case_first_response_step(case=case, at=now, activity=activity)
        if status != before["email_status"] and status in (EmailStatus.SENT, EmailStatus.FAILED):
            hooks.email_changed(
                hooks.EmailChange(
                    kind=hooks.SENT if status == EmailStatus.SENT else hooks.FAILED,
                    case_id=case.pk,
                    activity_id=activity.pk,
                    message_id=activity.email_message_id or "",
                    sender=activity.email_from or "",
                    to=list(activity.email_to or []),
                    cc=list(activity.email_cc or []),
                    subject=activity.subject or "",
                    status=status,
                    error=activity.email_error or "",
                )
            )
    if status == EmailStatus.SENT:
        return Delivery(outgoing.SENT, activity.email_error or "")
    if status == EmailStatus.FAILED:
        return Delivery(outgoing.FAILED, activity.email_error or "")
    return Delivery(outgoing.RETRY, activity.email_error or "")


def email_reports_record(*, message_ids: Sequence[str], error: str) -> int:
    """A delivery-status report came back naming `message_ids`: the outgoing e-mails among
    them fail with its text. Returns how many did."""
    if not message_ids:
        return 0
    ids = Activity.objects.filter(
        type=ActivityType.EMAIL,
        direction=Direction.OUTGOING,
        email_message_id__in=list(message_ids),
    ).values_list("id", flat=True)
    failed = outgoing.Outcome(outgoing.FAILED, error[:2000])
    return sum(
        email_outcome_record(activity_id=i, outcome=failed, report=True).outcome == "failed"
        for i in list(ids)
    )


def emails_due(*, limit: int = SWEEP_MAX) -> list[uuid.UUID]:
    """The queued outgoing e-mails whose next attempt is due, oldest first."""
    now = clock.now()
    return list(
        Activity.objects.filter(
            email_status=EmailStatus.QUEUED,
            direction=Direction.OUTGOING,
            email_next_attempt_at__lte=now,
        )
        .filter(Q(email_claimed_until__isnull=True) | Q(email_claimed_until__lt=now))
        .order_by("email_next_attempt_at", "id")
        .values_list("id", flat=True)[:limit]
    )
