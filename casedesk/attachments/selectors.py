"""Reading attachments: who may, and the files themselves."""

from __future__ import annotations

import uuid
from collections.abc import Collection
from typing import IO

from django.core.files.storage import default_storage
from django.db.models import Q, QuerySet

from casedesk.attachments.models import Attachment
from casedesk.core.errors import NotFound
from casedesk.directory.access import has_role
from casedesk.directory.choices import Role
from casedesk.directory.models import User


def attachment_get(*, user: User, attachment_id: uuid.UUID) -> Attachment:
    """The attachment, if `user` may read it: every user reads a case and so its files
    (docs/security.md); a file on no case only its uploader and administrators. Refuse with
    `not_found` otherwise, so that ids of others' uploads are not confirmed."""
    attachment = Attachment.objects.filter(id=attachment_id).first()
    if attachment is None:
        raise NotFound("No such attachment.")
    if attachment.case_id is None and not (
        has_role(user, Role.ADMIN) or attachment.created_by_id == user.pk
    ):
        raise NotFound("No such attachment.")
    return attachment


def attachments_of_entries(
    *, activity_ids: Collection[uuid.UUID], note_ids: Collection[uuid.UUID]
) -> dict[uuid.UUID, list[Attachment]]:
    """The files of each of these activities and notes (a timeline page's), by its id, in one
    query; every user who reads the case reads them (`attachment_get`)."""
    if not activity_ids and not note_ids:
        return {}
    rows = Attachment.objects.filter(
        Q(activity_id__in=list(activity_ids)) | Q(note_id__in=list(note_ids))
    ).order_by("created_at", "id")
    files: dict[uuid.UUID, list[Attachment]] = {}
    for row in rows:
        owner = row.activity_id or row.note_id
        assert owner is not None
        files.setdefault(owner, []).append(row)
    return files


def attachment_open(attachment: Attachment) -> IO[bytes]:
    """The file's bytes, from the storage."""
    return default_storage.open(attachment.storage_name, "rb")


def case_attachments(*, case_id: uuid.UUID) -> QuerySet[Attachment]:
    """Every file on the case, its e-mails and notes, oldest first."""
    return Attachment.objects.filter(case_id=case_id).order_by("created_at", "id")


def activity_attachment_ids(*, activity_id: uuid.UUID) -> list[str]:
    """The ids of the files of one activity (an e-mail), oldest first."""
    return [
        str(i)
        for i in Attachment.objects.filter(activity_id=activity_id)
        .order_by("created_at", "id")
        .values_list("id", flat=True)
    ]
