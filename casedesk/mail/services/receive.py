"""Receiving one message for a mailbox (docs/email.md#what-happens-to-a-message).

`mail_receive` is the one way a message enters the desk: the pipe (`casedesk mail receive`),
IMAP polling and the tests all call it. Each message is taken once per mailbox: the unique
(mailbox, message id) of `InboundMessage` is written in the same transaction as the case, so a
second delivery (another poller, a poll repeated after a crash between storing and flagging)
finds it and is `ignored: duplicate`.
"""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass

from django.conf import settings
from django.db import IntegrityError, transaction

from casedesk.attachments.services import (
    StagedFile,
    attachments_record,
    file_stage,
    files_discard,
    max_bytes,
)
from casedesk.cases.choices import Origin, State, Status
from casedesk.cases.locks import case_lock
from casedesk.cases.models import Activity, Case
from casedesk.cases.services.common import Ref
from casedesk.cases.services.connections import connection_create
from casedesk.cases.services.emails import (
    IncomingEmail,
    email_case_of,
    email_incoming_step,
)
from casedesk.cases.services.lifecycle import case_reactivate
from casedesk.cases.services.pipeline import case_write_finish
from casedesk.cases.services.records import case_create_step
from casedesk.core import clock
from casedesk.core.choices import Channel
from casedesk.core.errors import DomainError
from casedesk.customers.models import Contact
from casedesk.customers.services import contact_create
from casedesk.directory.access import SYSTEM
from casedesk.mail import hooks, loops, threads
from casedesk.mail.choices import IgnoredReason, Outcome
from casedesk.mail.models import InboundMessage, Mailbox
from casedesk.mail.parse import ParsedMessage, parse_message
from casedesk.mail.services.send import email_acknowledge_step, email_reports_record
from casedesk.routing.selectors import rule_set_active
from casedesk.routing.services.items import queue_place, queue_write
from casedesk.routing.services.routing import routing_apply

# The system as the actor of the writes a message causes (the case services take None).
CHANNEL = Channel.SYSTEM
TITLE_MAX = 200
DESCRIPTION_MAX = 100_000
MERGE_CHAIN_MAX = 20


@dataclass(frozen=True)
class Received:
    """What receiving a message did: `outcome` (new, appended, reopened, ignored) and, for an
    ignored message, `reason` (duplicate, bounce, sender_limit, loop, no_sender)."""

    outcome: str
    message_id: str
    reason: str = ""
    case_id: uuid.UUID | None = None
    ticket_number: str = ""
    activity_id: uuid.UUID | None = None

    @property
    def line(self) -> str:
        """As `casedesk mail receive` prints it."""
        if self.outcome == Outcome.IGNORED:
            return f"ignored: {self.reason}"
        return f"{self.ticket_number} {self.outcome}"


def _own_addresses() -> set[str]:
    own = {a.lower() for a in Mailbox.objects.values_list("address", flat=True)}
    mail_from = str(getattr(settings, "MAIL_FROM", "") or "").strip().lower()
    if mail_from:
        own.add(mail_from)
    return own


def _duplicate(mailbox: Mailbox, message_id: str) -> Received | None:
    found = (
        InboundMessage.objects.filter(mailbox=mailbox, message_id=message_id)
        .select_related("case")
        .first()
    )
    if found is None:
        return None
    return Received(
        outcome=Outcome.IGNORED,
        reason=IgnoredReason.DUPLICATE,
        message_id=message_id,
        case_id=found.case_id,
        ticket_number=found.case.ticket_number if found.case else "",
    )


def _over_sender_limit(sender: str, now: dt.datetime) -> bool:
    recent = InboundMessage.objects.filter(
        sender=sender, outcome=Outcome.NEW, received_at__gte=now - dt.timedelta(hours=1)
    ).count()
    return recent >= loops.SENDER_LIMIT_PER_HOUR


def mail_receive(*, mailbox: Mailbox, raw: bytes, imap_uid: int | None = None) -> Received:
    """Take the message `raw` for `mailbox`: onto the case it belongs to (appended, or the
    case reopened), onto a new case, or not at all (`ignored`: duplicate, bounce, loop,
    no_sender; `sender_limit`: kept whole for review). See docs/email.md.

    Files are written to the storage first and removed again if the transaction fails. Raise
    (and store nothing) only when the message cannot be stored at all.
    """
    message = parse_message(raw)
    duplicate = _duplicate(mailbox, message.message_id)
    if duplicate is not None:
        return duplicate
    refused = loops.refusal(message, own_addresses=_own_addresses())
    staged: list[StagedFile] = []
    try:
        if refused is None:
            staged, left_out = _stage_files(message)
            if left_out:
                message = _with_note(message, left_out)
        try:
            with transaction.atomic():
                return _receive(
                    mailbox=mailbox,
                    message=message,
                    staged=staged,
                    refused=refused,
                    imap_uid=imap_uid,
                )
        except _Hold:
            # Over the sender limit: nothing of the case was written; keep the whole
            # message instead, for review.
            files_discard(staged)
            staged = [file_stage(raw, filename="message.eml", content_type="message/rfc822")]
            with transaction.atomic():
                return _hold(mailbox=mailbox, message=message, source=staged[0], imap_uid=imap_uid)
    except IntegrityError:
        files_discard(staged)
        duplicate = _duplicate(mailbox, message.message_id)
        if duplicate is not None:
            return duplicate
        raise
    except BaseException:
        files_discard(staged)
        raise


class _Hold(Exception):
    """The message would open a case past the sender's limit."""


def _hold(
    *, mailbox: Mailbox, message: ParsedMessage, source: StagedFile, imap_uid: int | None
) -> Received:
    attachment = attachments_record(files=[source], actor=SYSTEM, case=None, channel=CHANNEL)[0]
    inbound_record(
        mailbox,
        message,
        Outcome.HELD,
        IgnoredReason.SENDER_LIMIT,
        imap_uid=imap_uid,
        source_id=attachment.pk,
    )
    return Received(
        outcome=Outcome.IGNORED, reason=IgnoredReason.SENDER_LIMIT, message_id=message.message_id
    )


def _stage_files(message: ParsedMessage) -> tuple[list[StagedFile], list[str]]:
    staged: list[StagedFile] = []
    left_out: list[str] = []
    try:
        for part in message.files:
            if len(part.data) > max_bytes():
                left_out.append(f"{part.filename} ({len(part.data)} bytes)")
                continue
            staged.append(
                file_stage(
                    part.data,
                    filename=part.filename,
                    content_type=part.content_type,
                    content_id=part.content_id,
                    inline=part.inline,
                )
            )
    except BaseException:
        files_discard(staged)
        raise
    return staged, left_out


def _with_note(message: ParsedMessage, left_out: list[str]) -> ParsedMessage:
    from dataclasses import replace

    note = "\n".join(f"[Not kept, over the attachment size limit: {name}]" for name in left_out)
    return replace(message, text=f"{message.text}\n\n{note}".strip())


def _receive(
    *,
    mailbox: Mailbox,
    message: ParsedMessage,
    staged: list[StagedFile],
    refused: str | None,
    imap_uid: int | None,
) -> Received:
    if refused is not None:
        if refused == IgnoredReason.BOUNCE:
            email_reports_record(
                message_ids=message.reported_message_ids,
                error=message.report_text or message.subject or "delivery failed",
            )
        return inbound_record(mailbox, message, Outcome.IGNORED, refused, imap_uid=imap_uid)
    found = _thread_case(message)
    if found is not None:  # decide on the case as it is once locked
        found = case_lock(case_id=found.pk)
    now = clock.now()
    facts = threads.CaseFacts(state=found.state, resolved_at=found.resolved_at) if found else None
    fate = threads.fate(facts, now=now, reopen_days=mailbox.reopen_days)
    outcome: str
    if found is not None and fate == threads.Fate.REOPEN:
        if _reopen(found):
            outcome = Outcome.REOPENED
        else:
            fate = threads.Fate.NEW_CONNECTED
    if found is not None and fate == threads.Fate.APPEND:
        outcome = Outcome.APPENDED
    if fate in (threads.Fate.NEW, threads.Fate.NEW_CONNECTED) or found is None:
        if _over_sender_limit(message.sender, now):
            raise _Hold
        case = _new_case(mailbox, message)
        if found is not None and fate == threads.Fate.NEW_CONNECTED:
            connection_create(actor=SYSTEM, case_id=case.pk, other_id=found.pk, channel=CHANNEL)
        outcome = Outcome.NEW
    else:
        case = case_lock(case_id=found.pk)
    activity = email_incoming_step(case=case, email=_incoming(mailbox, message), channel=CHANNEL)
    attachments_record(files=staged, actor=SYSTEM, case=case, activity=activity, channel=CHANNEL)
    inbound_record(mailbox, message, outcome, "", imap_uid=imap_uid, case=case, activity=activity)
    if (
        outcome == Outcome.NEW
        and mailbox.auto_acknowledge
        and not loops.never_answer(message, own_addresses=_own_addresses())
    ):
        email_acknowledge_step(
            case=case,
            mailbox=mailbox,
            to=message.sender,
            in_reply_to=message.message_id,
            references=message.references,
        )
    return Received(
        outcome=outcome,
        message_id=message.message_id,
        case_id=case.pk,
        ticket_number=case.ticket_number,
        activity_id=activity.pk,
    )


def _thread_case(message: ParsedMessage) -> Case | None:
    """The case the message answers: by the message ids it names, else by the ticket number
    in its subject; a merged case's master."""
    ids = threads.referenced_ids(in_reply_to=message.in_reply_to, references=message.references)
    case_id = email_case_of(ids)
    case: Case | None = None
    if case_id is not None:
        case = Case.objects.filter(id=case_id).first()
    if case is None:
        ticket = threads.ticket_in_subject(message.subject)
        if ticket:
            case = Case.objects.filter(ticket_number=ticket).first()
    for _ in range(MERGE_CHAIN_MAX):
        if case is None or case.status != Status.MERGED or case.merged_into_id is None:
            break
        case = Case.objects.filter(id=case.merged_into_id).first()
    return case


def _reopen(case: Case) -> bool:
    """Reactivate the resolved `case`; False when its status rules forbid it (the message
    then opens a new case connected to it)."""
    try:
        with transaction.atomic():
            case_reactivate(actor=SYSTEM, case_id=case.pk, channel=CHANNEL)
    except DomainError:
        return False
    return True


def _contact_for(message: ParsedMessage) -> Contact:
    """The contact with the sender's address (the oldest, if several), else a new one named
    from the display name (or the address)."""
    existing = (
        Contact.objects.filter(email__iexact=message.sender).order_by("created_at", "id").first()
    )
    if existing is not None:
        return existing
    name = message.sender_name.strip().strip('"').strip()
    if not name:
        name = message.sender.split("@", 1)[0]
    first, _sep, last = name.rpartition(" ")
    return contact_create(
        actor=SYSTEM,
        first_name=first[:100],
        last_name=(last or first)[:100],
        email=message.sender[:254],
        channel=CHANNEL,
    )


def _owner(mailbox: Mailbox) -> Ref:
    if mailbox.owner_user_id is not None:
        return Ref("user", mailbox.owner_user_id)
    assert mailbox.owner_team_id is not None
    return Ref("team", mailbox.owner_team_id)


def _new_case(mailbox: Mailbox, message: ParsedMessage) -> Case:
    contact = _contact_for(message)
    title = (message.subject or "").strip()[:TITLE_MAX] or "(no subject)"
    case = case_create_step(
        actor=SYSTEM,
        title=title,
        customer=Ref("contact", contact.pk),
        contact_id=contact.pk,
        description=message.text[:DESCRIPTION_MAX],
        origin=Origin.EMAIL,
        owner=_owner(mailbox),
        channel=CHANNEL,
        mailbox_id=mailbox.pk,
    )
    if mailbox.queue_id is not None and mailbox.queue is not None:
        placement = queue_place(case=case, queue=mailbox.queue)
        if placement.changed:
            case_write_finish(
                case=case,
                actor=SYSTEM,
                channel=CHANNEL,
                write=queue_write(
                    previous_queue_id=placement.previous_queue_id,
                    queue_id=mailbox.queue_id,
                    item=placement.item,
                ),
            )
    rule_set = rule_set_active()
    if rule_set is not None and case.state == State.ACTIVE:
        routing_apply(case=case, actor=SYSTEM, rule_set=rule_set)
    return case


def _incoming(mailbox: Mailbox, message: ParsedMessage) -> IncomingEmail:
    return IncomingEmail(
        message_id=message.message_id,
        sender=message.sender,
        subject=message.subject,
        text=message.text,
        html=message.html,
        to=message.to,
        cc=message.cc,
        in_reply_to=message.in_reply_to,
        references=message.references,
        mailbox_id=mailbox.pk,
    )


def inbound_record(
    mailbox: Mailbox,
    message: ParsedMessage,
    outcome: str,
    reason: str,
    *,
    imap_uid: int | None,
    case: Case | None = None,
    activity: Activity | None = None,
    source_id: uuid.UUID | None = None,
) -> Received:
    """Record that `mailbox` received `message`: the one place where a received e-mail is
    written, in the transaction of its case, with its `email.received` event (mail/hooks.py)."""
    InboundMessage.objects.create(
        mailbox=mailbox,
        message_id=message.message_id,
        imap_uid=imap_uid,
        sender=message.sender[:320],
        subject=message.subject[:255],
        outcome=outcome,
        reason=reason,
        case=case,
        activity=activity,
        source_id=source_id,
        received_at=clock.now(),
    )
    hooks.email_changed(
        hooks.EmailChange(
            kind=hooks.RECEIVED,
            case_id=case.pk if case else None,
            activity_id=activity.pk if activity else None,
            message_id=message.message_id,
            sender=message.sender,
            to=list(message.to),
            cc=list(message.cc),
            subject=message.subject,
            status=str(outcome),
            error=str(reason),
        )
    )
    return Received(
        outcome=outcome,
        reason=reason,
        message_id=message.message_id,
        case_id=case.pk if case else None,
        ticket_number=case.ticket_number if case else "",
        activity_id=activity.pk if activity else None,
    )
