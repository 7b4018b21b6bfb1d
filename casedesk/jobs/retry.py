"""Declaring a job with its retry policy, and enqueueing one after the caller's commit.

    from casedesk.jobs import job, enqueue_on_commit

    @job(max_attempts=8, backoff=timedelta(seconds=30))
    def deliver_webhook(delivery_id: str) -> None:
        ...

    enqueue_on_commit(deliver_webhook, str(delivery.id))

A job is a django-tasks `Task` (the decorator returns one), stored by django-tasks-db as a
`DBTaskResult` row. When it raises, the worker puts the same row back with `run_after` set
`delay(attempt)` ahead, until `max_attempts` runs have failed; then the row is FAILED, with the
last traceback. The attempt count is the row's list of claiming workers (`worker_ids`), so a run
cut short by a worker's death counts too (docs/architecture.md, "Background work").
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.db import transaction
from django_tasks import task as _task
from django_tasks.base import DEFAULT_TASK_PRIORITY, DEFAULT_TASK_QUEUE_NAME, Task


@dataclass(frozen=True)
class RetryPolicy:
    """How often a job is tried, and how long the worker waits between tries: the wait before
    try n+1 is `backoff * 2**(n-1)`, at most `max_backoff`, of which a random part (`jitter`,
    0 to 1) is taken off so that jobs failing together do not come back together."""

    max_attempts: int = 5
    backoff: timedelta = timedelta(seconds=10)
    max_backoff: timedelta = timedelta(hours=1)
    jitter: float = 0.5

    def __post_init__(self) -> None:
        if self.max_attempts < 1:
            raise ValueError("a job needs at least one attempt")
        if self.backoff < timedelta(0) or self.max_backoff < self.backoff:
            raise ValueError("the back-off must be positive and at most max_backoff")
        if not 0 <= self.jitter <= 1:
            raise ValueError("jitter is a fraction between 0 and 1")

    def delay(self, attempt: int) -> timedelta:
        """The wait after failed try number `attempt` (1 for the first)."""
        full = min(self.backoff * (2 ** max(attempt - 1, 0)), self.max_backoff)
        return full * (1 - self.jitter * random.random())


# A task declared with plain `django_tasks.task` runs once: a failure is final.
ONCE = RetryPolicy(max_attempts=1)
DEFAULT = RetryPolicy()

_policies: dict[str, RetryPolicy] = {}


def job(
    *,
    max_attempts: int = DEFAULT.max_attempts,
    backoff: timedelta = DEFAULT.backoff,
    max_backoff: timedelta = DEFAULT.max_backoff,
    jitter: float = DEFAULT.jitter,
    priority: int = DEFAULT_TASK_PRIORITY,
    queue_name: str = DEFAULT_TASK_QUEUE_NAME,
    takes_context: bool = False,
) -> Callable[[Callable[..., Any]], Task[Any, Any]]:
    """Declare a module-level function as a background job with a retry policy."""
    policy = RetryPolicy(
        max_attempts=max_attempts, backoff=backoff, max_backoff=max_backoff, jitter=jitter
    )

    def declare(function: Callable[..., Any]) -> Task[Any, Any]:
        declared: Task[Any, Any] = _task(  # type: ignore[call-overload]
            priority=priority, queue_name=queue_name, takes_context=takes_context
        )(function)
        _policies[declared.module_path] = policy
        return declared

    return declare


def policy_for(task_path: str) -> RetryPolicy:
    """The retry policy of the task at `task_path` (its module must have been imported, as it
    is once the task has been loaded to run it)."""
    return _policies.get(task_path, ONCE)


def enqueue_on_commit(task: Task[Any, Any], *args: Any, **kwargs: Any) -> None:
    """Enqueue `task(*args, **kwargs)` once the current transaction commits (at once outside
    one): a job never runs before the data it reads is committed, and a rolled-back change
    leaves no job behind.

    The job row is written after the commit, so a process that dies between the two loses
    it. Where that matters, call `task.enqueue(...)` inside the transaction instead: the queue
    is in the same database, so the job then commits or rolls back with the data.
    """
    transaction.on_commit(lambda: task.enqueue(*args, **kwargs))
