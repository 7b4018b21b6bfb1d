"""E-mails of a case: `/cases/{id}/emails` (docs/email.md#sending)."""

from __future__ import annotations

import uuid
from typing import Any

from django.http import HttpRequest, HttpResponse
from ninja import Query, Router, Status
from pydantic import Field

from casedesk.api.auth import actor
from casedesk.api.http import page_body, set_etag
from casedesk.api.routers.activities import ActivityOut, activity_out
from casedesk.api.schemas import In, ListParams, Out, errors
from casedesk.cases import timeline
from casedesk.cases.selectors import case_get
from casedesk.core.pagination import paginate
from casedesk.core.types import Email, MessageText, Title
from casedesk.mail import outgoing
from casedesk.mail.services.send import email_send

router = Router(tags=["emails"])

MAX_FILES = 50


class EmailIn(In):
    to: list[Email] | None = Field(default=None, max_length=outgoing.RECIPIENTS_MAX)
    cc: list[Email] = Field(default_factory=list, max_length=outgoing.RECIPIENTS_MAX)
    subject: Title | None = None
    text: MessageText
    attachment_ids: list[uuid.UUID] = Field(default_factory=list, max_length=MAX_FILES)


class EmailPage(Out):
    items: list[ActivityOut]
    next: str | None


@router.get("/cases/{case_id}/emails", response={200: EmailPage, **errors()})
def email_list(request: HttpRequest, case_id: uuid.UUID, params: Query[ListParams]) -> Any:
    """The case's e-mails, incoming and outgoing, oldest first."""
    case_get(case_id=case_id)
    page = paginate(
        timeline.email_list(case_id=case_id),
        order=("created_at", "id"),
        limit=params.limit,
        cursor=params.cursor,
        scope=f"emails:{case_id}",
    )
    return page_body(page, activity_out)


@router.post("/cases/{case_id}/emails", response={201: ActivityOut, **errors(403, 409, 413, 422)})
def email_create(
    request: HttpRequest, case_id: uuid.UUID, payload: EmailIn, response: HttpResponse
) -> Status:
    """Answer from the case by e-mail: it is `queued`, then sent by the worker. `to` defaults
    to the case's customer, `subject` to `Re: <title> [CAS-…]`; `attachment_ids` are files
    uploaded by the caller or already on the case."""
    activity = email_send(
        actor=actor(request),
        case_id=case_id,
        to=payload.to,
        cc=payload.cc,
        subject=payload.subject,
        text=payload.text,
        attachment_ids=payload.attachment_ids,
    )
    set_etag(response, activity.version)
    return Status(201, activity_out(activity))
