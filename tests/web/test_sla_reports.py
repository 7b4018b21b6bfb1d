"""What managers read of the service levels (docs/service-levels.md#reports): compliance over
a period by priority and by queue, and the KPIs nearest a breach with their working time left;
on the dashboard, in both languages."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client

from casedesk.core import clock
from casedesk.routing.services import items, queues
from casedesk.sla import reports
from casedesk.sla.models import Calendar, KpiInstance, SlaItem
from tests.support.sla_timers import instance_make, sla_make

pytestmark = pytest.mark.django_db


@pytest.fixture
def item(db: None) -> SlaItem:
    return sla_make()  # resolve: warning after 60 minutes, failure after 120


def _instance(case: Any, item: SlaItem, status: str, **times: Any) -> KpiInstance:
    """Started three hours ago (so past its failure time unless told otherwise)."""
    times.setdefault("failure_at", clock.now() - dt.timedelta(hours=1))
    return instance_make(
        case,
        item,
        started_at=clock.now() - dt.timedelta(hours=3),
        status=status,
        in_force=status != "cancelled",
        **times,
    )


def test_compliance_counts_met_and_missed_by_priority_and_queue(
    item: SlaItem, make_case: Callable[..., Any], agent: Any, manager: Any
) -> None:
    now = clock.now()
    queue = queues.queue_create(actor=manager, name="Tier 1")
    high = make_case(priority="high")
    items.queue_item_add(actor=agent, case_id=high.pk, queue_id=queue.pk)
    _instance(high, item, "succeeded", succeeded_at=now - dt.timedelta(days=2))
    _instance(make_case(priority="high"), item, "noncompliant")
    _instance(make_case(priority="low"), item, "succeeded", succeeded_at=now)
    # Outside the period, still running, or cancelled: not counted.
    _instance(
        make_case(priority="low"), item, "succeeded", succeeded_at=now - dt.timedelta(days=40)
    )
    _instance(make_case(), item, "in_progress", failure_at=now + dt.timedelta(hours=1))
    _instance(make_case(), item, "cancelled")
    since, until = now - dt.timedelta(days=30), now + dt.timedelta(seconds=1)
    by_priority = {
        c.key: (c.met, c.missed)
        for c in reports.compliance(since=since, until=until, by="priority", viewer=manager)
    }
    assert by_priority == {"high": (1, 1), "normal": (0, 0), "low": (1, 0)}
    by_queue = {
        c.label: (c.met, c.missed)
        for c in reports.compliance(since=since, until=until, by="queue", viewer=manager)
    }
    assert by_queue == {"Tier 1": (1, 0), "": (1, 1)}


def test_nearing_breach_lists_the_nearest_first_with_working_time_left(
    item: SlaItem, make_case: Callable[..., Any]
) -> None:
    now = clock.now()
    later = _instance(
        make_case(title="Later"), item, "in_progress", failure_at=now + dt.timedelta(hours=5)
    )
    overdue = _instance(
        make_case(title="Overdue"),
        item,
        "nearing_noncompliance",
        failure_at=now - dt.timedelta(minutes=30),
    )
    _instance(make_case(title="Far"), item, "in_progress", failure_at=now + dt.timedelta(days=3))
    found = reports.nearing_breach(now=now, within=dt.timedelta(hours=8), limit=10)
    assert [i.pk for i in found] == [overdue.pk, later.pk]
    left = reports.TimeLeft()
    assert left.of(overdue, now) == dt.timedelta(minutes=-30)
    assert left.of(later, now) == dt.timedelta(hours=5)


def test_nearing_breach_reads_the_running_index_on_sqlite(
    item: SlaItem, make_case: Callable[..., Any]
) -> None:
    """SQLite uses the partial index of running instances only when the statuses are written
    into the SQL; with bound values it scanned every case (docs/performance.md)."""
    from django.db import connection

    from tests.support import skips

    skips.engine_only("sqlite", "SQLite's choice of a partial index")
    _instance(make_case(), item, "in_progress", failure_at=clock.now() + dt.timedelta(hours=1))
    now, within = clock.now(), dt.timedelta(hours=8)
    assert len(reports.nearing_breach(now=now, within=within, limit=10)) == 1
    # The statement as it is sent, its values bound: SQLite plans it without seeing them.
    query = reports.nearing_breach_query(now=now, within=within, limit=10)
    sql, params = query.query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN QUERY PLAN " + sql, params)
        plan = " ".join(str(row[-1]) for row in cursor.fetchall())
    assert "kpi_instance_running_idx" in plan, plan


def test_time_left_counts_working_time_on_the_items_calendar(
    item: SlaItem, make_case: Callable[..., Any]
) -> None:
    now = clock.now()
    item.calendar = Calendar.objects.create(
        name="Office",
        time_zone="Europe/Rome",
        week={d: [["09:00", "10:00"]] for d in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")},
        created_at=now,
        modified_at=now,
    )
    item.save()
    instance = _instance(make_case(), item, "in_progress", failure_at=now + dt.timedelta(days=3))
    instance.item = item
    left = reports.TimeLeft().of(instance, now)
    assert dt.timedelta(hours=2) <= left <= dt.timedelta(hours=3)


def test_the_dashboard_shows_compliance_and_the_cases_nearing_a_breach(
    item: SlaItem,
    make_case: Callable[..., Any],
    web: Callable[..., Client],
    agent: Any,
    fake_clock: Any,
) -> None:
    now = clock.now()
    case = make_case(title="Server room too hot")
    _instance(case, item, "nearing_noncompliance", failure_at=now + dt.timedelta(minutes=90))
    _instance(make_case(), item, "succeeded", succeeded_at=now)
    page = web(agent, language="it").get("/").content.decode()
    assert "Livelli di servizio: ultimi 30 giorni" in page
    assert "100%" in page
    assert (
        "Server room too hot" in page and "mancano 1 h 29 min" in page
    ) or "mancano 1 h 30 min" in page


def test_the_case_header_shows_each_kpi_with_its_working_time_left(
    make_case: Callable[..., Any],
    web: Callable[..., Client],
    agent: Any,
    fake_clock: Any,
) -> None:
    from tests.support.sla import make_sla

    make_sla()  # the default: first response in 120 min, resolution in 960, 24x7
    case = make_case()
    fake_clock.advance(30 * 60)
    page = web(agent, language="en").get(f"/cases/{case.pk}/").content.decode()
    assert (
        'data-kpi="first_response"' in page and "First response:\n        1 h 30 min left" in page
    )
    assert "Resolution:\n        15 h 30 min left" in page
    fake_clock.advance(100 * 60)
    italian = web(agent, language="it").get(f"/cases/{case.pk}/").content.decode()
    assert "in ritardo di 10 min" in italian
