"""`allowed_actions` on the API's answers for one case, and the merge candidates."""

from __future__ import annotations

from typing import Any

from casedesk.cases import actions
from tests.cases.support import configure, get_case, resolve
from tests.conftest import Api


def test_case_answer_lists_what_its_owner_may_do_when_it_is_active(
    agent_api: Api, new_case: Any
) -> None:
    case = new_case()
    assert case["allowed_actions"] == [
        "edit",
        "correct",
        "resolve",
        "cancel",
        "assign",
        "add_to_queue",
        "route",
        "add_activity",
        "add_note",
        "add_post",
        "connect",
        "add_child",
    ]
    assert get_case(agent_api, case["id"])["allowed_actions"] == case["allowed_actions"]


def test_case_answer_offers_reactivate_and_follow_ups_only_when_it_is_resolved(
    agent_api: Api, new_case: Any
) -> None:
    case = new_case()
    resolved = resolve(agent_api, case["id"]).json()
    assert resolved["allowed_actions"] == [
        "reactivate",
        "add_activity",
        "add_note",
        "add_post",
        "connect",
    ]


def test_case_answer_lists_nothing_when_the_caller_may_not_change_the_case(
    make_api: Any, make_user: Any, new_case: Any
) -> None:
    case = new_case()
    other = make_api(make_user("agent"))
    assert get_case(other, case["id"])["allowed_actions"] == []


def test_merged_case_answer_offers_nothing_when_the_caller_owns_it(
    agent_api: Api, new_case: Any
) -> None:
    master, case = new_case(title="Master"), new_case(title="Duplicate")
    merged = agent_api.post(f"/api/v1/cases/{case['id']}/merge", {"into": master["id"]}).json()
    assert merged["allowed_actions"] == []


def test_case_answer_leaves_out_reactivate_when_the_enforced_map_forbids_it(
    agent_api: Api, manager_api: Api, new_case: Any
) -> None:
    case = new_case()
    resolve(agent_api, case["id"])
    allowed = {status: ["problem_solved", "cancelled"] for status in ("in_progress",)}
    allowed.update({s: ["cancelled"] for s in ("on_hold", "waiting_for_details", "researching")})
    response = manager_api.put(
        "/api/v1/config/status-transitions", {"enforced": True, "allowed": allowed}
    )
    assert response.status_code == 200, response.content
    body = get_case(agent_api, case["id"])
    assert actions.REACTIVATE not in body["allowed_actions"]
    refused = agent_api.post(f"/api/v1/cases/{case['id']}/reactivate")
    assert refused.json()["error"]["code"] == "transition_not_allowed"


def test_case_answer_offers_correct_to_a_manager_when_closed_updates_are_allowed(
    agent_api: Api, manager_api: Api, new_case: Any
) -> None:
    case = new_case()
    resolve(agent_api, case["id"])
    configure(manager_api, allow_closed_updates=True)
    body = get_case(manager_api, case["id"])
    assert "correct" in body["allowed_actions"] and "edit" not in body["allowed_actions"]
    assert "correct" not in get_case(agent_api, case["id"])["allowed_actions"]


def test_merge_candidates_are_the_active_cases_of_the_customer_the_caller_may_change(
    agent_api: Api, manager_api: Api, new_case: Any
) -> None:
    mine = new_case(title="Mine")
    new_case(api=manager_api, title="The manager's")
    case = new_case(title="Duplicate")
    response = agent_api.get(f"/api/v1/cases/{case['id']}/merge-candidates")
    assert response.status_code == 200
    assert [c["id"] for c in response.json()["items"]] == [mine["id"]]
    assert "merge" in get_case(agent_api, case["id"])["allowed_actions"]


def test_merge_candidates_are_empty_when_the_case_is_resolved(
    agent_api: Api, new_case: Any
) -> None:
    new_case(title="Mine")
    case = new_case(title="Duplicate")
    resolve(agent_api, case["id"])
    response = agent_api.get(f"/api/v1/cases/{case['id']}/merge-candidates")
    assert response.json() == {"items": []}


def test_openapi_documents_allowed_actions_on_the_case_record(agent_api: Api) -> None:
    doc = agent_api.get("/api/v1/openapi.json").json()
    field = doc["components"]["schemas"]["CaseRecordOut"]["properties"]["allowed_actions"]
    assert field["type"] == "array" and "reactivate" in field["description"]
