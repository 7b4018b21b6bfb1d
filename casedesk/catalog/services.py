"""Subjects and products: managers and administrators maintain the catalogue."""

from __future__ import annotations

import uuid

from django.db import transaction

from casedesk.catalog.models import Product, Subject
from casedesk.core import clock
from casedesk.core.audit import audit_record
from casedesk.core.choices import Channel
from casedesk.core.errors import Forbidden, ValidationFailed
from casedesk.directory.models import User


def _require_manager(actor: User | None) -> None:
    if actor is not None and not actor.is_manager:
        raise Forbidden("Only managers maintain subjects and products.")


@transaction.atomic
def subject_create(
    *,
    actor: User | None,
    name: str,
    parent_id: uuid.UUID | None = None,
    channel: str = Channel.API,
) -> Subject:
    """Create a subject, optionally under a parent subject (422 if the parent is unknown)."""
    _require_manager(actor)
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
    *, actor: User | None, name: str, code: str = "", channel: str = Channel.API
) -> Product:
    """Create a product."""
    _require_manager(actor)
    product = Product.objects.create(name=name, code=code, created_at=clock.now())
    audit_record(
        actor=actor,
        action="create",
        channel=channel,
        entity=product,
        changes={"name": [None, name], "code": [None, code]},
    )
    return product
