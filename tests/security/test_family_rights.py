"""Who may attach a child to a case, or detach one: the right to change the parent (the rule of
docs/security.md), enforced by the case services for the API, the web UI and every other caller.

An agent who could hang children on any case would block its owner's resolve (close policy
`block`), make it fail (`cascade`) or use up its `max_child_cases`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client

from casedesk.cases.models import Case
from casedesk.cases.services import records
from casedesk.cases.services.common import Ref
from casedesk.core.errors import Forbidden
from tests.conftest import Api, assert_error

pytestmark = pytest.mark.django_db


@pytest.fixture
def account(agent_api: Api) -> dict[str, Any]:
    return agent_api.post("/api/v1/accounts", {"name": "Acme Srl"}).json()


@pytest.fixture
def other_agent(make_user: Callable[..., Any]) -> Any:
    return make_user("agent", username="bruno")


@pytest.fixture
def other_api(make_api: Callable[..., Api], other_agent: Any) -> Api:
    return make_api(other_agent)


def _case(api: Api, account: dict[str, Any], **fields: Any) -> dict[str, Any]:
    body = {"title": "Fibre down", "customer": {"type": "account", "id": account["id"]}, **fields}
    response = api.post("/api/v1/cases", body)
    assert response.status_code == 201, response.content
    return response.json()


def test_creating_a_child_is_refused_with_403_when_the_parent_is_another_agents_case(
    agent_api: Api, other_api: Api, account: dict[str, Any]
) -> None:
    theirs = _case(other_api, account)
    error = assert_error(
        agent_api.post("/api/v1/cases", {"parent_id": theirs["id"]}), 403, "forbidden"
    )
    assert error["details"]["case_id"] == theirs["id"]
    assert not Case.objects.filter(parent_id=theirs["id"]).exists()


def test_attaching_a_case_is_refused_with_403_when_the_parent_is_another_agents_case(
    agent_api: Api, other_api: Api, account: dict[str, Any]
) -> None:
    theirs, mine = _case(other_api, account), _case(agent_api, account)
    assert_error(
        agent_api.patch(f"/api/v1/cases/{mine['id']}", {"parent_id": theirs["id"]}),
        403,
        "forbidden",
    )
    stored = Case.objects.get(pk=mine["id"])
    assert stored.parent_id is None and stored.version == mine["version"]


def test_detaching_a_child_is_refused_with_403_when_the_parent_is_another_agents_case(
    agent_api: Api, other_api: Api, manager_api: Api, account: dict[str, Any]
) -> None:
    theirs, mine = _case(other_api, account), _case(agent_api, account)
    linked = manager_api.patch(f"/api/v1/cases/{mine['id']}", {"parent_id": theirs["id"]})
    assert linked.status_code == 200, linked.content
    assert_error(
        agent_api.patch(f"/api/v1/cases/{mine['id']}", {"parent_id": None}), 403, "forbidden"
    )
    assert str(Case.objects.get(pk=mine["id"]).parent_id) == theirs["id"]


def test_moving_a_child_is_refused_with_403_when_the_agent_may_not_change_its_old_parent(
    agent_api: Api, other_api: Api, manager_api: Api, account: dict[str, Any]
) -> None:
    theirs, own_parent, mine = (
        _case(other_api, account),
        _case(agent_api, account),
        _case(agent_api, account),
    )
    manager_api.patch(f"/api/v1/cases/{mine['id']}", {"parent_id": theirs["id"]})
    assert_error(
        agent_api.patch(f"/api/v1/cases/{mine['id']}", {"parent_id": own_parent["id"]}),
        403,
        "forbidden",
    )
    assert str(Case.objects.get(pk=mine["id"]).parent_id) == theirs["id"]


def test_an_agent_attaches_a_child_when_a_team_of_theirs_owns_the_parent(
    make_user: Callable[..., Any], make_api: Callable[..., Api], account: dict[str, Any]
) -> None:
    first = make_user("agent", username="carla", teams=["Tier 1"])
    second = make_user("agent", username="dario", teams=["Tier 1"])
    team_id = str(first.teams.get().pk)
    parent = _case(make_api(first), account, owner={"type": "team", "id": team_id})
    child = make_api(second).post("/api/v1/cases", {"parent_id": parent["id"]})
    assert child.status_code == 201, child.content
    assert child.json()["parent_id"] == parent["id"]


def test_a_manager_attaches_and_detaches_children_when_the_parent_is_anyones(
    agent_api: Api, other_api: Api, manager_api: Api, account: dict[str, Any]
) -> None:
    theirs = _case(other_api, account)
    child = manager_api.post("/api/v1/cases", {"parent_id": theirs["id"]})
    assert child.status_code == 201, child.content
    mine = _case(agent_api, account)
    attached = manager_api.patch(f"/api/v1/cases/{mine['id']}", {"parent_id": theirs["id"]})
    assert attached.json()["parent_id"] == theirs["id"]
    detached = manager_api.patch(f"/api/v1/cases/{mine['id']}", {"parent_id": None})
    assert detached.json()["parent_id"] is None


def test_the_block_policy_still_lets_the_owner_resolve_when_another_agent_tried_a_child(
    agent_api: Api, other_api: Api, manager_api: Api, account: dict[str, Any]
) -> None:
    manager_api.patch("/api/v1/config/service", {"parent_close_policy": "block"})
    theirs = _case(other_api, account)
    agent_api.post("/api/v1/cases", {"parent_id": theirs["id"]})
    resolved = other_api.post(
        f"/api/v1/cases/{theirs['id']}/resolve", {"resolution": "Replaced the router."}
    )
    assert resolved.status_code == 200, resolved.content


def test_the_service_refuses_a_child_when_the_actor_may_not_change_the_parent(
    agent: Any, other_agent: Any, account: dict[str, Any]
) -> None:
    theirs = records.case_create(
        actor=other_agent, title="Theirs", customer=Ref("account", account["id"])
    )
    with pytest.raises(Forbidden):
        records.case_create(actor=agent, parent_id=theirs.pk)


def test_the_new_case_form_is_refused_with_403_when_the_parent_is_another_agents_case(
    agent: Any, other_api: Api, account: dict[str, Any]
) -> None:
    theirs = _case(other_api, account)
    client = Client()
    client.force_login(agent)
    response = client.post(
        "/cases/new/",
        {
            "title": "Hanging on",
            "customer": f"account:{account['id']}",
            "origin": "phone",
            "priority": "normal",
            "parent": theirs["id"],
        },
    )
    assert response.status_code == 403
    assert "You are not allowed to do this." in response.content.decode()
    assert not Case.objects.filter(title="Hanging on").exists()
