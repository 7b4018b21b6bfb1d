from __future__ import annotations

from typing import Any

import pytest

from casedesk.core.models import AuditEntry
from casedesk.directory.models import User
from tests.conftest import Api, assert_error

pytestmark = pytest.mark.django_db

GOOD = "another-long-secret-42"


def test_users_are_listed_for_any_authenticated_user(agent_api: Api, agent: Any) -> None:
    body = agent_api.get("/api/v1/users").json()
    assert body["next"] is None
    item = next(u for u in body["items"] if u["id"] == str(agent.id))
    assert item["role"] == "agent"
    assert set(item) >= {"id", "username", "full_name", "role", "team_ids"}


def test_admin_creates_a_user_with_teams_and_audit(admin_api: Api, admin: Any) -> None:
    team = admin_api.post("/api/v1/teams", {"name": "Tier 2"}).json()
    response = admin_api.post(
        "/api/v1/users",
        {"username": "carla", "password": GOOD, "role": "manager", "team_ids": [team["id"]]},
    )
    assert response.status_code == 201
    body = response.json()
    assert body["role"] == "manager" and body["team_ids"] == [team["id"]]
    entry = AuditEntry.objects.get(entity_id=body["id"], action="create")
    assert entry.actor_id == admin.id and entry.channel == "api"


def test_agent_cannot_create_users(agent_api: Api) -> None:
    response = agent_api.post("/api/v1/users", {"username": "x", "password": GOOD})
    assert_error(response, 403, "forbidden")
    assert not User.objects.filter(username="x").exists()


def test_manager_cannot_create_teams(manager_api: Api) -> None:
    assert_error(manager_api.post("/api/v1/teams", {"name": "T"}), 403, "forbidden")


@pytest.mark.parametrize("password", ["short", "123456789012345", "password1234", "carlacarla12"])
def test_weak_password_is_refused_with_422(admin_api: Api, password: str) -> None:
    response = admin_api.post("/api/v1/users", {"username": "carlacarla", "password": password})
    error = assert_error(response, 422, "validation_error")
    assert "password" in error["details"]["fields"]
    assert not User.objects.filter(username="carlacarla").exists()


def test_duplicate_username_is_422(admin_api: Api, agent: Any) -> None:
    response = admin_api.post(
        "/api/v1/users", {"username": agent.username.upper(), "password": GOOD}
    )
    assert_error(response, 422, "validation_error")


def test_unknown_role_is_422(admin_api: Api) -> None:
    response = admin_api.post("/api/v1/users", {"username": "z", "password": GOOD, "role": "boss"})
    assert_error(response, 422, "validation_error")


def test_unknown_team_is_422_and_creates_nothing(admin_api: Api) -> None:
    response = admin_api.post(
        "/api/v1/users",
        {"username": "zed", "password": GOOD, "team_ids": ["00000000-0000-0000-0000-000000000000"]},
    )
    assert_error(response, 422, "validation_error")
    assert not User.objects.filter(username="zed").exists()


def test_teams_are_created_with_members_and_listed(admin_api: Api, agent: Any) -> None:
    response = admin_api.post("/api/v1/teams", {"name": "Billing", "member_ids": [str(agent.id)]})
    assert response.status_code == 201
    team = response.json()
    assert team["member_ids"] == [str(agent.id)]
    listed = admin_api.get("/api/v1/teams").json()["items"]
    assert [t["name"] for t in listed] == ["Billing"]
    assert admin_api.get(f"/api/v1/teams/{team['id']}").json()["name"] == "Billing"


def test_duplicate_team_name_is_422(admin_api: Api) -> None:
    admin_api.post("/api/v1/teams", {"name": "Billing"})
    assert_error(admin_api.post("/api/v1/teams", {"name": "billing"}), 422, "validation_error")


def test_unknown_member_is_422(admin_api: Api) -> None:
    response = admin_api.post(
        "/api/v1/teams", {"name": "T", "member_ids": ["00000000-0000-0000-0000-000000000000"]}
    )
    assert_error(response, 422, "validation_error")


def test_users_page_through_with_a_cursor(admin_api: Api, make_user: Any) -> None:
    for _ in range(4):
        make_user()
    first = admin_api.get("/api/v1/users", limit=3).json()
    assert len(first["items"]) == 3 and first["next"]
    second = admin_api.get("/api/v1/users", limit=3, cursor=first["next"]).json()
    ids = [u["id"] for u in first["items"] + second["items"]]
    assert len(ids) == len(set(ids)) == 5


def test_unknown_team_or_user_is_404(agent_api: Api) -> None:
    zero = "00000000-0000-0000-0000-000000000000"
    assert_error(agent_api.get(f"/api/v1/teams/{zero}"), 404, "not_found")
    assert_error(agent_api.get(f"/api/v1/users/{zero}"), 404, "not_found")
