"""gunicorn settings module of `casedesk serve` (passed as `--config python:...`): the hooks
that run in each worker, and gunicorn's own log in casedesk's format."""

from __future__ import annotations

import logging
from typing import Any

from gunicorn.glogging import Logger

# gunicorn reads every name of this module that is one of its settings (`config` is one):
# imports are kept under private names.
from casedesk import config as _config
from casedesk.core.observability import logs as _logs


class ServerLogger(Logger):
    """gunicorn's messages (workers booting, timeouts) in casedesk's log format, and no access
    log: casedesk writes one line per request itself, with more in it."""

    def setup(self, cfg: Any) -> None:
        super().setup(cfg)
        formatter = _logs.formatter(_config.log_format())
        for handler in self.error_log.handlers:
            handler.setFormatter(formatter)

    def access(self, resp: Any, req: Any, environ: Any, request_time: Any) -> None:
        return None


logger_class = ServerLogger


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


def child_exit(server: Any, worker: Any) -> None:
    """In the master, when a worker has exited: its live gauges leave /metrics's sums."""
    from prometheus_client import multiprocess

    try:
        multiprocess.mark_process_dead(worker.pid)
    except Exception:  # never let bookkeeping stop the master from replacing the worker
        logging.getLogger("gunicorn.error").exception("cannot drop the metrics of a worker")
