"""The jobs app's own table: one row per periodic job (docs/architecture.md, "Background work").

The jobs themselves are rows of django-tasks-db's `DBTaskResult`; this app adds no column to
them (retries, recovery and pruning use its public fields)."""

from __future__ import annotations

from django.db import models


class PeriodicSchedule(models.Model):
    """When the periodic job `name` (`schedule.periodic_add`) is next due. A worker that finds
    it due moves `next_run_at` on with a conditional UPDATE and enqueues the job in the same
    transaction: only one worker's UPDATE matches, so the job is enqueued once a period."""

    name = models.CharField(max_length=200, primary_key=True)
    next_run_at = models.DateTimeField(db_index=True)
    last_enqueued_at = models.DateTimeField(null=True)

    def __str__(self) -> str:
        return f"{self.name} next {self.next_run_at:%Y-%m-%d %H:%M:%S}"
