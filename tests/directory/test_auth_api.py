from __future__ import annotations

import hashlib
from datetime import timedelta
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from casedesk.directory import services
from casedesk.directory.models import ApiToken
from tests.conftest import PASSWORD, Api, assert_error

pytestmark = pytest.mark.django_db


def test_token_is_issued_for_good_credentials(agent: Any, anon_api: Api) -> None:
    response = anon_api.post(
        "/api/v1/auth/token", {"username": agent.username, "password": PASSWORD}
    )
    assert response.status_code == 201
    body = response.json()
    assert set(body) == {"token", "id"}
    users = Api(Client(), body["token"]).get("/api/v1/users")
    assert users.status_code == 200


def test_token_is_stored_only_as_sha256_digest(agent: Any, anon_api: Api) -> None:
    body = anon_api.post(
        "/api/v1/auth/token", {"username": agent.username, "password": PASSWORD}
    ).json()
    stored = ApiToken.objects.get(id=body["id"])
    assert stored.digest == hashlib.sha256(body["token"].encode()).hexdigest()
    assert body["token"] not in {stored.digest, stored.name}


def test_wrong_password_is_401(agent: Any, anon_api: Api) -> None:
    response = anon_api.post(
        "/api/v1/auth/token", {"username": agent.username, "password": "wrong-password-123"}
    )
    assert_error(response, 401, "unauthenticated")


def test_missing_fields_are_422(anon_api: Api) -> None:
    assert_error(anon_api.post("/api/v1/auth/token", {"username": "x"}), 422, "validation_error")


def test_failed_logins_are_throttled_per_user_with_retry_after(agent: Any, anon_api: Api) -> None:
    for _ in range(5):
        anon_api.post("/api/v1/auth/token", {"username": agent.username, "password": "nope" * 4})
    response = anon_api.post(
        "/api/v1/auth/token", {"username": agent.username, "password": PASSWORD}
    )
    assert_error(response, 429, "rate_limited")
    assert int(response["Retry-After"]) > 0


def test_failed_logins_are_throttled_per_address(make_user: Any, anon_api: Api) -> None:
    for i in range(20):
        anon_api.post("/api/v1/auth/token", {"username": f"ghost{i}", "password": "nope" * 4})
    user = make_user()
    response = anon_api.post(
        "/api/v1/auth/token", {"username": user.username, "password": PASSWORD}
    )
    assert_error(response, 429, "rate_limited")


def test_revoked_token_no_longer_authenticates(agent: Any, anon_api: Api) -> None:
    body = anon_api.post(
        "/api/v1/auth/token", {"username": agent.username, "password": PASSWORD}
    ).json()
    api = Api(Client(), body["token"])
    response = api.delete(f"/api/v1/auth/tokens/{body['id']}")
    assert response.status_code == 200
    assert response.json() == {"id": body["id"], "revoked": True}
    assert_error(api.get("/api/v1/users"), 401, "unauthenticated")


def test_token_of_a_deactivated_user_no_longer_authenticates(agent: Any, anon_api: Api) -> None:
    body = anon_api.post(
        "/api/v1/auth/token", {"username": agent.username, "password": PASSWORD}
    ).json()
    api = Api(Client(), body["token"])
    assert api.get("/api/v1/users").status_code == 200
    agent.is_active = False
    agent.save(update_fields=["is_active"])
    assert_error(api.get("/api/v1/users"), 401, "unauthenticated")


def test_token_authenticates_as_its_own_user(agent: Any, admin: Any, anon_api: Api) -> None:
    body = anon_api.post(
        "/api/v1/auth/token", {"username": agent.username, "password": PASSWORD}
    ).json()
    me = services.token_authenticate(body["token"])
    assert me is not None and me.pk == agent.pk and me.role == agent.role
    assert services.token_authenticate(body["token"] + "x") is None
    assert services.token_authenticate("not-a-token") is None


def test_other_users_token_cannot_be_revoked_by_an_agent(
    agent_api: Api, make_user: Any, make_api: Any
) -> None:
    other_user = make_user()
    other = make_api(other_user)
    token_id = str(ApiToken.objects.get(user=other_user).id)
    assert_error(agent_api.delete(f"/api/v1/auth/tokens/{token_id}"), 404, "not_found")
    assert other.get("/api/v1/users").status_code == 200


def test_admin_may_revoke_any_token(admin_api: Api, agent_api: Api, agent: Any) -> None:
    token_id = str(ApiToken.objects.get(user=agent).id)
    assert admin_api.delete(f"/api/v1/auth/tokens/{token_id}").status_code == 200
    assert_error(agent_api.get("/api/v1/users"), 401, "unauthenticated")


def test_unknown_token_id_is_404(agent_api: Api) -> None:
    assert_error(
        agent_api.delete("/api/v1/auth/tokens/00000000-0000-0000-0000-000000000000"),
        404,
        "not_found",
    )
    assert_error(agent_api.delete("/api/v1/auth/tokens/xyz"), 404, "not_found")


def test_revoke_needs_authentication(anon_api: Api) -> None:
    assert_error(
        anon_api.delete("/api/v1/auth/tokens/00000000-0000-0000-0000-000000000000"),
        401,
        "unauthenticated",
    )


def test_token_with_a_lifetime_stops_working_when_it_expires(agent: Any, anon_api: Api) -> None:
    body = anon_api.post(
        "/api/v1/auth/token",
        {"username": agent.username, "password": PASSWORD, "expires_in_days": 1},
    ).json()
    api = Api(Client(), body["token"])
    assert api.get("/api/v1/users").status_code == 200
    ApiToken.objects.filter(id=body["id"]).update(expires_at=timezone.now() - timedelta(seconds=1))
    assert_error(api.get("/api/v1/users"), 401, "unauthenticated")


def test_token_lifetime_out_of_range_is_422(agent: Any, anon_api: Api) -> None:
    response = anon_api.post(
        "/api/v1/auth/token",
        {"username": agent.username, "password": PASSWORD, "expires_in_days": 0},
    )
    assert_error(response, 422, "validation_error")


def test_configured_token_lifetime_applies_by_default(
    agent: Any, anon_api: Api, settings: Any
) -> None:
    settings.TOKEN_TTL_DAYS = 30
    body = anon_api.post(
        "/api/v1/auth/token", {"username": agent.username, "password": PASSWORD}
    ).json()
    expires = ApiToken.objects.get(id=body["id"]).expires_at
    assert expires is not None
    assert timedelta(days=29) < expires - timezone.now() <= timedelta(days=30)


def test_a_successful_sign_in_clears_earlier_failures(agent: Any, anon_api: Api) -> None:
    for _ in range(4):
        anon_api.post("/api/v1/auth/token", {"username": agent.username, "password": "x" * 12})
    assert (
        anon_api.post(
            "/api/v1/auth/token", {"username": agent.username, "password": PASSWORD}
        ).status_code
        == 201
    )
    for _ in range(4):
        anon_api.post("/api/v1/auth/token", {"username": agent.username, "password": "x" * 12})
    assert (
        anon_api.post(
            "/api/v1/auth/token", {"username": agent.username, "password": PASSWORD}
        ).status_code
        == 201
    )
