"""Routing rule sets: validated on save, exclusive activation, active sets read-only
(docs/routing.md)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.db import IntegrityError, transaction

from casedesk.core import clock
from casedesk.core.models import AuditEntry
from casedesk.routing.models import RoutingRuleSet
from tests.conftest import Api, assert_error

pytestmark = pytest.mark.django_db
ZERO = "00000000-0000-0000-0000-000000000000"
BASE = "/api/v1/routing-rule-sets"


@pytest.fixture
def queue(new_queue: Callable[..., dict[str, Any]]) -> dict[str, Any]:
    return new_queue("Tier 2")


def vip_item(queue: dict[str, Any], name: str = "VIP phone") -> dict[str, Any]:
    return {
        "name": name,
        "conditions": [
            {"field": "priority", "op": "eq", "value": "high"},
            {"field": "origin", "op": "in", "value": ["phone", "chat"]},
        ],
        "route_to": {"queue_id": queue["id"]},
    }


def create(api: Api, name: str = "Standard", items: list[Any] | None = None) -> Any:
    return api.post(BASE, {"name": name, "items": items or []})


def test_manager_creates_an_inactive_set_with_ordered_items_when_valid(
    manager_api: Api, manager: Any, queue: dict[str, Any]
) -> None:
    owner_item = {
        "name": "Billing",
        "conditions": [{"field": "customer.name", "op": "contains", "value": "acme"}],
        "route_to": {"owner": {"type": "user", "id": str(manager.id)}},
    }
    response = create(manager_api, items=[vip_item(queue), owner_item])
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["active"] is False and body["version"] == 1 and body["name"] == "Standard"
    assert response["ETag"] == '"1"'
    assert [i["name"] for i in body["items"]] == ["VIP phone", "Billing"]
    assert body["items"][0]["conditions"] == vip_item(queue)["conditions"]
    assert body["items"][0]["route_to"] == {"queue_id": queue["id"], "owner": None}
    assert body["items"][1]["route_to"] == {
        "queue_id": None,
        "owner": {"type": "user", "id": str(manager.id), "name": "Marco Manager"},
    }
    assert manager_api.get(f"{BASE}/{body['id']}").json() == body
    assert [s["id"] for s in manager_api.get(BASE).json()["items"]] == [body["id"]]


def test_set_answered_by_get_is_accepted_back_when_patched_unchanged(
    manager_api: Api, manager: Any, queue: dict[str, Any]
) -> None:
    owner_item = {
        "name": "Mine",
        "conditions": [],
        "route_to": {"owner": {"type": "user", "id": str(manager.id)}},
    }
    body = create(manager_api, items=[vip_item(queue), owner_item]).json()
    response = manager_api.patch(
        f"{BASE}/{body['id']}", {"name": body["name"], "items": body["items"]}
    )
    assert response.status_code == 200, response.content
    assert response.json()["version"] == 1


def test_agent_reads_sets_but_is_refused_when_writing_them(
    agent_api: Api, manager_api: Api, queue: dict[str, Any]
) -> None:
    body = create(manager_api).json()
    assert agent_api.get(BASE).status_code == 200
    assert agent_api.get(f"{BASE}/{body['id']}").status_code == 200
    assert_error(create(agent_api), 403, "forbidden")
    assert_error(agent_api.patch(f"{BASE}/{body['id']}", {"name": "X"}), 403, "forbidden")
    assert_error(agent_api.post(f"{BASE}/{body['id']}/activate"), 403, "forbidden")
    assert_error(agent_api.post(f"{BASE}/{body['id']}/deactivate"), 403, "forbidden")


@pytest.mark.parametrize(
    ("item", "field"),
    [
        ({"conditions": [{"field": "colour", "op": "eq", "value": "red"}]}, "conditions.0.field"),
        ({"conditions": [{"field": "priority", "op": "like", "value": "x"}]}, "conditions.0.op"),
        (
            {
                "conditions": [
                    {"field": "priority", "op": "eq", "value": "high"},
                    {"field": "priority", "op": "eq", "value": "urgent"},
                ]
            },
            "conditions.1.value",
        ),
        ({"conditions": [{"field": "number", "op": "eq", "value": "7"}]}, "conditions.0.value"),
        (
            {"conditions": [{"field": "title", "op": "eq", "value": "a\u0000"}]},
            "conditions.0.value",
        ),
        ({"route_to": {}}, "route_to"),
        ({"route_to": {"queue_id": ZERO}}, "route_to.queue_id"),
        ({"route_to": {"owner": {"type": "user", "id": ZERO}}}, "route_to.owner"),
        ({"route_to": {"owner": {"type": "team", "id": ZERO}}}, "route_to.owner"),
    ],
)
def test_set_is_refused_with_422_naming_the_bad_item_when_invalid(
    manager_api: Api, queue: dict[str, Any], item: dict[str, Any], field: str
) -> None:
    good = vip_item(queue, "First")
    bad = {**vip_item(queue, "Second"), **item}
    error = assert_error(create(manager_api, items=[good, bad]), 422, "validation_error")
    assert f"items.1.{field}" in error["details"]["fields"], error
    assert not RoutingRuleSet.objects.exists()


def test_set_is_refused_when_two_items_share_a_name(
    manager_api: Api, queue: dict[str, Any]
) -> None:
    items = [vip_item(queue, "Same"), vip_item(queue, "same")]
    error = assert_error(create(manager_api, items=items), 422, "validation_error")
    assert "items.1.name" in error["details"]["fields"]


@pytest.mark.parametrize(
    "body",
    [
        {"items": []},
        {"name": "", "items": []},
        {"name": "S", "items": [{"name": "x", "conditions": []}]},
        {"name": "S", "items": [{"name": "x", "route_to": {"queue_id": ZERO}, "extra": 1}]},
        {"name": "S", "items": "all"},
        {"name": "S", "active": True},
    ],
)
def test_set_is_refused_with_422_when_the_shape_is_wrong(
    manager_api: Api, body: dict[str, Any]
) -> None:
    assert_error(manager_api.post(BASE, body), 422, "validation_error")


def test_activate_deactivates_every_other_set_when_called(manager_api: Api) -> None:
    first = create(manager_api, "First").json()
    second = create(manager_api, "Second").json()
    response = manager_api.post(f"{BASE}/{first['id']}/activate")
    assert response.status_code == 200 and response.json()["active"] is True
    assert response.json()["version"] == 2
    response = manager_api.post(f"{BASE}/{second['id']}/activate", raw="")
    assert response.status_code == 200 and response.json()["active"] is True
    assert manager_api.get(f"{BASE}/{first['id']}").json()["active"] is False
    assert RoutingRuleSet.objects.filter(active=True).count() == 1
    actions = list(
        AuditEntry.objects.filter(entity_type="routing_rule_set")
        .order_by("id")
        .values_list("entity_id", "action")
    )
    assert [a for _, a in actions][-2:] == ["deactivate", "activate"]


def test_activating_the_active_set_changes_nothing_when_repeated(manager_api: Api) -> None:
    body = create(manager_api).json()
    manager_api.post(f"{BASE}/{body['id']}/activate")
    again = manager_api.post(f"{BASE}/{body['id']}/activate", {})
    assert again.status_code == 200 and again.json()["version"] == 2


def test_deactivate_leaves_no_active_set_when_called(manager_api: Api) -> None:
    body = create(manager_api).json()
    manager_api.post(f"{BASE}/{body['id']}/activate")
    response = manager_api.post(f"{BASE}/{body['id']}/deactivate")
    assert response.status_code == 200 and response.json()["active"] is False
    assert not RoutingRuleSet.objects.filter(active=True).exists()
    idle = manager_api.post(f"{BASE}/{body['id']}/deactivate")
    assert idle.status_code == 200 and idle.json()["version"] == response.json()["version"]


def test_active_set_is_read_only_until_deactivated(manager_api: Api, queue: dict[str, Any]) -> None:
    body = create(manager_api, items=[vip_item(queue)]).json()
    manager_api.post(f"{BASE}/{body['id']}/activate")
    path = f"{BASE}/{body['id']}"
    assert_error(manager_api.patch(path, {"name": "Renamed"}), 409, "rule_set_active")
    assert_error(manager_api.patch(path, {"items": []}), 409, "rule_set_active")
    manager_api.post(f"{path}/deactivate")
    response = manager_api.patch(path, {"name": "Renamed", "items": []})
    assert response.status_code == 200
    assert response.json()["name"] == "Renamed" and response.json()["items"] == []
    entry = AuditEntry.objects.filter(entity_id=body["id"], action="update").get()
    assert set(entry.changes) == {"name", "items"}


def test_patch_replaces_items_in_the_given_order_when_items_are_sent(
    manager_api: Api, queue: dict[str, Any]
) -> None:
    body = create(manager_api, items=[vip_item(queue, "A"), vip_item(queue, "B")]).json()
    response = manager_api.patch(
        f"{BASE}/{body['id']}", {"items": [vip_item(queue, "B"), vip_item(queue, "A")]}
    )
    assert [i["name"] for i in response.json()["items"]] == ["B", "A"]
    assert response.json()["version"] == 2


def test_rule_set_actions_honour_if_match_and_answer_404_when_unknown(
    manager_api: Api, anon_api: Api
) -> None:
    body = create(manager_api).json()
    path = f"{BASE}/{body['id']}"
    stale = {"If-Match": '"5"'}
    assert_error(manager_api.patch(path, {"name": "X"}, headers=stale), 412, "version_mismatch")
    assert_error(manager_api.post(f"{path}/activate", headers=stale), 412, "version_mismatch")
    assert manager_api.post(f"{path}/activate", headers={"If-Match": '"1"'}).status_code == 200
    assert_error(manager_api.post(f"{path}/deactivate", headers=stale), 412, "version_mismatch")
    for call in (
        lambda: manager_api.get(f"{BASE}/{ZERO}"),
        lambda: manager_api.patch(f"{BASE}/{ZERO}", {"name": "X"}),
        lambda: manager_api.post(f"{BASE}/{ZERO}/activate"),
        lambda: manager_api.post(f"{BASE}/{ZERO}/deactivate"),
    ):
        assert_error(call(), 404, "not_found")
    assert_error(manager_api.post(f"{path}/activate", {"now": True}), 422, "validation_error")
    assert_error(anon_api.get(BASE), 401, "unauthenticated")


def test_database_refuses_a_second_active_set_when_written_around_the_service() -> None:
    now = clock.now()
    RoutingRuleSet.objects.create(name="A", active=True, created_at=now, modified_at=now)
    with pytest.raises(IntegrityError), transaction.atomic():
        RoutingRuleSet.objects.create(name="B", active=True, created_at=now, modified_at=now)
