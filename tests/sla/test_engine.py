"""The KPI engine as plain Python (casedesk/sla/engine.py): no database."""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass, field, replace
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from casedesk.sla import engine
from casedesk.sla.calendar import BusinessCalendar
from casedesk.sla.choices import KpiStatus

T0 = dt.datetime(2026, 12, 7, 9, 0, tzinfo=dt.UTC)  # a Monday
MINUTE = dt.timedelta(minutes=1)

URGENT = engine.ItemSpec(
    id=uuid.uuid4(),
    name="urgent",
    kpi="resolve",
    conditions=[{"field": "priority", "op": "eq", "value": "high"}],
    warn_after_minutes=30,
    fail_after_minutes=60,
)
NORMAL = engine.ItemSpec(
    id=uuid.uuid4(),
    name="normal",
    kpi="resolve",
    conditions=[],
    warn_after_minutes=240,
    fail_after_minutes=480,
    calendar=BusinessCalendar.build(
        time_zone="UTC", week={d: [["09:00", "18:00"]] for d in ("mon", "tue", "wed", "thu", "fri")}
    ),
)
# Across clock changes and Italian holidays.
ROME = BusinessCalendar.build(
    time_zone="Europe/Rome",
    week={d: [["08:30", "13:00"], ["14:00", "18:00"]] for d in ("mon", "tue", "wed", "thu", "fri")}
    | {"sun": [["00:00", "06:00"]]},
    holiday_country="IT",
)
FIRST = engine.ItemSpec(
    id=uuid.uuid4(),
    name="first",
    kpi="first_response",
    conditions=[],
    warn_after_minutes=60,
    fail_after_minutes=120,
)
SLA = engine.SlaSpec(
    id=uuid.uuid4(),
    pause_statuses=frozenset({"on_hold", "waiting_for_details"}),
    items=(FIRST, URGENT, NORMAL),
)


@dataclass
class Sim:
    """A case and its stored instances, written as the pipeline's step writes them."""

    now: dt.datetime = T0
    state: str = "active"
    status: str = "in_progress"
    priority: str = "normal"
    first_response_at: dt.datetime | None = None
    resolved_at: dt.datetime | None = None
    rows: dict[uuid.UUID, engine.Instance] = field(default_factory=dict)
    history: list[engine.Instance] = field(default_factory=list)

    def facts(self) -> engine.CaseFacts:
        return engine.CaseFacts(
            values={"priority": self.priority},
            state=self.state,
            status=self.status,
            created_at=T0,
            first_response_at=self.first_response_at,
            resolved_at=self.resolved_at,
        )

    def in_force(self) -> list[engine.Instance]:
        return [i for i in self.rows.values() if i.in_force]

    def write(self, write: engine.WriteFacts) -> engine.Decision:
        decision = engine.decide(
            case=self.facts(), write=write, sla=SLA, instances=self.in_force(), now=self.now
        )
        for new in decision.updated:
            assert new.id is not None
            assert new.version == self.rows[new.id].version + 1
            self.rows[new.id] = new
        for new in decision.started:
            stored = replace(new, id=uuid.uuid4())
            self.rows[stored.id] = stored  # type: ignore[index]
        return decision


def test_a_new_case_starts_one_instance_a_kpi_from_its_creation() -> None:
    sim = Sim()
    decision = sim.write(engine.WriteFacts(created=True))
    assert {(i.kpi, i.item_name) for i in decision.started} == {
        ("first_response", "first"),
        ("resolve", "normal"),
    }
    resolve = next(i for i in decision.started if i.kpi == "resolve")
    assert resolve.started_at == T0
    assert resolve.failure_at == T0 + dt.timedelta(hours=8)  # 09:00 + 8 working hours
    assert resolve.due_at == resolve.warning_at


def test_the_first_matching_item_gives_the_instance() -> None:
    sim = Sim(priority="high")
    decision = sim.write(engine.WriteFacts(created=True))
    assert {i.item_name for i in decision.started if i.kpi == "resolve"} == {"urgent"}


def test_no_sla_cancels_the_instances_in_force() -> None:
    sim = Sim()
    sim.write(engine.WriteFacts(created=True))
    decision = engine.decide(
        case=sim.facts(), write=engine.WriteFacts(), sla=None, instances=sim.in_force(), now=T0
    )
    assert {i.status for i in decision.updated} == {KpiStatus.CANCELLED}
    assert decision.in_force == []


def test_met_after_the_failure_fired_is_noncompliant() -> None:
    sim = Sim()
    sim.write(engine.WriteFacts(created=True))
    for key, row in list(sim.rows.items()):
        sim.rows[key] = replace(
            row, status=KpiStatus.NONCOMPLIANT, warned_at=T0, failed_at=T0, due_at=None
        )
    sim.now = T0 + MINUTE
    sim.state, sim.status, sim.resolved_at = "resolved", "problem_solved", sim.now
    sim.write(engine.WriteFacts())
    assert {i.status for i in sim.in_force()} == {KpiStatus.NONCOMPLIANT}
    assert all(i.succeeded_at == sim.now and i.due_at is None for i in sim.in_force())


def test_a_case_created_resolved_gets_met_instances_that_fire_nothing() -> None:
    sim = Sim(state="resolved", status="problem_solved", resolved_at=T0 + dt.timedelta(days=9))
    decision = sim.write(engine.WriteFacts(created=True))
    assert {i.status for i in decision.started} == {KpiStatus.NONCOMPLIANT}
    assert all(i.due_at is None for i in decision.started)


def test_sla_choice_prefers_an_active_entitlement_sla() -> None:
    own, default = uuid.uuid4(), uuid.uuid4()
    kwargs: dict[str, Any] = {"current": None, "default": default, "rechoose": True}
    assert engine.sla_choice(entitlement_sla=own, active={own, default}, **kwargs) == own
    assert engine.sla_choice(entitlement_sla=own, active={default}, **kwargs) == default
    assert (
        engine.sla_choice(entitlement_sla=None, active=set(), **(kwargs | {"default": None}))
        is None
    )
    kept = uuid.uuid4()
    assert (
        engine.sla_choice(
            current=kept, entitlement_sla=own, active={own}, default=None, rechoose=False
        )
        == kept
    )


# A write of the case: what it changes, and how much time passed before it.
OPS = st.sampled_from(
    [
        "hold",
        "wait",
        "work",
        "high",
        "normal",
        "first_response",
        "resolve",
        "reactivate",
        "cancel",
        "note",
        "fire",
    ]
)
STEPS = st.lists(st.tuples(OPS, st.integers(min_value=0, max_value=3 * 24 * 60)), max_size=14)


def _apply(sim: Sim, op: str) -> engine.WriteFacts:
    """Change the simulated case as the services would; the write facts of the change."""
    active = sim.state == "active"
    if op in ("hold", "wait", "work") and active:
        sim.status = {"hold": "on_hold", "wait": "waiting_for_details", "work": "in_progress"}[op]
        return engine.WriteFacts(changed=frozenset({"status"}))
    if op in ("high", "normal") and active:
        sim.priority = op
        return engine.WriteFacts(changed=frozenset({"priority"}))
    if op == "first_response" and active and sim.first_response_at is None:
        sim.first_response_at = sim.now
        return engine.WriteFacts(changed=frozenset({"first_response_at"}))
    if op == "resolve" and active:
        sim.state, sim.status, sim.resolved_at = "resolved", "problem_solved", sim.now
        return engine.WriteFacts(changed=frozenset({"state", "status", "resolved_at"}))
    if op == "cancel" and active:
        sim.state, sim.status = "cancelled", "cancelled"
        return engine.WriteFacts(changed=frozenset({"state", "status"}))
    if op == "reactivate" and not active:
        sim.state, sim.status, sim.resolved_at = "active", "in_progress", None
        return engine.WriteFacts(reactivated=True, changed=frozenset({"state", "status"}))
    if op == "fire":  # the timers: whatever is due fires
        for key, row in list(sim.rows.items()):
            if row.due_at is not None and row.due_at <= sim.now:
                if row.warned_at is None:
                    row = replace(row, warned_at=sim.now, status=KpiStatus.NEARING_NONCOMPLIANCE)
                if row.failure_at <= sim.now and row.failed_at is None:
                    row = replace(row, failed_at=sim.now)
                    if row.succeeded_at is None:
                        row = replace(row, status=KpiStatus.NONCOMPLIANT)
                sim.rows[key] = replace(
                    row,
                    due_at=engine.next_due(
                        status=row.status,
                        in_force=row.in_force,
                        warning_at=row.warning_at,
                        failure_at=row.failure_at,
                        warned_at=row.warned_at,
                        failed_at=row.failed_at,
                    ),
                )
    return engine.WriteFacts()


def _check(sim: Sim) -> None:
    in_force = sim.in_force()
    kpis = [i.kpi for i in in_force]
    assert len(kpis) == len(set(kpis)), "one instance in force a KPI"
    for row in sim.rows.values():
        assert row.warning_at <= row.failure_at
        assert (row.paused_since is not None) == (row.status == KpiStatus.PAUSED)
        assert row.status != KpiStatus.CANCELLED or not row.in_force
        if row.due_at is not None:
            assert row.in_force and row.status != KpiStatus.PAUSED
    if sim.state == "cancelled":
        assert all(i.succeeded_at is not None for i in in_force)
    if sim.state == "active":
        assert {"first_response", "resolve"} <= set(kpis) or sim.first_response_at is not None
        assert "resolve" in kpis
    if sim.state == "resolved":
        assert all(i.succeeded_at is not None for i in in_force)
    for row in in_force:
        if row.status == KpiStatus.SUCCEEDED:
            assert row.succeeded_at is not None and row.succeeded_at < row.failure_at


@given(STEPS)
def test_any_sequence_of_writes_keeps_the_instances_consistent(
    steps: list[tuple[str, int]],
) -> None:
    sim = Sim()
    sim.write(engine.WriteFacts(created=True))
    _check(sim)
    paused: dict[uuid.UUID, int] = {}
    for op, minutes in steps:
        sim.now += dt.timedelta(minutes=minutes)
        facts = _apply(sim, op)
        sim.write(facts)
        _check(sim)
        for key, row in sim.rows.items():
            assert row.paused_seconds >= paused.get(key, 0), "paused time never shrinks"
            paused[key] = row.paused_seconds
        again = engine.decide(
            case=sim.facts(),
            write=engine.WriteFacts(),
            sla=SLA,
            instances=sim.in_force(),
            now=sim.now,
        )
        assert again.updated == [], "a second look at the same moment changes nothing"
        assert again.started == []


@given(st.integers(min_value=1, max_value=5 * 24 * 60), st.integers(min_value=0, max_value=600))
def test_a_pause_pushes_the_failure_by_the_working_time_paused(
    before: int, paused_minutes: int
) -> None:
    sim = Sim()
    sim.write(engine.WriteFacts(created=True))
    resolve = next(i for i in sim.in_force() if i.kpi == "resolve")
    sim.now += dt.timedelta(minutes=before)
    sim.status = "on_hold"
    sim.write(engine.WriteFacts(changed=frozenset({"status"})))
    start = sim.now
    sim.now += dt.timedelta(minutes=paused_minutes)
    sim.status = "in_progress"
    sim.write(engine.WriteFacts(changed=frozenset({"status"})))
    after = sim.rows[resolve.id]  # type: ignore[index]
    if start >= resolve.failure_at:  # a breached instance does not pause
        assert after.paused_seconds == 0
        return
    worked = NORMAL.calendar.business_minutes_between(start, sim.now)
    assert after.paused_seconds == round(worked * 60)
    assert after.failure_at == NORMAL.calendar.add_business_minutes(
        T0, 480 + after.paused_seconds / 60
    )


@given(
    st.datetimes(
        min_value=dt.datetime(2026, 1, 1),
        max_value=dt.datetime(2027, 12, 31),
        timezones=st.just(dt.UTC),
    ),
    st.integers(min_value=0, max_value=5000),
    st.integers(min_value=0, max_value=5000),
    st.integers(min_value=0, max_value=50_000),
)
def test_the_failure_counted_on_from_the_warning_is_the_failure_counted_from_the_start(
    start: dt.datetime, warn: int, extra: int, paused_seconds: int
) -> None:
    item = replace(NORMAL, warn_after_minutes=warn, fail_after_minutes=warn + extra, calendar=ROME)
    warning_at, failure_at = item.times(start, paused_seconds)
    paused = paused_seconds / 60
    assert warning_at == ROME.add_business_minutes(start, warn + paused)
    assert failure_at == ROME.add_business_minutes(start, warn + extra + paused)
