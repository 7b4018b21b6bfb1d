"""`casedesk check`: the invariants of the KPI instances (docs/service-levels.md#on-a-case)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from casedesk.cases.models import Case
from casedesk.core.invariants import run_all
from casedesk.sla.models import KpiInstance
from tests.conftest import Api, FakeClock
from tests.support.sla import make_sla

pytestmark = pytest.mark.django_db

MINE = {
    "kpi_instances_in_force_belong_to_active_cases",
    "kpi_instances_follow_the_case_sla",
    "kpi_instances_fire_on_time",
}


def violations() -> list[str]:
    return [name for name, _text in run_all() if name in MINE]


@pytest.fixture
def case(agent_api: Api) -> dict[str, Any]:
    make_sla(
        {"kpi": "first_response", "warn": 60, "fail": 120},
        {
            "kpi": "resolve",
            "warn": 30,
            "fail": 60,
            "conditions": [{"field": "priority", "op": "eq", "value": "high"}],
        },
    )
    account = agent_api.post("/api/v1/accounts", {"name": "Acme Srl"}).json()
    body = {
        "title": "Internet down",
        "customer": {"type": "account", "id": account["id"]},
        "priority": "high",
    }
    return agent_api.post("/api/v1/cases", body).json()


def test_check_finds_nothing_when_the_instances_follow_the_cases(
    case: dict[str, Any], agent_api: Api
) -> None:
    agent_api.patch(f"/api/v1/cases/{case['id']}", {"priority": "low"})
    assert violations() == []


def test_check_reports_a_closed_case_with_an_instance_running(case: dict[str, Any]) -> None:
    Case.objects.filter(id=case["id"]).update(state="cancelled", status="cancelled")
    assert set(violations()) == {"kpi_instances_in_force_belong_to_active_cases"}


def test_check_reports_an_active_case_without_the_instance_its_sla_gives(
    case: dict[str, Any],
) -> None:
    KpiInstance.objects.filter(case_id=case["id"], kpi="resolve").delete()
    assert violations() == ["kpi_instances_follow_the_case_sla"]


def test_check_reports_an_instance_of_another_sla(case: dict[str, Any]) -> None:
    other = make_sla(name="Other", is_default=False)
    KpiInstance.objects.filter(case_id=case["id"], kpi="resolve").update(sla=other)
    assert violations() == ["kpi_instances_follow_the_case_sla"]


def test_check_reports_an_instance_still_running_two_ticks_after_its_failure(
    case: dict[str, Any], fake_clock: FakeClock
) -> None:
    KpiInstance.objects.filter(case_id=case["id"], kpi="resolve").update(
        failure_at=fake_clock.now() - dt.timedelta(minutes=3)
    )
    assert violations() == ["kpi_instances_fire_on_time"]
    KpiInstance.objects.filter(case_id=case["id"], kpi="resolve").update(
        failure_at=fake_clock.now() - dt.timedelta(minutes=1)
    )
    assert violations() == []
