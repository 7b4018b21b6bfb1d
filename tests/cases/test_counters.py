"""The case counters follow every case write, and `casedesk check` catches a wrong one."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from casedesk.cases import checks, counters, selectors
from casedesk.cases.fields import Ref
from casedesk.cases.models import Case, CaseCount, CaseDayCount
from casedesk.cases.services import imports
from casedesk.cases.services.assignment import case_assign
from casedesk.core.invariants import registered
from casedesk.customers.services import account_create
from tests.cases.support import resolve
from tests.conftest import Api

pytestmark = pytest.mark.django_db


def exact() -> None:
    """The counters equal the case table's counts."""
    assert list(checks.counters_match_the_cases()) == []


def active(**kw: Any) -> int:
    return counters.case_count(state="active", **kw)


def test_the_counter_check_is_registered() -> None:
    assert "case_counters_match_the_cases" in {name for name, _ in registered()}


def test_a_new_case_is_counted_by_state_status_priority_owner_and_day(
    new_case: Any, agent: Any
) -> None:
    case = new_case(priority="high")
    exact()
    assert active() == 1
    assert active(owner_type="user", owner_id=agent.pk) == 1
    assert counters.case_count(state="active", priority="high") == 1
    assert selectors.active_case_counts(by="priority") == {"high": 1}
    created = Case.objects.get(pk=case["id"]).created_at
    assert selectors.case_counts_per_day(field="created_at", since=created.date()) == {
        counters.day_of(created): 1
    }


def test_updates_move_the_case_between_keys(agent_api: Api, new_case: Any) -> None:
    case = new_case()
    response = agent_api.patch(
        f"/api/v1/cases/{case['id']}", {"status": "on_hold", "priority": "low"}
    )
    assert response.status_code == 200, response.content
    exact()
    assert selectors.active_case_counts(by="status") == {"on_hold": 1}
    assert selectors.active_case_counts(by="priority") == {"low": 1}


def test_assigning_moves_the_count_to_the_new_owner(
    new_case: Any, agent: Any, manager: Any
) -> None:
    case = new_case()
    case_assign(actor=manager, case_id=case["id"], owner=Ref("user", manager.pk))
    exact()
    assert active(owner_type="user", owner_id=agent.pk) == 0
    assert active(owner_type="user", owner_id=manager.pk) == 1


def test_resolve_reactivate_cancel_and_merge_are_counted(agent_api: Api, new_case: Any) -> None:
    first, second, third = new_case(), new_case(), new_case()
    assert resolve(agent_api, first["id"]).status_code == 200
    exact()
    assert counters.case_count(state="resolved") == 1
    resolved_at = Case.objects.get(pk=first["id"]).resolved_at
    day = counters.day_of(resolved_at)
    assert day is not None
    assert selectors.case_counts_per_day(field="resolved_at", since=day) == {day: 1}
    assert agent_api.post(f"/api/v1/cases/{first['id']}/reactivate").status_code == 200
    exact()
    assert counters.case_count(state="resolved") == 0
    assert selectors.case_counts_per_day(field="resolved_at", since=day) == {}
    assert agent_api.post(f"/api/v1/cases/{second['id']}/cancel").status_code == 200
    merged = agent_api.post(f"/api/v1/cases/{third['id']}/merge", {"into": first["id"]})
    assert merged.status_code == 200, merged.content
    exact()
    assert counters.case_count(state="cancelled") == 2
    assert counters.case_count(state="cancelled", status="merged") == 1
    assert active() == 1


def test_imported_cases_are_counted(admin: Any) -> None:
    acme = account_create(actor=admin, name="Acme Srl")
    customer = {"type": "account", "id": str(acme.pk)}
    rows = [
        {"title": "Router fermo", "customer": customer},
        {
            "title": "Fibra lenta",
            "customer": customer,
            "status": "problem_solved",
            "created_at": "2021-03-04T09:30:00+00:00",
            "resolved_at": "2021-03-05T17:00:00+00:00",
            "resolution": "Sostituito il modem",
        },
    ]
    imports.cases_import(actor=admin, rows=rows, channel="cli")
    exact()
    assert active() == 1
    assert counters.case_count(state="resolved", status="problem_solved") == 1
    since = dt.date(2021, 3, 1)
    assert selectors.case_counts_per_day(field="resolved_at", since=since)[dt.date(2021, 3, 5)] == 1


def test_a_wrong_counter_is_reported(new_case: Any) -> None:
    new_case()
    CaseCount.objects.filter(state="active").update(n=5)
    found = list(checks.counters_match_the_cases())
    assert len(found) == 1 and "counted 5, there are 1" in found[0], found


def test_a_missing_day_row_and_a_stray_row_are_reported(new_case: Any) -> None:
    new_case()
    CaseDayCount.objects.all().delete()
    CaseDayCount.objects.create(kind="resolved", day=dt.date(2020, 1, 1), shard=0, n=1)
    found = list(checks.counters_match_the_cases())
    assert any("cases created on" in v and "counted 0" in v for v in found), found
    assert any("cases resolved on 2020-01-01: counted 1, there are 0" in v for v in found), found


def test_rebuilding_repairs_the_counters(new_case: Any) -> None:
    new_case()
    new_case()
    CaseCount.objects.all().delete()
    counters.counters_rebuild()
    exact()
    assert active() == 2


def test_shards_are_summed(new_case: Any) -> None:
    for _ in range(6):
        new_case()
    CaseCount.objects.create(
        **{
            f: getattr(CaseCount.objects.first(), f)
            for f in ("state", "status", "priority", "owner_type", "owner_id")
        },
        shard=counters.SHARDS + 1,
        n=0,
    )
    exact()
    assert active() == 6


def test_a_view_count_comes_from_the_counters_or_not_at_all(new_case: Any, agent: Any) -> None:
    new_case(priority="high")
    new_case()
    filters = selectors.CaseFilters
    assert selectors.case_view_count(filters(state="active"), viewer=agent) == 2
    assert selectors.case_view_count(filters(state="active", priority="high"), viewer=agent) == 1
    mine = filters(state="active", owner_id=agent.pk)  # the owner's kind looked up
    assert selectors.case_view_count(mine, viewer=agent) == 2
    # Filters the counters cannot answer: no count rather than a count of the case table.
    searched = filters(state="active", search="printer")
    assert selectors.case_view_count(searched, viewer=agent) is None
    assert selectors.case_view_count(filters(sla_status="in_progress"), viewer=agent) is None


def test_the_migration_fills_the_counters_from_the_existing_cases(
    agent_api: Api, new_case: Any
) -> None:
    import importlib

    from django.apps import apps

    fill = importlib.import_module("casedesk.cases.migrations.0011_case_counters_fill").fill
    new_case(priority="low")
    resolved = new_case()
    assert resolve(agent_api, resolved["id"]).status_code == 200
    CaseCount.objects.all().delete()
    CaseDayCount.objects.all().delete()
    fill(apps, None)
    exact()
    assert active() == 1 and counters.case_count(state="resolved") == 1
