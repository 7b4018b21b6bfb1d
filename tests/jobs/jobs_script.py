"""Steps the process tests run against a child's database: enqueue, read the jobs back."""

from __future__ import annotations

from typing import Any

from tests.support.worker import Job, main


def enqueue(job: Job) -> Job:
    from django.utils.module_loading import import_string

    if job.get("reset"):
        reset(job)
    task = import_string(job["task"])
    ids = [str(task.enqueue(*args).id) for args in job["args"]]
    return {"ids": ids}


def state(job: Job) -> Job:
    from django_tasks_db.models import DBTaskResult

    from casedesk.jobs.models import PeriodicSchedule

    rows: list[dict[str, Any]] = []
    # The tests' own jobs only: the apps' periodic jobs (a mail poll) run beside them.
    for row in DBTaskResult.objects.filter(task_path__startswith="tests.").order_by("enqueued_at"):
        rows.append(
            {
                "id": str(row.id),
                "task": row.task_path,
                "status": row.status,
                "attempts": len(row.worker_ids),
                "worker_ids": row.worker_ids,
                "enqueued_at": row.enqueued_at.timestamp(),
                "exception": row.exception_class_path,
            }
        )
    schedule = {
        s.name: s.next_run_at.timestamp()
        for s in PeriodicSchedule.objects.filter(name__startswith="tests.")
    }
    return {"jobs": rows, "schedule": schedule}


def reset(job: Job) -> Job:
    from django_tasks_db.models import DBTaskResult

    from casedesk.core.models import WorkerHeartbeat
    from casedesk.jobs.models import PeriodicSchedule

    DBTaskResult.objects.all().delete()
    PeriodicSchedule.objects.all().delete()
    WorkerHeartbeat.objects.all().delete()
    return {}


if __name__ == "__main__":
    main({"enqueue": enqueue, "state": state, "reset": reset}, race=state)
