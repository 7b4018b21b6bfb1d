"""Reads of activities, notes, posts and the case timeline (docs/cases.md#the-timeline)."""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass
from typing import Any

from django.db.models import Q, QuerySet

from casedesk.cases.choices import ActivityType
from casedesk.cases.models import Activity, Note, Post
from casedesk.core.errors import NotFound
from casedesk.core.pagination import decode_cursor, encode_cursor


def activity_get(*, activity_id: uuid.UUID) -> Activity:
    activity = Activity.objects.select_related("owner").filter(id=activity_id).first()
    if activity is None:
        raise NotFound("No such activity.")
    return activity


def activity_list(
    *, case_id: uuid.UUID, state: str | None = None, type: str | None = None
) -> QuerySet[Activity]:
    qs = Activity.objects.select_related("owner").filter(case_id=case_id)
    if state:
        qs = qs.filter(state=state)
    if type:
        qs = qs.filter(type=type)
    return qs


def email_list(*, case_id: uuid.UUID) -> QuerySet[Activity]:
    """The e-mails of the mail channel on the case (docs/email.md)."""
    return Activity.objects.select_related("owner").filter(
        case_id=case_id, type=ActivityType.EMAIL, email_status__isnull=False
    )


def note_list(*, case_id: uuid.UUID) -> QuerySet[Note]:
    return Note.objects.select_related("author").filter(case_id=case_id)


def post_list(*, case_id: uuid.UUID) -> QuerySet[Post]:
    return Post.objects.select_related("author").filter(case_id=case_id)


@dataclass(frozen=True)
class TimelineEntry:
    kind: str  # activity, note or post
    at: dt.datetime
    record: Activity | Note | Post


@dataclass(frozen=True)
class TimelinePage:
    items: list[TimelineEntry]
    next: str | None


def case_timeline(
    *, case_id: uuid.UUID, limit: int = 50, cursor: str | None = None
) -> TimelinePage:
    """Activities, notes and posts of a case together, newest first (ties by id).

    One query per kind and page however deep: each kind is read after the cursor's (time, id)
    and the three are merged.
    """
    scope = f"timeline:{case_id}"
    after = Q()
    if cursor:
        at, last_id = decode_cursor(scope, cursor, 2)
        after = Q(created_at__lt=at) | Q(created_at=at, id__lt=last_id)
    sources: list[tuple[str, QuerySet[Any]]] = [
        ("activity", activity_list(case_id=case_id)),
        ("note", note_list(case_id=case_id)),
        ("post", post_list(case_id=case_id)),
    ]
    entries: list[TimelineEntry] = []
    for kind, qs in sources:
        rows = qs.filter(after).order_by("-created_at", "-id")[: limit + 1]
        entries.extend(TimelineEntry(kind=kind, at=row.created_at, record=row) for row in rows)
    entries.sort(key=lambda e: (e.at, e.record.pk), reverse=True)
    page = entries[:limit]
    next_cursor = None
    if len(entries) > limit and page:
        last = page[-1]
        next_cursor = encode_cursor(scope, [last.at, last.record.pk])
    return TimelinePage(items=page, next=next_cursor)
