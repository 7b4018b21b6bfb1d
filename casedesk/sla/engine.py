"""The KPI instances of a case as plain Python (docs/service-levels.md#on-a-case): which SLA
applies, and what a write to the case does to its instances. No database: the case-write
pipeline's step (`sla/services/kpis.py`) reads the rows, asks `decide` and writes the answer.

`decide` is a reconciliation: from the case as it is after the write, what the write changed
and the instances in force, it answers the instances to change and the ones to start. Asked
again with its own answer and nothing changed, it answers nothing more.

- For each KPI the first item of the SLA whose conditions hold gives the instance; it starts
  from the case's creation (from the reactivation for the resolve KPI of a reactivated case).
- `in_progress` -> `nearing_noncompliance` -> `noncompliant` are the timers' (they fire at
  `warning_at`, `failure_at`); here an instance is met (`succeeded`, or `noncompliant` when met
  at or after its failure time, or after its failure fired), paused, resumed, cancelled or
  superseded.
- Paused while the active case has one of the SLA's pausing statuses (only a running instance
  whose failure time is still ahead). The working time paused, on the item's calendar, is added
  to `paused_seconds` and the warning and failure times are `started_at` plus the item's
  minutes plus that time; while paused they are kept at what resuming now would give.
- A cancelled or merged case cancels its instances not yet met (out of force).
- An edit of a field an SLA item of the KPI reads, on an active case, re-matches the KPI: when
  another item (or none) matches, the instance not yet met is cancelled and the new item's
  starts from the case's creation (the working time already paused carries over).
- Reactivating a case takes its resolve instance out of force (kept, its status as it was) and
  starts a new one from the reactivation.
- An instance that starts already met (a case imported resolved, an SLA that changed after the
  first response) fires nothing.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from casedesk.cases.choices import State
from casedesk.routing import matching
from casedesk.sla.calendar import BusinessCalendar
from casedesk.sla.choices import Kpi, KpiStatus
from casedesk.sla.instances import RUNNING, next_due

KPIS: tuple[str, ...] = (Kpi.FIRST_RESPONSE, Kpi.RESOLVE)
ALWAYS = BusinessCalendar.always()


def field_root(name: str) -> str:
    """The case field a condition's field reads: `customer.name` reads `customer`."""
    return name.split(".", 1)[0]


@dataclass(frozen=True)
class ItemSpec:
    """One item of an SLA, as the engine needs it (`calendar`: 24x7 when the item has none)."""

    id: uuid.UUID
    name: str
    kpi: str
    conditions: Sequence[Mapping[str, Any]]
    warn_after_minutes: int
    fail_after_minutes: int
    calendar: BusinessCalendar = ALWAYS

    @property
    def reads(self) -> frozenset[str]:
        """The condition fields (as `matching` names them)."""
        return frozenset(c["field"] for c in self.conditions)

    def times(
        self, started_at: dt.datetime, paused_seconds: int
    ) -> tuple[dt.datetime, dt.datetime]:
        """The warning and failure times of an instance started then, paused so long. The
        failure is counted on from the warning: working time is additive, and the calendar is
        walked once."""
        warning_at = self.calendar.add_business_minutes(
            started_at, self.warn_after_minutes + paused_seconds / 60
        )
        return warning_at, self.calendar.add_business_minutes(
            warning_at, self.fail_after_minutes - self.warn_after_minutes
        )


@dataclass(frozen=True)
class SlaSpec:
    id: uuid.UUID
    pause_statuses: frozenset[str]
    items: tuple[ItemSpec, ...]

    def match(self, kpi: str, values: Mapping[str, Any]) -> ItemSpec | None:
        """The first item of `kpi` whose conditions hold."""
        for item in self.items:
            if item.kpi == kpi and matching.conditions_hold(item.conditions, values):
                return item
        return None

    def reads(self, kpi: str) -> frozenset[str]:
        """The case fields (roots) the items of `kpi` read."""
        return frozenset(field_root(f) for i in self.items if i.kpi == kpi for f in i.reads)

    def find(self, item_id: uuid.UUID | None, name: str, kpi: str) -> ItemSpec | None:
        for item in self.items:
            if item.kpi == kpi and (item.id == item_id or (item_id is None and item.name == name)):
                return item
        return None


@dataclass(frozen=True)
class CaseFacts:
    """The case after the write. `values`: as routing's matching reads it (only the fields
    the SLA's conditions read are needed)."""

    values: Mapping[str, Any]
    state: str
    status: str
    created_at: dt.datetime
    first_response_at: dt.datetime | None = None
    resolved_at: dt.datetime | None = None


@dataclass(frozen=True)
class WriteFacts:
    """What the write did: a new case, a reactivation, the case fields (API names, roots)
    whose values changed."""

    created: bool = False
    reactivated: bool = False
    changed: frozenset[str] = frozenset()


@dataclass(frozen=True)
class Instance:
    """A KPI instance's values (`id` None: not stored yet)."""

    sla_id: uuid.UUID
    item_id: uuid.UUID | None
    item_name: str
    kpi: str
    status: str
    started_at: dt.datetime
    warning_at: dt.datetime
    failure_at: dt.datetime
    in_force: bool = True
    succeeded_at: dt.datetime | None = None
    cancelled_at: dt.datetime | None = None
    paused_seconds: int = 0
    paused_since: dt.datetime | None = None
    due_at: dt.datetime | None = None
    warned_at: dt.datetime | None = None
    failed_at: dt.datetime | None = None
    version: int = 1
    id: uuid.UUID | None = None

    @property
    def met(self) -> bool:
        return self.succeeded_at is not None

    @property
    def ended(self) -> bool:
        return self.met or self.status == KpiStatus.CANCELLED


@dataclass
class Decision:
    """What to write: `updated` (stored instances with new values, version grown), `started`
    (new ones), and the instances in force afterwards."""

    updated: list[Instance] = field(default_factory=list)
    started: list[Instance] = field(default_factory=list)
    in_force: list[Instance] = field(default_factory=list)


def sla_choice(
    *,
    current: uuid.UUID | None,
    entitlement_sla: uuid.UUID | None,
    active: Collection[uuid.UUID],
    default: uuid.UUID | None,
    rechoose: bool,
) -> uuid.UUID | None:
    """The SLA of a case: chosen when it is created and when its entitlement changes (else
    the one it has): the entitlement's SLA when that one is active, else the active default
    SLA, else none."""
    if not rechoose:
        return current
    if entitlement_sla is not None and entitlement_sla in active:
        return entitlement_sla
    return default


def met_at(kpi: str, case: CaseFacts) -> dt.datetime | None:
    """When the case met `kpi`: the first response when it was given or the case resolved,
    whichever came first; the resolution when resolved."""
    resolved = case.resolved_at if case.state == State.RESOLVED else None
    if kpi == Kpi.RESOLVE:
        return resolved
    given = [t for t in (case.first_response_at, resolved) if t is not None]
    return min(given) if given else None


def _running_status(instance: Instance) -> str:
    if instance.failed_at is not None:
        return KpiStatus.NONCOMPLIANT
    if instance.warned_at is not None:
        return KpiStatus.NEARING_NONCOMPLIANCE
    return KpiStatus.IN_PROGRESS


def _with_due(instance: Instance) -> Instance:
    return replace(
        instance,
        due_at=next_due(
            status=instance.status,
            in_force=instance.in_force,
            warning_at=instance.warning_at,
            failure_at=instance.failure_at,
            warned_at=instance.warned_at,
            failed_at=instance.failed_at,
        ),
    )


def _cancel(instance: Instance, now: dt.datetime) -> Instance:
    return replace(
        instance,
        status=KpiStatus.CANCELLED,
        in_force=False,
        cancelled_at=now,
        paused_since=None,
        due_at=None,
    )


def _retime(
    instance: Instance, item: ItemSpec | None, paused_seconds: int, paused_real: dt.timedelta
) -> Instance:
    """The warning and failure times with `paused_seconds` of working time paused; without
    the item (replaced since), the times move by the real time paused (`paused_real`)."""
    if item is not None:
        warning_at, failure_at = item.times(instance.started_at, paused_seconds)
    else:
        warning_at, failure_at = (
            instance.warning_at + paused_real,
            instance.failure_at + paused_real,
        )
    return replace(instance, warning_at=warning_at, failure_at=failure_at)


def _paused_so_far(
    instance: Instance, item: ItemSpec | None, now: dt.datetime
) -> tuple[int, dt.timedelta]:
    assert instance.paused_since is not None
    calendar = item.calendar if item is not None else ALWAYS
    minutes = max(0.0, calendar.business_minutes_between(instance.paused_since, now))
    return instance.paused_seconds + round(minutes * 60), max(
        dt.timedelta(), now - instance.paused_since
    )


def _advance(
    instance: Instance,
    *,
    case: CaseFacts,
    sla: SlaSpec,
    item: ItemSpec | None,
    now: dt.datetime,
    fresh: bool,
) -> Instance:
    """One instance not ended, brought in step with the case: cancelled, paused, resumed or
    met. `fresh`: started by this write."""
    if instance.ended:
        return instance
    if case.state == State.CANCELLED:
        return _cancel(instance, now)
    met = met_at(instance.kpi, case)
    pausing = case.state == State.ACTIVE and case.status in sla.pause_statuses and met is None
    if instance.paused_since is not None:
        total, real = _paused_so_far(instance, item, now)
        if pausing:  # still paused: the times resuming now would give
            if item is not None:
                warning_at, failure_at = item.times(instance.started_at, total)
                instance = replace(instance, warning_at=warning_at, failure_at=failure_at)
            return replace(instance, due_at=None)
        instance = _retime(instance, item, total, real)
        instance = replace(instance, paused_seconds=total, paused_since=None)
        instance = replace(instance, status=_running_status(instance))
    elif pausing and instance.status in RUNNING and now < instance.failure_at:
        return replace(instance, status=KpiStatus.PAUSED, paused_since=now, due_at=None)
    if met is not None:
        met = max(met, instance.started_at)
        late = instance.failed_at is not None or met >= instance.failure_at
        instance = replace(
            instance,
            status=KpiStatus.NONCOMPLIANT if late else KpiStatus.SUCCEEDED,
            succeeded_at=met,
        )
        if fresh:  # met before it was measured: nothing is left to fire
            return replace(instance, due_at=None)
    return _with_due(instance)


def _start(
    item: ItemSpec, sla: SlaSpec, started_at: dt.datetime, carried: Instance | None
) -> Instance:
    paused_seconds = carried.paused_seconds if carried is not None else 0
    paused_since = carried.paused_since if carried is not None else None
    warning_at, failure_at = item.times(started_at, paused_seconds)
    return Instance(
        sla_id=sla.id,
        item_id=item.id,
        item_name=item.name,
        kpi=item.kpi,
        status=KpiStatus.PAUSED if paused_since is not None else KpiStatus.IN_PROGRESS,
        started_at=started_at,
        warning_at=warning_at,
        failure_at=failure_at,
        paused_seconds=paused_seconds,
        paused_since=paused_since,
    )


def _same_item(instance: Instance, item: ItemSpec | None) -> bool:
    if item is None:
        return False
    if instance.item_id is not None:
        return instance.item_id == item.id
    return instance.item_name == item.name


def decide(
    *,
    case: CaseFacts,
    write: WriteFacts,
    sla: SlaSpec | None,
    instances: Sequence[Instance],
    now: dt.datetime,
) -> Decision:
    """What the write does to the case's KPI instances (`instances`: the ones in force; `sla`:
    the SLA the case is under after the write, None for none). Instances of another SLA are
    cancelled (the case's SLA changed) and the new SLA's start from the case's creation."""
    decision = Decision()

    def changed(old: Instance, new: Instance) -> None:
        if new != old:
            new = replace(new, version=old.version + 1)
            decision.updated.append(new)
        if new.in_force:
            decision.in_force.append(new)

    kept: dict[str, Instance] = {}
    for old in instances:
        if sla is None or old.sla_id != sla.id:
            changed(old, _cancel(old, now))
        else:
            kept[old.kpi] = old
    if sla is None:
        return decision
    active = case.state == State.ACTIVE
    for kpi in KPIS:
        instance = kept.get(kpi)
        item = sla.match(kpi, case.values)
        carried: Instance | None = None
        start = now if write.reactivated else case.created_at
        if instance is not None and write.reactivated and kpi == Kpi.RESOLVE:
            changed(instance, replace(instance, in_force=False, paused_since=None, due_at=None))
            instance = None
        elif (
            instance is not None
            and active
            and not instance.ended
            and write.changed & sla.reads(kpi)
            and not _same_item(instance, item)
        ):
            changed(instance, _cancel(instance, now))
            carried, instance, start = instance, None, case.created_at
        if instance is not None:
            own = sla.find(instance.item_id, instance.item_name, kpi)
            changed(
                instance, _advance(instance, case=case, sla=sla, item=own, now=now, fresh=False)
            )
            continue
        if item is None:
            continue
        if not (active or (write.created and case.state == State.RESOLVED)):
            continue
        new = _advance(
            _start(item, sla, start, carried), case=case, sla=sla, item=item, now=now, fresh=True
        )
        decision.started.append(new)
        decision.in_force.append(new)
    return decision
