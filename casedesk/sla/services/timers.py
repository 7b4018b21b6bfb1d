"""The service-level timers: fire each KPI instance's warning and failure once, when due
(docs/service-levels.md#timers).

`sla_tick` reads only the instances due now (`due_at <= now`, through the partial index
`kpi_instance_due_idx`), a batch at a time, each batch one transaction: the instances and
their cases are claimed (`sla/locks.py`: skipped, never waited for, when another worker holds
them), the warnings and failures due are recorded on the instances (`warned_at`, `failed_at`,
the status, the next `due_at`), the items' actions run, the `sla.warning` / `sla.failure`
events are written, the firing hooks are told, and the cases' `sla_status` follows. A firing
and everything it causes commit together or not at all, and an instance whose firing has
committed is no longer due: however many workers (and `casedesk sla tick`) run, each warning
and each failure fires exactly once. Its cost grows with the number of instances due, not
with the number of cases.
"""

from __future__ import annotations

import datetime as dt
import logging
import uuid
from collections import defaultdict
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.db import transaction
from django.db.models import Count, Min

from casedesk.cases.choices import CaseAction, Priority, State
from casedesk.cases.models import Case
from casedesk.cases.services.common import case_snapshot
from casedesk.cases.services.pipeline import CaseWrite, case_writes_finish
from casedesk.core import clock
from casedesk.core.choices import Channel
from casedesk.core.rows import rows_update
from casedesk.directory.access import SYSTEM, roles_holding
from casedesk.directory.choices import Role
from casedesk.directory.models import Team, User
from casedesk.events.choices import EventType
from casedesk.events.models import Event
from casedesk.events.outbox import events_write
from casedesk.routing.locks import queue_items_open
from casedesk.routing.models import Queue, QueueItem
from casedesk.routing.services.items import queue_place_many, queue_write
from casedesk.sla.choices import ActionType, Firing, KpiStatus, NotifyTarget
from casedesk.sla.hooks import Firing as FiringRecord
from casedesk.sla.hooks import sla_firings_announce
from casedesk.sla.instances import RUNNING, case_sla_status, next_due
from casedesk.sla.locks import kpi_instances_due_claim
from casedesk.sla.models import KpiInstance, SlaItem

log = logging.getLogger("casedesk.sla")

# Instances claimed and fired in one transaction: the write lock (SQLite) and the row locks
# (PostgreSQL) are held for one batch only.
BATCH = 500
# Instances one run of the periodic job fires at most; it enqueues itself again when more
# are due, so that one run never holds a worker for long.
RUN_LIMIT = 5000

_INSTANCE_FIELDS = ("status", "warned_at", "failed_at", "due_at", "version")


@dataclass
class TickResult:
    """What a tick did: instances looked at, warnings and failures fired, and whether
    instances due at `now` remain (the run stopped at its limit)."""

    now: dt.datetime
    examined: int = 0
    warnings: int = 0
    failures: int = 0
    errors: int = 0  # instances whose firing failed (logged; they stay due)
    more: bool = False

    def as_dict(self) -> dict[str, Any]:
        return {
            "now": self.now.isoformat(),
            "examined": self.examined,
            "warnings": self.warnings,
            "failures": self.failures,
            "errors": self.errors,
            "more": self.more,
        }


def sla_tick(
    now: dt.datetime | None = None, *, limit: int | None = RUN_LIMIT, batch: int | None = None
) -> TickResult:
    """Fire every warning and failure due at `now` (default: the clock's now), at most
    `limit` instances (None: all that are due), `batch` instances a transaction (default
    `BATCH`).

    An instance in force whose clock runs (in progress, nearing noncompliance; noncompliant
    with its failure not fired) fires its warning once `warning_at` has passed (status
    `nearing_noncompliance`, unless already noncompliant) and its failure once `failure_at`
    has passed (status `noncompliant`), each once; both when both have passed. A paused,
    succeeded or cancelled instance, or one out of force, fires nothing (it is no longer
    due). An instance whose firing fails is logged, counted in `errors` and left due; the
    others of its batch fire without it."""
    now = now or clock.now()
    batch = batch or BATCH
    result = TickResult(now=now)
    broken: set[uuid.UUID] = set()
    while limit is None or result.examined < limit:
        size = batch if limit is None else min(batch, limit - result.examined)
        try:
            claimed, read = _tick_batch(now, size, result, skip=broken)
        except Exception:
            log.exception("sla_tick_batch_failed", extra={"size": size})
            claimed, read = _tick_one_by_one(now, size, result, broken)
        if read < size or not claimed:
            # Nothing more is due, or what is due waits for busy cases (the next tick's).
            return result
    due = KpiInstance.objects.filter(due_at__isnull=False, due_at__lte=now)
    result.more = due.exclude(id__in=list(broken)).exists() if broken else due.exists()
    return result


def _tick_one_by_one(
    now: dt.datetime, size: int, result: TickResult, broken: set[uuid.UUID]
) -> tuple[int, int]:
    """A batch that failed, again an instance a transaction: one instance whose firing
    fails (a bug, a hook that raises) must not hold up the others. The failing ones stay due
    (the next tick tries them again) and are left out of the rest of this run."""
    ids = list(
        KpiInstance.objects.filter(due_at__isnull=False, due_at__lte=now)
        .exclude(id__in=list(broken))
        .order_by("due_at", "id")
        .values_list("id", flat=True)[:size]
    )
    claimed = 0
    for instance_id in ids:
        try:
            claimed += _tick_batch(now, 1, result, only=[instance_id])[0]
        except Exception:
            log.exception("sla_tick_instance_failed", extra={"instance_id": str(instance_id)})
            broken.add(instance_id)
            result.errors += 1
    return claimed, len(ids)


@dataclass
class _Fired:
    instance: KpiInstance
    kind: str
    at: dt.datetime
    actions: list[dict[str, Any]]
    outcomes: list[dict[str, Any]] = field(default_factory=list)
    recipients: set[uuid.UUID] = field(default_factory=set)


@transaction.atomic
def _tick_batch(
    now: dt.datetime,
    size: int,
    result: TickResult,
    *,
    only: Sequence[uuid.UUID] | None = None,
    skip: Collection[uuid.UUID] = (),
) -> tuple[int, int]:
    """Claim up to `size` due instances (among `only`, without `skip`) and fire what is due;
    how many were claimed, and how many due ones were read (`kpi_instances_due_claim`)."""
    instances, read = kpi_instances_due_claim(now=now, limit=size, only_ids=only, skip_ids=skip)
    if not instances:
        return 0, read
    items = _items({i.item_id for i in instances if i.item_id is not None})
    fired: list[_Fired] = []
    for instance in instances:
        item = items.get(instance.item_id) if instance.item_id is not None else None
        fired += _fire(instance, now, item)
    rows_update(KpiInstance, instances, _INSTANCE_FIELDS)
    cases = {i.case_id: i.case for i in instances}
    wrote = False
    if fired:
        plan = _ActionPlan(cases)
        for firing in fired:
            plan.add(firing)
        plan.recipients_resolve()
        _events_write(fired, now)
        wrote = plan.case_writes_run()
        sla_firings_announce(
            [
                FiringRecord(
                    case_id=f.instance.case_id,
                    instance_id=f.instance.pk,
                    kpi=f.instance.kpi,
                    item_name=f.instance.item_name,
                    kind=f.kind,
                    at=f.at,
                    fired_at=now,
                    recipients=tuple(sorted(f.recipients)),
                )
                for f in fired
            ]
        )
    _case_statuses_update(cases, reread=wrote)
    result.examined += len(instances)
    result.warnings += sum(1 for f in fired if f.kind == Firing.WARNING)
    result.failures += sum(1 for f in fired if f.kind == Firing.FAILURE)
    return len(instances), read


def _items(ids: set[uuid.UUID]) -> dict[uuid.UUID, SlaItem]:
    if not ids:
        return {}
    return {
        item.pk: item
        for item in SlaItem.objects.filter(id__in=ids).only("id", "on_warning", "on_failure")
    }


def _fire(instance: KpiInstance, now: dt.datetime, item: SlaItem | None) -> list[_Fired]:
    """Record on `instance` (in memory) what fires now, and its next `due_at`."""
    fired: list[_Fired] = []
    running = instance.in_force and (
        instance.status in RUNNING or instance.status == KpiStatus.NONCOMPLIANT
    )
    if running and instance.failed_at is None:
        if instance.warned_at is None and instance.warning_at <= now:
            instance.warned_at = now
            if instance.status != KpiStatus.NONCOMPLIANT:
                instance.status = KpiStatus.NEARING_NONCOMPLIANCE
            actions = list(item.on_warning) if item is not None else []
            fired.append(_Fired(instance, Firing.WARNING, instance.warning_at, actions))
        if instance.failure_at <= now:
            instance.failed_at = now
            instance.status = KpiStatus.NONCOMPLIANT
            actions = list(item.on_failure) if item is not None else []
            fired.append(_Fired(instance, Firing.FAILURE, instance.failure_at, actions))
    instance.due_at = next_due(
        status=instance.status,
        in_force=instance.in_force,
        warning_at=instance.warning_at,
        failure_at=instance.failure_at,
        warned_at=instance.warned_at,
        failed_at=instance.failed_at,
    )
    if fired:
        instance.version += 1
    return fired


class _ActionPlan:
    """The actions of a batch's firings, decided in firing order against each case as the
    earlier actions leave it, then run as case writes (a few statements for the batch)."""

    def __init__(self, cases: Mapping[uuid.UUID, Case]) -> None:
        self.cases = cases
        self.priority: dict[uuid.UUID, str] = {}
        self.queue: dict[uuid.UUID, uuid.UUID | None] = {}
        self.queues_read = False
        self.open_items: dict[uuid.UUID, QueueItem] = {}
        self.queue_ids: set[uuid.UUID] = set()
        self.notify: list[tuple[_Fired, str, uuid.UUID | None]] = []

    def _current_queues(self) -> None:
        """The open queue item of every case of the batch, locked (after the cases), and the
        queues that exist: read once, when the first action needs them."""
        if self.queues_read:
            return
        self.queues_read = True
        active = [pk for pk, case in self.cases.items() if case.state == State.ACTIVE]
        self.open_items = queue_items_open(case_ids=active) if active else {}
        self.queue = {pk: item.queue_id for pk, item in self.open_items.items()}

    def add(self, firing: _Fired) -> None:
        case_id = firing.instance.case_id
        case = self.cases[case_id]
        for action in firing.actions:
            kind = action.get("type") if isinstance(action, dict) else None
            outcome: dict[str, Any] = dict(action) if isinstance(action, dict) else {}
            if kind == ActionType.NOTIFY:
                target = action.get("to")
                if target not in NotifyTarget.values:
                    outcome.update(ran=False, reason="unknown_target")
                else:
                    queue_id = None
                    if target == NotifyTarget.QUEUE_MEMBERS:
                        self._current_queues()
                        queue_id = self.queue.get(case_id)
                    self.notify.append((firing, str(target), queue_id))
                    outcome.update(ran=True)
            elif kind == ActionType.SET_PRIORITY:
                value = action.get("value")
                current = self.priority.get(case_id, case.priority)
                if case.state != State.ACTIVE:
                    outcome.update(ran=False, reason="case_not_active")
                elif value not in Priority.values:
                    outcome.update(ran=False, reason="invalid_value")
                elif value == current:
                    outcome.update(ran=False, reason="unchanged")
                else:
                    self.priority[case_id] = str(value)
                    outcome.update(ran=True)
            elif kind == ActionType.QUEUE:
                target_id = _uuid(action.get("queue_id"))
                if case.state != State.ACTIVE:
                    outcome.update(ran=False, reason="case_not_active")
                elif target_id is None or not self._queue_exists(target_id):
                    outcome.update(ran=False, reason="no_such_queue")
                elif self.queue.get(case_id) == target_id:
                    outcome.update(ran=False, reason="unchanged")
                else:
                    self.queue[case_id] = target_id
                    outcome.update(ran=True)
            else:
                outcome.update(ran=False, reason="unknown_action")
            firing.outcomes.append(outcome)

    def _queue_exists(self, queue_id: uuid.UUID) -> bool:
        self._current_queues()
        if queue_id not in self.queue_ids and Queue.objects.filter(id=queue_id).exists():
            self.queue_ids.add(queue_id)
        return queue_id in self.queue_ids

    def recipients_resolve(self) -> None:
        """Whom each `notify` action names: a few queries for the whole batch."""
        if not self.notify:
            return
        owners_user = {c.owner_user_id for c in self.cases.values() if c.owner_user_id}
        owners_team = {c.owner_team_id for c in self.cases.values() if c.owner_team_id}
        queue_ids = {q for _f, _t, q in self.notify if q is not None}
        wants = {target for _f, target, _q in self.notify}
        links = Team.members.through.objects
        user_teams: dict[uuid.UUID, set[uuid.UUID]] = defaultdict(set)
        if NotifyTarget.MANAGER in wants and owners_user:
            for user_id, team_id in links.filter(user_id__in=owners_user).values_list(
                "user_id", "team_id"
            ):
                user_teams[user_id].add(team_id)
        teams = set(owners_team)
        if NotifyTarget.MANAGER in wants:
            teams |= {t for ts in user_teams.values() for t in ts}
        members: dict[uuid.UUID, set[uuid.UUID]] = defaultdict(set)
        managers: dict[uuid.UUID, set[uuid.UUID]] = defaultdict(set)
        if teams:
            rows = links.filter(team_id__in=teams, user__is_active=True).values_list(
                "team_id", "user_id", "user__role"
            )
            manager_roles = set(roles_holding(Role.MANAGER))
            for team_id, user_id, role in rows:
                members[team_id].add(user_id)
                if role in manager_roles:
                    managers[team_id].add(user_id)
        queue_members: dict[uuid.UUID, set[uuid.UUID]] = defaultdict(set)
        if queue_ids:
            queue_rows = Queue.members.through.objects.filter(
                queue_id__in=queue_ids, user__is_active=True
            ).values_list("queue_id", "user_id")
            for queue_id, user_id in queue_rows:
                queue_members[queue_id].add(user_id)
        active_owners = set(
            User.objects.filter(id__in=owners_user, is_active=True).values_list("id", flat=True)
        )
        for firing, target, where in self.notify:
            case = self.cases[firing.instance.case_id]
            found: set[uuid.UUID] = set()
            if target == NotifyTarget.OWNER:
                if case.owner_user_id in active_owners:
                    found.add(case.owner_user_id)
                elif case.owner_team_id:
                    found |= members[case.owner_team_id]
            elif target == NotifyTarget.MANAGER:
                owner_teams = (
                    user_teams[case.owner_user_id]
                    if case.owner_user_id
                    else {case.owner_team_id}
                    if case.owner_team_id
                    else set()
                )
                for team_id in owner_teams:
                    found |= managers[team_id]
            elif where is not None:
                found |= queue_members[where]
            firing.recipients |= found
        for firing in {id(f): f for f, _t, _q in self.notify}.values():
            for outcome in firing.outcomes:
                if outcome.get("type") == ActionType.NOTIFY and outcome.get("ran"):
                    outcome["recipients"] = sorted(str(r) for r in firing.recipients)

    def case_writes_run(self) -> bool:
        """The priority and queue changes, through the case-write pipeline as the system:
        audited, with their `case.updated` / `case.queued` events. Whether any case was
        written."""
        moved = {pk: q for pk, q in self.queue.items() if q is not None}
        if self.queues_read:
            moved = {
                pk: q
                for pk, q in moved.items()
                if (item := self.open_items.get(pk)) is None or item.queue_id != q
            }
        changing = {pk for pk, v in self.priority.items() if v != self.cases[pk].priority}
        wanted = changing | set(moved)
        if not wanted:
            return False
        full = Case.objects.in_bulk(sorted(wanted))
        if changing:
            writes: list[tuple[Case, CaseWrite]] = []
            for pk in sorted(changing):
                case = full[pk]
                before = case_snapshot(case)
                case.priority = self.priority[pk]
                writes.append(
                    (
                        case,
                        CaseWrite(
                            action=CaseAction.UPDATE,
                            before=before,
                            details={"by": "sla"},
                            save_fields=("priority",),
                        ),
                    )
                )
            case_writes_finish(writes=writes, actor=SYSTEM, channel=Channel.SYSTEM)
        if moved:
            queues = Queue.objects.in_bulk(set(moved.values()))
            order = sorted(moved)
            placed = queue_place_many(
                placements=[(full[pk], queues[moved[pk]]) for pk in order],
                open_items={pk: self.open_items[pk] for pk in order if pk in self.open_items},
            )
            queue_writes = []
            for pk, place in zip(order, placed, strict=True):
                if not place.changed:
                    continue
                item_id = place.item.pk if place.item is not None else place.new[0]  # type: ignore[index]
                queue_writes.append(
                    (
                        full[pk],
                        queue_write(
                            previous_queue_id=place.previous_queue_id,
                            queue_id=moved[pk],
                            item=QueueItem(id=item_id),
                        ),
                    )
                )
            case_writes_finish(writes=queue_writes, actor=SYSTEM, channel=Channel.SYSTEM)
        return True


def _uuid(value: Any) -> uuid.UUID | None:
    try:
        return uuid.UUID(str(value))
    except (TypeError, ValueError):
        return None


def _events_write(fired: Sequence[_Fired], now: dt.datetime) -> None:
    """One `sla.warning` or `sla.failure` event a firing, in the batch's transaction."""
    events = []
    for f in fired:
        warning = f.kind == Firing.WARNING
        events.append(
            Event(
                type=EventType.SLA_WARNING if warning else EventType.SLA_FAILURE,
                occurred_at=now,
                case_id=f.instance.case_id,
                data={
                    "kpi": f.instance.kpi,
                    "item": f.instance.item_name,
                    "instance_id": str(f.instance.pk),
                    "status": f.instance.status,
                    ("warning_at" if warning else "failure_at"): f.at.isoformat(),
                    "actions": f.outcomes,
                },
            )
        )
    events_write(events)


def _case_statuses_update(cases: Mapping[uuid.UUID, Case], *, reread: bool) -> None:
    """Each case's `sla_status`, the worst status of its instances in force: one UPDATE a
    status that changes (a few for a batch); the case's version stays (a derived column).
    `reread`: the batch wrote cases (its actions), whose steps may have changed the stored
    status since the claim read it."""
    ids = list(cases)
    statuses: dict[uuid.UUID, list[str]] = defaultdict(list)
    for case_id, status in KpiInstance.objects.filter(case_id__in=ids, in_force=True).values_list(
        "case_id", "status"
    ):
        statuses[case_id].append(status)
    if reread:
        stored = dict(Case.objects.filter(id__in=ids).values_list("id", "sla_status"))
    else:
        stored = {pk: case.sla_status for pk, case in cases.items()}
    changed: dict[str | None, list[uuid.UUID]] = defaultdict(list)
    for pk in ids:
        worst = case_sla_status(statuses.get(pk, ()))
        if worst != stored.get(pk):
            changed[worst].append(pk)
    for worst, pks in changed.items():
        Case.objects.filter(id__in=pks).update(sla_status=worst)


def due_state(now: dt.datetime | None = None) -> tuple[int, dt.datetime | None]:
    """How many instances are due at `now` and not yet fired, and the oldest due time (None:
    none): the timers' backlog, for the metrics. Reads the partial index only."""
    now = now or clock.now()
    found = KpiInstance.objects.filter(due_at__isnull=False, due_at__lte=now).aggregate(
        count=Count("id"), oldest=Min("due_at")
    )
    return int(found["count"]), found["oldest"]
