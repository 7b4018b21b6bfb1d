"""Administering users and teams through the HTTP API: PATCH /users/{id}, POST
/users/{id}/password, PATCH /teams/{id}, and the deactivated users in GET /users."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from casedesk.core.models import AuditEntry
from casedesk.directory.models import Team, User
from tests.conftest import PASSWORD, Api, assert_error

pytestmark = pytest.mark.django_db

NEW_PASSWORD = "another-long-secret-42"
ZERO = "00000000-0000-0000-0000-000000000000"


def test_admin_patches_a_user_and_gets_the_record_with_its_new_etag(
    admin_api: Api, admin: User, agent: User
) -> None:
    team = admin_api.post("/api/v1/teams", {"name": "Tier 2"}).json()
    response = admin_api.patch(
        f"/api/v1/users/{agent.pk}",
        {"full_name": "Anna Rossi", "role": "manager", "language": "it", "team_ids": [team["id"]]},
        headers={"If-Match": f'"{agent.version}"'},
    )
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["full_name"] == "Anna Rossi" and body["role"] == "manager"
    assert body["language"] == "it" and body["is_active"] is True
    assert body["team_ids"] == [team["id"]]
    assert body["version"] == agent.version + 1
    assert response["ETag"] == f'"{body["version"]}"'
    entry = AuditEntry.objects.get(entity_id=agent.pk, action="update")
    assert entry.actor_id == admin.pk and entry.channel == "api"


def test_a_stale_if_match_is_412_and_changes_nothing(admin_api: Api, agent: User) -> None:
    response = admin_api.patch(
        f"/api/v1/users/{agent.pk}", {"full_name": "Stale"}, headers={"If-Match": '"7"'}
    )
    assert_error(response, 412, "version_mismatch")
    assert User.objects.get(pk=agent.pk).full_name == "Anna Agente"


@pytest.mark.parametrize("caller", ["agent", "manager"])
def test_agents_and_managers_cannot_change_users_or_passwords(
    make_api: Callable[..., Api], make_user: Callable[..., Any], agent: User, caller: str
) -> None:
    api = make_api(make_user(caller))
    assert_error(api.patch(f"/api/v1/users/{agent.pk}", {"role": "admin"}), 403, "forbidden")
    assert_error(
        api.post(f"/api/v1/users/{agent.pk}/password", {"password": NEW_PASSWORD}),
        403,
        "forbidden",
    )
    assert User.objects.get(pk=agent.pk).role == "agent"


def test_an_agent_cannot_promote_themselves(agent_api: Api, agent: User) -> None:
    assert_error(agent_api.patch(f"/api/v1/users/{agent.pk}", {"role": "admin"}), 403, "forbidden")


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"username": "renamed"}, "username"),
        ({"role": "boss"}, "role"),
        ({"role": None}, "role"),
        ({"is_active": None}, "is_active"),
        ({"language": "fr"}, "language"),
        ({"email": "not-an-address"}, "email"),
        ({"full_name": "x" * 201}, "full_name"),
        ({"team_ids": [ZERO]}, "team_ids"),
    ],
)
def test_bad_values_are_422_naming_the_field(
    admin_api: Api, agent: User, body: dict[str, Any], field: str
) -> None:
    error = assert_error(
        admin_api.patch(f"/api/v1/users/{agent.pk}", body), 422, "validation_error"
    )
    assert field in error["details"]["fields"], error


def test_unknown_user_is_404(admin_api: Api) -> None:
    assert_error(admin_api.patch(f"/api/v1/users/{ZERO}", {"full_name": "X"}), 404, "not_found")
    assert_error(
        admin_api.post(f"/api/v1/users/{ZERO}/password", {"password": NEW_PASSWORD}),
        404,
        "not_found",
    )


def test_the_last_active_administrator_is_neither_demoted_nor_deactivated(
    admin_api: Api, admin: User
) -> None:
    demote = assert_error(
        admin_api.patch(f"/api/v1/users/{admin.pk}", {"role": "manager"}), 422, "validation_error"
    )
    assert demote["details"]["fields"] == {
        "role": "the last active administrator must stay an administrator"
    }
    itself = assert_error(
        admin_api.patch(f"/api/v1/users/{admin.pk}", {"is_active": False}),
        422,
        "validation_error",
    )
    assert itself["details"]["fields"] == {
        "is_active": "an administrator cannot deactivate themselves"
    }
    stored = User.objects.get(pk=admin.pk)
    assert stored.role == "admin" and stored.is_active


def test_a_deactivated_users_token_answers_401_even_after_they_are_reactivated(
    admin_api: Api, agent: User, agent_api: Api
) -> None:
    assert agent_api.get("/api/v1/users").status_code == 200
    off = admin_api.patch(f"/api/v1/users/{agent.pk}", {"is_active": False})
    assert off.status_code == 200 and off.json()["is_active"] is False
    assert_error(agent_api.get("/api/v1/users"), 401, "unauthenticated")
    assert_error(
        admin_api.client.post(
            "/api/v1/auth/token",
            {"username": agent.username, "password": PASSWORD},
            content_type="application/json",
        ),
        401,
        "unauthenticated",
    )
    admin_api.patch(f"/api/v1/users/{agent.pk}", {"is_active": True})
    assert_error(agent_api.get("/api/v1/users"), 401, "unauthenticated")


def test_deactivated_users_are_listed_only_when_asked(admin_api: Api, agent: User) -> None:
    admin_api.patch(f"/api/v1/users/{agent.pk}", {"is_active": False})
    active = {u["id"] for u in admin_api.get("/api/v1/users").json()["items"]}
    assert str(agent.pk) not in active
    everyone = admin_api.get("/api/v1/users", include_inactive="true").json()["items"]
    listed = next(u for u in everyone if u["id"] == str(agent.pk))
    assert listed["is_active"] is False
    assert admin_api.get(f"/api/v1/users/{agent.pk}").json()["is_active"] is False


def test_a_cursor_of_one_user_list_does_not_page_the_other(
    admin_api: Api, make_user: Callable[..., Any]
) -> None:
    for _ in range(3):
        make_user()
    first = admin_api.get("/api/v1/users", limit=2).json()
    response = admin_api.get(
        "/api/v1/users", limit=2, include_inactive="true", cursor=first["next"]
    )
    assert_error(response, 400, "bad_request")


def test_admin_sets_a_password_that_then_signs_in(
    admin_api: Api, agent: User, anon_api: Api
) -> None:
    response = admin_api.post(
        f"/api/v1/users/{agent.pk}/password",
        {"password": NEW_PASSWORD},
        headers={"If-Match": f'"{agent.version}"'},
    )
    assert response.status_code == 200, response.content
    assert response.json()["version"] == agent.version + 1
    assert response["ETag"] == f'"{agent.version + 1}"'
    assert "password" not in response.json()
    signed_in = anon_api.post(
        "/api/v1/auth/token", {"username": agent.username, "password": NEW_PASSWORD}
    )
    assert signed_in.status_code == 201


@pytest.mark.parametrize("password", ["short", "123456789012345", "password1234"])
def test_a_weak_password_is_422(admin_api: Api, agent: User, password: str) -> None:
    error = assert_error(
        admin_api.post(f"/api/v1/users/{agent.pk}/password", {"password": password}),
        422,
        "validation_error",
    )
    assert "password" in error["details"]["fields"]


def test_admin_renames_a_team_and_sets_its_members(
    admin_api: Api, admin: User, agent: User, manager: User
) -> None:
    team = admin_api.post("/api/v1/teams", {"name": "Tier 1", "member_ids": [str(agent.pk)]}).json()
    response = admin_api.patch(
        f"/api/v1/teams/{team['id']}",
        {"name": "Primo livello", "member_ids": [str(manager.pk)]},
        headers={"If-Match": f'"{team["version"]}"'},
    )
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["name"] == "Primo livello" and body["member_ids"] == [str(manager.pk)]
    assert response["ETag"] == f'"{body["version"]}"' and body["version"] == team["version"] + 1
    moved = admin_api.get(f"/api/v1/users/{agent.pk}").json()
    assert moved["team_ids"] == []
    entry = AuditEntry.objects.get(entity_id=team["id"], action="update")
    assert entry.actor_id == admin.pk and entry.channel == "api"


def test_team_patch_refusals(admin_api: Api, manager_api: Api) -> None:
    team = admin_api.post("/api/v1/teams", {"name": "Tier 1"}).json()
    admin_api.post("/api/v1/teams", {"name": "Billing"})
    path = f"/api/v1/teams/{team['id']}"
    assert_error(manager_api.patch(path, {"name": "Mine"}), 403, "forbidden")
    taken = assert_error(admin_api.patch(path, {"name": "BILLING"}), 422, "validation_error")
    assert "name" in taken["details"]["fields"]
    unknown = assert_error(admin_api.patch(path, {"member_ids": [ZERO]}), 422, "validation_error")
    assert "member_ids" in unknown["details"]["fields"]
    assert_error(admin_api.patch(path, {"name": ""}), 422, "validation_error")
    assert_error(admin_api.patch(path, {"lead_id": ZERO}), 422, "validation_error")
    assert_error(
        admin_api.patch(path, {"name": "X"}, headers={"If-Match": '"9"'}), 412, "version_mismatch"
    )
    assert_error(admin_api.patch(f"/api/v1/teams/{ZERO}", {"name": "X"}), 404, "not_found")
    assert Team.objects.get(pk=team["id"]).name == "Tier 1"
