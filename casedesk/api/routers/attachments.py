"""Attachments: `/attachments`, `/attachments/{id}`, `/attachments/{id}/content`,
`/cases/{id}/attachments` (docs/email.md#attachments)."""

from __future__ import annotations

import uuid
from typing import Any

from django.http import FileResponse, HttpRequest, HttpResponse
from ninja import File, Form, Query, Router, Status
from ninja.files import UploadedFile

from casedesk.api.auth import actor
from casedesk.api.http import page_body, set_etag
from casedesk.api.schemas import ListParams, Out, errors
from casedesk.attachments import selectors, services
from casedesk.attachments.http import attachment_download
from casedesk.attachments.models import Attachment
from casedesk.cases.selectors import case_identity
from casedesk.core.pagination import paginate

router = Router(tags=["attachments"])


class AttachmentOut(Out):
    id: str
    filename: str
    content_type: str
    size: int
    sha256: str
    case_id: str | None
    activity_id: str | None
    note_id: str | None
    inline: bool
    created_at: str
    version: int


class AttachmentPage(Out):
    items: list[AttachmentOut]
    next: str | None


def attachment_out(attachment: Attachment) -> dict[str, Any]:
    return {
        "id": str(attachment.id),
        "filename": attachment.filename,
        "content_type": attachment.content_type,
        "size": attachment.size,
        "sha256": attachment.sha256,
        "case_id": str(attachment.case_id) if attachment.case_id else None,
        "activity_id": str(attachment.activity_id) if attachment.activity_id else None,
        "note_id": str(attachment.note_id) if attachment.note_id else None,
        "inline": attachment.inline,
        "created_at": attachment.created_at.isoformat(),
        "version": attachment.version,
    }


@router.post("/attachments", response={201: AttachmentOut, **errors(403, 409, 413, 422)})
def attachment_upload(
    request: HttpRequest,
    response: HttpResponse,
    file: File[UploadedFile],
    case_id: Form[uuid.UUID | None] = None,
) -> Status:
    """Upload a file (multipart field `file`), on the case `case_id` or on nothing yet (to
    attach to an e-mail or a note). Over `CASEDESK_MAX_UPLOAD_MB`: 413 `too_large`."""
    attachment = services.attachment_upload(
        actor=actor(request),
        source=file,
        filename=file.name,
        content_type=file.content_type,
        case_id=case_id,
    )
    set_etag(response, attachment.version)
    return Status(201, attachment_out(attachment))


@router.get("/attachments/{attachment_id}", response={200: AttachmentOut, **errors()})
def attachment_get(request: HttpRequest, attachment_id: uuid.UUID, response: HttpResponse) -> Any:
    attachment = selectors.attachment_get(user=actor(request), attachment_id=attachment_id)
    set_etag(response, attachment.version)
    return attachment_out(attachment)


@router.get(
    "/attachments/{attachment_id}/content",
    response={200: None, **errors()},
    openapi_extra={
        "responses": {
            "200": {
                "description": "The file's bytes, always as a download.",
                "content": {"application/octet-stream": {"schema": {"type": "string"}}},
            }
        }
    },
)
def attachment_content(request: HttpRequest, attachment_id: uuid.UUID) -> FileResponse:
    """The file, as a download (`Content-Disposition: attachment`), never sniffed."""
    attachment = selectors.attachment_get(user=actor(request), attachment_id=attachment_id)
    return attachment_download(attachment)


@router.get("/cases/{case_id}/attachments", response={200: AttachmentPage, **errors()})
def case_attachments(
    request: HttpRequest, case_id: uuid.UUID, params: Query[ListParams]
) -> dict[str, Any]:
    """Every file on the case, its e-mails and notes, oldest first."""
    actor(request)
    case_identity(case_id=case_id)
    page = paginate(
        selectors.case_attachments(case_id=case_id),
        order=("created_at", "id"),
        limit=params.limit,
        cursor=params.cursor,
        scope=f"case-attachments:{case_id}",
    )
    return page_body(page, attachment_out)
