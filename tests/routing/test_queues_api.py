"""Queues: managers create and edit them; private queues are seen by members only
(docs/routing.md)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from casedesk.core.models import AuditEntry
from tests.conftest import Api, assert_error

pytestmark = pytest.mark.django_db
ZERO = "00000000-0000-0000-0000-000000000000"


def test_manager_creates_a_queue_with_members_when_all_fields_are_given(
    manager_api: Api, agent: Any
) -> None:
    response = manager_api.post(
        "/api/v1/queues", {"name": "Tier 2", "type": "private", "member_ids": [str(agent.id)]}
    )
    assert response.status_code == 201, response.content
    queue = response.json()
    assert {k: queue[k] for k in ("name", "type", "member_ids", "version")} == {
        "name": "Tier 2",
        "type": "private",
        "member_ids": [str(agent.id)],
        "version": 1,
    }
    assert response["ETag"] == '"1"'
    assert AuditEntry.objects.filter(entity_id=queue["id"], action="create").count() == 1


def test_queue_defaults_to_public_without_members_when_only_named(manager_api: Api) -> None:
    queue = manager_api.post("/api/v1/queues", {"name": "Web"}).json()
    assert queue["type"] == "public" and queue["member_ids"] == []


def test_agent_is_refused_when_creating_or_editing_a_queue(
    agent_api: Api, new_queue: Callable[..., dict[str, Any]]
) -> None:
    assert_error(agent_api.post("/api/v1/queues", {"name": "Mine"}), 403, "forbidden")
    queue = new_queue()
    assert_error(
        agent_api.patch(f"/api/v1/queues/{queue['id']}", {"name": "Renamed"}), 403, "forbidden"
    )


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"name": ""}, "name"),
        ({"name": "   "}, "name"),
        ({"name": "x" * 201}, "name"),
        ({"name": "Q", "type": "secret"}, "type"),
        ({"name": "Q", "member_ids": [ZERO]}, "member_ids"),
        ({"name": "Q", "member_ids": ["nope"]}, "member_ids.0"),
        ({"name": "Q", "colour": "red"}, "colour"),
        ({"type": "public"}, "name"),
    ],
)
def test_queue_create_is_refused_with_422_naming_the_field_when_invalid(
    manager_api: Api, body: dict[str, Any], field: str
) -> None:
    error = assert_error(manager_api.post("/api/v1/queues", body), 422, "validation_error")
    assert field in error["details"]["fields"], error


def test_agent_sees_public_queues_and_private_ones_of_theirs_when_listing(
    agent_api: Api, manager_api: Api, agent: Any, new_queue: Callable[..., dict[str, Any]]
) -> None:
    public = new_queue("A public")
    mine = new_queue("B private mine", "private", [agent])
    hidden = new_queue("C private other", "private")
    names = [q["name"] for q in agent_api.get("/api/v1/queues").json()["items"]]
    assert names == [public["name"], mine["name"]]
    all_names = [q["name"] for q in manager_api.get("/api/v1/queues").json()["items"]]
    assert all_names == [public["name"], mine["name"], hidden["name"]]


def test_private_queue_is_refused_to_an_agent_when_not_a_member(
    agent_api: Api, admin_api: Api, new_queue: Callable[..., dict[str, Any]]
) -> None:
    hidden = new_queue("Hidden", "private")
    assert_error(agent_api.get(f"/api/v1/queues/{hidden['id']}"), 403, "forbidden")
    assert_error(agent_api.get(f"/api/v1/queues/{hidden['id']}/items"), 403, "forbidden")
    assert admin_api.get(f"/api/v1/queues/{hidden['id']}").status_code == 200


def test_queue_get_answers_404_and_401_when_unknown_or_anonymous(
    agent_api: Api, anon_api: Api, new_queue: Callable[..., dict[str, Any]]
) -> None:
    assert_error(agent_api.get(f"/api/v1/queues/{ZERO}"), 404, "not_found")
    assert_error(agent_api.get("/api/v1/queues/x"), 404, "not_found")
    assert_error(anon_api.get("/api/v1/queues"), 401, "unauthenticated")
    queue = new_queue()
    assert_error(anon_api.get(f"/api/v1/queues/{queue['id']}"), 401, "unauthenticated")


def test_manager_edits_name_type_and_members_when_patching(
    manager_api: Api, agent: Any, new_queue: Callable[..., dict[str, Any]]
) -> None:
    queue = new_queue("Old", "public")
    response = manager_api.patch(
        f"/api/v1/queues/{queue['id']}",
        {"name": "New", "type": "private", "member_ids": [str(agent.id)]},
        headers={"If-Match": '"1"'},
    )
    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["name"], body["type"], body["member_ids"], body["version"]) == (
        "New",
        "private",
        [str(agent.id)],
        2,
    )
    entry = AuditEntry.objects.get(entity_id=queue["id"], action="update")
    assert entry.changes["type"] == ["public", "private"]
    assert entry.changes["member_ids"] == [[], [str(agent.id)]]


def test_queue_patch_changes_nothing_when_values_are_the_same(
    manager_api: Api, new_queue: Callable[..., dict[str, Any]]
) -> None:
    queue = new_queue("Same")
    response = manager_api.patch(f"/api/v1/queues/{queue['id']}", {"name": "Same"})
    assert response.status_code == 200 and response.json()["version"] == 1


def test_queue_patch_is_refused_when_if_match_is_stale_or_values_invalid(
    manager_api: Api, new_queue: Callable[..., dict[str, Any]]
) -> None:
    queue = new_queue()
    path = f"/api/v1/queues/{queue['id']}"
    assert_error(
        manager_api.patch(path, {"name": "X"}, headers={"If-Match": '"7"'}), 412, "version_mismatch"
    )
    assert_error(manager_api.patch(path, {"type": None}), 422, "validation_error")
    assert_error(manager_api.patch(path, {"member_ids": [ZERO]}), 422, "validation_error")
    assert_error(manager_api.patch(path, {"version": 3}), 422, "validation_error")
    assert_error(manager_api.patch(f"/api/v1/queues/{ZERO}", {"name": "X"}), 404, "not_found")
    assert manager_api.get(path).json()["version"] == 1
