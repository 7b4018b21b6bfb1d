"""Periodic jobs: what the worker enqueues on a fixed interval (mailbox polls, service-level
ticks, webhook sweeps).

An app declares its periodic jobs from its `AppConfig.ready()`:

    periodic_add("webhooks.sweep", webhook_sweep_task, every=timedelta(seconds=30))

The task is a django-tasks `Task` that takes no arguments. The worker enqueues it when it is
due, once across every worker sharing the database (docs/architecture.md, "Background work").
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
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
