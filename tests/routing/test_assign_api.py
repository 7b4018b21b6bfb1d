"""Assign a case to a user or a team (docs/routing.md, docs/security.md)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from casedesk.cases.models import Case, Post
from casedesk.cases.services.common import Ref
from casedesk.directory.access import SYSTEM
from casedesk.routing.services.items import queue_item_close_for_case
from tests.conftest import Api, assert_error

pytestmark = pytest.mark.django_db
ZERO = "00000000-0000-0000-0000-000000000000"

NewCase = Callable[..., dict[str, Any]]


def assign(api: Api, case: dict[str, Any], type: str, id: Any, **kw: Any) -> Any:
    return api.post(
        f"/api/v1/cases/{case['id']}/assign", {"owner": {"type": type, "id": str(id)}}, **kw
    )


def test_agent_assigns_own_case_to_a_colleague_when_allowed_to_change_it(
    agent_api: Api, make_user: Callable[..., Any], new_case: NewCase
) -> None:
    colleague = make_user("agent", full_name="Luca Ferrari")
    case = new_case()
    response = assign(agent_api, case, "user", colleague.id)
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["owner"] == {"type": "user", "id": str(colleague.id), "name": "Luca Ferrari"}
    assert body["version"] == case["version"] + 1
    assert response["ETag"] == f'"{body["version"]}"'


def test_assign_to_a_team_is_audited_and_posted_when_the_owner_changes(
    agent_api: Api, agent: Any, make_user: Callable[..., Any], new_case: NewCase
) -> None:
    from casedesk.directory.services import team_create

    team = team_create(actor=SYSTEM, name="Supporto Tier 2")
    case = new_case()
    response = assign(agent_api, case, "team", team.id)
    assert response.status_code == 200
    assert response.json()["owner"] == {
        "type": "team",
        "id": str(team.id),
        "name": "Supporto Tier 2",
    }
    audit = agent_api.get(f"/api/v1/cases/{case['id']}/audit").json()["items"]
    entry = audit[-1]
    assert entry["action"] == "assign" and entry["channel"] == "api"
    assert entry["actor"]["id"] == str(agent.id)
    assert entry["changes"]["owner"] == [
        {"type": "user", "id": str(agent.id)},
        {"type": "team", "id": str(team.id)},
    ]
    posts = Post.objects.filter(case_id=case["id"], event="assigned")
    assert [p.text for p in posts] == ["Assigned to Supporto Tier 2."]
    assert posts[0].author is None


def test_assigning_the_current_owner_changes_nothing_when_repeated(
    agent_api: Api, agent: Any, new_case: NewCase
) -> None:
    case = new_case()
    response = assign(agent_api, case, "user", agent.id)
    assert response.status_code == 200
    assert response.json()["version"] == case["version"]
    assert not Post.objects.filter(case_id=case["id"], event="assigned").exists()


def test_agent_is_refused_when_assigning_a_case_they_may_not_change(
    make_user: Callable[..., Any], make_api: Callable[..., Api], new_case: NewCase, agent: Any
) -> None:
    other = make_api(make_user("agent"))
    case = new_case()
    assert_error(assign(other, case, "user", agent.id), 403, "forbidden")
    assert Case.objects.get(id=case["id"]).version == case["version"]


def test_manager_assigns_any_case_when_not_the_owner(
    manager_api: Api, manager: Any, new_case: NewCase
) -> None:
    case = new_case()
    response = assign(manager_api, case, "user", manager.id)
    assert response.status_code == 200
    assert response.json()["owner"]["id"] == str(manager.id)


def test_assign_is_refused_with_case_not_active_when_the_case_is_closed(
    manager_api: Api, manager: Any, new_case: NewCase
) -> None:
    case = new_case()
    Case.objects.filter(id=case["id"]).update(state="cancelled", status="cancelled")
    assert_error(assign(manager_api, case, "user", manager.id), 409, "case_not_active")


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"owner": {"type": "user", "id": ZERO}}, "owner"),
        ({"owner": {"type": "team", "id": ZERO}}, "owner"),
        ({"owner": {"type": "robot", "id": ZERO}}, "owner.type"),
        ({"owner": {"type": "user"}}, "owner.id"),
        ({}, "owner"),
        ({"owner": {"type": "user", "id": ZERO}, "note": "x"}, "note"),
    ],
)
def test_assign_is_refused_with_422_naming_the_field_when_the_owner_is_invalid(
    agent_api: Api, new_case: NewCase, body: dict[str, Any], field: str
) -> None:
    case = new_case()
    error = assert_error(
        agent_api.post(f"/api/v1/cases/{case['id']}/assign", body), 422, "validation_error"
    )
    assert field in error["details"]["fields"]


def test_assign_is_refused_with_412_when_if_match_is_stale(
    agent_api: Api, agent: Any, make_user: Callable[..., Any], new_case: NewCase
) -> None:
    case = new_case()
    other = make_user("agent")
    stale = f'"{case["version"] + 5}"'
    assert_error(
        assign(agent_api, case, "user", other.id, headers={"If-Match": stale}),
        412,
        "version_mismatch",
    )
    fresh = f'"{case["version"]}"'
    assert assign(agent_api, case, "user", other.id, headers={"If-Match": fresh}).status_code == 200


def test_assign_answers_404_and_401_when_the_case_or_caller_is_unknown(
    agent_api: Api, anon_api: Api, agent: Any, new_case: NewCase
) -> None:
    assert_error(assign(agent_api, {"id": ZERO}, "user", agent.id), 404, "not_found")
    assert_error(assign(agent_api, {"id": "nope"}, "user", agent.id), 404, "not_found")
    case = new_case()
    assert_error(assign(anon_api, case, "user", agent.id), 401, "unauthenticated")


def test_agent_loses_the_right_to_change_when_the_case_is_assigned_away(
    agent_api: Api, make_user: Callable[..., Any], new_case: NewCase
) -> None:
    case = new_case()
    assert assign(agent_api, case, "user", make_user("agent").id).status_code == 200
    response = agent_api.patch(f"/api/v1/cases/{case['id']}", {"priority": "high"})
    assert_error(response, 403, "forbidden")


def test_assignment_service_keeps_the_queue_item_when_the_owner_changes(
    manager: Any, agent: Any, new_case: NewCase, new_queue: Callable[..., dict[str, Any]]
) -> None:
    from casedesk.cases.services.assignment import case_assign
    from casedesk.routing.models import QueueItem
    from casedesk.routing.services.items import queue_item_add

    case = new_case()
    queue = new_queue()
    queue_item_add(actor=manager, case_id=case["id"], queue_id=queue["id"])
    case_assign(actor=manager, case_id=case["id"], owner=Ref("user", manager.id))
    assert QueueItem.objects.filter(case_id=case["id"], state="open").count() == 1
    assert queue_item_close_for_case(case=Case.objects.get(id=case["id"])) == 1
