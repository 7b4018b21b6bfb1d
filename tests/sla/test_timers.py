"""The service-level timers (docs/service-levels.md#timers): each warning and failure fires
once when due, with its actions and its event, in one transaction."""

from __future__ import annotations

import datetime as dt
import io
import uuid
from collections.abc import Iterator, Sequence
from typing import Any

import pytest
from django.core.management import call_command

from casedesk.cases.models import Case
from casedesk.core.models import AuditEntry
from casedesk.directory.access import SYSTEM
from casedesk.directory.models import Team, User
from casedesk.events.models import Event
from casedesk.routing.checks import queue_item_counters_match_the_items
from casedesk.routing.counters import open_item_count
from casedesk.routing.models import QueueItem
from casedesk.routing.services.queues import queue_create
from casedesk.sla.choices import KpiStatus
from casedesk.sla.hooks import Firing, sla_firing_hook_add, sla_firing_hook_remove
from casedesk.sla.models import KpiInstance
from casedesk.sla.services.timers import sla_tick
from tests.conftest import FakeClock
from tests.support.sla_timers import case_make, instance_make, sla_make

pytestmark = pytest.mark.django_db


def minutes(n: float) -> float:
    return n * 60


def sla_events(case: Case) -> list[Event]:
    return list(Event.objects.filter(case_id=case.pk, type__startswith="sla.").order_by("id"))


def event_types(case: Case) -> list[str]:
    return list(Event.objects.filter(case_id=case.pk).order_by("id").values_list("type", flat=True))


@pytest.fixture
def fired() -> Iterator[list[Firing]]:
    """The firings handed to the hook, as the notifications app would receive them."""
    seen: list[Firing] = []

    def hook(firings: Sequence[Firing]) -> None:
        seen.extend(firings)

    sla_firing_hook_add(hook)
    yield seen
    sla_firing_hook_remove(hook)


def test_the_warning_fires_once_when_its_time_has_passed(fake_clock: FakeClock, agent: Any) -> None:
    item = sla_make(warn=60, fail=120)
    case = case_make(owner=agent)
    instance = instance_make(case, item)

    fake_clock.advance(minutes(59))
    assert sla_tick().warnings == 0
    fake_clock.advance(minutes(1))
    first = sla_tick()
    fake_clock.advance(minutes(10))
    second = sla_tick()

    assert (first.warnings, first.failures, second.warnings, second.failures) == (1, 0, 0, 0)
    instance.refresh_from_db()
    assert instance.status == KpiStatus.NEARING_NONCOMPLIANCE
    assert instance.warned_at == instance.warning_at
    assert instance.due_at == instance.failure_at
    [event] = sla_events(case)
    assert event.type == "sla.warning"
    assert event.data == {
        "kpi": "resolve",
        "item": "Standard",
        "instance_id": str(instance.pk),
        "status": "nearing_noncompliance",
        "warning_at": instance.warning_at.isoformat(),
        "actions": [],
    }
    case.refresh_from_db()
    assert case.sla_status == KpiStatus.NEARING_NONCOMPLIANCE


def test_the_failure_fires_once_after_the_warning(fake_clock: FakeClock, agent: Any) -> None:
    item = sla_make(warn=60, fail=120)
    case = case_make(owner=agent)
    instance = instance_make(case, item)
    version = case.version

    fake_clock.advance(minutes(61))
    sla_tick()
    fake_clock.advance(minutes(60))
    result = sla_tick()
    again = sla_tick()

    assert (result.warnings, result.failures, again.failures) == (0, 1, 0)
    instance.refresh_from_db()
    assert instance.status == KpiStatus.NONCOMPLIANT
    assert instance.failed_at is not None and instance.due_at is None
    assert [e.type for e in sla_events(case)] == ["sla.warning", "sla.failure"]
    assert sla_events(case)[1].data["failure_at"] == instance.failure_at.isoformat()
    case.refresh_from_db()
    # The derived column moves without a new version of the case.
    assert case.sla_status == KpiStatus.NONCOMPLIANT and case.version == version


def test_both_fire_once_each_when_both_are_overdue(
    fake_clock: FakeClock, agent: Any, fired: list[Firing]
) -> None:
    item = sla_make(warn=60, fail=120)
    case = case_make(owner=agent)
    instance = instance_make(case, item)

    fake_clock.advance(minutes(600))  # the worker was down for hours
    result = sla_tick()
    again = sla_tick()

    assert (result.warnings, result.failures, again.examined) == (1, 1, 0)
    assert [e.type for e in sla_events(case)] == ["sla.warning", "sla.failure"]
    assert [(f.kind, f.instance_id) for f in fired] == [
        ("warning", instance.pk),
        ("failure", instance.pk),
    ]
    instance.refresh_from_db()
    assert instance.status == KpiStatus.NONCOMPLIANT and instance.due_at is None


@pytest.mark.parametrize(
    "status, in_force",
    [
        (KpiStatus.PAUSED, True),
        (KpiStatus.SUCCEEDED, True),
        (KpiStatus.CANCELLED, False),
        (KpiStatus.IN_PROGRESS, False),
    ],
)
def test_an_instance_paused_or_ended_fires_nothing_when_its_times_pass(
    fake_clock: FakeClock, agent: Any, status: str, in_force: bool
) -> None:
    item = sla_make(warn=60, fail=120)
    case = case_make(owner=agent)
    # A stale due time as well: the timers still fire nothing, and stop looking.
    instance = instance_make(case, item, status=status, in_force=in_force, due_at=None)
    stale = instance_make(
        case_make(owner=agent), item, status=status, in_force=in_force, due_at=fake_clock.now()
    )

    fake_clock.advance(minutes(600))
    result = sla_tick()

    assert (result.warnings, result.failures) == (0, 0)
    assert result.examined == 1  # only the stale one was read
    for one in (instance, stale):
        one.refresh_from_db()
        assert one.status == status and one.warned_at is None and one.failed_at is None
        assert one.due_at is None
    assert Event.objects.filter(type__startswith="sla.").count() == 0


def test_a_noncompliant_instance_stays_noncompliant_when_its_warning_fires_late(
    fake_clock: FakeClock, agent: Any
) -> None:
    item = sla_make(warn=60, fail=120)
    instance = instance_make(case_make(owner=agent), item, status=KpiStatus.NONCOMPLIANT)

    fake_clock.advance(minutes(61))
    sla_tick()

    instance.refresh_from_db()
    assert instance.status == KpiStatus.NONCOMPLIANT and instance.warned_at is not None


def test_set_priority_is_a_case_write_of_the_system_audited_with_its_event(
    fake_clock: FakeClock, agent: Any
) -> None:
    item = sla_make(on_warning=[{"type": "set_priority", "value": "high"}])
    case = case_make(owner=agent, priority="normal")
    instance_make(case, item)

    fake_clock.advance(minutes(61))
    sla_tick()

    updated = Case.objects.get(pk=case.pk)
    assert updated.priority == "high" and updated.version == case.version + 1
    audit = AuditEntry.objects.filter(entity_id=case.pk, action="update").get()
    assert audit.actor_id is None and audit.channel == "system"
    assert audit.changes["priority"] == ["normal", "high"]
    types = event_types(case)
    assert types == ["case.created", "sla.warning", "case.updated"]
    [warning] = sla_events(case)
    assert warning.data["actions"] == [{"type": "set_priority", "value": "high", "ran": True}]


def test_set_priority_to_the_priority_the_case_has_changes_nothing(
    fake_clock: FakeClock, agent: Any
) -> None:
    item = sla_make(on_warning=[{"type": "set_priority", "value": "high"}])
    case = case_make(owner=agent, priority="high")
    instance_make(case, item)

    fake_clock.advance(minutes(61))
    sla_tick()

    assert Case.objects.get(pk=case.pk).version == case.version
    [warning] = sla_events(case)
    assert warning.data["actions"][0] | {} == {
        "type": "set_priority",
        "value": "high",
        "ran": False,
        "reason": "unchanged",
    }


def test_the_queue_action_moves_the_case_and_is_a_case_queued_event(
    fake_clock: FakeClock, agent: Any
) -> None:
    escalations = queue_create(actor=SYSTEM, name="Escalations")
    item = sla_make(on_failure=[{"type": "queue", "queue_id": str(escalations.pk)}])
    case = case_make(owner=agent)
    instance_make(case, item)

    fake_clock.advance(minutes(121))
    sla_tick()

    placed = QueueItem.objects.get(case_id=case.pk, state="open")
    assert placed.queue_id == escalations.pk
    assert open_item_count(queue_id=escalations.pk) == 1
    assert list(queue_item_counters_match_the_items()) == []
    types = event_types(case)
    assert types == ["case.created", "sla.warning", "sla.failure", "case.queued"]
    failure = sla_events(case)[1]
    assert failure.data["actions"] == [
        {"type": "queue", "queue_id": str(escalations.pk), "ran": True}
    ]


def test_actions_on_a_case_no_longer_active_are_skipped_and_the_event_says_so(
    fake_clock: FakeClock, agent: Any
) -> None:
    from casedesk.cases.services.lifecycle import case_cancel

    escalations = queue_create(actor=SYSTEM, name="Escalations")
    item = sla_make(
        on_warning=[
            {"type": "set_priority", "value": "high"},
            {"type": "queue", "queue_id": str(escalations.pk)},
        ]
    )
    case = case_make(owner=agent)
    instance_make(case, item)
    case_cancel(actor=SYSTEM, case_id=case.pk)  # the engine would cancel the KPI; here it lags
    version = Case.objects.get(pk=case.pk).version

    fake_clock.advance(minutes(61))
    sla_tick()

    after = Case.objects.get(pk=case.pk)
    assert after.version == version and after.priority == "normal"
    [warning] = sla_events(case)
    assert [(a["type"], a["ran"], a.get("reason")) for a in warning.data["actions"]] == [
        ("set_priority", False, "case_not_active"),
        ("queue", False, "case_not_active"),
    ]


def test_notify_names_the_owner_the_managers_of_their_teams_and_the_queue_members(
    fake_clock: FakeClock, make_user: Any, fired: list[Firing]
) -> None:
    owner = make_user("agent", teams=["Tier 1"])
    boss = make_user("manager", teams=["Tier 1"])
    make_user("agent", teams=["Tier 1"])  # a colleague, not a manager
    make_user("manager", teams=["Tier 2"])  # a manager of another team
    gone = make_user("manager", teams=["Tier 1"])
    User.objects.filter(pk=gone.pk).update(is_active=False)  # deactivated
    watcher = make_user("agent")
    queue = queue_create(actor=SYSTEM, name="Front desk", member_ids=[watcher.pk])
    item = sla_make(
        on_warning=[{"type": "notify", "to": "owner"}],
        on_failure=[{"type": "notify", "to": "manager"}, {"type": "notify", "to": "queue_members"}],
    )
    case = case_make(owner=owner)
    QueueItem.objects.create(
        queue=queue, case=case, state="open", entered_on=fake_clock.now(), version=1
    )
    instance = instance_make(case, item)

    fake_clock.advance(minutes(121))
    sla_tick()

    assert [(f.kind, set(f.recipients)) for f in fired] == [
        ("warning", {owner.pk}),
        ("failure", {boss.pk, watcher.pk}),
    ]
    assert gone.pk not in fired[1].recipients
    assert fired[0].instance_id == instance.pk and fired[0].case_id == case.pk
    assert fired[0].kpi == "resolve" and fired[0].item_name == "Standard"
    assert fired[0].at == instance.warning_at and fired[1].at == instance.failure_at
    failure = sla_events(case)[1]
    assert failure.data["actions"][0]["recipients"] == sorted(str(u) for u in fired[1].recipients)


def test_notify_the_owner_of_a_team_case_names_its_members(
    fake_clock: FakeClock, make_user: Any, fired: list[Firing]
) -> None:
    one = make_user("agent", teams=["Billing"])
    lead = make_user("manager", teams=["Billing"])
    make_user("agent", teams=["Other"])
    team = Team.objects.get(name="Billing")
    item = sla_make(
        on_warning=[{"type": "notify", "to": "owner"}],
        on_failure=[{"type": "notify", "to": "manager"}],
    )
    instance_make(case_make(owner=team), item)

    fake_clock.advance(minutes(121))
    sla_tick()

    assert [set(f.recipients) for f in fired] == [{one.pk, lead.pk}, {lead.pk}]


def test_a_firing_that_fails_after_its_event_was_written_leaves_nothing(
    fake_clock: FakeClock, agent: Any
) -> None:
    item = sla_make(on_warning=[{"type": "set_priority", "value": "high"}])
    case = case_make(owner=agent)
    instance = instance_make(case, item)

    def broken(firings: Sequence[Firing]) -> None:
        raise RuntimeError("the notifications table is gone")

    sla_firing_hook_add(broken)
    fake_clock.advance(minutes(61))
    try:
        result = sla_tick()
    finally:
        sla_firing_hook_remove(broken)

    assert (result.warnings, result.errors) == (0, 1)
    instance.refresh_from_db()
    assert instance.warned_at is None and instance.status == KpiStatus.IN_PROGRESS
    assert instance.due_at == instance.warning_at
    assert sla_events(case) == []
    assert Case.objects.get(pk=case.pk).priority == "normal"
    # Once the cause is gone the warning fires, once.
    assert sla_tick().warnings == 1
    assert sla_tick().warnings == 0


def test_one_instance_that_cannot_fire_does_not_hold_up_the_others(
    fake_clock: FakeClock, agent: Any
) -> None:
    item = sla_make()
    start = fake_clock.now()
    # The broken one is the oldest: every batch meets it first.
    poison = instance_make(case_make(owner=agent), item, started_at=start - dt.timedelta(hours=1))
    others = [instance_make(case_make(owner=agent), item) for _ in range(4)]

    def broken(firings: Sequence[Firing]) -> None:
        if any(f.instance_id == poison.pk for f in firings):
            raise RuntimeError("a bug that only this instance meets")

    sla_firing_hook_add(broken)
    fake_clock.advance(minutes(61))
    try:
        result = sla_tick(batch=2)
    finally:
        sla_firing_hook_remove(broken)

    assert (result.warnings, result.errors, result.more) == (4, 1, False)
    assert all(KpiInstance.objects.get(pk=o.pk).warned_at for o in others)
    poison.refresh_from_db()
    assert poison.warned_at is None and poison.due_at is not None


def test_a_tick_stops_at_its_limit_and_says_more_are_due(fake_clock: FakeClock, agent: Any) -> None:
    item = sla_make()
    for _ in range(5):
        instance_make(case_make(owner=agent), item)

    fake_clock.advance(minutes(61))
    first = sla_tick(limit=3, batch=2)
    second = sla_tick(limit=3, batch=2)

    assert (first.examined, first.warnings, first.more) == (3, 3, True)
    assert (second.examined, second.warnings, second.more) == (2, 2, False)


def test_due_instances_fire_oldest_first_across_batches(fake_clock: FakeClock, agent: Any) -> None:
    item = sla_make(warn=60, fail=120)
    start = fake_clock.now()
    made = [
        instance_make(case_make(owner=agent), item, started_at=start - dt.timedelta(minutes=n))
        for n in range(4)
    ]

    fake_clock.advance(minutes(59))
    result = sla_tick(limit=2, batch=1)

    assert result.warnings == 2
    warned = set(KpiInstance.objects.filter(warned_at__isnull=False).values_list("id", flat=True))
    assert warned == {made[3].pk, made[2].pk}


def test_the_tick_runs_every_30_seconds_in_the_worker() -> None:
    from casedesk.jobs.schedule import periodic_all
    from casedesk.sla.tasks import sla_tick_task

    [periodic] = [p for p in periodic_all() if p.name == "sla.tick"]
    assert periodic.task is sla_tick_task
    assert periodic.every == dt.timedelta(seconds=30)


def test_the_job_enqueues_itself_again_when_more_are_due(
    fake_clock: FakeClock, agent: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from django_tasks_db.models import DBTaskResult

    from casedesk.sla import tasks
    from casedesk.sla.services import timers

    item = sla_make()
    for _ in range(3):
        instance_make(case_make(owner=agent), item)
    fake_clock.advance(minutes(61))
    monkeypatch.setattr(timers, "RUN_LIMIT", 2)
    monkeypatch.setattr(tasks, "sla_tick", lambda: timers.sla_tick(limit=2))

    answer = tasks.sla_tick_task.call()

    assert answer["warnings"] == 2 and answer["more"] is True
    assert DBTaskResult.objects.filter(task_path=tasks.sla_tick_task.module_path).count() == 1


def test_the_command_line_tick_prints_what_fired(fake_clock: FakeClock, agent: Any) -> None:
    item = sla_make(warn=60, fail=120)
    instance_make(case_make(owner=agent), item)
    instance_make(case_make(owner=agent), item, started_at=fake_clock.now() - dt.timedelta(hours=3))
    out = io.StringIO()

    call_command("sla", "tick", stdout=out)

    assert out.getvalue().strip() == "warnings: 1, failures: 1"


def test_unknown_actions_and_queues_are_recorded_as_not_run(
    fake_clock: FakeClock, agent: Any
) -> None:
    item = sla_make(
        on_warning=[
            {"type": "queue", "queue_id": str(uuid.uuid4())},
            {"type": "set_priority", "value": "sky-high"},
            {"type": "teleport"},
        ]
    )
    case = case_make(owner=agent)
    instance_make(case, item)

    fake_clock.advance(minutes(61))
    sla_tick()

    [warning] = sla_events(case)
    assert [a.get("reason") for a in warning.data["actions"]] == [
        "no_such_queue",
        "invalid_value",
        "unknown_action",
    ]


def test_metrics_show_the_timers_backlog_and_how_late_it_is(
    fake_clock: FakeClock, agent: Any
) -> None:
    from casedesk.core.observability import metrics

    item = sla_make(warn=60, fail=120)
    instance_make(case_make(owner=agent), item)
    instance_make(case_make(owner=agent), item)
    fake_clock.advance(minutes(61))

    late = metrics.exposition()[0].decode()
    sla_tick()
    caught_up = metrics.exposition()[0].decode()

    assert "casedesk_sla_timers_due 2.0" in late
    assert "casedesk_sla_timers_oldest_due_seconds 60.0" in late
    assert "casedesk_sla_timers_due 0.0" in caught_up
    assert "casedesk_sla_timers_oldest_due_seconds 0.0" in caught_up


def test_a_firing_notifies_in_the_app_and_a_failure_by_e_mail_settings_allowing(
    fake_clock: FakeClock, make_user: Any
) -> None:
    from casedesk.notifications.models import Notification

    owner = make_user("agent", teams=["Tier 1"])
    boss = make_user("manager", teams=["Tier 1"])
    item = sla_make(
        on_warning=[{"type": "notify", "to": "owner"}],
        on_failure=[{"type": "notify", "to": "manager"}],
    )
    case = case_make(owner=owner)
    instance_make(case, item)
    fake_clock.advance(minutes(121))
    sla_tick()
    sla_tick()  # nothing more: each firing notifies once
    notes = list(
        Notification.objects.filter(case_id=case.pk, kind__startswith="sla_").order_by("kind")
    )
    assert [(n.recipient_id, n.kind) for n in notes] == [
        (boss.pk, "sla_failure"),
        (owner.pk, "sla_warning"),
    ]
