"""E-mails on a case (docs/email.md): an incoming message becomes a completed e-mail activity,
and so does an answer (outgoing, `queued` until the worker sends it), written through the
case-write pipeline so that the case's version, audit and search document follow them."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field

from casedesk.cases.choices import ActivityState, ActivityType, CaseAction, Direction, EmailStatus
from casedesk.cases.models import Activity, Case
from casedesk.cases.services.activities import SUBJECT_MAX, activity_audit
from casedesk.cases.services.common import case_snapshot, require_not_merged
from casedesk.cases.services.pipeline import CaseWrite, case_write_finish
from casedesk.core import clock
from casedesk.core.choices import Channel
from casedesk.directory.access import SYSTEM, Actor, actor_user

NO_SUBJECT = "(no subject)"


@dataclass(frozen=True)
class IncomingEmail:
    """What the case keeps of a received message."""

    message_id: str
    sender: str
    subject: str
    text: str
    html: str = ""
    to: Sequence[str] = field(default_factory=list)
    cc: Sequence[str] = field(default_factory=list)
    in_reply_to: str = ""
    references: Sequence[str] = field(default_factory=list)
    mailbox_id: uuid.UUID | None = None


def _email_written(
    *,
    case: Case,
    activity: Activity,
    actor: Actor,
    channel: str,
    email: IncomingEmail | OutgoingEmail,
) -> None:
    """Audit a new e-mail activity (with the activity hooks) and finish the case's write."""
    activity_audit(
        actor=actor,
        activity=activity,
        action="create",
        channel=channel,
        before=None,
        details={"message_id": email.message_id},
    )
    case_write_finish(
        case=case,
        actor=actor,
        channel=channel,
        write=CaseWrite(
            action=CaseAction.EMAIL,
            before=case_snapshot(case),
            details={"activity_id": str(activity.pk), "direction": activity.direction},
            save_fields=(),
        ),
    )


def email_incoming_step(
    *, case: Case, email: IncomingEmail, channel: str = Channel.SYSTEM
) -> Activity:
    """Record `email` on the locked `case` as a completed incoming e-mail activity, in the
    caller's transaction; the case's version grows and its audit gains an `email` row.

    Refuse with `case_not_active` on a merged case (its mail goes to its master: the caller
    follows `merged_into` first).
    """
    require_not_merged(case)
    now = clock.now()
    subject = (email.subject or "").strip() or NO_SUBJECT
    activity = Activity(
        case=case,
        type=ActivityType.EMAIL,
        subject=subject[:SUBJECT_MAX],
        description=email.text,
        state=ActivityState.COMPLETED,
        direction=Direction.INCOMING,
        created_at=now,
        closed_at=now,
        email_message_id=email.message_id,
        email_from=email.sender,
        email_to=list(email.to),
        email_cc=list(email.cc),
        email_html=email.html,
        email_in_reply_to=email.in_reply_to or None,
        email_references=list(email.references),
        email_status=EmailStatus.RECEIVED,
        email_mailbox_id=email.mailbox_id,
    )
    activity.save()
    _email_written(case=case, activity=activity, actor=SYSTEM, channel=channel, email=email)
    return activity


@dataclass(frozen=True)
class OutgoingEmail:
    """An e-mail the desk sends from a case, as checked by the sending service."""

    message_id: str
    sender: str
    to: Sequence[str]
    cc: Sequence[str]
    subject: str
    text: str
    in_reply_to: str = ""
    references: Sequence[str] = field(default_factory=list)
    mailbox_id: uuid.UUID | None = None
    automatic: bool = False
    error: str = ""


def email_outgoing_step(
    *, case: Case, email: OutgoingEmail, actor: Actor, channel: str = Channel.API
) -> Activity:
    """Record `email` on the locked `case` as a completed outgoing e-mail activity, `queued`
    for the worker, in the caller's transaction; the case's version grows and its audit gains
    an `email` row. `error` says why it cannot be sent yet (no SMTP server configured).

    Refuse with `case_not_active` on a merged case.
    """
    require_not_merged(case)
    now = clock.now()
    user = actor_user(actor)
    activity = Activity(
        case=case,
        type=ActivityType.EMAIL,
        subject=email.subject[:SUBJECT_MAX],
        description=email.text,
        state=ActivityState.COMPLETED,
        direction=Direction.OUTGOING,
        owner=user,
        created_by=user,
        created_at=now,
        closed_at=now,
        email_message_id=email.message_id,
        email_from=email.sender,
        email_to=list(email.to),
        email_cc=list(email.cc),
        email_in_reply_to=email.in_reply_to or None,
        email_references=list(email.references),
        email_status=EmailStatus.QUEUED,
        email_error=email.error or None,
        email_mailbox_id=email.mailbox_id,
        email_attempts=0,
        email_next_attempt_at=now,
        email_automatic=email.automatic,
    )
    activity.save()
    _email_written(case=case, activity=activity, actor=actor, channel=channel, email=email)
    return activity


def case_first_response_step(*, case: Case, at: dt.datetime, activity: Activity) -> bool:
    """Record on the locked `case` that its first response was given `at` (the first e-mail
    an agent wrote was sent), unless one already was; in the caller's transaction."""
    if case.first_response_at is not None:
        return False
    before = case_snapshot(case)
    case.first_response_at = at
    case_write_finish(
        case=case,
        actor=SYSTEM,
        channel=Channel.SYSTEM,
        write=CaseWrite(
            action=CaseAction.UPDATE,
            before=before,
            details={"first_response": str(activity.pk)},
            save_fields=("first_response_at",),
        ),
    )
    return True


def email_case_of(message_ids: Sequence[str]) -> uuid.UUID | None:
    """The case holding an e-mail with one of `message_ids` (the first named wins)."""
    if not message_ids:
        return None
    found = dict(
        Activity.objects.filter(
            type=ActivityType.EMAIL, email_message_id__in=list(message_ids)
        ).values_list("email_message_id", "case_id")
    )
    for message_id in message_ids:
        if message_id in found:
            return found[message_id]
    return None
