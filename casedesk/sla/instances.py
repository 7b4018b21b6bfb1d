"""What the engine and the timers agree on about a KPI instance (docs/service-levels.md#on-a-
case): when the worker must look at it next, and the case's `sla_status`. Pure: no database."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from casedesk.sla.choices import WORST, KpiStatus

# Statuses whose clock runs: the warning and the failure may still fire.
RUNNING = frozenset({KpiStatus.IN_PROGRESS, KpiStatus.NEARING_NONCOMPLIANCE})
# Statuses that end an instance: nothing fires any more.
ENDED = frozenset({KpiStatus.SUCCEEDED, KpiStatus.CANCELLED})


def next_due(
    *,
    status: str,
    in_force: bool,
    warning_at: dt.datetime,
    failure_at: dt.datetime,
    warned_at: dt.datetime | None,
    failed_at: dt.datetime | None,
) -> dt.datetime | None:
    """The instant the worker must next look at an instance: its warning until that fired,
    then its failure until that fired; None for an instance out of force, paused or ended, or
    with nothing left to fire."""
    if not in_force or (status not in RUNNING and status != KpiStatus.NONCOMPLIANT):
        return None
    if warned_at is None and failed_at is None:
        return warning_at
    if failed_at is None:
        return failure_at
    return None


def counting(*, status: str, succeeded_at: dt.datetime | None) -> bool:
    """Whether the instance is still waiting to be met: its clock runs (in progress, nearing
    noncompliance), or its failure time passed and it is not met yet (noncompliant). A
    paused, met or cancelled instance is not."""
    return status in RUNNING or (status == KpiStatus.NONCOMPLIANT and succeeded_at is None)


def case_sla_status(statuses: Iterable[str]) -> str | None:
    """The worst status among a case's instances in force (`WORST`); None without one
    (cancelled instances are not in force)."""
    present = set(statuses)
    for status in WORST:
        if status in present:
            return status
    return None
