"""The row locks of events and webhooks (docs/concurrency.md: one module per app holds them)."""

from __future__ import annotations

import uuid

from django.db import connection

from casedesk.events.models import Webhook


def webhook_lock(*, webhook_id: uuid.UUID) -> Webhook | None:
    """The webhook, locked until the end of the caller's transaction (None: there is none)."""
    return Webhook.objects.select_for_update().filter(id=webhook_id).first()


def queued_job_join(*, task_path: str) -> bool:
    """Whether a job of `task_path` is queued and not yet taken; if so, it is locked until the
    end of the caller's transaction, so no worker takes it before the caller's writes are
    committed (and it then sees them). On SQLite no worker can take a job while the caller's
    transaction holds the write lock; on PostgreSQL a job another transaction holds is
    skipped (the caller then queues its own)."""
    from django_tasks import TaskResultStatus
    from django_tasks_db.models import DBTaskResult

    queued = DBTaskResult.objects.filter(task_path=task_path, status=TaskResultStatus.READY)
    if connection.vendor == "postgresql":
        queued = queued.select_for_update(skip_locked=True)
    return bool(list(queued.values_list("id", flat=True)[:1]))
