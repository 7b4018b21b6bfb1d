"""The background worker's sign of life, read by `/readyz` when `CASEDESK_REQUIRE_WORKER` is on.

A worker calls `worker_heartbeat_record(worker=...)` when it starts and then at least every
`HEARTBEAT_INTERVAL_SECONDS`, outside any job's transaction. `/readyz` is ready only while some
worker was seen within `HEARTBEAT_FRESH_SECONDS`.
"""

from __future__ import annotations

import datetime as dt
import os
import socket

from django.db import transaction

from casedesk.core import clock
from casedesk.core.models import WorkerHeartbeat

HEARTBEAT_INTERVAL_SECONDS = 15
HEARTBEAT_FRESH_SECONDS = 60
# Rows of workers gone for longer than this are removed by the next heartbeat.
HEARTBEAT_KEEP = dt.timedelta(days=1)


def worker_name() -> str:
    """This process's name as a worker: host and process id."""
    return f"{socket.gethostname()}:{os.getpid()}"[:200]


def worker_heartbeat_record(*, worker: str | None = None) -> None:
    """Record that `worker` (by default this process) is alive now, and forget workers silent
    for a day."""
    now = clock.now()
    with transaction.atomic():
        WorkerHeartbeat.objects.bulk_create(
            [WorkerHeartbeat(worker=(worker or worker_name())[:200], seen_at=now)],
            update_conflicts=True,
            unique_fields=["worker"],
            update_fields=["seen_at"],
        )
        WorkerHeartbeat.objects.filter(seen_at__lt=now - HEARTBEAT_KEEP).delete()


def worker_seen_recently() -> bool:
    """Whether some worker sent a heartbeat within `HEARTBEAT_FRESH_SECONDS`."""
    since = clock.now() - dt.timedelta(seconds=HEARTBEAT_FRESH_SECONDS)
    return WorkerHeartbeat.objects.filter(seen_at__gte=since).exists()
