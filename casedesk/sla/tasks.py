"""The service-level timers' job (docs/service-levels.md#timers): enqueued every
`TICK_EVERY` by the worker's periodic schedule (`SlaConfig.ready()`)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from casedesk.jobs import job
from casedesk.sla.services.timers import sla_tick

# A warning or failure fires within a minute of its time: a tick every 30 s, plus the
# worker's look at the schedule (about a second) and the run itself.
TICK_EVERY = timedelta(seconds=30)


@job(max_attempts=3, backoff=timedelta(seconds=5))
def sla_tick_task() -> dict[str, Any]:
    """Fire what is due now, at most `RUN_LIMIT` instances; when more are due, enqueue another
    run at once (another worker may take it) instead of holding this one."""
    result = sla_tick()
    if result.more:
        sla_tick_task.enqueue()
    return result.as_dict()
