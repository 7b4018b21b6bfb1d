"""gunicorn settings module of `casedesk serve` (passed as `--config python:...`): the hooks
that run in each worker."""

from __future__ import annotations

from typing import Any


def post_worker_init(worker: Any) -> None:
    """After a worker has loaded the application: on SQLite, the thread that checkpoints the
    write-ahead log (casedesk/core/sqlite/checkpoint.py), unless the setting
    `SQLITE_CHECKPOINT_THREAD` (`CASEDESK_SQLITE_CHECKPOINT_THREAD=0`) turns it off."""
    from django.conf import settings

    from casedesk.core.sqlite import checkpoint

    if getattr(settings, "SQLITE_CHECKPOINT_THREAD", True):
        checkpoint.start_for_default_database()
