"""The case record through the API: create, get, list, patch, audit (docs/cases.md,
docs/security.md)."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from casedesk.cases.models import Case, Post
from tests.conftest import Api, assert_error

pytestmark = pytest.mark.django_db
ZERO = "00000000-0000-0000-0000-000000000000"


def test_create_answers_the_full_case_record_with_defaults(
    agent_api: Api, agent: Any, account: dict[str, Any]
) -> None:
    response = agent_api.post(
        "/api/v1/cases",
        {"title": "Internet down", "customer": {"type": "account", "id": account["id"]}},
    )
    assert response.status_code == 201
    case = response.json()
    assert re.fullmatch(r"CAS-\d{5,}-[A-Z0-9]{6}", case["ticket_number"])
    assert case["number"] >= 1000
    assert case["customer"] == {"type": "account", "id": account["id"], "name": "Acme Srl"}
    assert case["owner"] == {"type": "user", "id": str(agent.id), "name": "Anna Agente"}
    expected = {
        "origin": "phone",
        "priority": "normal",
        "stage": "identify",
        "state": "active",
        "status": "in_progress",
        "queue_id": None,
        "entitlement_id": None,
        "contract_line_id": None,
        "parent_id": None,
        "merged_into_id": None,
        "decrement_entitlement_terms": True,
        "total_minutes": 0,
        "billable_minutes": 0,
        "resolved_at": None,
        "version": 1,
    }
    assert {k: case[k] for k in expected} == expected
    assert response["ETag"] == '"1"'


def test_ticket_numbers_are_unique_and_grow(new_case: Any) -> None:
    numbers = [new_case()["number"] for _ in range(3)]
    assert numbers == sorted(numbers) and len(set(numbers)) == 3


def test_create_writes_audit_and_a_system_post(new_case: Any, agent: Any) -> None:
    case = new_case()
    posts = Post.objects.filter(case_id=case["id"])
    assert [(p.event, p.author_id) for p in posts] == [("created", None)]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"customer": None}, "title"),
        ({"title": ""}, "title"),
        ({"title": "x" * 201}, "title"),
        ({"description": "x" * 100_001}, "description"),
        ({"origin": "fax"}, "origin"),
        ({"priority": "urgent"}, "priority"),
        ({"status": "problem_solved"}, "status"),
        ({"subject_id": ZERO}, "subject_id"),
        ({"product_id": ZERO}, "product_id"),
        ({"contact_id": ZERO}, "contact_id"),
        ({"owner": {"type": "user", "id": ZERO}}, "owner"),
        ({"owner": {"type": "robot", "id": ZERO}}, "owner.type"),
        ({"state": "resolved"}, "state"),
    ],
)
def test_create_refuses_invalid_values_with_422_naming_the_field(
    agent_api: Api, account: dict[str, Any], body: dict[str, Any], field: str
) -> None:
    payload = {"title": "T", "customer": {"type": "account", "id": account["id"]}}
    payload.update(body)
    if body.get("customer", 1) is None:
        payload = {"customer": {"type": "account", "id": account["id"]}}
    before = Case.objects.count()
    error = assert_error(agent_api.post("/api/v1/cases", payload), 422, "validation_error")
    assert any(name.startswith(field) for name in error["details"]["fields"]), error
    assert Case.objects.count() == before


def test_create_needs_a_customer(agent_api: Api) -> None:
    error = assert_error(agent_api.post("/api/v1/cases", {"title": "T"}), 422, "validation_error")
    assert "customer" in error["details"]["fields"]


def test_contact_must_belong_to_the_customer_account(
    agent_api: Api, account: dict[str, Any]
) -> None:
    inside = agent_api.post(
        "/api/v1/contacts", {"last_name": "Rossi", "account_id": account["id"]}
    ).json()
    outside = agent_api.post("/api/v1/contacts", {"last_name": "Verdi"}).json()
    customer = {"type": "account", "id": account["id"]}
    ok = agent_api.post(
        "/api/v1/cases", {"title": "T", "customer": customer, "contact_id": inside["id"]}
    )
    assert ok.status_code == 201 and ok.json()["contact_id"] == inside["id"]
    refused = agent_api.post(
        "/api/v1/cases", {"title": "T", "customer": customer, "contact_id": outside["id"]}
    )
    assert "contact_id" in assert_error(refused, 422, "validation_error")["details"]["fields"]


def test_a_contact_customer_may_be_its_own_contact(agent_api: Api) -> None:
    person = agent_api.post("/api/v1/contacts", {"last_name": "Neri"}).json()
    response = agent_api.post(
        "/api/v1/cases",
        {
            "title": "T",
            "customer": {"type": "contact", "id": person["id"]},
            "contact_id": person["id"],
        },
    )
    assert response.status_code == 201
    assert response.json()["customer"]["type"] == "contact"


def test_unknown_and_malformed_case_ids_are_404(agent_api: Api) -> None:
    assert_error(agent_api.get(f"/api/v1/cases/{ZERO}"), 404, "not_found")
    assert_error(agent_api.get("/api/v1/cases/CAS-01000"), 404, "not_found")
    assert_error(agent_api.patch(f"/api/v1/cases/{ZERO}", {"title": "x"}), 404, "not_found")


def test_cases_need_authentication(anon_api: Api) -> None:
    assert_error(anon_api.get("/api/v1/cases"), 401, "unauthenticated")
    assert_error(anon_api.post("/api/v1/cases", {}), 401, "unauthenticated")


def test_patch_is_a_merge_patch_that_bumps_version_and_audits(
    agent_api: Api, new_case: Any
) -> None:
    case = new_case(description="keep me")
    response = agent_api.patch(
        f"/api/v1/cases/{case['id']}",
        {"priority": "high", "stage": "research", "case_type": "problem"},
        headers={"If-Match": '"1"'},
    )
    assert response.status_code == 200
    body = response.json()
    assert (body["priority"], body["stage"], body["case_type"]) == ("high", "research", "problem")
    assert body["description"] == "keep me" and body["version"] == 2
    assert response["ETag"] == '"2"'
    audit = agent_api.get(f"/api/v1/cases/{case['id']}/audit").json()["items"]
    assert [e["action"] for e in audit] == ["create", "update"]
    assert audit[1]["changes"] == {
        "priority": ["normal", "high"],
        "stage": ["identify", "research"],
        "case_type": [None, "problem"],
    }
    assert audit[1]["channel"] == "api" and audit[1]["actor"]["name"] == "Anna Agente"


def test_patch_null_clears_an_optional_field(agent_api: Api, new_case: Any) -> None:
    case = new_case(case_type="question")
    body = agent_api.patch(f"/api/v1/cases/{case['id']}", {"case_type": None}).json()
    assert body["case_type"] is None


def test_patch_with_a_stale_version_is_412_and_changes_nothing(
    agent_api: Api, new_case: Any
) -> None:
    case = new_case()
    agent_api.patch(f"/api/v1/cases/{case['id']}", {"priority": "low"})
    stale = agent_api.patch(
        f"/api/v1/cases/{case['id']}", {"priority": "high"}, headers={"If-Match": '"1"'}
    )
    assert_error(stale, 412, "version_mismatch")
    assert agent_api.get(f"/api/v1/cases/{case['id']}").json()["priority"] == "low"


@pytest.mark.parametrize(
    "field",
    ["owner", "queue_id", "state", "total_minutes", "billable_minutes", "ticket_number", "colour"],
)
def test_patch_refuses_read_only_and_unknown_fields(
    agent_api: Api, new_case: Any, field: str
) -> None:
    case = new_case()
    error = assert_error(
        agent_api.patch(f"/api/v1/cases/{case['id']}", {field: None}), 422, "validation_error"
    )
    assert field in error["details"]["fields"]


def test_patch_status_moves_only_within_the_active_state(agent_api: Api, new_case: Any) -> None:
    case = new_case()
    ok = agent_api.patch(f"/api/v1/cases/{case['id']}", {"status": "on_hold"})
    assert ok.json()["status"] == "on_hold"
    assert_error(
        agent_api.patch(f"/api/v1/cases/{case['id']}", {"status": "problem_solved"}),
        422,
        "validation_error",
    )


def test_changing_the_customer_clears_a_contact_that_no_longer_belongs(
    agent_api: Api, new_case: Any, account: dict[str, Any]
) -> None:
    contact = agent_api.post(
        "/api/v1/contacts", {"last_name": "Rossi", "account_id": account["id"]}
    ).json()
    case = new_case(contact_id=contact["id"])
    other = agent_api.post("/api/v1/accounts", {"name": "Other"}).json()
    body = agent_api.patch(
        f"/api/v1/cases/{case['id']}", {"customer": {"type": "account", "id": other["id"]}}
    ).json()
    assert body["customer"]["id"] == other["id"] and body["contact_id"] is None


def test_agent_cannot_change_another_agents_case(
    agent_api: Api, new_case: Any, make_user: Any, make_api: Any
) -> None:
    case = new_case()
    other = make_api(make_user())
    assert_error(other.patch(f"/api/v1/cases/{case['id']}", {"priority": "high"}), 403, "forbidden")
    assert other.get(f"/api/v1/cases/{case['id']}").status_code == 200


def test_team_members_change_cases_their_team_owns(
    agent_api: Api, new_case: Any, make_user: Any, make_api: Any, admin_api: Api
) -> None:
    member = make_user(teams=["Tier 2"])
    team_id = str(member.teams.get().id)
    case = new_case(owner={"type": "team", "id": team_id})
    assert case["owner"]["type"] == "team"
    response = make_api(member).patch(f"/api/v1/cases/{case['id']}", {"priority": "low"})
    assert response.status_code == 200


def test_manager_changes_any_case(manager_api: Api, new_case: Any) -> None:
    case = new_case()
    assert manager_api.patch(f"/api/v1/cases/{case['id']}", {"title": "New"}).status_code == 200


def test_child_case_inherits_from_parent_unless_given(agent_api: Api, new_case: Any) -> None:
    parent = new_case(priority="high", description="parent")
    child = agent_api.post("/api/v1/cases", {"parent_id": parent["id"]})
    assert child.status_code == 201
    body = child.json()
    assert body["title"] == parent["title"] and body["customer"] == parent["customer"]
    assert body["priority"] == "high" and body["parent_id"] == parent["id"]
    assert body["description"] == ""
    own = agent_api.post(
        "/api/v1/cases", {"parent_id": parent["id"], "title": "Own", "priority": "low"}
    ).json()
    assert (own["title"], own["priority"]) == ("Own", "low")
    children = agent_api.get(f"/api/v1/cases/{parent['id']}/children").json()["items"]
    assert {c["id"] for c in children} == {body["id"], own["id"]}


def test_a_child_cannot_have_children(agent_api: Api, new_case: Any) -> None:
    parent = new_case()
    child = new_case(parent_id=parent["id"])
    assert_error(agent_api.post("/api/v1/cases", {"parent_id": child["id"]}), 409, "case_hierarchy")
    grand = new_case()
    assert_error(
        agent_api.patch(f"/api/v1/cases/{parent['id']}", {"parent_id": grand["id"]}),
        409,
        "case_hierarchy",
    )


def test_unknown_parent_is_422(agent_api: Api) -> None:
    error = assert_error(
        agent_api.post("/api/v1/cases", {"parent_id": ZERO}), 422, "validation_error"
    )
    assert "parent_id" in error["details"]["fields"]


def test_list_filters_combine(
    agent_api: Api, new_case: Any, account: dict[str, Any], make_user: Any, make_api: Any
) -> None:
    mine = new_case()
    held = new_case()
    agent_api.patch(f"/api/v1/cases/{held['id']}", {"status": "on_hold"})
    other_api = make_api(make_user())
    other_account = agent_api.post("/api/v1/accounts", {"name": "Other"}).json()
    theirs = new_case(other_api, customer={"type": "account", "id": other_account["id"]})

    def ids(**query: Any) -> set[str]:
        return {c["id"] for c in agent_api.get("/api/v1/cases", **query).json()["items"]}

    assert ids() == {mine["id"], held["id"], theirs["id"]}
    assert ids(owner_id=mine["owner"]["id"]) == {mine["id"], held["id"]}
    assert ids(status="on_hold") == {held["id"]}
    assert ids(customer_id=account["id"], state="active") == {mine["id"], held["id"]}
    assert ids(state="resolved") == set()
    assert ids(parent_id=mine["id"]) == set()


def test_list_rejects_bad_filter_values_with_400(agent_api: Api) -> None:
    assert_error(agent_api.get("/api/v1/cases", state="closed"), 400, "bad_request")
    assert_error(agent_api.get("/api/v1/cases", owner_id="me"), 400, "bad_request")


def test_list_is_newest_first_and_pages_with_a_constant_number_of_queries(
    agent_api: Api, new_case: Any
) -> None:
    created = [new_case(title=f"Case {i}")["id"] for i in range(12)]
    seen: list[str] = []
    counts: list[int] = []
    cursor = None
    while True:
        query: dict[str, Any] = {"limit": 5}
        if cursor:
            query["cursor"] = cursor
        with CaptureQueriesContext(connection) as ctx:
            body = agent_api.get("/api/v1/cases", **query).json()
        counts.append(len(ctx.captured_queries))
        seen.extend(c["id"] for c in body["items"])
        cursor = body["next"]
        if not cursor:
            break
    assert seen == list(reversed(created))
    assert len(set(counts)) == 1, counts


def test_cursor_of_one_filter_is_refused_by_another(agent_api: Api, new_case: Any) -> None:
    for _ in range(3):
        new_case()
    cursor = agent_api.get("/api/v1/cases", limit=1).json()["next"]
    assert_error(
        agent_api.get("/api/v1/cases", limit=1, cursor=cursor, state="active"), 400, "bad_request"
    )
