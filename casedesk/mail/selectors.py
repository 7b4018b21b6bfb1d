"""Reading mailboxes (administrators) and what they received."""

from __future__ import annotations

import uuid

from django.db.models import QuerySet

from casedesk.core.errors import NotFound
from casedesk.directory.access import Actor, require_role
from casedesk.directory.choices import Role
from casedesk.mail.models import InboundMessage, Mailbox
from casedesk.mail.services.mailboxes import ADMINS_ONLY

RELATED = ("owner_user", "owner_team", "queue")


def mailbox_list(*, user: Actor) -> QuerySet[Mailbox]:
    require_role(user, Role.ADMIN, ADMINS_ONLY)
    return Mailbox.objects.select_related(*RELATED)


def mailbox_get(*, user: Actor, mailbox_id: uuid.UUID) -> Mailbox:
    require_role(user, Role.ADMIN, ADMINS_ONLY)
    found = Mailbox.objects.select_related(*RELATED).filter(id=mailbox_id).first()
    if found is None:
        raise NotFound("No such mailbox.")
    return found


def mailbox_messages(*, user: Actor, mailbox_id: uuid.UUID) -> QuerySet[InboundMessage]:
    """What the mailbox received, newest first."""
    mailbox_get(user=user, mailbox_id=mailbox_id)
    return InboundMessage.objects.filter(mailbox_id=mailbox_id).select_related("case")
