"""The jobs app in one process: retry policies, enqueue after commit, the periodic schedule,
recovery of jobs whose worker died, a worker's run of one job, pruning and the gauges."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import timezone
from django_tasks.base import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from casedesk.core.models import WorkerHeartbeat
from casedesk.core.observability import metrics
from casedesk.jobs import RetryPolicy, enqueue_on_commit, housekeeping, schedule
from casedesk.jobs.models import PeriodicSchedule
from casedesk.jobs.worker import JobWorker
from tests.jobs import tasks


def test_back_off_doubles_up_to_its_cap_and_jitter_only_shortens_it() -> None:
    exact = RetryPolicy(backoff=timedelta(seconds=10), max_backoff=timedelta(seconds=60), jitter=0)
    assert [exact.delay(n).total_seconds() for n in (1, 2, 3, 4, 5)] == [10, 20, 40, 60, 60]
    jittered = RetryPolicy(backoff=timedelta(seconds=10), jitter=0.5)
    for _ in range(50):
        assert timedelta(seconds=20) <= jittered.delay(3) <= timedelta(seconds=40)


@pytest.mark.parametrize(
    "kwargs",
    [{"max_attempts": 0}, {"jitter": 1.5}, {"backoff": timedelta(hours=2)}],
)
def test_a_retry_policy_refuses_nonsense(kwargs: dict[str, Any]) -> None:
    with pytest.raises(ValueError):
        RetryPolicy(**kwargs)


def _claim(job_id: str, worker: str, *, ago: timedelta = timedelta(0)) -> DBTaskResult[Any, Any]:
    row = DBTaskResult.objects.get(id=job_id)
    row.claim(worker)
    DBTaskResult.objects.filter(id=job_id).update(started_at=timezone.now() - ago)
    row.refresh_from_db()
    return row


@pytest.mark.django_db
def test_a_job_enqueued_on_commit_exists_only_once_the_transaction_commits(
    tmp_path: Path, django_capture_on_commit_callbacks: Any
) -> None:
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        enqueue_on_commit(tasks.record, str(tmp_path / "runs"), "k")
        assert not DBTaskResult.objects.exists()
    for callback in callbacks:
        callback()
    row = DBTaskResult.objects.get()
    assert row.task_path == "tests.jobs.tasks.record" and row.status == TaskResultStatus.READY


@pytest.mark.django_db
def test_a_failed_attempt_goes_back_to_ready_after_its_back_off_then_fails_for_good(
    tmp_path: Path,
) -> None:
    runs = str(tmp_path / "runs")
    job_id = str(tasks.always_fails.enqueue(runs, "k").id)
    worker = JobWorker(worker_id="here:1#0", interval=0.1, queue_names=["*"])
    for attempt in (1, 2):
        before = timezone.now()
        worker.run_task(_claim(job_id, f"here:1#{attempt}"))
        row = DBTaskResult.objects.get(id=job_id)
        assert row.status == TaskResultStatus.READY
        assert row.exception_class_path == "builtins.RuntimeError"
        # always_fails: 0.3 s, then 0.6 s (no jitter).
        assert row.run_after >= before + timedelta(seconds=0.3 * 2 ** (attempt - 1))
    worker.run_task(_claim(job_id, "here:1#3"))
    row = DBTaskResult.objects.get(id=job_id)
    assert row.status == TaskResultStatus.FAILED and len(row.worker_ids) == 3
    assert "fails every time" in row.traceback


@pytest.mark.django_db
def test_a_plain_task_runs_once_and_keeps_its_return_value(tmp_path: Path) -> None:
    job_id = str(tasks.record.enqueue(str(tmp_path / "runs"), "k").id)
    JobWorker(worker_id="here:1#0", interval=0.1, queue_names=["*"]).run_task(
        _claim(job_id, "here:1#0")
    )
    row = DBTaskResult.objects.get(id=job_id)
    assert row.status == TaskResultStatus.SUCCESSFUL and row.return_value == "k"


@pytest.mark.django_db
def test_a_run_taken_back_meanwhile_is_not_overwritten_by_the_first_worker(
    tmp_path: Path,
) -> None:
    job_id = str(tasks.record.enqueue(str(tmp_path / "runs"), "k").id)
    first = _claim(job_id, "slow:1#0", ago=timedelta(minutes=5))
    # Meanwhile another worker took the job back and claimed it again.
    second = _claim(job_id, "other:2#0")
    JobWorker(worker_id="slow:1#0", interval=0.1, queue_names=["*"]).run_task(first)
    row = DBTaskResult.objects.get(id=job_id)
    assert row.status == TaskResultStatus.RUNNING and row.started_at == second.started_at


@pytest.mark.django_db
def test_recovery_puts_back_the_jobs_of_silent_workers_only(tmp_path: Path) -> None:
    runs = str(tmp_path / "runs")
    now = timezone.now()
    WorkerHeartbeat.objects.create(worker="alive:1", seen_at=now)
    WorkerHeartbeat.objects.create(worker="dead:2", seen_at=now - timedelta(minutes=5))
    alive = str(tasks.always_fails.enqueue(runs, "a").id)
    _claim(alive, "alive:1#0", ago=timedelta(minutes=5))
    lost = str(tasks.always_fails.enqueue(runs, "b").id)
    _claim(lost, "dead:2#0", ago=timedelta(minutes=5))
    spent = str(tasks.always_fails.enqueue(runs, "c").id)
    for n in range(3):
        _claim(spent, f"dead:2#{n}", ago=timedelta(minutes=5))
    fresh = str(tasks.record.enqueue(runs, "d").id)
    _claim(fresh, "starting:3#0")  # claimed a moment ago: its heartbeat may be on its way

    recovered = housekeeping.recover_lost(now, stale=timedelta(seconds=60))

    assert sorted(recovered) == sorted([lost, spent])
    states = dict(DBTaskResult.objects.values_list("id", "status"))
    assert {str(k): v for k, v in states.items()} == {
        alive: TaskResultStatus.RUNNING,
        lost: TaskResultStatus.READY,
        spent: TaskResultStatus.FAILED,
        fresh: TaskResultStatus.RUNNING,
    }
    assert DBTaskResult.objects.get(id=lost).exception_class_path.endswith("WorkerLost")
    assert housekeeping.recover_lost(now, stale=timedelta(seconds=60)) == []


@pytest.fixture
def periodic(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(schedule, "_periodic", {})
    schedule.periodic_add("tests.tick", tasks.tick, every=timedelta(minutes=1))


@pytest.mark.django_db
@pytest.mark.usefixtures("periodic")
def test_a_periodic_job_is_enqueued_once_when_due_and_missed_periods_are_not_made_up() -> None:
    start = timezone.now()
    assert schedule.enqueue_due(start) == ["tests.tick"]
    assert schedule.enqueue_due(start) == []
    assert schedule.enqueue_due(start + timedelta(seconds=59)) == []
    assert schedule.enqueue_due(start + timedelta(minutes=1)) == ["tests.tick"]
    later = start + timedelta(hours=1)
    assert schedule.enqueue_due(later) == ["tests.tick"]
    assert schedule.enqueue_due(later + timedelta(seconds=30)) == []
    assert PeriodicSchedule.objects.get().next_run_at == later + timedelta(minutes=1)
    assert DBTaskResult.objects.filter(task_path="tests.jobs.tasks.tick").count() == 3


def test_a_periodic_job_needs_a_positive_interval() -> None:
    with pytest.raises(ValueError):
        schedule.periodic_add("x", tasks.tick, every=timedelta(0))


@pytest.mark.django_db
def test_pruning_deletes_finished_jobs_past_their_keeping_time(tmp_path: Path) -> None:
    now = timezone.now()
    runs = str(tmp_path / "runs")

    def finished(status: str, days: float) -> str:
        job_id = str(tasks.record.enqueue(runs, "k").id)
        DBTaskResult.objects.filter(id=job_id).update(
            status=status, finished_at=now - timedelta(days=days)
        )
        return job_id

    kept = [
        finished(TaskResultStatus.SUCCESSFUL, 6),
        finished(TaskResultStatus.FAILED, 29),
        str(tasks.record.enqueue(runs, "k").id),
    ]
    finished(TaskResultStatus.SUCCESSFUL, 8)
    finished(TaskResultStatus.FAILED, 31)
    assert housekeeping.prune(now) == 2
    assert sorted(str(i) for i in DBTaskResult.objects.values_list("id", flat=True)) == sorted(kept)


@pytest.mark.django_db
def test_metrics_show_the_queue_read_at_scrape(tmp_path: Path) -> None:
    runs = str(tmp_path / "runs")
    tasks.record.enqueue(runs, "k")
    tasks.record.enqueue(runs, "k")
    tasks.record.using(run_after=timezone.now() + timedelta(hours=1)).enqueue(runs, "k")
    failed = str(tasks.record.enqueue(runs, "k").id)
    DBTaskResult.objects.filter(id=failed).update(status=TaskResultStatus.FAILED)
    WorkerHeartbeat.objects.create(worker="w:1", seen_at=timezone.now())
    text = metrics.exposition()[0].decode()
    assert 'casedesk_jobs_waiting{queue="default"} 2.0' in text
    assert 'casedesk_jobs_delayed{queue="default"} 1.0' in text
    assert 'casedesk_jobs_failed{queue="default"} 1.0' in text
    assert 'casedesk_jobs_running{queue="default"} 0.0' in text
    assert "casedesk_jobs_workers 1.0" in text
    assert 'casedesk_jobs_oldest_waiting_seconds{queue="default"}' in text


@pytest.mark.parametrize("args", [["--concurrency", "0"], ["--interval", "-1"], ["--queue", ","]])
@pytest.mark.django_db
def test_worker_refuses_bad_options(args: list[str]) -> None:
    with pytest.raises(CommandError):
        call_command("worker", *args)


@pytest.mark.django_db
def test_a_worker_takes_back_its_own_jobs_that_none_of_its_threads_runs(tmp_path: Path) -> None:
    runs = str(tmp_path / "runs")
    now = timezone.now()
    WorkerHeartbeat.objects.create(worker="me:1", seen_at=now)
    running = str(tasks.record.enqueue(runs, "a").id)
    _claim(running, "me:1#0", ago=timedelta(minutes=1))
    orphan = str(tasks.record.enqueue(runs, "b").id)
    _claim(orphan, "me:1#1", ago=timedelta(minutes=1))
    just_claimed = str(tasks.record.enqueue(runs, "c").id)
    _claim(just_claimed, "me:1#2")
    other = str(tasks.record.enqueue(runs, "d").id)
    _claim(other, "other:2#0", ago=timedelta(minutes=1))
    WorkerHeartbeat.objects.create(worker="other:2", seen_at=now)

    recovered = housekeeping.recover_lost(now, own="me:1", busy=frozenset({running}))

    assert recovered == [orphan]
    # A plain task runs once: its cut-short run was its attempt.
    assert DBTaskResult.objects.get(id=orphan).status == TaskResultStatus.FAILED
