"""Saved views: a user keeps the case list's filters and sort under a name
(docs/web.md#saved-views). Each user's own; audited like the user's other choices."""

from __future__ import annotations

import uuid
from collections.abc import Mapping

from django.db import IntegrityError, transaction
from django.db.models import QuerySet

from casedesk.cases.locks import saved_view_lock, saved_views_lock
from casedesk.cases.models import SavedView
from casedesk.core import clock
from casedesk.core.audit import audit_record
from casedesk.core.choices import Channel
from casedesk.core.errors import NotFound, ValidationFailed
from casedesk.directory.models import User

MAX_PER_USER = 50
NAME_LENGTH = 60
# The list's parameters a view keeps (the page's cursor is not one of them).
KEPT = (
    "view",
    "search",
    "status",
    "subject",
    "queue",
    "priority",
    "sla_status",
    "owner",
    "customer",
    "sort",
)

NAME_TAKEN = "you already have a view with this name"
TOO_MANY = "a user keeps at most 50 views"
NAME_REQUIRED = "is required"
NAME_TOO_LONG = "must have at most 60 characters"


def saved_view_list(*, user: User) -> QuerySet[SavedView]:
    """The user's views, by name."""
    return SavedView.objects.filter(user=user).order_by("name", "id")


def saved_view_get(*, user: User, view_id: uuid.UUID) -> SavedView:
    """One of the user's views; another user's is `not_found`."""
    view = SavedView.objects.filter(user=user, id=view_id).first()
    if view is None:
        raise NotFound("No such view.")
    return view


def _name(name: str) -> str:
    name = " ".join((name or "").split())
    if not name:
        raise ValidationFailed({"name": NAME_REQUIRED})
    if len(name) > NAME_LENGTH:
        raise ValidationFailed({"name": NAME_TOO_LONG})
    return name


def _query(query: Mapping[str, str]) -> dict[str, str]:
    return {key: str(query[key])[:200] for key in KEPT if query.get(key)}


@transaction.atomic
def saved_view_create(
    *, actor: User, name: str, query: Mapping[str, str], channel: str = Channel.UI
) -> SavedView:
    """Save the list's parameters (`KEPT`) under `name`. Refuse with `validation_error` for
    a name that is empty, too long or already one of the user's views, and past
    `MAX_PER_USER` views."""
    name = _name(name)
    saved_views_lock(actor.pk)
    if SavedView.objects.filter(user=actor).count() >= MAX_PER_USER:
        raise ValidationFailed({"name": TOO_MANY})
    if SavedView.objects.filter(user=actor, name=name).exists():
        raise ValidationFailed({"name": NAME_TAKEN})
    view = SavedView(user=actor, name=name, query=_query(query), created_at=clock.now())
    try:
        with transaction.atomic():
            view.save(force_insert=True)
    except IntegrityError as exc:
        raise ValidationFailed({"name": NAME_TAKEN}) from exc
    audit_record(
        actor=actor,
        action="create",
        channel=channel,
        entity=view,
        entity_type="saved_view",
        changes={"name": [None, view.name], "query": [None, view.query]},
    )
    return view


@transaction.atomic
def saved_view_rename(
    *, actor: User, view_id: uuid.UUID, name: str, channel: str = Channel.UI
) -> SavedView:
    """Rename one of the actor's views; refuse as `saved_view_create` does, and with
    `not_found` for a view that is not the actor's."""
    view = saved_view_lock(actor.pk, view_id)
    name = _name(name)
    if name == view.name:
        return view
    if SavedView.objects.filter(user=actor, name=name).exclude(id=view.pk).exists():
        raise ValidationFailed({"name": NAME_TAKEN})
    before = view.name
    view.name = name
    view.save(update_fields=["name"])
    audit_record(
        actor=actor,
        action="update",
        channel=channel,
        entity=view,
        entity_type="saved_view",
        changes={"name": [before, name]},
    )
    return view


@transaction.atomic
def saved_view_delete(*, actor: User, view_id: uuid.UUID, channel: str = Channel.UI) -> None:
    """Delete one of the actor's views (`not_found` for a view that is not the actor's)."""
    view = saved_view_lock(actor.pk, view_id)
    audit_record(
        actor=actor,
        action="delete",
        channel=channel,
        entity=view,
        entity_type="saved_view",
        changes={"name": [view.name, None]},
    )
    view.delete()
