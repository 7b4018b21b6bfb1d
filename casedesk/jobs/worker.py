"""The background worker: `casedesk worker`, and the one `casedesk serve` starts beside the web
server (docs/architecture.md, "Background work"; docs/operations.md, "Background workers").

One process runs `concurrency` threads, each a django-tasks-db `Worker` (it claims the next
ready job with `SELECT ... FOR UPDATE SKIP LOCKED` on PostgreSQL, inside a write-locked
transaction on SQLite, so no two workers run one job), and one housekeeping thread that
records the process's heartbeat, takes back the jobs of dead workers, enqueues the periodic
jobs that are due and deletes old finished jobs. Here the library's `run_task` is replaced by
one that retries with back-off and never overwrites a run that was taken back from it.
"""

from __future__ import annotations

import logging
import threading
import time
import traceback
from typing import Any

from django.conf import settings
from django.core.exceptions import SuspiciousOperation
from django.db import close_old_connections
from django.utils import timezone
from django_tasks.base import TaskContext, TaskResultStatus
from django_tasks.signals import task_finished, task_started
from django_tasks_db.management.commands.db_worker import Worker
from django_tasks_db.models import DBTaskResult

from casedesk.core.inuse import hold_database
from casedesk.core.models import WorkerHeartbeat
from casedesk.core.observability.heartbeat import worker_heartbeat_record, worker_name
from casedesk.core.observability.logs import job_logging
from casedesk.jobs import housekeeping, schedule
from casedesk.jobs.retry import policy_for

log = logging.getLogger("casedesk.jobs")

# How long a stopping worker lets the jobs in hand finish.
STOP_TIMEOUT = 30.0
# How often each worker deletes old finished jobs.
PRUNE_EVERY = 600.0


def _exception_path(exc: BaseException) -> str:
    return f"{type(exc).__module__}.{type(exc).__qualname__}"


class JobWorker(Worker):
    """One job-running thread: the library's claim loop, with casedesk's `run_task`."""

    def __init__(self, *, worker_id: str, interval: float, queue_names: list[str]) -> None:
        super().__init__(
            queue_names=queue_names,
            interval=interval,
            batch=False,
            backend_name="default",
            startup_delay=False,
            max_tasks=None,
            worker_id=worker_id,
            excluded_queue_names=[],
        )
        self.current: DBTaskResult[Any, Any] | None = None

    def run_task(self, db_task_result: DBTaskResult[Any, Any]) -> None:
        self.running_task = True
        self.current = db_task_result
        try:
            self._run(db_task_result)
        finally:
            self.current = None
            self.running_task = False
            self._run_tasks += 1

    def _run(self, row: DBTaskResult[Any, Any]) -> None:
        attempt = len(row.worker_ids)
        # Only the run this thread claimed: a run taken back meanwhile (its worker looked dead)
        # is left to whoever has it now.
        fence = DBTaskResult.objects.filter(
            id=row.id, status=TaskResultStatus.RUNNING, started_at=row.started_at
        )
        try:
            task = row.task
        except (ImportError, SuspiciousOperation) as exc:
            log.error("job_unknown", extra={"job_id": str(row.id), "task": row.task_path})
            fence.update(
                status=TaskResultStatus.FAILED,
                finished_at=timezone.now(),
                exception_class_path=_exception_path(exc),
                traceback="".join(traceback.format_exception(exc)),
            )
            return
        policy = policy_for(row.task_path)
        result = row.task_result
        backend = type(task.get_backend())
        try:
            with job_logging(
                row.task_path,
                job_id=str(row.id),
                attempt=attempt,
                max_attempts=policy.max_attempts,
            ):
                task_started.send(sender=backend, task_result=result)
                args, kwargs = result.args, result.kwargs
                if task.takes_context:
                    value = task.call(TaskContext(task_result=result), *args, **kwargs)
                else:
                    value = task.call(*args, **kwargs)
                kept = fence.update(
                    status=TaskResultStatus.SUCCESSFUL,
                    finished_at=timezone.now(),
                    return_value=value,
                    exception_class_path="",
                    traceback="",
                )
        except Exception as exc:
            now = timezone.now()
            failure = {
                "exception_class_path": _exception_path(exc),
                "traceback": "".join(traceback.format_exception(exc)),
            }
            if attempt < policy.max_attempts:
                kept = fence.update(
                    status=TaskResultStatus.READY,
                    run_after=now + policy.delay(attempt),
                    **failure,
                )
            else:
                kept = fence.update(
                    status=TaskResultStatus.FAILED,
                    finished_at=now,
                    return_value=None,
                    **failure,
                )
        if not kept:
            log.warning("job_taken_back", extra={"job_id": str(row.id), "task": row.task_path})
            return
        if task_finished.has_listeners(backend):
            row.refresh_from_db()
            if row.status != TaskResultStatus.READY:
                task_finished.send(sender=backend, task_result=row.task_result)


class WorkerProcess:
    """The threads of one worker process, from start to a graceful stop."""

    def __init__(self, *, concurrency: int, interval: float, queue_names: list[str]) -> None:
        self.name = worker_name()
        self.interval = interval
        self.stopping = threading.Event()
        self.workers = [
            JobWorker(worker_id=f"{self.name}#{i}", interval=interval, queue_names=queue_names)
            for i in range(concurrency)
        ]
        self.threads = [
            threading.Thread(target=self._work, args=(w,), name=f"casedesk-job-{i}", daemon=True)
            for i, w in enumerate(self.workers)
        ]
        self.housekeeper = threading.Thread(
            target=self._housekeep, name="casedesk-jobs-housekeeping", daemon=True
        )

    def stop(self) -> None:
        """Ask every thread to stop after the job in hand (safe from a signal handler)."""
        self.stopping.set()
        for worker in self.workers:
            worker.running = False

    def run(self) -> int:
        """Run until `stop()`; return the exit status (1 if jobs had to be abandoned)."""
        hold_database("casedesk worker")
        worker_heartbeat_record(worker=self.name)
        close_old_connections()
        log.info(
            "worker_started",
            extra={"worker": self.name, "concurrency": len(self.workers)},
        )
        self.housekeeper.start()
        for thread in self.threads:
            thread.start()
        while not self.stopping.wait(1.0):
            pass
        deadline = time.monotonic() + STOP_TIMEOUT
        for thread in self.threads:
            thread.join(max(0.0, deadline - time.monotonic()))
        abandoned = [w.current for w in self.workers if w.current is not None]
        for row in abandoned:
            self._give_back(row)
        self.housekeeper.join(5)
        try:
            WorkerHeartbeat.objects.filter(worker=self.name).delete()
        except Exception:  # the database may be gone; the row goes stale on its own
            log.warning("worker_heartbeat_not_removed", exc_info=True)
        close_old_connections()
        log.info("worker_stopped", extra={"worker": self.name, "abandoned": len(abandoned)})
        return 1 if abandoned else 0

    def _give_back(self, row: DBTaskResult[Any, Any]) -> None:
        """A job still running at the stop deadline goes back to READY (the run counts)."""
        DBTaskResult.objects.filter(
            id=row.id, status=TaskResultStatus.RUNNING, started_at=row.started_at
        ).update(status=TaskResultStatus.READY, run_after=timezone.now())
        log.warning("job_abandoned", extra={"job_id": str(row.id), "task": row.task_path})

    def _work(self, worker: JobWorker) -> None:
        pause = 1.0
        while not self.stopping.is_set():
            try:
                worker.run()
            except Exception:
                # The database went away, or a bug: log it, wait, claim again.
                log.exception("worker_loop_failed", extra={"worker": worker.worker_id})
                close_old_connections()
                self.stopping.wait(pause)
                pause = min(pause * 2, 30.0)
            else:
                pause = 1.0
        close_old_connections()

    def _housekeep(self) -> None:
        beat_every = float(settings.JOBS_HEARTBEAT_SECONDS)
        last_beat = time.monotonic()
        last_prune = 0.0
        while not self.stopping.wait(min(self.interval, beat_every)):
            try:
                if time.monotonic() - last_beat >= beat_every:
                    worker_heartbeat_record(worker=self.name)
                    last_beat = time.monotonic()
                now = timezone.now()
                busy = frozenset(str(w.current.id) for w in self.workers if w.current)
                housekeeping.recover_lost(now, own=self.name, busy=busy)
                schedule.enqueue_due(now)
                if time.monotonic() - last_prune >= PRUNE_EVERY:
                    housekeeping.prune(now)
                    last_prune = time.monotonic()
            except Exception:
                log.exception("worker_housekeeping_failed", extra={"worker": self.name})
            finally:
                close_old_connections()
