"""What every worker does beside running jobs, on its housekeeping tick: take back the jobs of
workers that died, and delete old finished jobs (docs/architecture.md, "Background work";
docs/operations.md, "Background workers")."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.core.exceptions import SuspiciousOperation
from django_tasks.base import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from casedesk.core.models import WorkerHeartbeat
from casedesk.jobs.retry import ONCE, RetryPolicy, policy_for

log = logging.getLogger("casedesk.jobs")

# Deleted per statement when pruning, so that no transaction holds the write lock for long.
PRUNE_BATCH = 500


class WorkerLost(Exception):
    """The worker running a job stopped sending heartbeats before the job finished."""


def process_of(worker_id: str) -> str:
    """The heartbeat name of the process a job-running thread's id belongs to (`host:pid#n`)."""
    return worker_id.split("#", 1)[0]


def _policy(task_path: str) -> RetryPolicy:
    """The retry policy of a stored task, loading its module if needed."""
    from django.utils.module_loading import import_string

    try:
        import_string(task_path)
    except (ImportError, SuspiciousOperation):
        return ONCE
    return policy_for(task_path)


# A job this process claimed this recently may not have reached its thread yet.
OWN_GRACE = timedelta(seconds=10)


def recover_lost(
    now: datetime,
    *,
    stale: timedelta | None = None,
    own: str | None = None,
    busy: frozenset[str] = frozenset(),
) -> list[str]:
    """Put back the RUNNING jobs whose worker has sent no heartbeat for `stale` (by default
    the setting `JOBS_WORKER_STALE_SECONDS`); return their ids. The worker process `own`
    (its heartbeat name) also takes back its own RUNNING jobs that none of its threads runs
    (`busy` are the ids they run): a run whose outcome could not be written, the database
    having gone away meanwhile, would otherwise stay RUNNING under a live worker.

    The run that was cut short counts as an attempt (the claim recorded it): the job goes back
    to READY after its policy's back-off, or is FAILED (`WorkerLost`) once its attempts are
    spent. The UPDATE matches only the run this worker saw (`status` and `started_at`), so of
    several workers recovering at once one succeeds, and a job that finished meanwhile is left
    alone.
    """
    stale = stale or timedelta(seconds=settings.JOBS_WORKER_STALE_SECONDS)
    since = now - stale
    alive = set(WorkerHeartbeat.objects.filter(seen_at__gte=since).values_list("worker", flat=True))
    recovered = []
    running: list[Any] = list(
        DBTaskResult.objects.running().values("id", "worker_ids", "started_at", "task_path")
    )
    for row in running:
        owners = row["worker_ids"] or [""]
        owner = process_of(str(owners[-1]))
        started = row["started_at"]
        if owner == own and own is not None:
            if str(row["id"]) in busy or (started is not None and started > now - OWN_GRACE):
                continue
        elif owner in alive or (started is not None and started > since):
            continue
        policy = _policy(row["task_path"])
        attempts = len(row["worker_ids"] or [])
        current = DBTaskResult.objects.filter(
            id=row["id"], status=TaskResultStatus.RUNNING, started_at=row["started_at"]
        )
        message = f"worker {owner} stopped during attempt {attempts}"
        if attempts < policy.max_attempts:
            changed = current.update(
                status=TaskResultStatus.READY,
                run_after=now + policy.delay(attempts),
                exception_class_path=f"{WorkerLost.__module__}.{WorkerLost.__qualname__}",
                traceback=message,
            )
        else:
            changed = current.update(
                status=TaskResultStatus.FAILED,
                finished_at=now,
                exception_class_path=f"{WorkerLost.__module__}.{WorkerLost.__qualname__}",
                traceback=message,
            )
        if changed:
            recovered.append(str(row["id"]))
            log.warning(
                "job_recovered",
                extra={
                    "job_id": str(row["id"]),
                    "task": row["task_path"],
                    "worker": owner,
                    "attempts": attempts,
                    "outcome": "retry" if attempts < policy.max_attempts else "failed",
                },
            )
    return recovered


def prune(now: datetime) -> int:
    """Delete jobs that succeeded more than `JOBS_KEEP_SUCCEEDED_DAYS` ago and jobs that failed
    more than `JOBS_KEEP_FAILED_DAYS` ago; return how many."""
    deleted = 0
    for status, days in (
        (TaskResultStatus.SUCCESSFUL, settings.JOBS_KEEP_SUCCEEDED_DAYS),
        (TaskResultStatus.FAILED, settings.JOBS_KEEP_FAILED_DAYS),
    ):
        old = DBTaskResult.objects.filter(
            status=status, finished_at__lt=now - timedelta(days=days)
        ).order_by()
        while True:
            ids = list(old.values_list("id", flat=True)[:PRUNE_BATCH])
            if not ids:
                break
            deleted += DBTaskResult.objects.filter(id__in=ids).delete()[0]
    if deleted:
        log.info("jobs_pruned", extra={"deleted": deleted})
    return deleted
