"""The KPI instances of a case, kept by the case-write pipeline (docs/service-levels.md#on-a-
case), through the services' HTTP API."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

import pytest

from casedesk.sla.models import KpiInstance
from tests.conftest import Api, FakeClock
from tests.support.sla import make_calendar, make_sla

pytestmark = pytest.mark.django_db

HOUR = 3600


def _at(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text.replace("Z", "+00:00"))


@pytest.fixture
def account(agent_api: Api) -> dict[str, Any]:
    return agent_api.post("/api/v1/accounts", {"name": "Acme Srl"}).json()


@pytest.fixture
def new_case(agent_api: Api, account: dict[str, Any]) -> Any:
    def make(**fields: Any) -> dict[str, Any]:
        body = {"title": "Internet down", "customer": {"type": "account", "id": account["id"]}}
        body.update(fields)
        response = agent_api.post("/api/v1/cases", body)
        assert response.status_code == 201, response.content
        return response.json()

    return make


def _case(api: Api, case_id: str) -> dict[str, Any]:
    response = api.get(f"/api/v1/cases/{case_id}")
    assert response.status_code == 200
    return response.json()


def _instances(case_id: str, **filters: Any) -> dict[str, KpiInstance]:
    rows = KpiInstance.objects.filter(case_id=case_id, in_force=True, **filters)
    return {row.kpi: row for row in rows}


def test_a_new_case_gets_the_default_slas_kpis_when_one_is_active(
    agent_api: Api, new_case: Any, fake_clock: FakeClock
) -> None:
    sla = make_sla()
    case = new_case()
    assert case["sla_id"] == str(sla.pk)
    created = _at(case["created_at"])
    assert _at(case["first_response_by"]) == created + dt.timedelta(minutes=120)
    assert _at(case["resolve_by"]) == created + dt.timedelta(minutes=960)
    assert case["sla_status"] == "in_progress"
    found = _instances(case["id"])
    assert set(found) == {"first_response", "resolve"}
    assert found["first_response"].due_at == created + dt.timedelta(minutes=60)
    assert _case(agent_api, case["id"])["resolve_by"] == case["resolve_by"]


def test_a_new_case_gets_no_sla_when_none_is_active(new_case: Any) -> None:
    make_sla(active=False)
    case = new_case()
    assert case["sla_id"] is None and case["sla_status"] is None
    assert not KpiInstance.objects.filter(case_id=case["id"]).exists()


def test_resolving_in_time_succeeds_both_kpis(
    agent_api: Api, new_case: Any, fake_clock: FakeClock
) -> None:
    make_sla()
    case = new_case()
    fake_clock.advance(HOUR)
    response = agent_api.post(f"/api/v1/cases/{case['id']}/resolve", {"resolution": "Fixed."})
    assert response.status_code == 200, response.content
    assert response.json()["sla_status"] == "succeeded"
    found = _instances(case["id"])
    assert {k: i.status for k, i in found.items()} == {
        "first_response": "succeeded",
        "resolve": "succeeded",
    }
    assert all(i.due_at is None for i in found.values())


def test_resolving_after_the_failure_time_stays_noncompliant(
    agent_api: Api, new_case: Any, fake_clock: FakeClock
) -> None:
    make_sla()
    case = new_case()
    fake_clock.advance(17 * HOUR)
    agent_api.post(f"/api/v1/cases/{case['id']}/resolve", {"resolution": "Fixed."})
    found = _instances(case["id"])
    assert found["resolve"].status == "noncompliant"
    assert found["resolve"].succeeded_at is not None
    assert _case(agent_api, case["id"])["sla_status"] == "noncompliant"


def test_a_pausing_status_stops_the_clock_and_pushes_the_deadlines(
    agent_api: Api, new_case: Any, fake_clock: FakeClock
) -> None:
    make_sla()
    case = new_case()
    created = _at(case["created_at"])
    fake_clock.advance(HOUR)
    paused = agent_api.patch(f"/api/v1/cases/{case['id']}", {"status": "on_hold"}).json()
    assert paused["sla_status"] == "paused"
    assert _instances(case["id"])["resolve"].due_at is None
    fake_clock.advance(3 * HOUR)
    resumed = agent_api.patch(f"/api/v1/cases/{case['id']}", {"status": "in_progress"}).json()
    assert resumed["sla_status"] == "in_progress"
    resolve = _instances(case["id"])["resolve"]
    assert resolve.paused_seconds == 3 * HOUR
    assert resolve.failure_at == created + dt.timedelta(minutes=960 + 180)
    assert _at(resumed["resolve_by"]) == resolve.failure_at


def test_pause_is_measured_on_the_items_calendar(
    agent_api: Api, new_case: Any, fake_clock: FakeClock
) -> None:
    calendar = make_calendar(time_zone="UTC")
    make_sla({"kpi": "resolve", "warn": 60, "fail": 120, "calendar": calendar})
    fake_clock.at = dt.datetime(2026, 12, 4, 17, 0, tzinfo=dt.UTC)  # a Friday, 17:00
    case = new_case()
    assert _at(case["resolve_by"]) == dt.datetime(2026, 12, 7, 10, 0, tzinfo=dt.UTC)
    agent_api.patch(f"/api/v1/cases/{case['id']}", {"status": "waiting_for_details"})
    fake_clock.at = dt.datetime(2026, 12, 7, 9, 30, tzinfo=dt.UTC)  # Monday: 1.5 working h
    agent_api.patch(f"/api/v1/cases/{case['id']}", {"status": "in_progress"})
    resolve = _instances(case["id"])["resolve"]
    assert resolve.paused_seconds == 90 * 60
    assert resolve.failure_at == dt.datetime(2026, 12, 7, 11, 30, tzinfo=dt.UTC)


def test_cancelling_cancels_the_kpis_not_yet_met(
    agent_api: Api, new_case: Any, fake_clock: FakeClock
) -> None:
    make_sla()
    case = new_case()
    response = agent_api.post(f"/api/v1/cases/{case['id']}/cancel", {})
    assert response.status_code == 200, response.content
    assert response.json()["sla_status"] is None
    assert response.json()["resolve_by"] is None
    assert not _instances(case["id"])
    rows = KpiInstance.objects.filter(case_id=case["id"])
    assert {r.status for r in rows} == {"cancelled"} and rows.count() == 2


def test_reactivating_starts_a_new_resolve_kpi_from_the_reactivation(
    agent_api: Api, new_case: Any, fake_clock: FakeClock
) -> None:
    make_sla()
    case = new_case()
    agent_api.post(f"/api/v1/cases/{case['id']}/resolve", {"resolution": "Fixed."})
    fake_clock.advance(5 * HOUR)
    response = agent_api.post(f"/api/v1/cases/{case['id']}/reactivate", {})
    assert response.status_code == 200, response.content
    found = _instances(case["id"])
    assert found["resolve"].status == "in_progress"
    assert found["resolve"].started_at == fake_clock.now()
    assert found["first_response"].status == "succeeded"
    old = KpiInstance.objects.get(case_id=case["id"], kpi="resolve", in_force=False)
    assert old.status == "succeeded"
    assert response.json()["sla_status"] == "in_progress"


def test_an_edit_of_a_field_the_conditions_read_rematches_from_creation(
    agent_api: Api, new_case: Any, fake_clock: FakeClock
) -> None:
    make_sla(
        {
            "kpi": "resolve",
            "warn": 30,
            "fail": 60,
            "name": "urgent",
            "conditions": [{"field": "priority", "op": "eq", "value": "high"}],
        },
        {"kpi": "resolve", "warn": 480, "fail": 960, "name": "normal"},
    )
    case = new_case()
    created = _at(case["created_at"])
    assert _instances(case["id"])["resolve"].item_name == "normal"
    fake_clock.advance(600)
    edited = agent_api.patch(f"/api/v1/cases/{case['id']}", {"priority": "high"}).json()
    resolve = _instances(case["id"])["resolve"]
    assert resolve.item_name == "urgent"
    assert resolve.started_at == created
    assert _at(edited["resolve_by"]) == created + dt.timedelta(minutes=60)
    old = KpiInstance.objects.get(case_id=case["id"], in_force=False)
    assert (old.item_name, old.status) == ("normal", "cancelled")


def test_an_edit_of_other_fields_keeps_the_instance(
    agent_api: Api, new_case: Any, fake_clock: FakeClock
) -> None:
    make_sla(
        {
            "kpi": "resolve",
            "warn": 30,
            "fail": 60,
            "conditions": [{"field": "priority", "op": "eq", "value": "high"}],
        },
    )
    case = new_case(priority="high")
    agent_api.patch(f"/api/v1/cases/{case['id']}", {"title": "Internet still down"})
    assert KpiInstance.objects.filter(case_id=case["id"]).count() == 1


def test_the_entitlements_sla_applies_and_a_change_of_entitlement_switches(
    agent_api: Api, manager_api: Api, new_case: Any, account: dict[str, Any]
) -> None:
    from casedesk.entitlements.models import Entitlement

    default = make_sla()
    gold = make_sla({"kpi": "resolve", "warn": 10, "fail": 20}, name="Gold", is_default=False)
    case = new_case()
    assert case["sla_id"] == str(default.pk)
    body = {
        "name": "Gold support",
        "customer": {"type": "account", "id": account["id"]},
        "start_date": "2020-01-01",
        "end_date": "2099-12-31",
        "allocation_type": "cases",
        "total_terms": 10,
    }
    response = manager_api.post("/api/v1/entitlements", body)
    assert response.status_code == 201, response.content
    entitlement = response.json()
    Entitlement.objects.filter(id=entitlement["id"]).update(sla=gold)
    act = manager_api.post(f"/api/v1/entitlements/{entitlement['id']}/activate")
    assert act.status_code == 200, act.content
    edited = agent_api.patch(f"/api/v1/cases/{case['id']}", {"entitlement_id": entitlement["id"]})
    assert edited.status_code == 200, edited.content
    assert edited.json()["sla_id"] == str(gold.pk)
    assert set(_instances(case["id"])) == {"resolve"}
    assert _instances(case["id"])["resolve"].started_at == _at(case["created_at"])
    assert KpiInstance.objects.filter(case_id=case["id"], status="cancelled").count() == 2


def test_get_sla_lists_the_instances_in_force_and_all_with_all(
    agent_api: Api, new_case: Any, fake_clock: FakeClock
) -> None:
    sla = make_sla()
    case = new_case()
    agent_api.post(f"/api/v1/cases/{case['id']}/resolve", {"resolution": "Fixed."})
    agent_api.post(f"/api/v1/cases/{case['id']}/reactivate", {})
    body = agent_api.get(f"/api/v1/cases/{case['id']}/sla").json()
    assert body["sla_id"] == str(sla.pk)
    assert [(k["kpi"], k["status"]) for k in body["kpis"]] == [
        ("first_response", "succeeded"),
        ("resolve", "in_progress"),
    ]
    assert set(body["kpis"][0]) >= {
        "kpi",
        "item",
        "status",
        "started_at",
        "warning_at",
        "failure_at",
        "succeeded_at",
        "paused_seconds",
        "paused_since",
    }
    everything = agent_api.get(f"/api/v1/cases/{case['id']}/sla", all="true").json()
    assert len(everything["kpis"]) == 3


def test_get_sla_of_a_missing_case_is_404(agent_api: Api) -> None:
    from tests.conftest import assert_error

    assert_error(agent_api.get(f"/api/v1/cases/{uuid.uuid4()}/sla"), 404, "not_found")


def test_marking_the_first_response_meets_the_kpi_once(
    agent_api: Api, new_case: Any, fake_clock: FakeClock
) -> None:
    from tests.conftest import assert_error

    make_sla()
    case = new_case()
    fake_clock.advance(600)
    response = agent_api.post(f"/api/v1/cases/{case['id']}/first-response")
    assert response.status_code == 200, response.content
    body = response.json()
    assert _at(body["first_response_at"]) == fake_clock.now()
    assert body["version"] == case["version"] + 1
    first = _instances(case["id"])["first_response"]
    assert (first.status, first.succeeded_at) == ("succeeded", fake_clock.now())
    again = agent_api.post(f"/api/v1/cases/{case['id']}/first-response")
    assert_error(again, 409, "first_response_given")


def test_marking_the_first_response_of_a_resolved_case_is_409(
    agent_api: Api, new_case: Any
) -> None:
    from tests.conftest import assert_error

    case = new_case()
    agent_api.post(f"/api/v1/cases/{case['id']}/resolve", {"resolution": "Fixed."})
    response = agent_api.post(f"/api/v1/cases/{case['id']}/first-response")
    assert_error(response, 409, "case_not_active")


def test_marking_checks_if_match(agent_api: Api, new_case: Any) -> None:
    from tests.conftest import assert_error

    case = new_case()
    stale = agent_api.post(
        f"/api/v1/cases/{case['id']}/first-response", headers={"If-Match": '"99"'}
    )
    assert_error(stale, 412, "version_mismatch")


def test_a_completed_outgoing_phone_call_is_the_first_response(
    agent_api: Api, new_case: Any, fake_clock: FakeClock
) -> None:
    make_sla()
    case = new_case()
    incoming = agent_api.post(
        f"/api/v1/cases/{case['id']}/activities",
        {"type": "phone_call", "subject": "They called", "direction": "incoming"},
    ).json()
    agent_api.post(f"/api/v1/activities/{incoming['id']}/complete", {"duration_minutes": 5})
    assert _case(agent_api, case["id"])["first_response_at"] is None
    call = agent_api.post(
        f"/api/v1/cases/{case['id']}/activities",
        {"type": "phone_call", "subject": "Call back", "direction": "outgoing"},
    ).json()
    fake_clock.advance(900)
    agent_api.post(f"/api/v1/activities/{call['id']}/complete", {})
    record = _case(agent_api, case["id"])
    assert _at(record["first_response_at"]) == fake_clock.now()
    assert _instances(case["id"])["first_response"].status == "succeeded"
    assert record["sla_status"] == "in_progress"  # the resolve KPI runs on


def test_the_first_email_an_agent_sends_is_the_first_response_when_it_is_sent(
    agent_api: Api, agent: Any, new_case: Any, fake_clock: FakeClock, settings: Any
) -> None:
    from casedesk.mail import outgoing
    from casedesk.mail.services.send import email_outcome_record, email_send

    settings.MAIL_FROM = "desk@desk.example"
    make_sla()
    case = new_case()
    email = email_send(
        actor=agent, case_id=uuid.UUID(case["id"]), text="On it.", to=["c@customer.example"]
    )
    assert _instances(case["id"])["first_response"].status == "in_progress"  # queued only
    fake_clock.advance(1800)
    email_outcome_record(activity_id=email.pk, outcome=outgoing.Outcome(outgoing.SENT))
    first = _instances(case["id"])["first_response"]
    assert (first.status, first.succeeded_at) == ("succeeded", fake_clock.now())
    assert _case(agent_api, case["id"])["first_response_at"] is not None


@pytest.mark.parametrize(
    "condition",
    [
        {"field": "id", "op": "is_null", "value": False},
        {"field": "customer.name", "op": "contains", "value": "acme"},
        {"field": "owner.type", "op": "eq", "value": "user"},
        {"field": "subject_id", "op": "is_null", "value": True},
        {"field": "queue_id", "op": "is_null", "value": True},
        {"field": "created_at", "op": "is_null", "value": False},
    ],
)
def test_conditions_on_any_kind_of_field_give_the_instance(
    new_case: Any, condition: dict[str, Any]
) -> None:
    make_sla({"kpi": "resolve", "warn": 10, "fail": 20, "conditions": [condition]})
    case = new_case()
    assert set(_instances(case["id"])) == {"resolve"}
