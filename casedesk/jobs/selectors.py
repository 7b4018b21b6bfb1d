"""What the queue holds now, for `/metrics` (docs/operations.md, "Metrics")."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.conf import settings
from django.db.models import Count, Min, Q
from django.utils import timezone
from django_tasks.base import TaskResultStatus
from django_tasks_db.models import DBTaskResult, get_date_max

from casedesk.core.models import WorkerHeartbeat


@dataclass
class QueueState:
    waiting: int = 0  # ready to run now
    delayed: int = 0  # ready later: a retry's back-off or a deferred job
    running: int = 0
    failed: int = 0  # failed for good and not yet pruned
    oldest_waiting_since: datetime | None = None


@dataclass
class JobsState:
    queues: dict[str, QueueState] = field(default_factory=dict)
    workers: int = 0  # processes with a fresh heartbeat


def jobs_state(now: datetime | None = None) -> JobsState:
    """Counts by queue, when the longest-waiting ready job became ready, and live workers."""
    now = now or timezone.now()
    never = get_date_max()
    ready_now = Q(status=TaskResultStatus.READY) & (Q(run_after=never) | Q(run_after__lte=now))
    state = JobsState()
    rows = (
        DBTaskResult.objects.filter(
            status__in=[
                TaskResultStatus.READY,
                TaskResultStatus.RUNNING,
                TaskResultStatus.FAILED,
            ]
        )
        .order_by()
        .values("queue_name")
        .annotate(
            waiting=Count("id", filter=ready_now),
            delayed=Count("id", filter=Q(status=TaskResultStatus.READY) & ~ready_now),
            running=Count("id", filter=Q(status=TaskResultStatus.RUNNING)),
            failed=Count("id", filter=Q(status=TaskResultStatus.FAILED)),
            # A job becomes ready when enqueued, or at its run_after when it has one.
            oldest_enqueued=Min("enqueued_at", filter=ready_now & Q(run_after=never)),
            oldest_due=Min("run_after", filter=ready_now & ~Q(run_after=never)),
        )
    )
    for row in rows:
        since = [t for t in (row["oldest_enqueued"], row["oldest_due"]) if t is not None]
        state.queues[row["queue_name"]] = QueueState(
            waiting=row["waiting"],
            delayed=row["delayed"],
            running=row["running"],
            failed=row["failed"],
            oldest_waiting_since=min(since) if since else None,
        )
    fresh = now - timedelta(seconds=float(settings.JOBS_WORKER_STALE_SECONDS))
    state.workers = WorkerHeartbeat.objects.filter(seen_at__gte=fresh).count()
    return state
