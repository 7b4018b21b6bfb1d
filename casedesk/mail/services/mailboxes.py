"""Mailboxes (docs/email.md#mailboxes): administrators create and change them; the IMAP
password is stored encrypted and never shown again."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.validators import validate_email
from django.db import transaction

from casedesk.cases.services.common import Ref, resolve_owner
from casedesk.core import clock
from casedesk.core.audit import audit_record, diff
from casedesk.core.choices import Channel
from casedesk.core.concurrency import ExpectedVersion, check_version
from casedesk.core.errors import NotFound, ValidationFailed
from casedesk.directory.access import Actor, actor_user, require_role
from casedesk.directory.choices import Role
from casedesk.directory.models import Team
from casedesk.mail.choices import Security
from casedesk.mail.locks import mailbox_lock
from casedesk.mail.models import Mailbox
from casedesk.mail.secrets import secret_seal
from casedesk.routing.models import Queue

# Why an agent or a manager is refused a change of mailboxes (`require_role`).
ADMINS_ONLY = "Only administrators manage mailboxes."

MAILBOX_WRITABLE = frozenset(
    {
        "name",
        "address",
        "owner",
        "imap",
        "poll_seconds",
        "queue_id",
        "auto_acknowledge",
        "reopen_days",
        "active",
    }
)
POLL_SECONDS_MIN = 10


@dataclass(frozen=True)
class ImapSettings:
    """How a mailbox reads its folder. `password` None keeps the stored one."""

    host: str
    username: str
    password: str | None = None
    port: int | None = None
    security: str = Security.SSL
    folder: str = "INBOX"


def _address(value: str) -> str:
    address = (value or "").strip().lower()
    try:
        validate_email(address)
    except DjangoValidationError as exc:
        raise ValidationFailed({"address": "must be an e-mail address"}) from exc
    return address


def _mailbox_state(mailbox: Mailbox) -> dict[str, Any]:
    """The audited fields (the password only as whether one is set)."""
    return {
        "name": mailbox.name,
        "address": mailbox.address,
        "owner": (
            {"type": "user", "id": str(mailbox.owner_user_id)}
            if mailbox.owner_user_id
            else {"type": "team", "id": str(mailbox.owner_team_id)}
        ),
        "imap_host": mailbox.imap_host,
        "imap_port": mailbox.imap_port,
        "imap_security": mailbox.imap_security,
        "imap_username": mailbox.imap_username,
        "imap_password_set": bool(mailbox.imap_password),
        "imap_folder": mailbox.imap_folder,
        "poll_seconds": mailbox.poll_seconds,
        "queue_id": str(mailbox.queue_id) if mailbox.queue_id else None,
        "auto_acknowledge": mailbox.auto_acknowledge,
        "reopen_days": mailbox.reopen_days,
        "active": mailbox.active,
    }


def _apply_imap(mailbox: Mailbox, imap: ImapSettings | None) -> None:
    if imap is None:
        mailbox.imap_host = mailbox.imap_username = mailbox.imap_password = ""
        mailbox.imap_port = None
        mailbox.imap_uidvalidity = None
        return
    problems: dict[str, str] = {}
    if not imap.host.strip():
        problems["imap.host"] = "is required"
    if not imap.username.strip():
        problems["imap.username"] = "is required"
    if imap.security not in Security.values:
        problems["imap.security"] = "must be ssl, starttls or none"
    if imap.port is not None and not 1 <= imap.port <= 65535:
        problems["imap.port"] = "must be between 1 and 65535"
    if not (imap.folder or "").strip():
        problems["imap.folder"] = "is required"
    if imap.password is None and not mailbox.imap_password:
        problems["imap.password"] = "is required"
    if problems:
        raise ValidationFailed(problems)
    if imap.host.strip() != mailbox.imap_host or imap.folder != mailbox.imap_folder:
        mailbox.imap_uidvalidity = None
    mailbox.imap_host = imap.host.strip()
    mailbox.imap_port = imap.port
    mailbox.imap_security = imap.security
    mailbox.imap_username = imap.username.strip()
    mailbox.imap_folder = imap.folder.strip()
    if imap.password is not None:
        mailbox.imap_password = secret_seal(imap.password)


def _apply(mailbox: Mailbox, changes: dict[str, Any], *, actor: Actor) -> None:
    problems: dict[str, str] = {}
    if "name" in changes:
        if not (changes["name"] or "").strip():
            problems["name"] = "is required"
        else:
            mailbox.name = changes["name"].strip()
    if "address" in changes:
        mailbox.address = _address(changes["address"])
        taken = Mailbox.objects.filter(address=mailbox.address).exclude(id=mailbox.pk).exists()
        if taken:
            problems["address"] = "another mailbox has this address"
    if "owner" in changes:
        ref = changes["owner"]
        if ref is None:
            problems["owner"] = "is required"
        else:
            owner = resolve_owner(ref)
            if isinstance(owner, Team):
                mailbox.owner_user, mailbox.owner_team = None, owner
            else:
                mailbox.owner_user, mailbox.owner_team = owner, None
    if "poll_seconds" in changes:
        value = changes["poll_seconds"]
        if value is None or value < POLL_SECONDS_MIN:
            problems["poll_seconds"] = f"at least {POLL_SECONDS_MIN}"
        else:
            mailbox.poll_seconds = value
    if "reopen_days" in changes:
        value = changes["reopen_days"]
        if value is None or value < 0:
            problems["reopen_days"] = "must be 0 or more"
        else:
            mailbox.reopen_days = value
    if "queue_id" in changes:
        queue_id = changes["queue_id"]
        queue = Queue.objects.filter(id=queue_id).first() if queue_id else None
        if queue_id and queue is None:
            problems["queue_id"] = "no such queue"
        mailbox.queue = queue
    for flag in ("auto_acknowledge", "active"):
        if flag in changes:
            if changes[flag] is None:
                problems[flag] = "may not be cleared"
            else:
                setattr(mailbox, flag, bool(changes[flag]))
    if problems:
        raise ValidationFailed(problems)
    if "imap" in changes:
        _apply_imap(mailbox, changes["imap"])


@transaction.atomic
def mailbox_create(
    *,
    actor: Actor,
    name: str,
    address: str,
    owner: Ref | None = None,
    imap: ImapSettings | None = None,
    poll_seconds: int = 60,
    queue_id: uuid.UUID | None = None,
    auto_acknowledge: bool = False,
    reopen_days: int = 7,
    active: bool = True,
    channel: str = Channel.API,
) -> Mailbox:
    """Create a mailbox; its new cases are owned by `owner` (default: the creator).
    Administrators only (`forbidden`); `validation_error` for a bad or taken address, an
    unknown owner or queue, incomplete IMAP settings."""
    require_role(actor, Role.ADMIN, ADMINS_ONLY)
    now = clock.now()
    creator = actor_user(actor)
    mailbox = Mailbox(created_by=creator, created_at=now, modified_at=now)
    if owner is None:
        if creator is None:
            raise ValidationFailed({"owner": "is required"})
        mailbox.owner_user = creator
    _apply(
        mailbox,
        {
            "name": name,
            "address": address,
            **({"owner": owner} if owner is not None else {}),
            "imap": imap,
            "poll_seconds": poll_seconds,
            "queue_id": queue_id,
            "auto_acknowledge": auto_acknowledge,
            "reopen_days": reopen_days,
            "active": active,
        },
        actor=actor,
    )
    mailbox.save()
    audit_record(
        actor=actor,
        action="create",
        channel=channel,
        entity=mailbox,
        entity_type="mailbox",
        changes=diff({}, _mailbox_state(mailbox)),
    )
    return mailbox


@transaction.atomic
def mailbox_update(
    *,
    actor: Actor,
    mailbox_id: uuid.UUID,
    changes: dict[str, Any],
    expected_version: ExpectedVersion = None,
    channel: str = Channel.API,
) -> Mailbox:
    """Apply a merge patch to a mailbox (`imap: null` turns IMAP polling off; an `imap`
    without `password` keeps the stored one). Administrators only.

    Refuse with `forbidden`, `not_found`, `version_mismatch`, `validation_error`.
    """
    require_role(actor, Role.ADMIN, ADMINS_ONLY)
    mailbox = mailbox_lock(mailbox_id=mailbox_id)
    if mailbox is None:
        raise NotFound("No such mailbox.")
    check_version(expected_version, mailbox.version)
    unknown = set(changes) - MAILBOX_WRITABLE
    if unknown:
        raise ValidationFailed({name: "is not a writable field" for name in sorted(unknown)})
    before = _mailbox_state(mailbox)
    sealed_before = mailbox.imap_password
    _apply(mailbox, changes, actor=actor)
    after = _mailbox_state(mailbox)
    if after == before and mailbox.imap_password == sealed_before:
        return mailbox
    mailbox.version += 1
    mailbox.modified_at = clock.now()
    mailbox.save()
    changed = diff(before, after)
    if mailbox.imap_password != sealed_before:
        changed["imap_password"] = ["***", "***"]
    audit_record(
        actor=actor,
        action="update",
        channel=channel,
        entity=mailbox,
        entity_type="mailbox",
        changes=changed,
    )
    return mailbox


def mailbox_find(reference: str) -> Mailbox:
    """The mailbox named by its address or id (the command line); `not_found` otherwise."""
    reference = reference.strip()
    try:
        found = Mailbox.objects.filter(id=uuid.UUID(reference)).first()
    except ValueError:
        found = Mailbox.objects.filter(address=reference.lower()).first()
    if found is None:
        raise NotFound(f"No mailbox {reference}.")
    return found
