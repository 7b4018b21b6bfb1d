"""Subjects and products: managers and administrators maintain the catalogue."""

from __future__ import annotations

import uuid

from django.db import transaction

from casedesk.catalog.models import Product, Subject
from casedesk.core import clock
from casedesk.core.audit import audit_record
from casedesk.core.choices import Channel
from casedesk.core.errors import ValidationFailed
from casedesk.directory.access import Actor, require_role
from casedesk.directory.choices import Role

_MANAGERS_ONLY = "Only managers maintain subjects and products."


@transaction.atomic
def subject_create(
    *,
    actor: Actor,
    name: str,
    parent_id: uuid.UUID | None = None,
    channel: str = Channel.API,
) -> Subject:
    """Create a subject, optionally under a parent subject (422 if the parent is unknown)."""
    require_role(actor, Role.MANAGER, _MANAGERS_ONLY)
    parent = None
    if parent_id is not None:
        parent = Subject.objects.filter(id=parent_id).first()
        if parent is None:
            raise ValidationFailed({"parent_id": "no such subject"})
    subject = Subject.objects.create(name=name, parent=parent, created_at=clock.now())
    audit_record(
        actor=actor,
        action="create",
        channel=channel,
        entity=subject,
        changes={"name": [None, name], "parent_id": [None, parent_id]},
    )
    return subject


@transaction.atomic
def product_create(
    *, actor: Actor, name: str, code: str = "", channel: str = Channel.API
) -> Product:
    """Create a product."""
    require_role(actor, Role.MANAGER, _MANAGERS_ONLY)
    product = Product.objects.create(name=name, code=code, created_at=clock.now())
    audit_record(
        actor=actor,
        action="create",
        channel=channel,
        entity=product,
        changes={"name": [None, name], "code": [None, code]},
    )
    return product
