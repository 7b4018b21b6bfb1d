"""The static files `casedesk serve` needs, collected before it starts.

Collected files carry a hash of their content in their names (the pages link those names), so
browsers may keep them for a year: a new release links new names. Collecting takes a second
or two; a fingerprint of the sources (names, sizes, modification times) beside the collected
files lets a restart of the same release skip it. A lock keeps two servers started at once
on one data folder from writing the manifest together.
"""

from __future__ import annotations

import fcntl
import hashlib
import io
import os
from pathlib import Path

from django.conf import settings
from django.contrib.staticfiles.finders import get_finders
from django.contrib.staticfiles.storage import ManifestFilesMixin, staticfiles_storage
from django.core.management import call_command


def needs_manifest() -> bool:
    """Whether pages link hashed names, which only exist once collected."""
    return isinstance(staticfiles_storage, ManifestFilesMixin) and not settings.DEBUG


def fingerprint() -> str:
    """A digest of every source file the finders offer and of the storage they go to."""
    digest = hashlib.sha256()
    digest.update(repr(settings.STORAGES["staticfiles"]).encode())
    digest.update(str(settings.STATIC_URL).encode())
    entries = []
    for finder in get_finders():
        for path, storage in finder.list([]):
            prefix = getattr(storage, "prefix", None) or ""
            stat = os.stat(storage.path(path))
            entries.append(f"{prefix}/{path}\0{stat.st_size}\0{stat.st_mtime_ns}")
    for entry in sorted(entries):
        digest.update(entry.encode() + b"\n")
    return digest.hexdigest()


def _stamp_path(root: Path) -> Path:
    # Beside the collected folder, not in it: everything in it is served.
    return root.with_name(f".{root.name}-collected")


def ensure_collected() -> bool:
    """Collect the static files unless this release's are already there; return whether it
    collected."""
    if not needs_manifest():
        return False
    root = Path(settings.STATIC_ROOT)
    root.mkdir(parents=True, exist_ok=True)
    stamp = _stamp_path(root)
    manifest = root / ManifestFilesMixin.manifest_name
    wanted = fingerprint()
    with open(root.with_name(f".{root.name}-lock"), "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if manifest.exists() and stamp.exists() and stamp.read_text().strip() == wanted:
            return False
        call_command("collectstatic", interactive=False, verbosity=0, stdout=io.StringIO())
        temporary = stamp.with_name(stamp.name + ".tmp")
        temporary.write_text(wanted + "\n")
        temporary.replace(stamp)
    return True
