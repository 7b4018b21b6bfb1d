"""Reading mailboxes (administrators) and what they received."""

from __future__ import annotations

import uuid

from django.db.models import QuerySet

from casedesk.core.errors import Forbidden, NotFound
from casedesk.directory.models import User
from casedesk.mail.models import InboundMessage, Mailbox

RELATED = ("owner_user", "owner_team", "queue")


def _require_admin(user: User | None) -> None:
    if user is not None and not user.is_admin:
        raise Forbidden("Only administrators manage mailboxes.")


def mailbox_list(*, user: User | None) -> QuerySet[Mailbox]:
    _require_admin(user)
    return Mailbox.objects.select_related(*RELATED)


def mailbox_get(*, user: User | None, mailbox_id: uuid.UUID) -> Mailbox:
    _require_admin(user)
    found = Mailbox.objects.select_related(*RELATED).filter(id=mailbox_id).first()
    if found is None:
        raise NotFound("No such mailbox.")
    return found


def mailbox_messages(*, user: User | None, mailbox_id: uuid.UUID) -> QuerySet[InboundMessage]:
    """What the mailbox received, newest first."""
    mailbox_get(user=user, mailbox_id=mailbox_id)
    return InboundMessage.objects.filter(mailbox_id=mailbox_id).select_related("case")
