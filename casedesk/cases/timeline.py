"""Reads of activities, notes, posts and the case timeline (docs/cases.md#the-timeline)."""

from __future__ import annotations

import datetime as dt
import functools
import uuid
from dataclasses import dataclass
from typing import Any

from django.db.models import Q, QuerySet

from casedesk.cases.choices import ActivityType
from casedesk.cases.models import Activity, Note, Post
from casedesk.core.errors import NotFound
from casedesk.core.pagination import decode_cursor, encode_cursor
from casedesk.core.statements import Statement


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


# What the timeline may be narrowed to (`show`): every entry, or one kind of them (e-mails are
# the activities of type e-mail; `activities` are the others).
TIMELINE_SHOWS = ("all", "notes", "emails", "activities", "posts")


def _kind_list(kind: str, show: str, case_id: uuid.UUID) -> QuerySet[Any]:
    """One kind of a case's timeline entries (`show` narrows the activities), newest first."""
    if kind == "note":
        qs: QuerySet[Any] = note_list(case_id=case_id)
    elif kind == "post":
        qs = post_list(case_id=case_id)
    else:
        qs = activity_list(case_id=case_id)
        if show == "emails":
            qs = qs.filter(type=ActivityType.EMAIL)
        elif show == "activities":
            qs = qs.exclude(type=ActivityType.EMAIL)
    return qs.order_by("-created_at", "-id")


@functools.lru_cache(maxsize=64)
def _first_page(kind: str, show: str, limit: int) -> Statement[Any]:
    """The newest `limit + 1` entries of one kind, compiled once per process
    (casedesk/core/statements.py)."""
    return Statement(lambda case_id: _kind_list(kind, show, case_id)[: limit + 1])


def case_timeline(
    *, case_id: uuid.UUID, limit: int = 50, cursor: str | None = None, show: str = "all"
) -> TimelinePage:
    """Activities, notes and posts of a case together, newest first (ties by id); with `show`
    (`TIMELINE_SHOWS`) one kind of them only.

    One query per kind and page however deep: each kind is read after the cursor's (time, id)
    and the three are merged.
    """
    if show not in TIMELINE_SHOWS:
        show = "all"
    scope = f"timeline:{case_id}:{show}"
    after: Q | None = None
    if cursor:
        at, last_id = decode_cursor(scope, cursor, 2)
        after = Q(created_at__lt=at) | Q(created_at=at, id__lt=last_id)
    wanted = {"all": ("activity", "note", "post"), "notes": ("note",), "posts": ("post",)}
    entries: list[TimelineEntry] = []
    for kind in wanted.get(show, ("activity",)):
        if after is None:  # the first page, the one every case page shows
            rows = _first_page(kind, show, limit).run(case_id=case_id)
        else:
            rows = list(_kind_list(kind, show, case_id).filter(after)[: limit + 1])
        entries.extend(TimelineEntry(kind=kind, at=row.created_at, record=row) for row in rows)
    entries.sort(key=lambda e: (e.at, e.record.pk), reverse=True)
    page = entries[:limit]
    next_cursor = None
    if len(entries) > limit and page:
        last = page[-1]
        next_cursor = encode_cursor(scope, [last.at, last.record.pk])
    return TimelinePage(items=page, next=next_cursor)
