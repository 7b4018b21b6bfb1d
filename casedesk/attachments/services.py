"""Store, link and move attachments (docs/email.md#attachments).

A file is written to the storage before the transaction that records it, and deleted again
when that transaction fails: the storage is not transactional, and a database transaction must
never wait on a slow disk or object store. A process killed in between leaves a file without a
record, which `casedesk check` reports.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
import uuid
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import IO, Any

from django.conf import settings
from django.core.files.base import ContentFile, File
from django.core.files.storage import default_storage
from django.db import transaction

from casedesk.attachments.locks import attachments_lock
from casedesk.attachments.models import Attachment, storage_name
from casedesk.cases.choices import CaseAction, State
from casedesk.cases.locks import case_lock
from casedesk.cases.models import Activity, Case, Note
from casedesk.cases.permissions import require_case_change
from casedesk.cases.services.activities import note_create
from casedesk.cases.services.pipeline import CaseWritten
from casedesk.core import clock
from casedesk.core.audit import audit_record
from casedesk.core.choices import Channel
from casedesk.core.errors import CaseNotActive, TooLarge, ValidationFailed
from casedesk.directory.access import Actor, actor_user, actor_user_id, is_system
from casedesk.directory.models import User

FILENAME_MAX = 255
_CONTENT_TYPE = re.compile(
    r"^[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]{0,126}/[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]{0,126}$"
)
OCTET_STREAM = "application/octet-stream"
CHUNK = 64 * 1024


def max_bytes() -> int:
    """The largest attachment (`CASEDESK_MAX_UPLOAD_MB`)."""
    return int(settings.MAX_UPLOAD_MB) * 1024 * 1024


def too_large(size: int) -> TooLarge:
    limit = max_bytes()
    return TooLarge(
        f"The file is over {settings.MAX_UPLOAD_MB} MB.",
        details={"max_bytes": limit, "size": size},
    )


def clean_filename(name: str | None) -> str:
    """A file name safe to store and to send back: no folders, no control characters, at most
    255 characters (the extension kept); `attachment` when nothing is left."""
    text = unicodedata.normalize("NFC", name or "")
    text = text.replace("\\", "/").rsplit("/", 1)[-1]
    text = "".join(ch for ch in text if unicodedata.category(ch)[0] != "C").strip().strip(".")
    if len(text) > FILENAME_MAX:
        stem, dot, ext = text.rpartition(".")
        if dot and 0 < len(ext) <= 16:
            text = stem[: FILENAME_MAX - len(ext) - 1] + "." + ext
        else:
            text = text[:FILENAME_MAX]
    return text or "attachment"


def clean_content_type(value: str | None) -> str:
    value = (value or "").split(";", 1)[0].strip().lower()
    return value if _CONTENT_TYPE.match(value) else OCTET_STREAM


@dataclass(frozen=True)
class StagedFile:
    """A file written to the storage, not yet recorded."""

    id: uuid.UUID
    filename: str
    content_type: str
    size: int
    sha256: str
    content_id: str = ""
    inline: bool = False


def file_stage(
    source: bytes | IO[bytes],
    *,
    filename: str | None,
    content_type: str | None,
    content_id: str = "",
    inline: bool = False,
) -> StagedFile:
    """Write `source` to the storage under a new id, outside any transaction. Refuse with
    `too_large` over `CASEDESK_MAX_UPLOAD_MB` (nothing is written)."""
    digest = hashlib.sha256()
    size = 0
    if isinstance(source, bytes):
        digest.update(source)
        size = len(source)
        content: File[Any] = ContentFile(source)
    else:
        wrapped = source if isinstance(source, File) else File(source)
        for chunk in wrapped.chunks(CHUNK):
            size += len(chunk)
            if size > max_bytes():
                raise too_large(size)
            digest.update(chunk)
        wrapped.seek(0)
        content = wrapped
    if size > max_bytes():
        raise too_large(size)
    staged = StagedFile(
        id=uuid.uuid4(),
        filename=clean_filename(filename),
        content_type=clean_content_type(content_type),
        size=size,
        sha256=digest.hexdigest(),
        content_id=content_id[:255],
        inline=inline,
    )
    name = storage_name(staged.id)
    saved = default_storage.save(name, content)
    if saved != name:  # a new uuid is never taken; should the storage rename, undo and fail
        default_storage.delete(saved)
        raise RuntimeError(f"the storage stored {name} as {saved}")
    return staged


def files_discard(files: Iterable[StagedFile]) -> None:
    """Delete staged files whose transaction failed."""
    for staged in files:
        default_storage.delete(storage_name(staged.id))


def attachments_record(
    *,
    files: Sequence[StagedFile],
    actor: Actor,
    case: Case | None,
    activity: Activity | None = None,
    note: Note | None = None,
    channel: str,
) -> list[Attachment]:
    """Record staged files on `case` (and its `activity` or `note`), in the caller's
    transaction."""
    now = clock.now()
    rows = [
        Attachment(
            id=staged.id,
            case=case,
            activity=activity,
            note=note,
            filename=staged.filename,
            content_type=staged.content_type,
            size=staged.size,
            sha256=staged.sha256,
            content_id=staged.content_id,
            inline=staged.inline,
            created_by=actor_user(actor),
            created_at=now,
        )
        for staged in files
    ]
    Attachment.objects.bulk_create(rows)
    for row in rows:
        audit_record(
            actor=actor,
            action="create",
            channel=channel,
            entity=row,
            entity_type="attachment",
            changes={"filename": [None, row.filename], "size": [None, row.size]},
            details={"case_id": str(case.pk) if case else None, "sha256": row.sha256},
        )
    return rows


def _case_for_files(*, actor: Actor, case_id: uuid.UUID) -> Case:
    case = case_lock(case_id=case_id)
    require_case_change(actor, case)
    if case.state == State.CANCELLED:
        raise CaseNotActive(
            "Nothing can be added to a cancelled or merged case.",
            details={"case_id": str(case.pk), "state": case.state, "status": case.status},
        )
    return case


def attachment_upload(
    *,
    actor: Actor,
    source: bytes | IO[bytes],
    filename: str | None,
    content_type: str | None,
    case_id: uuid.UUID | None = None,
    channel: str = Channel.API,
) -> Attachment:
    """Store an uploaded file, on the case `case_id` or on nothing yet (to be attached to an
    e-mail or a note later).

    Refuse with `too_large` over `CASEDESK_MAX_UPLOAD_MB`; with `validation_error` (`case_id`:
    no such case), `forbidden` or `case_not_active` for a case the caller may not add to.
    """
    if case_id is not None and not Case.objects.filter(id=case_id).exists():
        raise ValidationFailed({"case_id": "no such case"})
    upload = Upload(source, filename, content_type)
    with files_staged([upload]) as staged, transaction.atomic():
        case = _case_for_files(actor=actor, case_id=case_id) if case_id else None
        return attachments_record(files=staged, actor=actor, case=case, channel=channel)[0]


def attachments_claim(
    *,
    actor: Actor,
    attachment_ids: Sequence[uuid.UUID],
    case: Case,
    activity: Activity | None = None,
    note: Note | None = None,
    field: str = "attachment_ids",
) -> list[Attachment]:
    """Attach uploaded files to `case` and its `activity` or `note`, in the caller's
    transaction (the case locked by the caller). A file may be taken from nothing or from the
    same case, never from another case, and only by the user who uploaded it (or the system).

    Refuse with `validation_error` on `field`.
    """
    ids = list(dict.fromkeys(attachment_ids))
    found = attachments_lock(ids=ids)
    for attachment_id in ids:
        attachment = found.get(attachment_id)
        if attachment is None:
            raise ValidationFailed({field: f"no such attachment {attachment_id}"})
        if attachment.case_id not in (None, case.pk):
            raise ValidationFailed({field: f"attachment {attachment_id} is on another case"})
        if attachment.activity_id or attachment.note_id:
            raise ValidationFailed({field: f"attachment {attachment_id} is already attached"})
        if (
            not is_system(actor)
            and attachment.case_id is None
            and attachment.created_by_id != actor_user_id(actor)
        ):
            raise ValidationFailed({field: f"attachment {attachment_id} is not yours"})
    for attachment in found.values():
        attachment.case, attachment.activity, attachment.note = case, activity, note
        attachment.version += 1
        attachment.save(update_fields=["case", "activity", "note", "version"])
    return [found[i] for i in ids]


@dataclass(frozen=True)
class Upload:
    """A file given with the record it belongs to (the web UI's reply box and note form)."""

    source: bytes | IO[bytes]
    filename: str | None
    content_type: str | None


@contextmanager
def files_staged(uploads: Sequence[Upload]) -> Iterator[list[StagedFile]]:
    """Store `uploads` before the transaction that records them; if storing or what follows
    fails, the stored files are removed."""
    staged: list[StagedFile] = []
    try:
        for upload in uploads:
            staged.append(
                file_stage(
                    upload.source, filename=upload.filename, content_type=upload.content_type
                )
            )
        yield staged
    except BaseException:
        files_discard(staged)
        raise


def note_create_with_uploads(
    *,
    actor: User,
    case_id: uuid.UUID,
    text: str,
    uploads: Sequence[Upload],
    channel: str = Channel.UI,
) -> Note:
    """Add a note to a case with files given with it, all or nothing: the files are stored
    first, then the note and their records in one transaction (the files are removed if it
    fails). Refuse as `note_create` does, and with `too_large` for a file over the limit."""
    with files_staged(uploads) as staged, transaction.atomic():
        note = note_create(actor=actor, case_id=case_id, text=text, channel=channel)
        if staged:
            attachments_record(
                files=staged, actor=actor, case=note.case, note=note, channel=channel
            )
        return note


@transaction.atomic
def note_create_with_files(
    *,
    actor: User,
    case_id: uuid.UUID,
    text: str,
    attachment_ids: Sequence[uuid.UUID] = (),
    channel: str = Channel.API,
) -> Note:
    """Add a note to a case, with files uploaded before (`attachment_ids`), in one
    transaction. Refuse as `note_create` does, and with `validation_error` on
    `attachment_ids` as `attachments_claim` does."""
    note = note_create(actor=actor, case_id=case_id, text=text, channel=channel)
    if attachment_ids:
        attachments_claim(actor=actor, attachment_ids=attachment_ids, case=note.case, note=note)
    return note


def attachments_follow_merge(written: Sequence[CaseWritten]) -> None:
    """A step of the case-write pipeline: a case merged moves its files to the master with
    its activities and notes (docs/cases.md, "Merge"); a statement a merged case."""
    for case, change in written:
        if change.action == CaseAction.MERGE and "into" in change.details:
            into = uuid.UUID(change.details["into"])
            Attachment.objects.filter(case_id=case.pk).update(case_id=into)
