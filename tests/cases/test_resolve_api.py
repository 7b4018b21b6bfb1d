"""Resolve and reactivate through the API (docs/cases.md, docs/security.md)."""

from __future__ import annotations

from typing import Any

import pytest

from casedesk.cases.models import Activity, Post
from casedesk.core import clock
from casedesk.routing.models import Queue, QueueItem
from tests.cases.support import add_activity, audit_actions, complete, get_case, resolve, worked
from tests.conftest import Api, assert_error

pytestmark = pytest.mark.django_db
ZERO = "00000000-0000-0000-0000-000000000000"


def _queue_item(case_id: str) -> QueueItem:
    now = clock.now()
    queue = Queue.objects.create(name="Tier 1", created_at=now, modified_at=now)
    return QueueItem.objects.create(queue=queue, case_id=case_id, entered_on=now)


def test_resolve_closes_the_case_with_a_resolution_and_bills_the_time(
    agent_api: Api, agent: Any, new_case: Any
) -> None:
    case = new_case()
    done = worked(agent_api, case["id"], 20, 25)
    before = get_case(agent_api, case["id"])
    response = resolve(agent_api, case["id"], resolution="Replaced the router.")
    assert response.status_code == 200
    body = response.json()
    assert (body["state"], body["status"], body["stage"]) == (
        "resolved",
        "problem_solved",
        "resolve",
    )
    assert (body["total_minutes"], body["billable_minutes"]) == (45, 45)
    assert body["resolved_at"] is not None
    assert body["version"] == before["version"] + 1 and response["ETag"] == f'"{body["version"]}"'
    resolution = Activity.objects.get(case_id=case["id"], type="case_resolution")
    assert resolution.state == "completed" and not resolution.superseded
    assert resolution.description == "Replaced the router."
    assert (resolution.resolution_type, resolution.total_minutes, resolution.billable_minutes) == (
        "problem_solved",
        45,
        45,
    )
    assert resolution.owner_id == agent.id and resolution.duration_minutes is None
    assert set(
        Activity.objects.filter(id__in=[a["id"] for a in done]).values_list("billed", flat=True)
    ) == {True}
    posts = Post.objects.filter(case_id=case["id"], author__isnull=True).order_by("created_at")
    assert [p.event for p in posts] == ["created", "resolved"]
    audit = agent_api.get(f"/api/v1/cases/{case['id']}/audit").json()["items"]
    entry = audit[-1]
    assert (entry["action"], entry["channel"]) == ("resolve", "api")
    assert entry["changes"]["state"] == ["active", "resolved"]
    assert entry["changes"]["status"] == ["in_progress", "problem_solved"]
    assert entry["details"]["resolution_activity_id"] == str(resolution.id)
    assert sorted(entry["details"]["billed_activity_ids"]) == sorted(a["id"] for a in done)


@pytest.mark.parametrize("billable", [0, 30, 500])
def test_billable_minutes_may_differ_from_the_total(
    agent_api: Api, new_case: Any, billable: int
) -> None:
    case = new_case()
    worked(agent_api, case["id"], 60)
    body = resolve(
        agent_api,
        case["id"],
        resolution_type="information_provided",
        billable_minutes=billable,
    ).json()
    assert body["status"] == "information_provided"
    assert (body["total_minutes"], body["billable_minutes"]) == (60, billable)


def test_resolution_activities_never_count_and_are_read_only(agent_api: Api, new_case: Any) -> None:
    case = new_case()
    resolve(agent_api, case["id"])
    resolution = agent_api.get(
        f"/api/v1/cases/{case['id']}/activities", type="case_resolution"
    ).json()["items"][0]
    assert resolution["state"] == "completed" and resolution["duration_minutes"] is None
    assert_error(
        agent_api.patch(f"/api/v1/activities/{resolution['id']}", {"subject": "x"}),
        409,
        "activity_closed",
    )
    assert_error(
        agent_api.post(f"/api/v1/activities/{resolution['id']}/cancel"), 409, "activity_closed"
    )


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"resolution": ""}, "resolution"),
        ({"resolution": "   "}, "resolution"),
        ({"resolution": "x" * 2001}, "resolution"),
        ({"resolution": None}, "resolution"),
        ({"resolution_type": "cancelled"}, "resolution_type"),
        ({"resolution_type": "in_progress"}, "resolution_type"),
        ({"billable_minutes": -1}, "billable_minutes"),
        ({"billable_minutes": "lots"}, "billable_minutes"),
        ({"state": "resolved"}, "state"),
    ],
)
def test_resolve_refuses_invalid_values_with_422(
    agent_api: Api, new_case: Any, body: dict[str, Any], field: str
) -> None:
    case = new_case()
    error = assert_error(resolve(agent_api, case["id"], **body), 422, "validation_error")
    assert field in error["details"]["fields"]
    assert get_case(agent_api, case["id"])["state"] == "active"


def test_resolve_needs_a_resolution_text(agent_api: Api, new_case: Any) -> None:
    case = new_case()
    response = agent_api.post(f"/api/v1/cases/{case['id']}/resolve", {})
    assert "resolution" in assert_error(response, 422, "validation_error")["details"]["fields"]


def test_a_resolution_of_2000_characters_is_accepted(agent_api: Api, new_case: Any) -> None:
    case = new_case()
    assert resolve(agent_api, case["id"], resolution="é" * 2000).status_code == 200
    resolution = Activity.objects.get(case_id=case["id"], type="case_resolution")
    assert len(resolution.description) == 2000 and len(resolution.subject) == 200


def test_open_activities_refuse_resolve_with_their_count_and_ids(
    agent_api: Api, new_case: Any
) -> None:
    case = new_case()
    worked(agent_api, case["id"], 10)
    open_ids = {add_activity(agent_api, case["id"])["id"] for _ in range(2)}
    error = assert_error(resolve(agent_api, case["id"]), 409, "open_activities")
    assert error["details"]["count"] == 2 and set(error["details"]["activity_ids"]) == open_ids
    after = get_case(agent_api, case["id"])
    assert after["state"] == "active" and after["total_minutes"] == 10
    assert not Activity.objects.filter(case_id=case["id"], billed=True).exists()
    assert not Activity.objects.filter(case_id=case["id"], type="case_resolution").exists()


def test_cancel_open_activities_cancels_them_in_the_same_transaction(
    agent_api: Api, new_case: Any
) -> None:
    case = new_case()
    worked(agent_api, case["id"], 10)
    pending = add_activity(agent_api, case["id"], duration_minutes=99)
    body = resolve(agent_api, case["id"], cancel_open_activities=True).json()
    assert body["state"] == "resolved" and body["total_minutes"] == 10
    cancelled = agent_api.get(f"/api/v1/activities/{pending['id']}").json()
    assert cancelled["state"] == "cancelled" and cancelled["billed"] is False


def test_resolve_closes_the_queue_item(agent_api: Api, new_case: Any) -> None:
    case = new_case()
    item = _queue_item(case["id"])
    assert get_case(agent_api, case["id"])["queue_id"] == str(item.queue_id)
    body = resolve(agent_api, case["id"]).json()
    assert body["queue_id"] is None
    item.refresh_from_db()
    assert item.state == "closed"


def test_resolve_refusals(
    agent_api: Api, new_case: Any, make_user: Any, make_api: Any, anon_api: Api
) -> None:
    case = new_case()
    assert_error(resolve(anon_api, case["id"]), 401, "unauthenticated")
    assert_error(resolve(agent_api, ZERO), 404, "not_found")
    assert_error(resolve(make_api(make_user()), case["id"]), 403, "forbidden")
    stale = agent_api.post(
        f"/api/v1/cases/{case['id']}/resolve",
        {"resolution": "x"},
        headers={"If-Match": '"99"'},
    )
    assert_error(stale, 412, "version_mismatch")
    assert get_case(agent_api, case["id"])["state"] == "active"
    ok = agent_api.post(
        f"/api/v1/cases/{case['id']}/resolve",
        {"resolution": "x"},
        headers={"If-Match": f'"{case["version"]}"'},
    )
    assert ok.status_code == 200
    assert_error(resolve(agent_api, case["id"]), 409, "case_not_active")


def test_resolving_a_cancelled_case_is_refused(agent_api: Api, new_case: Any) -> None:
    case = new_case()
    agent_api.post(f"/api/v1/cases/{case['id']}/cancel")
    assert_error(resolve(agent_api, case["id"]), 409, "case_not_active")


def test_manager_resolves_any_case(manager_api: Api, new_case: Any) -> None:
    assert resolve(manager_api, new_case()["id"]).status_code == 200


def test_reactivate_returns_a_resolved_case_to_work_keeping_its_history(
    agent_api: Api, new_case: Any
) -> None:
    case = new_case()
    billed = worked(agent_api, case["id"], 30)
    resolved = resolve(agent_api, case["id"], billable_minutes=20).json()
    follow_up = add_activity(agent_api, case["id"])
    complete(agent_api, follow_up["id"], 7)
    response = agent_api.post(f"/api/v1/cases/{case['id']}/reactivate")
    assert response.status_code == 200
    body = response.json()
    assert (body["state"], body["status"], body["stage"]) == ("active", "in_progress", "research")
    assert body["resolved_at"] is None and body["version"] == resolved["version"] + 1
    # Billed activities stay billed; the total starts again from the unbilled time.
    assert (body["total_minutes"], body["billable_minutes"]) == (7, 0)
    assert Activity.objects.get(id=billed[0]["id"]).billed
    first = Activity.objects.get(case_id=case["id"], type="case_resolution")
    assert first.superseded and first.total_minutes == 30
    timeline = agent_api.get(f"/api/v1/cases/{case['id']}/timeline").json()["items"]
    assert any(i["kind"] == "activity" and i.get("superseded") for i in timeline)
    assert ("reactivate", "api") in audit_actions(agent_api, case["id"])
    assert Post.objects.filter(case_id=case["id"], event="reactivated").count() == 1
    again = resolve(agent_api, case["id"], resolution="Second fix").json()
    assert (again["total_minutes"], again["billable_minutes"]) == (7, 7)
    live = Activity.objects.filter(
        case_id=case["id"], type="case_resolution", superseded=False
    ).get()
    assert live.description == "Second fix"


def test_reactivate_a_cancelled_case(agent_api: Api, new_case: Any) -> None:
    case = new_case()
    agent_api.post(f"/api/v1/cases/{case['id']}/cancel")
    body = agent_api.post(f"/api/v1/cases/{case['id']}/reactivate").json()
    assert (body["state"], body["status"]) == ("active", "in_progress")


def test_reactivate_refusals(
    agent_api: Api, new_case: Any, make_user: Any, make_api: Any, anon_api: Api
) -> None:
    active = new_case()
    assert_error(agent_api.post(f"/api/v1/cases/{active['id']}/reactivate"), 409, "case_not_closed")
    master = new_case()
    agent_api.post(f"/api/v1/cases/{active['id']}/merge", {"into": master["id"]})
    assert_error(agent_api.post(f"/api/v1/cases/{active['id']}/reactivate"), 409, "case_merged")
    resolved = new_case()
    resolve(agent_api, resolved["id"])
    assert_error(
        anon_api.post(f"/api/v1/cases/{resolved['id']}/reactivate"), 401, "unauthenticated"
    )
    assert_error(agent_api.post(f"/api/v1/cases/{ZERO}/reactivate"), 404, "not_found")
    assert_error(
        make_api(make_user()).post(f"/api/v1/cases/{resolved['id']}/reactivate"), 403, "forbidden"
    )
    assert_error(
        agent_api.post(f"/api/v1/cases/{resolved['id']}/reactivate", headers={"If-Match": '"1"'}),
        412,
        "version_mismatch",
    )
    assert get_case(agent_api, resolved["id"])["state"] == "resolved"
