"""The background jobs of webhooks: run the deliveries that are due (docs/webhooks.md)."""

from __future__ import annotations

from django_tasks import task

from casedesk.events.delivery import deliveries_run


@task()
def deliveries_task() -> int:
    """Enqueued after a write that created deliveries: run what is due now."""
    return deliveries_run().attempted


@task()
def deliveries_sweep_task() -> int:
    """The periodic sweep: retries that fell due and deliveries whose worker died."""
    return deliveries_run().attempted
