"""The background jobs of webhooks: run the deliveries that are due (docs/webhooks.md)."""

from __future__ import annotations

from django_tasks import task

from casedesk.events.delivery import DEFAULT_LIMIT, deliveries_run


def _run_and_carry_on() -> int:
    """Make up to `DEFAULT_LIMIT` due deliveries; when that many were made, more may be due:
    queue a delivery job to carry on (a job stays short, and other jobs get their turn)."""
    attempted = deliveries_run().attempted
    if attempted >= DEFAULT_LIMIT:
        deliveries_task.enqueue()
    return attempted


@task()
def deliveries_task() -> int:
    """Queued with a write that created deliveries: run what is due now."""
    return _run_and_carry_on()


@task()
def deliveries_sweep_task() -> int:
    """The periodic sweep: retries that fell due and deliveries whose worker died."""
    return _run_and_carry_on()
