"""The KPI instances of every case, kept by the case-write pipeline (docs/service-levels.md#on-
a-case): a step registered from `SlaConfig.ready()` that, in the case's transaction, chooses
the case's SLA, asks the engine (`sla/engine.py`) what the write does to its instances and
writes the answer, then the case's derived columns (`sla_id`, `first_response_by`,
`resolve_by`, `sla_status`).

A few statements a batch, whatever its size: the SLAs that may apply (one query, then their
items with their calendars), the entitlements' SLAs when a case chooses one, the instances in
force of the batch's cases (locked, after the cases), one insert of the new instances, one
set-wise update of the changed ones and one of the changed cases. Without any SLA in play the
step costs one query. The derived columns are not audited and do not move the case's version:
they follow from the instances (the timers write them too).
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import fields as dc_fields
from typing import Any

from django.db.models import Q, prefetch_related_objects

from casedesk.cases import fields as case_fields
from casedesk.cases.choices import CaseAction, State
from casedesk.cases.models import Case
from casedesk.cases.services.pipeline import CaseWritten
from casedesk.core import clock
from casedesk.core.bulk import BulkInsert
from casedesk.core.rows import rows_update
from casedesk.entitlements.models import Entitlement
from casedesk.routing.choices import QueueItemState
from casedesk.routing.models import QueueItem
from casedesk.routing.services.routing import case_values
from casedesk.sla import engine
from casedesk.sla.calendar import BusinessCalendar
from casedesk.sla.choices import Kpi
from casedesk.sla.instances import case_sla_status
from casedesk.sla.locks import kpi_instances_in_force_lock
from casedesk.sla.models import KpiInstance, Sla

# The columns of the case the step writes (derived: no audit, no version).
DERIVED = ("sla_id", "first_response_by", "resolve_by", "sla_status")
# What the step reads of every case, besides the fields the SLAs' conditions read.
_READ = ("state", "status", "created_at", "first_response_at", "resolved_at", "entitlement_id")
# The instance's values the engine decides (all but the keys).
_VALUES = tuple(f.name for f in dc_fields(engine.Instance) if f.name != "id")
# Writes that move the case between queues: the `queue_id` a condition reads may change.
_QUEUE_ACTIONS = frozenset({CaseAction.QUEUE, CaseAction.ROUTE})
_UNREAD = object()
# A column of the case by its field's name (`subject`) -> its attribute (`subject_id`).
_ATTNAMES = {f.name: f.attname for f in Case._meta.concrete_fields}
# A calendar's arithmetic, by id and version (a calendar's version grows with each change).
_calendars: dict[tuple[uuid.UUID, int], BusinessCalendar] = {}


def _calendar(row: dict[str, Any]) -> BusinessCalendar:
    """The arithmetic of an item's calendar (24x7 without one), built once a version."""
    calendar_id = row["items__calendar_id"]
    if calendar_id is None:
        return engine.ALWAYS
    key = (calendar_id, row["items__calendar__version"])
    found = _calendars.get(key)
    if found is None:
        if len(_calendars) > 1000:
            _calendars.clear()
        found = _calendars[key] = BusinessCalendar.build(
            time_zone=row["items__calendar__time_zone"],
            week=row["items__calendar__week"],
            holidays=row["items__calendar__holidays"],
            holiday_country=row["items__calendar__holiday_country"],
        )
    return found


_SLA_COLUMNS = (
    "id",
    "active",
    "is_default",
    "pause_statuses",
    "items__id",
    "items__name",
    "items__kpi",
    "items__position",
    "items__conditions",
    "items__warn_after_minutes",
    "items__fail_after_minutes",
    "items__calendar_id",
    "items__calendar__version",
    "items__calendar__time_zone",
    "items__calendar__week",
    "items__calendar__holidays",
    "items__calendar__holiday_country",
)


def slas_for_cases(
    wanted: Iterable[uuid.UUID],
) -> tuple[dict[uuid.UUID, engine.SlaSpec], list[tuple[uuid.UUID, bool]]]:
    """The active SLAs and the ones named (in use by the cases at hand), as the engine needs
    them, with their items and calendars in one query; and the active ones with whether each
    is the default."""
    rows = (
        Sla.objects.filter(Q(active=True) | Q(id__in=list(wanted)))
        .values(*_SLA_COLUMNS)
        .order_by("id", "items__position")
    )
    items: dict[uuid.UUID, list[engine.ItemSpec]] = {}
    pauses: dict[uuid.UUID, frozenset[str]] = {}
    active: list[tuple[uuid.UUID, bool]] = []
    for row in rows:
        sla_id = row["id"]
        if sla_id not in items:
            items[sla_id] = []
            pauses[sla_id] = frozenset(row["pause_statuses"])
            if row["active"]:
                active.append((sla_id, row["is_default"]))
        if row["items__id"] is None:  # an SLA without items
            continue
        items[sla_id].append(
            engine.ItemSpec(
                id=row["items__id"],
                name=row["items__name"],
                kpi=row["items__kpi"],
                conditions=row["items__conditions"],
                warn_after_minutes=row["items__warn_after_minutes"],
                fail_after_minutes=row["items__fail_after_minutes"],
                calendar=_calendar(row),
            )
        )
    specs = {
        sla_id: engine.SlaSpec(id=sla_id, pause_statuses=pauses[sla_id], items=tuple(found))
        for sla_id, found in items.items()
    }
    return specs, active


def _columns_read(condition_fields: Iterable[str]) -> set[str]:
    """The case attributes the condition fields read (`queue_id` is the queue item's)."""
    columns: set[str] = set()
    for name in condition_fields:
        declared = case_fields.FIELDS.get(engine.field_root(name))
        if declared is None:
            continue
        columns.update(_ATTNAMES[c] for c in case_fields.model_columns(declared))
    return columns


def _load(cases: Sequence[Case], attributes: Iterable[str]) -> None:
    """Read, in one query, the attributes some of `cases` were read without (the import
    hands in cases with few columns loaded)."""
    wanted = set(attributes)
    missing = [case for case in cases if wanted & case.get_deferred_fields()]
    if not missing:
        return
    names = sorted(wanted | {"id"})
    rows = {
        row["id"]: row for row in Case.objects.filter(id__in=[c.pk for c in missing]).values(*names)
    }
    for case in missing:
        for name, value in rows[case.pk].items():
            setattr(case, name, value)


def _instance(row: KpiInstance) -> engine.Instance:
    return engine.Instance(id=row.pk, **{name: getattr(row, name) for name in _VALUES})


def kpis_on_case_write(written: Sequence[CaseWritten]) -> None:
    """The case-write pipeline's step for service levels (registered by `SlaConfig.ready()`):
    each written case's SLA, KPI instances and derived columns, in the write's transaction."""
    _load([case for case, change in written if not change.created], ["sla_id", "state"])
    current = {case.pk: (None if change.created else case.sla_id) for case, change in written}
    # The SLA is chosen anew for a new case, and when an active case's entitlement changes.
    rechoose = {
        case.pk: change.created
        or ("entitlement_id" in change.changes and case.state == State.ACTIVE)
        for case, change in written
    }
    specs, active = slas_for_cases({sla_id for sla_id in current.values() if sla_id is not None})
    if not specs:
        return
    default = next((sla_id for sla_id, is_default in active if is_default), None)
    active_ids = {sla_id for sla_id, _ in active}
    cases = [case for case, _ in written]
    _load(cases, _READ)
    entitlement_slas: dict[uuid.UUID, uuid.UUID | None] = {}
    wanted = {
        case.entitlement_id
        for case in cases
        if rechoose[case.pk] and case.entitlement_id is not None
    }
    if wanted and active_ids:
        entitlement_slas = dict(
            Entitlement.objects.filter(id__in=list(wanted)).values_list("id", "sla_id")
        )
    chosen: dict[uuid.UUID, uuid.UUID | None] = {}
    for case in cases:
        chosen[case.pk] = engine.sla_choice(
            current=current[case.pk],
            entitlement_sla=entitlement_slas.get(case.entitlement_id)
            if case.entitlement_id
            else None,
            active=active_ids,
            default=default,
            rechoose=rechoose[case.pk],
        )
    involved = [
        (case, change)
        for case, change in written
        if chosen[case.pk] is not None or current[case.pk] is not None
    ]
    if not involved:
        return
    in_use = {sla_id for case, _ in involved if (sla_id := chosen[case.pk]) is not None}
    condition_fields = {f for sla_id in in_use for item in specs[sla_id].items for f in item.reads}
    _load([case for case, _ in involved], _columns_read(condition_fields))
    if any(f.endswith(".name") for f in condition_fields):
        prefetch_related_objects(
            [case for case, _ in involved],
            "customer_account",
            "customer_contact",
            "owner_user",
            "owner_team",
        )
    queues: dict[uuid.UUID, uuid.UUID] = {}
    if "queue_id" in condition_fields:
        queues = dict(
            QueueItem.objects.filter(
                case_id__in=[case.pk for case, _ in involved], state=QueueItemState.OPEN
            ).values_list("case_id", "queue_id")
        )
    existing: dict[uuid.UUID, list[KpiInstance]] = {}
    stored = [case.pk for case, change in involved if current[case.pk] is not None]
    if stored:
        for row in kpi_instances_in_force_lock(stored):
            existing.setdefault(row.case_id, []).append(row)
    now = clock.now()
    rows_by_id: dict[uuid.UUID, KpiInstance] = {}
    updated: list[KpiInstance] = []
    started: list[tuple[uuid.UUID, engine.Instance]] = []
    derived: list[Case] = []
    for case, change in involved:
        sla_id = chosen[case.pk]
        spec = specs.get(sla_id) if sla_id is not None else None
        values = (
            case_values(case, condition_fields, queue_id=queues.get(case.pk))
            if spec is not None
            else {}
        )
        rows = existing.get(case.pk, [])
        rows_by_id.update((row.pk, row) for row in rows)
        changed = frozenset(engine.field_root(name) for name in change.changes)
        if change.action in _QUEUE_ACTIONS:
            changed |= {"queue_id"}
        decision = engine.decide(
            case=engine.CaseFacts(
                values=values,
                state=case.state,
                status=case.status,
                created_at=case.created_at,
                first_response_at=case.first_response_at,
                resolved_at=case.resolved_at,
            ),
            write=engine.WriteFacts(
                created=change.created,
                reactivated=change.action == CaseAction.REACTIVATE,
                changed=changed,
            ),
            sla=spec,
            instances=[_instance(row) for row in rows],
            now=now,
        )
        for new in decision.updated:
            assert new.id is not None
            row = rows_by_id[new.id]
            for name in _VALUES:
                setattr(row, name, getattr(new, name))
            updated.append(row)
        started.extend((case.pk, new) for new in decision.started)
        if _derive(case, sla_id, decision.in_force):
            derived.append(case)
    if updated:  # first: a superseded instance leaves force before its successor enters
        rows_update(KpiInstance, updated, _VALUES)
    if started:
        BulkInsert(KpiInstance, ("id", "case_id", *_VALUES)).write(
            (uuid.uuid4(), case_id, *(getattr(new, n) for n in _VALUES)) for case_id, new in started
        )
    if derived:
        rows_update(Case, derived, DERIVED)


def _derive(case: Case, sla_id: uuid.UUID | None, in_force: Sequence[engine.Instance]) -> bool:
    """Set the case's derived columns in memory; whether any changed."""
    by_kpi = {i.kpi: i for i in in_force}
    values: dict[str, Any] = {
        "sla_id": sla_id,
        "first_response_by": _failure(by_kpi.get(Kpi.FIRST_RESPONSE)),
        "resolve_by": _failure(by_kpi.get(Kpi.RESOLVE)),
        "sla_status": case_sla_status(i.status for i in in_force),
    }
    changed = False
    loaded = case.__dict__  # a column read without (deferred) is not there: not read for this
    for name, value in values.items():
        if loaded.get(name, _UNREAD) != value:
            setattr(case, name, value)
            changed = True
    return changed


def _failure(instance: engine.Instance | None) -> dt.datetime | None:
    return instance.failure_at if instance is not None else None
