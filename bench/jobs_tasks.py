"""The jobs the queue benchmark runs (bench/jobs_bench.py): they do nothing, so the figures are
the queue's own cost per job."""

from __future__ import annotations

from django_tasks import task


@task()
def noop(n: int) -> None:
    return None
