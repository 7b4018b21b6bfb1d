"""Save and route, bulk route and `"route": true` on create (docs/routing.md)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from casedesk.cases.models import Case, Post
from casedesk.routing.models import QueueItem
from tests.conftest import Api, assert_error

pytestmark = pytest.mark.django_db
ZERO = "00000000-0000-0000-0000-000000000000"
SETS = "/api/v1/routing-rule-sets"

NewCase = Callable[..., dict[str, Any]]
NewQueue = Callable[..., dict[str, Any]]


@pytest.fixture
def tier2(new_queue: NewQueue, agent: Any) -> dict[str, Any]:
    """A private queue of which the agent is a member, so that the answers name it to them
    (tests/security/test_private_queue_reads.py: what a non-member sees)."""
    return new_queue("Tier 2", "private", [agent])


def route(api: Api, case: dict[str, Any], body: Any = None, **kw: Any) -> Any:
    path = f"/api/v1/cases/{case['id']}/route"
    return api.post(path, raw="", **kw) if body is None else api.post(path, body, **kw)


def last_audit(api: Api, case: dict[str, Any]) -> dict[str, Any]:
    return api.get(f"/api/v1/cases/{case['id']}/audit").json()["items"][-1]


def posts(case: dict[str, Any]) -> list[str]:
    qs = Post.objects.filter(case_id=case["id"]).exclude(event="created").order_by("created_at")
    return [p.text for p in qs]


def test_route_adds_the_case_to_the_queue_of_the_first_matching_item(
    agent_api: Api, agent: Any, new_case: NewCase, active_set: dict[str, Any], tier2: dict[str, Any]
) -> None:
    case = new_case(priority="high", title="Fattura errata")  # both items match: first wins
    response = route(agent_api, case)
    assert response.status_code == 200, response.content
    body = response.json()
    assert {
        k: body[k] for k in ("routed", "reason", "rule_set_id", "rule_item", "queue_id", "owner")
    } == {
        "routed": True,
        "reason": None,
        "rule_set_id": active_set["id"],
        "rule_item": "Urgent",
        "queue_id": tier2["id"],
        "owner": None,
    }
    assert body["case"]["queue_id"] == tier2["id"]
    assert body["case"]["owner"]["id"] == str(agent.id)
    assert response["ETag"] == f'"{body["case"]["version"]}"'
    entry = last_audit(agent_api, case)
    assert (entry["action"], entry["channel"]) == ("route", "routing")
    assert entry["actor"]["id"] == str(agent.id)
    assert entry["changes"] == {"queue_id": [None, tier2["id"]]}
    assert entry["details"]["rule_set_id"] == active_set["id"]
    assert entry["details"]["rule_item"] == "Urgent"
    # The timeline, which every reader of the case sees, does not name a private queue.
    assert posts(case) == [
        'Routed by rule set "Standard", item "Urgent": added to a private queue.'
    ]


def test_route_assigns_the_owner_whatever_the_callers_rights_when_the_item_says_so(
    agent_api: Api, manager: Any, new_case: NewCase, active_set: dict[str, Any]
) -> None:
    case = new_case(title="Fattura di ottobre doppia")
    response = route(agent_api, case)
    body = response.json()
    assert body["routed"] is True and body["rule_item"] == "Invoices"
    assert body["owner"] == {"type": "user", "id": str(manager.id), "name": "Marco Manager"}
    assert body["case"]["owner"]["id"] == str(manager.id)
    assert body["queue_id"] is None
    entry = last_audit(agent_api, case)
    assert entry["changes"]["owner"][1] == {"type": "user", "id": str(manager.id)}
    assert posts(case)[-1].endswith("assigned to Marco Manager.")


def test_route_changes_nothing_and_says_why_when_no_item_matches(
    agent_api: Api, new_case: NewCase, active_set: dict[str, Any]
) -> None:
    case = new_case(title="Printer jam")
    body = route(agent_api, case).json()
    assert (body["routed"], body["reason"], body["rule_set_id"], body["rule_item"]) == (
        False,
        "no_item_matched",
        active_set["id"],
        None,
    )
    assert body["case"]["version"] == case["version"]
    entry = last_audit(agent_api, case)
    assert entry["action"] == "route" and entry["changes"] == {}
    assert entry["details"]["reason"] == "no_item_matched"
    assert "no item matched" in posts(case)[-1]


def test_route_changes_nothing_and_says_why_when_no_set_is_active(
    agent_api: Api, new_case: NewCase
) -> None:
    case = new_case(priority="high")
    body = route(agent_api, case, {}).json()
    assert (body["routed"], body["reason"], body["rule_set_id"]) == (
        False,
        "no_active_rule_set",
        None,
    )
    assert last_audit(agent_api, case)["details"]["reason"] == "no_active_rule_set"
    assert posts(case) == ["Routing: no active rule set; nothing changed."]


def test_save_and_route_routes_on_the_saved_values_in_one_transaction(
    agent_api: Api, new_case: NewCase, active_set: dict[str, Any], tier2: dict[str, Any]
) -> None:
    case = new_case(priority="low")
    response = route(agent_api, case, {"priority": "high", "stage": "research"})
    body = response.json()
    assert body["routed"] is True and body["queue_id"] == tier2["id"]
    assert body["case"]["priority"] == "high" and body["case"]["stage"] == "research"
    actions = [
        e["action"] for e in agent_api.get(f"/api/v1/cases/{case['id']}/audit").json()["items"]
    ]
    assert actions[-2:] == ["update", "route"]


def test_save_and_route_keeps_nothing_when_the_edits_are_refused(
    agent_api: Api, new_case: NewCase, active_set: dict[str, Any]
) -> None:
    case = new_case(priority="low")
    response = route(agent_api, case, {"priority": "high", "contact_id": ZERO})
    assert_error(response, 422, "validation_error")
    fresh = Case.objects.get(id=case["id"])
    assert fresh.priority == "low" and fresh.version == case["version"]
    assert not QueueItem.objects.filter(case_id=case["id"]).exists()
    assert_error(
        route(agent_api, case, {"owner": {"type": "user", "id": ZERO}}), 422, "validation_error"
    )
    assert_error(route(agent_api, case, {"queue_id": ZERO}), 422, "validation_error")


def test_save_and_route_is_refused_when_the_case_is_closed(
    manager_api: Api, new_case: NewCase, active_set: dict[str, Any]
) -> None:
    case = new_case(priority="high")
    Case.objects.filter(id=case["id"]).update(state="resolved", status="problem_solved")
    assert_error(route(manager_api, case), 409, "case_not_active")
    assert_error(route(manager_api, case, {"priority": "low"}), 409, "case_not_active")
    assert not Post.objects.filter(case_id=case["id"], event__in=["routed", "not_routed"]).exists()


def test_save_and_route_is_refused_when_the_caller_may_not_change_the_case(
    make_user: Callable[..., Any],
    make_api: Callable[..., Api],
    new_case: NewCase,
    active_set: dict[str, Any],
) -> None:
    other = make_api(make_user("agent"))
    case = new_case(priority="high")
    assert_error(route(other, case), 403, "forbidden")
    assert_error(route(other, case, {"priority": "low"}), 403, "forbidden")
    assert not QueueItem.objects.filter(case_id=case["id"]).exists()


def test_save_and_route_honours_if_match_and_answers_404_when_unknown(
    agent_api: Api, anon_api: Api, new_case: NewCase, active_set: dict[str, Any]
) -> None:
    case = new_case()
    assert_error(route(agent_api, case, headers={"If-Match": '"9"'}), 412, "version_mismatch")
    assert_error(
        route(agent_api, case, {"priority": "high"}, headers={"If-Match": '"9"'}),
        412,
        "version_mismatch",
    )
    ok = route(agent_api, case, {"priority": "high"}, headers={"If-Match": f'"{case["version"]}"'})
    assert ok.status_code == 200
    assert_error(route(agent_api, {"id": ZERO}), 404, "not_found")
    assert_error(route(anon_api, case), 401, "unauthenticated")


def test_routing_again_keeps_the_item_when_the_case_is_already_in_the_queue(
    agent_api: Api, new_case: NewCase, active_set: dict[str, Any]
) -> None:
    case = new_case(priority="high")
    first = route(agent_api, case).json()
    second = route(agent_api, case).json()
    assert second["routed"] is True
    assert second["case"]["version"] == first["case"]["version"]
    assert QueueItem.objects.filter(case_id=case["id"]).count() == 1
    assert posts(case)[-1].endswith("already in a private queue.")


def test_set_change_takes_effect_on_the_next_route_when_another_set_is_activated(
    manager_api: Api,
    agent_api: Api,
    new_case: NewCase,
    active_set: dict[str, Any],
    new_queue: NewQueue,
) -> None:
    catch_all = new_queue("Everything")
    other = manager_api.post(
        SETS,
        {
            "name": "All",
            "items": [{"name": "All", "conditions": [], "route_to": {"queue_id": catch_all["id"]}}],
        },
    ).json()
    manager_api.post(f"{SETS}/{other['id']}/activate")
    body = route(agent_api, new_case(priority="high")).json()
    assert (body["rule_set_id"], body["queue_id"]) == (other["id"], catch_all["id"])


# --- route on create ----------------------------------------------------------------------


def test_create_with_route_routes_the_new_case_in_its_creating_transaction(
    agent_api: Api, account: dict[str, Any], active_set: dict[str, Any], tier2: dict[str, Any]
) -> None:
    response = agent_api.post(
        "/api/v1/cases",
        {
            "title": "Down",
            "customer": {"type": "account", "id": account["id"]},
            "priority": "high",
            "route": True,
        },
    )
    assert response.status_code == 201, response.content
    case = response.json()
    assert case["queue_id"] == tier2["id"]
    actions = [
        e["action"] for e in agent_api.get(f"/api/v1/cases/{case['id']}/audit").json()["items"]
    ]
    assert actions == ["create", "route"]


def test_create_without_route_leaves_the_case_unrouted(
    agent_api: Api, new_case: NewCase, active_set: dict[str, Any]
) -> None:
    case = new_case(priority="high")
    assert case["queue_id"] is None
    assert not Post.objects.filter(case_id=case["id"], event__in=["routed", "not_routed"]).exists()


def test_create_with_route_records_why_when_nothing_matches(
    agent_api: Api, new_case: NewCase, active_set: dict[str, Any]
) -> None:
    case = new_case(route=True, title="Printer jam")
    assert case["queue_id"] is None
    assert "no item matched" in posts(case)[-1]
    assert_error(
        agent_api.post("/api/v1/cases", {"title": "x", "route": "sometimes"}),
        422,
        "validation_error",
    )


# --- bulk ---------------------------------------------------------------------------------


def test_bulk_route_answers_a_result_per_case_when_some_are_refused(
    agent_api: Api,
    manager_api: Api,
    new_case: NewCase,
    active_set: dict[str, Any],
    tier2: dict[str, Any],
) -> None:
    urgent = new_case(priority="high")
    plain = new_case(title="Printer jam")
    closed = new_case(priority="high")
    Case.objects.filter(id=closed["id"]).update(state="cancelled", status="cancelled")
    foreign = new_case(api=manager_api, priority="high")
    ids = [urgent["id"], plain["id"], closed["id"], foreign["id"], ZERO]
    response = agent_api.post("/api/v1/cases/route", {"case_ids": ids})
    assert response.status_code == 200, response.content
    results = response.json()["results"]
    assert [r["case_id"] for r in results] == ids
    assert (results[0]["routed"], results[0]["rule_item"], results[0]["queue_id"]) == (
        True,
        "Urgent",
        tier2["id"],
    )
    assert results[0]["error"] is None and results[0]["rule_set_id"] == active_set["id"]
    assert (results[1]["routed"], results[1]["reason"], results[1]["error"]) == (
        False,
        "no_item_matched",
        None,
    )
    assert results[2]["error"]["code"] == "case_not_active" and results[2]["error"]["status"] == 409
    assert results[3]["error"]["code"] == "forbidden" and results[3]["error"]["status"] == 403
    assert results[4]["error"]["code"] == "not_found" and results[4]["error"]["status"] == 404
    assert QueueItem.objects.filter(case_id=urgent["id"], state="open").count() == 1
    assert not QueueItem.objects.filter(case_id=foreign["id"]).exists()


def test_bulk_route_is_refused_with_422_when_given_too_many_or_bad_ids(agent_api: Api) -> None:
    too_many = [ZERO] * 1001
    error = assert_error(
        agent_api.post("/api/v1/cases/route", {"case_ids": too_many}), 422, "validation_error"
    )
    assert "case_ids" in error["details"]["fields"]
    assert_error(
        agent_api.post("/api/v1/cases/route", {"case_ids": ["x"]}), 422, "validation_error"
    )
    assert_error(agent_api.post("/api/v1/cases/route", {}), 422, "validation_error")
    assert agent_api.post("/api/v1/cases/route", {"case_ids": []}).json() == {"results": []}


def test_bulk_route_of_many_cases_costs_a_bounded_number_of_queries_per_case(
    manager_api: Api, new_case: NewCase, active_set: dict[str, Any]
) -> None:
    cases = [new_case(priority="high" if i % 2 else "low") for i in range(10)]
    with CaptureQueriesContext(connection) as queries:
        response = manager_api.post("/api/v1/cases/route", {"case_ids": [c["id"] for c in cases]})
    assert response.status_code == 200
    assert sum(r["routed"] for r in response.json()["results"]) == 5
    assert len(queries) <= 10 * 30, len(queries)
