"""`GET /auth/tokens` and `POST /auth/tokens`: listing and creating API tokens over HTTP."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from casedesk.directory import services
from casedesk.directory.access import SYSTEM
from casedesk.directory.models import ApiToken, User
from tests.conftest import Api, assert_error

pytestmark = pytest.mark.django_db

FIELDS = {
    "id",
    "name",
    "user_id",
    "created_at",
    "expires_at",
    "last_used_at",
    "revoked_at",
    "state",
}


def test_list_answers_the_callers_tokens_without_secret_or_digest(
    agent: Any, agent_api: Api
) -> None:
    token, secret = services.token_create(user=agent, name="Script")
    response = agent_api.get("/api/v1/auth/tokens")
    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"items", "next"} and body["next"] is None
    # The caller's own bearer token is listed too (created by the fixture), newest first.
    assert len(body["items"]) == 2
    mine = next(i for i in body["items"] if i["id"] == str(token.id))
    assert set(mine) == FIELDS
    assert mine["name"] == "Script" and mine["user_id"] == str(agent.id)
    assert mine["state"] == "active"
    text = response.content.decode()
    assert secret not in text and token.digest not in text and agent_api.token not in text


def test_expired_and_revoked_tokens_show_their_state(agent: Any, agent_api: Api) -> None:
    now = timezone.now()
    expired, _ = services.token_create(user=agent, name="Expired", expires_at=now)
    ApiToken.objects.filter(pk=expired.pk).update(expires_at=now - dt.timedelta(hours=1))
    revoked, _ = services.token_create(user=agent, name="Revoked")
    assert agent_api.delete(f"/api/v1/auth/tokens/{revoked.id}").status_code == 200
    items = {i["name"]: i for i in agent_api.get("/api/v1/auth/tokens").json()["items"]}
    assert items["Expired"]["state"] == "expired"
    assert items["Expired"]["expires_at"] is not None
    assert items["Revoked"]["state"] == "revoked"
    assert items["Revoked"]["revoked_at"] is not None


def test_list_pages_newest_first_with_a_cursor(agent: Any, agent_api: Api) -> None:
    for n in range(3):
        services.token_create(user=agent, name=f"t{n}")
    first = agent_api.get("/api/v1/auth/tokens", limit=2).json()
    assert len(first["items"]) == 2 and first["next"]
    rest = agent_api.get("/api/v1/auth/tokens", limit=2, cursor=first["next"]).json()
    assert len(rest["items"]) == 2 and rest["next"] is None
    listed = [i["created_at"] for i in first["items"] + rest["items"]]
    assert listed == sorted(listed, reverse=True)
    assert len({i["id"] for i in first["items"] + rest["items"]}) == 4


def test_tampered_cursor_is_400(agent_api: Api) -> None:
    assert_error(agent_api.get("/api/v1/auth/tokens", cursor="forged"), 400, "bad_request")


def test_list_of_another_users_tokens_is_403_for_a_non_administrator(
    agent: Any, manager_api: Api
) -> None:
    response = manager_api.get("/api/v1/auth/tokens", user_id=str(agent.id))
    assert_error(response, 403, "forbidden")


def test_administrator_lists_another_users_tokens(agent: Any, admin_api: Api) -> None:
    token, _ = services.token_create(user=agent, name="Agent's")
    items = admin_api.get("/api/v1/auth/tokens", user_id=str(agent.id)).json()["items"]
    assert [i["id"] for i in items] == [str(token.id)]


def test_list_and_create_are_401_without_a_token(anon_api: Api) -> None:
    assert_error(anon_api.get("/api/v1/auth/tokens"), 401, "unauthenticated")
    assert_error(anon_api.post("/api/v1/auth/tokens", {"name": "x"}), 401, "unauthenticated")


def test_created_token_authenticates_as_the_caller(agent: Any, agent_api: Api) -> None:
    response = agent_api.post("/api/v1/auth/tokens", {"name": "CI", "expires_in_days": 7})
    assert response.status_code == 201
    body = response.json()
    assert set(body) == {"token", "id"}
    stored = ApiToken.objects.get(id=body["id"])
    assert stored.user_id == agent.id and stored.name == "CI"
    assert stored.expires_at is not None
    fresh = Api(Client(), body["token"])
    assert fresh.get("/api/v1/auth/tokens").status_code == 200


@pytest.mark.parametrize(
    "body",
    [
        {"name": "x" * 101},
        {"name": "ok", "expires_in_days": 0},
        {"name": "ok", "expires_in_days": 3651},
        {"name": "ok", "expires_in_days": "soon"},
        {"name": "ok", "user_id": "not-a-uuid"},
    ],
)
def test_bad_values_are_422_and_create_nothing(
    agent: Any, agent_api: Api, body: dict[str, Any]
) -> None:
    before = ApiToken.objects.count()
    assert_error(agent_api.post("/api/v1/auth/tokens", body), 422, "validation_error")
    assert ApiToken.objects.count() == before


def test_token_for_another_user_is_403_for_a_non_administrator(
    agent: Any, manager_api: Api
) -> None:
    response = manager_api.post("/api/v1/auth/tokens", {"name": "x", "user_id": str(agent.id)})
    assert_error(response, 403, "forbidden")
    assert not ApiToken.objects.filter(user=agent).exists()


def test_administrator_creates_a_token_for_another_user(agent: Any, admin_api: Api) -> None:
    response = admin_api.post("/api/v1/auth/tokens", {"name": "Job", "user_id": str(agent.id)})
    assert response.status_code == 201
    me = services.token_authenticate(response.json()["token"])
    assert me is not None and me.pk == agent.pk


def test_token_for_an_unknown_user_is_404(admin_api: Api) -> None:
    response = admin_api.post(
        "/api/v1/auth/tokens",
        {"name": "x", "user_id": "00000000-0000-0000-0000-000000000001"},
    )
    assert_error(response, 404, "not_found")


def test_a_tokens_last_use_is_recorded_at_most_every_quarter_of_an_hour(
    agent: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from casedesk.core import clock

    token, secret = services.token_create(user=agent, name="Script")
    client = Client(HTTP_AUTHORIZATION=f"Bearer {secret}")
    start = timezone.now().replace(microsecond=0)
    for at, recorded in (
        (start, start),
        (start + dt.timedelta(minutes=10), start),  # too soon to write again
        (start + dt.timedelta(minutes=16), start + dt.timedelta(minutes=16)),
    ):
        monkeypatch.setattr(clock, "now", lambda at=at: at)
        assert client.get("/api/v1/users").status_code == 200
        token.refresh_from_db()
        assert token.last_used_at == recorded


def test_a_deactivated_users_live_tokens_are_revoked(agent: Any, admin_api: Api) -> None:
    from casedesk.directory.services import users

    services.token_create(user=agent, name="Script")
    users.user_update(actor=SYSTEM, user_id=agent.pk, changes={"is_active": False})
    listed = admin_api.get(f"/api/v1/auth/tokens?user_id={agent.pk}").json()["items"]
    assert {i["state"] for i in listed} == {"revoked"}


def test_a_live_token_shows_as_suspended_when_its_user_is_inactive_without_a_deactivation(
    agent: Any, admin_api: Api
) -> None:
    services.token_create(user=agent, name="Script")
    User.objects.filter(pk=agent.pk).update(is_active=False)  # not through the service
    listed = admin_api.get(f"/api/v1/auth/tokens?user_id={agent.pk}").json()["items"]
    assert {i["state"] for i in listed} == {"suspended"}
