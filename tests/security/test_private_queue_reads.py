"""The private-queue rule on every read (docs/security.md): a private queue's items — which
cases sit in it — are visible to its members, managers and administrators only.

Agents read every case, but a case in a private queue they are not a member of shows no queue
to them: not in the case record (`queue_id` null), not through the list's `queue_id` filter
(which lists nothing, as `/queue-items?queue_id=` does), not in the case's audit, not on the
web UI's case page and history.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client

from tests.conftest import Api

pytestmark = pytest.mark.django_db


@pytest.fixture
def member(make_user: Callable[..., Any]) -> Any:
    return make_user("agent", username="mara", full_name="Mara Member")


@pytest.fixture
def member_api(make_api: Callable[..., Api], member: Any) -> Api:
    return make_api(member)


@pytest.fixture
def world(agent_api: Api, manager_api: Api, member: Any) -> dict[str, Any]:
    """The agent's case, put by a manager in a private queue whose only member is `member`."""
    account = agent_api.post("/api/v1/accounts", {"name": "Acme Srl"}).json()
    case = agent_api.post(
        "/api/v1/cases",
        {"title": "Escalated", "customer": {"type": "account", "id": account["id"]}},
    ).json()
    private = manager_api.post(
        "/api/v1/queues",
        {"name": "VIP escalations", "type": "private", "member_ids": [str(member.pk)]},
    ).json()
    queued = manager_api.post(f"/api/v1/cases/{case['id']}/queue", {"queue_id": private["id"]})
    assert queued.status_code == 200, queued.content
    return {"account": account["id"], "case": case["id"], "queue": private["id"]}


def _listed(api: Api, **query: Any) -> list[str]:
    response = api.get("/api/v1/cases", **query)
    assert response.status_code == 200, response.content
    return [item["id"] for item in response.json()["items"]]


def test_the_case_list_filtered_by_a_private_queue_is_empty_when_the_agent_is_not_a_member(
    agent_api: Api, world: dict[str, Any]
) -> None:
    assert _listed(agent_api, queue_id=world["queue"]) == []
    assert _listed(agent_api, queue_id=world["queue"], search="Escalated") == []


def test_the_case_list_filtered_by_a_private_queue_lists_its_cases_when_the_agent_is_a_member(
    member_api: Api, manager_api: Api, world: dict[str, Any]
) -> None:
    assert _listed(member_api, queue_id=world["queue"]) == [world["case"]]
    assert _listed(manager_api, queue_id=world["queue"]) == [world["case"]]


def test_the_case_record_shows_no_queue_when_its_private_queue_is_hidden_from_the_agent(
    agent_api: Api, world: dict[str, Any]
) -> None:
    record = agent_api.get(f"/api/v1/cases/{world['case']}").json()
    assert record["queue_id"] is None
    listed = agent_api.get("/api/v1/cases", customer_id=world["account"]).json()["items"]
    assert [item["queue_id"] for item in listed] == [None]
    customer = agent_api.get(f"/api/v1/customers/account/{world['account']}").json()
    assert [c["queue_id"] for c in customer["recent_cases"]] == [None]


def test_the_case_record_shows_its_private_queue_when_the_agent_is_a_member(
    member_api: Api, world: dict[str, Any]
) -> None:
    assert member_api.get(f"/api/v1/cases/{world['case']}").json()["queue_id"] == world["queue"]


def test_an_answer_to_a_change_shows_no_queue_when_it_is_hidden_from_the_agent(
    agent_api: Api, world: dict[str, Any]
) -> None:
    changed = agent_api.patch(f"/api/v1/cases/{world['case']}", {"priority": "high"})
    assert changed.status_code == 200, changed.content
    assert changed.json()["queue_id"] is None


def test_the_case_audit_names_no_private_queue_when_it_is_hidden_from_the_agent(
    agent_api: Api, world: dict[str, Any]
) -> None:
    response = agent_api.get(f"/api/v1/cases/{world['case']}/audit")
    entry = next(e for e in response.json()["items"] if e["action"] == "queue")
    assert entry["changes"] == {"queue_id": [None, None]}
    assert world["queue"] not in json.dumps(response.json())


def test_the_case_audit_names_the_private_queue_when_the_agent_is_a_member(
    member_api: Api, world: dict[str, Any]
) -> None:
    items = member_api.get(f"/api/v1/cases/{world['case']}/audit").json()["items"]
    entry = next(e for e in items if e["action"] == "queue")
    assert entry["changes"] == {"queue_id": [None, world["queue"]]}


def test_routing_names_no_private_queue_when_it_is_hidden_from_the_agent(
    agent_api: Api, manager_api: Api, world: dict[str, Any]
) -> None:
    rule_set = manager_api.post(
        "/api/v1/routing-rule-sets",
        {
            "name": "Escalations",
            "items": [
                {
                    "name": "Everything",
                    "conditions": [{"field": "priority", "op": "eq", "value": "normal"}],
                    "route_to": {"queue_id": world["queue"]},
                }
            ],
        },
    ).json()
    activated = manager_api.post(f"/api/v1/routing-rule-sets/{rule_set['id']}/activate")
    assert activated.status_code == 200, activated.content
    account = {"type": "account", "id": world["account"]}
    routed = agent_api.post("/api/v1/cases", {"title": "New", "customer": account}).json()
    answer = agent_api.post(f"/api/v1/cases/{routed['id']}/route").json()
    assert answer["routed"] is True
    assert (answer["queue_id"], answer["case"]["queue_id"]) == (None, None)
    bulk = agent_api.post("/api/v1/cases/route", {"case_ids": [routed["id"]]}).json()
    assert bulk["results"][0]["queue_id"] is None
    audit = agent_api.get(f"/api/v1/cases/{routed['id']}/audit").json()
    assert world["queue"] not in json.dumps(audit)


def test_the_web_case_page_and_history_name_no_private_queue_when_it_is_hidden(
    agent: Any, world: dict[str, Any]
) -> None:
    client = Client()
    client.force_login(agent)
    page = client.get(f"/cases/{world['case']}/").content.decode()
    assert "VIP escalations" not in page and world["queue"] not in page
    history = client.get(f"/cases/{world['case']}/history/").content.decode()
    assert world["queue"] not in history and "VIP escalations" not in history


def test_the_web_history_names_the_private_queue_when_the_agent_is_a_member(
    member: Any, world: dict[str, Any]
) -> None:
    client = Client()
    client.force_login(member)
    history = client.get(f"/cases/{world['case']}/history/").content.decode()
    assert "VIP escalations" in history  # by its name, not its id


def test_the_web_case_list_neither_offers_nor_filters_by_a_private_queue_when_it_is_hidden(
    agent: Any, world: dict[str, Any]
) -> None:
    client = Client()
    client.force_login(agent)
    plain = client.get("/cases/", {"view": "active"})
    assert world["queue"] not in plain.content.decode()
    filtered = client.get("/cases/", {"view": "active", "queue": world["queue"]})
    assert [c.pk for c in filtered.context["cases"]] == [c.pk for c in plain.context["cases"]]


def test_the_web_save_and_route_message_names_no_private_queue_when_it_is_hidden(
    agent: Any, manager_api: Api, world: dict[str, Any]
) -> None:
    from casedesk.cases.models import Case
    from tests.web.test_case_pages import _form

    rule_set = manager_api.post(
        "/api/v1/routing-rule-sets",
        {
            "name": "Escalations",
            "items": [
                {
                    "name": "Everything",
                    "conditions": [{"field": "priority", "op": "eq", "value": "normal"}],
                    "route_to": {"queue_id": world["queue"]},
                }
            ],
        },
    ).json()
    manager_api.post(f"/api/v1/routing-rule-sets/{rule_set['id']}/activate")
    case = Case.objects.get(pk=world["case"])
    client = Client()
    client.force_login(agent)
    response = client.post(f"/cases/{case.pk}/route/", _form(case), follow=True)
    text = response.content.decode()
    assert "routed to a private queue by the rule Everything" in text
    assert "VIP escalations" not in text
