"""Activities, notes, posts and the timeline of a case (docs/cases.md)."""

from __future__ import annotations

import uuid
from typing import Annotated, Any, Literal

from django.http import HttpRequest, HttpResponse
from ninja import Query, Router, Status
from pydantic import Field

from casedesk.api.auth import actor
from casedesk.api.http import if_match, page_body, set_etag
from casedesk.api.schemas import OPTIONAL_BODY, IdName, In, ListParams, NoBody, Out, errors
from casedesk.attachments.selectors import activity_attachment_ids
from casedesk.attachments.services import note_create_with_files
from casedesk.cases import timeline
from casedesk.cases.choices import ActivityState, ActivityType, Direction
from casedesk.cases.models import Activity, Note, Post
from casedesk.cases.selectors import case_get
from casedesk.cases.services import activities as services
from casedesk.core.pagination import paginate
from casedesk.core.types import LongText, MessageText, Minutes, Title, When

router = Router(tags=["activities"])

MAX_NOTE_FILES = 50

UserActivityType = Literal["phone_call", "task", "email", "appointment"]


def _iso(value: Any) -> str | None:
    return value.isoformat() if value is not None else None


def activity_out(activity: Activity) -> dict[str, Any]:
    owner = activity.owner
    return {
        "id": str(activity.id),
        "case_id": str(activity.case_id),
        "type": activity.type,
        "subject": activity.subject,
        "description": activity.description,
        "state": activity.state,
        "direction": activity.direction,
        "due": _iso(activity.due),
        "scheduled_start": _iso(activity.scheduled_start),
        "scheduled_end": _iso(activity.scheduled_end),
        "duration_minutes": activity.duration_minutes,
        "billed": activity.billed,
        "owner": {"id": str(owner.pk), "name": owner.display_name} if owner else None,
        "created_at": activity.created_at.isoformat(),
        "closed_at": _iso(activity.closed_at),
        "resolution_type": activity.resolution_type,
        "total_minutes": activity.total_minutes,
        "billable_minutes": activity.billable_minutes,
        "superseded": activity.superseded,
        "version": activity.version,
        **email_fields(activity),
    }


def email_fields(activity: Activity) -> dict[str, Any]:
    """`email` and `attachment_ids` of an activity: set for the e-mails of the mail channel
    (docs/email.md), null and empty for every other activity (no query)."""
    if activity.email_status is None:
        return {"email": None, "attachment_ids": []}
    return {
        "email": {
            "message_id": activity.email_message_id,
            "from": activity.email_from,
            "to": activity.email_to or [],
            "cc": activity.email_cc or [],
            "subject": activity.subject,
            "text": activity.description,
            "html": activity.email_html or "",
            "in_reply_to": activity.email_in_reply_to,
            "status": activity.email_status,
            "error": activity.email_error,
            "sent_at": _iso(activity.email_sent_at),
            "references": activity.email_references or [],
            "attempts": activity.email_attempts,
            "next_attempt_at": _iso(activity.email_next_attempt_at),
            "automatic": bool(activity.email_automatic),
        },
        "attachment_ids": activity_attachment_ids(activity_id=activity.pk),
    }


def message_out(record: Note | Post) -> dict[str, Any]:
    author = record.author
    body: dict[str, Any] = {
        "id": str(record.id),
        "case_id": str(record.case_id),
        "text": record.text,
        "author": {"id": str(author.pk), "name": author.display_name} if author else None,
        "created_at": record.created_at.isoformat(),
        "version": record.version,
    }
    if isinstance(record, Post):
        body["event"] = record.event or None
    return body


EmailOut = dict[str, Any]


class ActivityOut(Out):
    id: str
    case_id: str
    type: str
    subject: str
    description: str
    state: str
    direction: str | None
    due: str | None
    scheduled_start: str | None
    scheduled_end: str | None
    duration_minutes: int | None
    billed: bool
    owner: IdName | None
    created_at: str
    closed_at: str | None
    resolution_type: str | None
    total_minutes: int | None
    billable_minutes: int | None
    superseded: bool
    version: int
    email: EmailOut | None = None
    attachment_ids: list[str] = Field(default_factory=list)


class ActivityPage(Out):
    items: list[ActivityOut]
    next: str | None


class NoteOut(Out):
    id: str
    case_id: str
    text: str
    author: IdName | None
    created_at: str
    version: int


class PostOut(NoteOut):
    event: str | None


class NotePage(Out):
    items: list[NoteOut]
    next: str | None


class PostPage(Out):
    items: list[PostOut]
    next: str | None


class ActivityItem(ActivityOut):
    kind: Literal["activity"]
    at: str


class NoteItem(NoteOut):
    kind: Literal["note"]
    at: str


class PostItem(PostOut):
    kind: Literal["post"]
    at: str


# `{"kind", "at", ...the record}`: the kind tells which record follows.
TimelineItem = Annotated[ActivityItem | NoteItem | PostItem, Field(discriminator="kind")]


class TimelinePage(Out):
    items: list[TimelineItem]
    next: str | None


class ActivityIn(In):
    type: UserActivityType
    subject: Title
    description: LongText = ""
    due: When | None = None
    scheduled_start: When | None = None
    scheduled_end: When | None = None
    direction: Direction | None = None
    duration_minutes: Minutes | None = None


class ActivityPatch(In):
    subject: Title | None = None
    description: LongText | None = None
    due: When | None = None
    scheduled_start: When | None = None
    scheduled_end: When | None = None
    direction: Direction | None = None
    duration_minutes: Minutes | None = None


class CompleteIn(In):
    duration_minutes: Minutes | None = None


class MessageIn(In):
    text: MessageText


class NoteIn(MessageIn):
    attachment_ids: list[uuid.UUID] = Field(default_factory=list, max_length=MAX_NOTE_FILES)


class ActivityListParams(ListParams):
    state: ActivityState | None = None
    type: ActivityType | None = None


def activity_response(response: HttpResponse, activity: Activity) -> dict[str, Any]:
    set_etag(response, activity.version)
    return activity_out(activity)


@router.get("/cases/{case_id}/activities", response={200: ActivityPage, **errors()})
def activity_list(
    request: HttpRequest, case_id: uuid.UUID, params: Query[ActivityListParams]
) -> dict[str, Any]:
    """The case's activities, newest first (`?state=`, `?type=`)."""
    case_get(case_id=case_id)
    page = paginate(
        timeline.activity_list(case_id=case_id, state=params.state, type=params.type),
        order=("-created_at", "-id"),
        limit=params.limit,
        cursor=params.cursor,
        scope=f"activities:{case_id}:{params.state or ''}:{params.type or ''}",
    )
    return page_body(page, activity_out)


@router.post(
    "/cases/{case_id}/activities", response={201: ActivityOut, **errors(403, 409, 413, 422)}
)
def activity_create(
    request: HttpRequest, case_id: uuid.UUID, payload: ActivityIn, response: HttpResponse
) -> Status:
    """Add an open phone call, task, e-mail or appointment (also to a resolved case)."""
    activity = services.activity_create(
        actor=actor(request),
        case_id=case_id,
        type=payload.type,
        subject=payload.subject,
        description=payload.description,
        due=payload.due,
        scheduled_start=payload.scheduled_start,
        scheduled_end=payload.scheduled_end,
        direction=payload.direction,
        duration_minutes=payload.duration_minutes,
    )
    return Status(201, activity_response(response, activity))


@router.get("/activities/{activity_id}", response={200: ActivityOut, **errors()})
def activity_get(request: HttpRequest, activity_id: uuid.UUID, response: HttpResponse) -> Any:
    return activity_response(response, timeline.activity_get(activity_id=activity_id))


@router.patch(
    "/activities/{activity_id}", response={200: ActivityOut, **errors(403, 409, 412, 413, 422)}
)
def activity_update(
    request: HttpRequest, activity_id: uuid.UUID, payload: ActivityPatch, response: HttpResponse
) -> Any:
    """Merge-patch an open activity; closed ones are read-only (`activity_closed`)."""
    activity = services.activity_update(
        actor=actor(request),
        activity_id=activity_id,
        changes=payload.model_dump(exclude_unset=True),
        expected_version=if_match(request),
    )
    return activity_response(response, activity)


@router.post(
    "/activities/{activity_id}/complete",
    response={200: ActivityOut, **errors(403, 409, 412, 413, 422)},
)
def activity_complete(
    request: HttpRequest,
    activity_id: uuid.UUID,
    response: HttpResponse,
    payload: CompleteIn | None = None,
) -> Any:
    """Complete an open activity with its actual duration (omitted: keep its own)."""
    activity = services.activity_complete(
        actor=actor(request),
        activity_id=activity_id,
        duration_minutes=payload.duration_minutes if payload else None,
        expected_version=if_match(request),
    )
    return activity_response(response, activity)


@router.post(
    "/activities/{activity_id}/cancel",
    response={200: ActivityOut, **errors(403, 409, 412, 413, 422)},
)
def activity_cancel(
    request: HttpRequest,
    activity_id: uuid.UUID,
    response: HttpResponse,
    payload: NoBody | None = OPTIONAL_BODY,
) -> Any:
    """Cancel an open activity: it closes without time."""
    activity = services.activity_cancel(
        actor=actor(request), activity_id=activity_id, expected_version=if_match(request)
    )
    return activity_response(response, activity)


@router.get("/cases/{case_id}/notes", response={200: NotePage, **errors()})
def note_list(request: HttpRequest, case_id: uuid.UUID, params: Query[ListParams]) -> Any:
    """The case's notes, newest first."""
    case_get(case_id=case_id)
    page = paginate(
        timeline.note_list(case_id=case_id),
        order=("-created_at", "-id"),
        limit=params.limit,
        cursor=params.cursor,
        scope=f"notes:{case_id}",
    )
    return page_body(page, message_out)


@router.post("/cases/{case_id}/notes", response={201: NoteOut, **errors(403, 409, 413, 422)})
def note_create(
    request: HttpRequest, case_id: uuid.UUID, payload: NoteIn, response: HttpResponse
) -> Status:
    """Add a note; `attachment_ids` (files uploaded by the caller, or already on the case) are
    attached to it."""
    note = note_create_with_files(
        actor=actor(request),
        case_id=case_id,
        text=payload.text,
        attachment_ids=payload.attachment_ids,
    )
    set_etag(response, note.version)
    return Status(201, message_out(note))


@router.get("/cases/{case_id}/posts", response={200: PostPage, **errors()})
def post_list(request: HttpRequest, case_id: uuid.UUID, params: Query[ListParams]) -> Any:
    """The case's posts, the system's lifecycle posts (author null) among them, newest first."""
    case_get(case_id=case_id)
    page = paginate(
        timeline.post_list(case_id=case_id),
        order=("-created_at", "-id"),
        limit=params.limit,
        cursor=params.cursor,
        scope=f"posts:{case_id}",
    )
    return page_body(page, message_out)


@router.post("/cases/{case_id}/posts", response={201: PostOut, **errors(403, 409, 413, 422)})
def post_create(
    request: HttpRequest, case_id: uuid.UUID, payload: MessageIn, response: HttpResponse
) -> Status:
    post = services.post_create(actor=actor(request), case_id=case_id, text=payload.text)
    set_etag(response, post.version)
    return Status(201, message_out(post))


def timeline_item_out(entry: timeline.TimelineEntry) -> dict[str, Any]:
    record = entry.record
    body = activity_out(record) if isinstance(record, Activity) else message_out(record)
    return {"kind": entry.kind, "at": entry.at.isoformat(), **body}


@router.get("/cases/{case_id}/timeline", response={200: TimelinePage, **errors()})
def case_timeline(request: HttpRequest, case_id: uuid.UUID, params: Query[ListParams]) -> Any:
    """Activities, notes and posts together, newest first:
    `{"kind": "activity"|"note"|"post", "at", ...the record}`."""
    case_get(case_id=case_id)
    page = timeline.case_timeline(case_id=case_id, limit=params.limit, cursor=params.cursor)
    return {"items": [timeline_item_out(e) for e in page.items], "next": page.next}
