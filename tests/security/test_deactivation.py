"""Deactivating a user ends every way in they had (docs/security.md): the web sessions and the
API tokens issued before the deactivation stay dead after a reactivation, whatever the session
engine; the reactivated user signs in again and gets new tokens."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.test import Client

from casedesk.directory import services
from casedesk.directory.models import ApiToken, User
from casedesk.directory.selectors import token_list
from casedesk.directory.services import users
from tests.conftest import PASSWORD, Api, assert_error

pytestmark = pytest.mark.django_db

SESSION_ENGINES = [
    "django.contrib.sessions.backends.db",
    "django.contrib.sessions.backends.cache",
    "django.contrib.sessions.backends.cached_db",
    "django.contrib.sessions.backends.signed_cookies",
]


def _signed_in(user: User) -> Client:
    client = Client()
    response = client.post("/login/", {"username": user.username, "password": PASSWORD})
    assert response.status_code == 302, response.content
    assert client.get("/cases/").status_code == 200
    return client


def _deactivate_and_reactivate(admin: User, user: User) -> None:
    users.user_update(actor=admin, user_id=user.pk, changes={"is_active": False})
    users.user_update(actor=admin, user_id=user.pk, changes={"is_active": True})


@pytest.mark.parametrize("engine", SESSION_ENGINES)
def test_a_web_session_stays_signed_out_when_its_user_is_reactivated(
    settings: Any, engine: str, admin: User, agent: User
) -> None:
    settings.SESSION_ENGINE = engine
    client = _signed_in(agent)
    _deactivate_and_reactivate(admin, agent)
    response = client.get("/cases/")
    assert response.status_code == 302 and response["Location"].startswith("/login/")


def test_a_web_session_signs_in_again_when_its_user_is_reactivated(
    admin: User, agent: User
) -> None:
    client = _signed_in(agent)
    _deactivate_and_reactivate(admin, agent)
    client.post("/login/", {"username": agent.username, "password": PASSWORD})
    assert client.get("/cases/").status_code == 200


def test_a_web_session_stays_signed_in_when_its_user_is_otherwise_changed(
    admin: User, agent: User
) -> None:
    client = _signed_in(agent)
    users.user_update(
        actor=admin, user_id=agent.pk, changes={"full_name": "Anna Rossi", "role": "manager"}
    )
    assert client.get("/cases/").status_code == 200


def test_an_api_token_stays_refused_when_its_user_is_reactivated(
    admin: User, agent: User, agent_api: Api
) -> None:
    assert agent_api.get("/api/v1/users").status_code == 200
    _deactivate_and_reactivate(admin, agent)
    assert_error(agent_api.get("/api/v1/users"), 401, "unauthenticated")


def test_a_new_api_token_works_when_its_user_is_reactivated(
    admin: User, agent: User, anon_api: Api
) -> None:
    _deactivate_and_reactivate(admin, agent)
    issued = anon_api.post("/api/v1/auth/token", {"username": agent.username, "password": PASSWORD})
    assert issued.status_code == 201, issued.content
    assert Api(Client(), issued.json()["token"]).get("/api/v1/users").status_code == 200


def test_deactivation_revokes_the_users_live_tokens(admin: User, agent: User) -> None:
    token, _secret = services.token_create(user=agent, name="Script")
    users.user_update(actor=admin, user_id=agent.pk, changes={"is_active": False})
    token.refresh_from_db()
    assert token.revoked_at is not None
    listed = token_list(actor=admin, user_id=agent.pk)
    assert {t.state for t in listed} == {"revoked"}


def test_a_token_issued_before_the_deactivation_stays_refused_when_it_escaped_revocation(
    admin: User, agent: User
) -> None:
    token, secret = services.token_create(user=agent)
    _deactivate_and_reactivate(admin, agent)
    # As if issued by a sign-in that raced the deactivation: older, never revoked.
    stored = User.objects.get(pk=agent.pk)
    assert stored.deactivated_at is not None
    ApiToken.objects.filter(pk=token.pk).update(
        revoked_at=None, created_at=stored.deactivated_at - dt.timedelta(seconds=1)
    )
    assert services.token_authenticate(secret) is None
