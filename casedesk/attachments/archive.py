"""The attachments' files in a backup (docs/operations.md, "Backups"): `casedesk backup PATH`
writes them beside the database's copy as `PATH.files.tar`, and `casedesk restore PATH` puts
them back. Read and written through the storage API, so any storage is carried.

The files are archived after the database is copied: an attachment recorded in the copy has
its file in the archive (files are never changed once stored). A file added in between is in
the archive without a record; the restore leaves such files out.
"""

from __future__ import annotations

import io
import os
import tarfile
import tempfile
from pathlib import Path

from django.core.files.base import File
from django.core.files.storage import default_storage
from django.db import DatabaseError

from casedesk.attachments.checks import stored_names
from casedesk.attachments.models import STORAGE_PREFIX, Attachment, storage_name

SUFFIX = ".files.tar"


class ArchiveError(Exception):
    """The files' archive cannot be written or read."""


def archive_path(database_copy: Path) -> Path:
    return database_copy.with_name(database_copy.name + SUFFIX)


def files_archive(database_copy: Path) -> int:
    """Write every attachment's file to the archive beside `database_copy`; return how many
    (none: no archive is written). The archive is written to a temporary file and moved into
    place once complete."""
    target = archive_path(database_copy)
    names = sorted(stored_names())
    if not names:
        target.unlink(missing_ok=True)  # an older archive would belong to another copy
        return 0
    fd, name = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".partial")
    os.close(fd)
    tmp = Path(name)
    count = 0
    try:
        with tarfile.open(tmp, "w") as archive:
            for stored in names:
                with default_storage.open(stored, "rb") as handle:
                    info = tarfile.TarInfo(stored)
                    info.size = default_storage.size(stored)
                    info.mode = 0o600
                    archive.addfile(info, handle)
                count += 1
        os.replace(tmp, target)
    except OSError as exc:
        raise ArchiveError(f"cannot write {target}: {exc.strerror or exc}") from exc
    finally:
        tmp.unlink(missing_ok=True)
    return count


def files_restore(database_copy: Path) -> int:
    """Put back the files of the restored database's attachments from the archive beside
    `database_copy` (none: nothing to do); remove stored files no attachment records. Return
    how many files were restored."""
    source = archive_path(database_copy)
    try:
        recorded: set[str] | None = {
            storage_name(i) for i in Attachment.objects.values_list("id", flat=True)
        }
    except DatabaseError:  # a backup older than attachments: it records none yet
        recorded = None
    restored = 0
    if source.exists():
        try:
            with tarfile.open(source, "r") as archive:
                for member in archive:
                    if not member.isfile() or not member.name.startswith(f"{STORAGE_PREFIX}/"):
                        continue
                    if recorded is not None and member.name not in recorded:
                        continue
                    handle = archive.extractfile(member)
                    if handle is None:
                        continue
                    if default_storage.exists(member.name):
                        default_storage.delete(member.name)
                    default_storage.save(member.name, File(io.BytesIO(handle.read())))
                    restored += 1
        except (OSError, tarfile.TarError) as exc:
            raise ArchiveError(f"cannot read {source}: {exc}") from exc
    if recorded is not None:
        for stray in stored_names() - recorded:
            default_storage.delete(stray)
    return restored
