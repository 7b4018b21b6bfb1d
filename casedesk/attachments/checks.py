"""Invariants of the attachments that `casedesk check` verifies: every record has its file,
every file its record (docs/email.md#attachments)."""

from __future__ import annotations

from collections.abc import Iterator

from django.core.files.storage import default_storage

from casedesk.attachments.models import STORAGE_PREFIX, Attachment
from casedesk.core.invariants import invariant


def stored_names() -> set[str]:
    """Every file under the attachments' prefix of the storage."""
    names: set[str] = set()
    if not default_storage.exists(STORAGE_PREFIX):
        return names
    folders, _files = default_storage.listdir(STORAGE_PREFIX)
    for folder in folders:
        _sub, files = default_storage.listdir(f"{STORAGE_PREFIX}/{folder}")
        names.update(f"{STORAGE_PREFIX}/{folder}/{name}" for name in files)
    return names


@invariant("attachment_files")
def attachment_files() -> Iterator[str]:
    """No record without its file, no file without its record, sizes as recorded."""
    stored = stored_names()
    recorded: set[str] = set()
    for attachment in Attachment.objects.only("id", "size", "filename").iterator():
        name = attachment.storage_name
        recorded.add(name)
        if name not in stored:
            yield f"attachment {attachment.pk} ({attachment.filename}): its file is missing"
        elif default_storage.size(name) != attachment.size:
            yield f"attachment {attachment.pk} ({attachment.filename}): size differs from its file"
    for name in sorted(stored - recorded):
        yield f"file {name} has no attachment record"
