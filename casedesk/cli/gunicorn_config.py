"""gunicorn settings module of `casedesk serve` (passed as `--config python:...`): the hooks
that run in each worker."""

from __future__ import annotations

from typing import Any


def post_worker_init(worker: Any) -> None:
    """After a worker has loaded the application and before it serves: mark the database as
    in use for the worker's lifetime, so that `casedesk restore` is refused while it runs (and
    a worker starting during a restore waits for it; casedesk/core/inuse.py); on SQLite, the
    thread that checkpoints the write-ahead log (casedesk/core/sqlite/checkpoint.py), unless the
    setting `SQLITE_CHECKPOINT_THREAD` (`CASEDESK_SQLITE_CHECKPOINT_THREAD=0`) turns it off."""
    from django.conf import settings

    from casedesk.core.inuse import hold_database
    from casedesk.core.sqlite import checkpoint

    hold_database("casedesk serve")
    if getattr(settings, "SQLITE_CHECKPOINT_THREAD", True):
        checkpoint.start_for_default_database()
