"""Periodic jobs: what the worker enqueues on a fixed interval (mailbox polls, service-level
ticks, webhook sweeps).

An app declares its periodic jobs from its `AppConfig.ready()`:

    periodic_add("webhooks.sweep", webhook_sweep_task, every=timedelta(seconds=30))

The task is a django-tasks `Task` that takes no arguments. The worker enqueues it when it is
due, once across every worker sharing the database (docs/architecture.md, "Background work").
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any


@dataclass(frozen=True)
class Periodic:
    """A job enqueued every `every`, under a stable `name` (the key of its schedule row)."""

    name: str
    task: Any
    every: timedelta


_periodic: dict[str, Periodic] = {}


def periodic_add(name: str, task: Any, *, every: timedelta) -> None:
    """Declare `task` to run every `every` under `name`; declaring the same name again
    replaces it (so `ready()` may run twice)."""
    if every <= timedelta(0):
        raise ValueError("a periodic job needs a positive interval")
    _periodic[name] = Periodic(name=name, task=task, every=every)


def periodic_all() -> list[Periodic]:
    """Every declared periodic job, by name."""
    return [_periodic[name] for name in sorted(_periodic)]


def enqueue_due(now: datetime) -> list[str]:
    """Enqueue every declared periodic job that is due at `now`; return their names.

    Each worker calls this on its housekeeping tick. A job's schedule row is created on first
    sight, due at once. A due row is moved on with an UPDATE that matches only the
    `next_run_at` this worker read, in the same transaction as the enqueue: of several workers
    that find it due, one UPDATE matches and the others change nothing (SQLite takes its write
    lock per transaction; PostgreSQL's second UPDATE waits for the first's row lock, then sees
    the new value). Periods missed while no worker ran are not made up: the next run is one
    period after `now`.
    """
    from django.db import transaction

    from casedesk.jobs.models import PeriodicSchedule

    declared = {p.name: p for p in periodic_all()}
    if not declared:
        return []
    rows = dict(
        PeriodicSchedule.objects.filter(name__in=declared).values_list("name", "next_run_at")
    )
    missing = [name for name in declared if name not in rows]
    if missing:
        PeriodicSchedule.objects.bulk_create(
            [PeriodicSchedule(name=name, next_run_at=now) for name in missing],
            ignore_conflicts=True,
        )
        rows = dict(
            PeriodicSchedule.objects.filter(name__in=declared).values_list("name", "next_run_at")
        )
    enqueued = []
    for name, seen in sorted(rows.items()):
        if seen > now:
            continue
        periodic = declared[name]
        following = seen + periodic.every
        if following <= now:
            following = now + periodic.every
        with transaction.atomic():
            moved = PeriodicSchedule.objects.filter(name=name, next_run_at=seen).update(
                next_run_at=following, last_enqueued_at=now
            )
            if moved:
                periodic.task.enqueue()
        if moved:
            enqueued.append(name)
    return enqueued
