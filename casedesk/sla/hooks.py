"""What the service-level timers tell the apps built on them (docs/service-levels.md#timers).

Each warning and failure the worker fires is handed, with whom its `notify` actions name, to
the functions registered here, inside the transaction that fires it: a function that writes
rows (notifications) commits or rolls back with the firing, and so is called exactly once per
firing. Register from `AppConfig.ready()`."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Firing:
    """One warning or one failure of a KPI instance, as fired.

    `kind`: `warning` or `failure` (`casedesk.sla.choices.Firing`). `at`: the instant it was
    due (the instance's `warning_at` or `failure_at`); `fired_at`: when the worker fired it.
    `recipients`: the active users the item's `notify` actions name (owner, managers, queue
    members), each once, in id order; empty when it has no `notify` action."""

    case_id: uuid.UUID
    instance_id: uuid.UUID
    kpi: str
    item_name: str
    kind: str
    at: dt.datetime
    fired_at: dt.datetime
    recipients: tuple[uuid.UUID, ...]


FiringHook = Callable[[Sequence[Firing]], None]
_hooks: list[FiringHook] = []


def sla_firing_hook_add(hook: FiringHook) -> None:
    """Call `hook` with each batch of firings, inside the transaction that fires them. Once,
    however often it is added."""
    if hook not in _hooks:
        _hooks.append(hook)


def sla_firing_hook_remove(hook: FiringHook) -> None:
    """Stop calling `hook` (tests)."""
    if hook in _hooks:
        _hooks.remove(hook)


def sla_firings_announce(firings: Sequence[Firing]) -> None:
    """Hand `firings` to every registered hook, in the order they were added."""
    if not firings:
        return
    for hook in list(_hooks):
        hook(firings)
