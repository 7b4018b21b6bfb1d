"""Mailboxes (administrators): `/mailboxes`, `/mailboxes/{id}`, `/mailboxes/{id}/poll`
(docs/email.md#mailboxes)."""

from __future__ import annotations

import uuid
from typing import Any, Literal

from django.http import HttpRequest, HttpResponse
from ninja import Query, Router, Status

from casedesk.api.auth import actor
from casedesk.api.http import if_match, page_body, set_etag
from casedesk.api.schemas import OPTIONAL_BODY, In, ListParams, NoBody, Out, errors
from casedesk.cases.services.common import Ref
from casedesk.core.errors import Unavailable
from casedesk.core.pagination import paginate
from casedesk.core.types import Count, Email, Flag, Name, ShortText, Text
from casedesk.mail import selectors
from casedesk.mail.models import InboundMessage, Mailbox
from casedesk.mail.services import mailboxes as services
from casedesk.mail.services.poll import PollFailed, mailbox_poll

router = Router(tags=["mailboxes"])

Port = Count
Secret = Text(500, strip=False)


class OwnerIn(In):
    type: Literal["user", "team"]
    id: uuid.UUID


class ImapIn(In):
    host: ShortText
    port: Port | None = None
    security: Literal["ssl", "starttls", "none"] = "ssl"
    username: ShortText
    password: Secret | None = None  # type: ignore[valid-type]
    folder: ShortText = "INBOX"


class MailboxIn(In):
    name: Name
    address: Email
    owner: OwnerIn | None = None
    imap: ImapIn | None = None
    poll_seconds: Count = 60
    queue_id: uuid.UUID | None = None
    auto_acknowledge: Flag = False
    reopen_days: Count = 7
    active: Flag = True


class MailboxPatch(In):
    name: Name | None = None
    address: Email | None = None
    owner: OwnerIn | None = None
    imap: ImapIn | None = None
    poll_seconds: Count | None = None
    queue_id: uuid.UUID | None = None
    auto_acknowledge: Flag | None = None
    reopen_days: Count | None = None
    active: Flag | None = None


class OwnerOut(Out):
    type: str
    id: str
    name: str


class ImapOut(Out):
    host: str
    port: int | None
    security: str
    username: str
    folder: str
    password_set: bool
    uidvalidity: int | None


class MailboxOut(Out):
    id: str
    name: str
    address: str
    owner: OwnerOut
    imap: ImapOut | None
    poll_seconds: int
    queue_id: str | None
    auto_acknowledge: bool
    reopen_days: int
    active: bool
    last_polled_at: str | None
    last_poll_error: str
    created_at: str
    modified_at: str
    version: int


class MailboxPage(Out):
    items: list[MailboxOut]
    next: str | None


class PollOut(Out):
    fetched: int
    new_cases: int
    appended: int
    reopened: int
    ignored: int
    results: list[str]


def mailbox_out(mailbox: Mailbox) -> dict[str, Any]:
    if mailbox.owner_user is not None:
        owner = {
            "type": "user",
            "id": str(mailbox.owner_user.pk),
            "name": mailbox.owner_user.display_name,
        }
    else:
        team = mailbox.owner_team
        assert team is not None
        owner = {"type": "team", "id": str(team.pk), "name": team.name}
    imap = None
    if mailbox.uses_imap:
        imap = {
            "host": mailbox.imap_host,
            "port": mailbox.imap_port,
            "security": mailbox.imap_security,
            "username": mailbox.imap_username,
            "folder": mailbox.imap_folder,
            "password_set": bool(mailbox.imap_password),
            "uidvalidity": mailbox.imap_uidvalidity,
        }
    return {
        "id": str(mailbox.id),
        "name": mailbox.name,
        "address": mailbox.address,
        "owner": owner,
        "imap": imap,
        "poll_seconds": mailbox.poll_seconds,
        "queue_id": str(mailbox.queue_id) if mailbox.queue_id else None,
        "auto_acknowledge": mailbox.auto_acknowledge,
        "reopen_days": mailbox.reopen_days,
        "active": mailbox.active,
        "last_polled_at": mailbox.last_polled_at.isoformat() if mailbox.last_polled_at else None,
        "last_poll_error": mailbox.last_poll_error,
        "created_at": mailbox.created_at.isoformat(),
        "modified_at": mailbox.modified_at.isoformat(),
        "version": mailbox.version,
    }


def _imap(value: ImapIn | None) -> services.ImapSettings | None:
    if value is None:
        return None
    return services.ImapSettings(
        host=value.host,
        port=value.port,
        security=value.security,
        username=value.username,
        password=value.password,
        folder=value.folder,
    )


def _respond(request: HttpRequest, response: HttpResponse, mailbox_id: uuid.UUID) -> Any:
    mailbox = selectors.mailbox_get(user=actor(request), mailbox_id=mailbox_id)
    set_etag(response, mailbox.version)
    return mailbox_out(mailbox)


@router.get("/mailboxes", response={200: MailboxPage, **errors(403)})
def mailbox_list(request: HttpRequest, params: Query[ListParams]) -> dict[str, Any]:
    """The mailboxes, by name (administrators)."""
    page = paginate(
        selectors.mailbox_list(user=actor(request)),
        order=("name", "id"),
        limit=params.limit,
        cursor=params.cursor,
        scope="mailboxes",
    )
    return page_body(page, mailbox_out)


@router.post("/mailboxes", response={201: MailboxOut, **errors(403, 413, 422)})
def mailbox_create(request: HttpRequest, payload: MailboxIn, response: HttpResponse) -> Status:
    """Create a mailbox (administrators); `imap: null` for delivery by the mail server's pipe
    (`casedesk mail receive`). The password is write-only."""
    mailbox = services.mailbox_create(
        actor=actor(request),
        name=payload.name,
        address=payload.address,
        owner=Ref(payload.owner.type, payload.owner.id) if payload.owner else None,
        imap=_imap(payload.imap),
        poll_seconds=payload.poll_seconds,
        queue_id=payload.queue_id,
        auto_acknowledge=payload.auto_acknowledge,
        reopen_days=payload.reopen_days,
        active=payload.active,
    )
    return Status(201, _respond(request, response, mailbox.pk))


@router.get("/mailboxes/{mailbox_id}", response={200: MailboxOut, **errors(403)})
def mailbox_get(request: HttpRequest, mailbox_id: uuid.UUID, response: HttpResponse) -> Any:
    return _respond(request, response, mailbox_id)


@router.patch("/mailboxes/{mailbox_id}", response={200: MailboxOut, **errors(403, 412, 413, 422)})
def mailbox_update(
    request: HttpRequest, mailbox_id: uuid.UUID, payload: MailboxPatch, response: HttpResponse
) -> Any:
    """Change a mailbox (a merge patch). `imap` replaces the IMAP settings (without
    `password`: the stored one is kept); `imap: null` turns polling off."""
    changes = payload.model_dump(exclude_unset=True)
    if "owner" in changes:
        changes["owner"] = Ref(payload.owner.type, payload.owner.id) if payload.owner else None
    if "imap" in changes:
        changes["imap"] = _imap(payload.imap)
    services.mailbox_update(
        actor=actor(request),
        mailbox_id=mailbox_id,
        changes=changes,
        expected_version=if_match(request),
    )
    return _respond(request, response, mailbox_id)


@router.post("/mailboxes/{mailbox_id}/poll", response={200: PollOut, **errors(403, 413, 422)})
def mailbox_poll_now(
    request: HttpRequest, mailbox_id: uuid.UUID, payload: NoBody | None = OPTIONAL_BODY
) -> Any:
    """Poll the mailbox's IMAP folder now (administrators). The server unreachable or the login
    refused: 503 `unavailable`, the error kept on the mailbox."""
    selectors.mailbox_get(user=actor(request), mailbox_id=mailbox_id)
    try:
        result = mailbox_poll(mailbox_id=mailbox_id)
    except PollFailed as exc:
        raise Unavailable(f"The IMAP server failed: {exc}") from exc
    return {
        "fetched": result.fetched,
        "new_cases": result.new_cases,
        "appended": result.appended,
        "reopened": result.reopened,
        "ignored": result.ignored,
        "results": result.lines,
    }


class InboundMessageOut(Out):
    id: str
    message_id: str
    sender: str
    subject: str
    outcome: str
    reason: str
    case_id: str | None
    ticket_number: str | None
    source_attachment_id: str | None
    received_at: str


class InboundMessagePage(Out):
    items: list[InboundMessageOut]
    next: str | None


def inbound_out(message: InboundMessage) -> dict[str, Any]:
    return {
        "id": str(message.id),
        "message_id": message.message_id,
        "sender": message.sender,
        "subject": message.subject,
        "outcome": message.outcome,
        "reason": message.reason,
        "case_id": str(message.case_id) if message.case_id else None,
        "ticket_number": message.case.ticket_number if message.case else None,
        "source_attachment_id": str(message.source_id) if message.source_id else None,
        "received_at": message.received_at.isoformat(),
    }


@router.get("/mailboxes/{mailbox_id}/messages", response={200: InboundMessagePage, **errors(403)})
def mailbox_messages(
    request: HttpRequest, mailbox_id: uuid.UUID, params: Query[ListParams]
) -> dict[str, Any]:
    """What the mailbox received, newest first (administrators): the case each message went
    to, or why it was ignored; a message held over the sender limit names the attachment that
    keeps it whole (`source_attachment_id`, readable at `/attachments/{id}/content`)."""
    page = paginate(
        selectors.mailbox_messages(user=actor(request), mailbox_id=mailbox_id),
        order=("-received_at", "-id"),
        limit=params.limit,
        cursor=params.cursor,
        scope=f"mailbox-messages:{mailbox_id}",
    )
    return page_body(page, inbound_out)
