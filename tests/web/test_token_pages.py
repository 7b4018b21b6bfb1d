"""API tokens on the profile page and on the administrator's page of a user."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client

from casedesk.directory import services
from casedesk.directory.models import ApiToken

pytestmark = pytest.mark.django_db

SECRET = re.compile(r"cd_[A-Za-z0-9_-]{40,}")


def test_profile_lists_the_users_tokens_with_their_state(
    web: Callable[..., Client], agent: Any
) -> None:
    token, _ = services.token_create(user=agent, name="Laptop")
    services.token_create(user=agent, name="Old")
    services.token_revoke(actor=agent, token_id=ApiToken.objects.get(name="Old").pk)
    page = web(agent).get("/profile/").content.decode()
    assert "Laptop" in page and f'data-token="{token.pk}"' in page
    assert 'data-token-state="active"' in page and 'data-token-state="revoked"' in page
    assert f"/tokens/{token.pk}/revoke/" in page


def test_creating_a_token_shows_its_secret_once(web: Callable[..., Client], agent: Any) -> None:
    client = web(agent)
    response = client.post("/profile/tokens/", {"name": "CI job", "expires_in_days": "30"})
    assert response.status_code == 200
    page = response.content.decode()
    secrets = SECRET.findall(page)
    assert len(secrets) == 1
    assert "will not be shown again" in page
    assert response["Cache-Control"] == "no-store"
    token = ApiToken.objects.get(user=agent, name="CI job")
    me = services.token_authenticate(secrets[0])
    assert me is not None and me.pk == agent.pk and token.expires_at is not None
    # Neither the next page nor anything kept in the session shows it again.
    again = client.get("/profile/").content.decode()
    assert secrets[0] not in again and "CI job" in again
    assert secrets[0] not in str(dict(client.session))


def test_creating_without_a_name_is_422_and_creates_nothing(
    web: Callable[..., Client], agent: Any
) -> None:
    response = web(agent).post("/profile/tokens/", {"name": "", "expires_in_days": "0"})
    assert response.status_code == 422
    assert not ApiToken.objects.filter(user=agent).exists()
    assert SECRET.search(response.content.decode()) is None


def test_user_revokes_their_own_token(web: Callable[..., Client], agent: Any) -> None:
    token, secret = services.token_create(user=agent, name="Laptop")
    response = web(agent).post(f"/tokens/{token.pk}/revoke/", {"next": "/profile/"}, follow=True)
    assert response.redirect_chain[-1][0] == "/profile/"
    assert "The token was revoked." in response.content.decode()
    assert services.token_authenticate(secret) is None


def test_another_users_token_is_not_shown_nor_revocable_by_a_non_administrator(
    web: Callable[..., Client], agent: Any, manager: Any
) -> None:
    token, secret = services.token_create(user=agent, name="Agent laptop")
    client = web(manager)
    assert "Agent laptop" not in client.get("/profile/").content.decode()
    assert client.post(f"/tokens/{token.pk}/revoke/").status_code == 404
    assert client.get(f"/admin/users/{agent.pk}/").status_code == 403
    token.refresh_from_db()
    assert token.revoked_at is None and services.token_authenticate(secret) is not None


def test_administrator_sees_and_revokes_a_users_tokens(
    web: Callable[..., Client], agent: Any, admin: Any
) -> None:
    token, secret = services.token_create(user=agent, name="Agent laptop")
    client = web(admin)
    page = client.get(f"/admin/users/{agent.pk}/").content.decode()
    assert "Agent laptop" in page and f"/tokens/{token.pk}/revoke/" in page
    back = f"/admin/users/{agent.pk}/"
    response = client.post(f"/tokens/{token.pk}/revoke/", {"next": back})
    assert response.status_code == 302 and response["Location"] == back
    assert services.token_authenticate(secret) is None
    assert 'data-token-state="revoked"' in client.get(back).content.decode()


def test_revoke_never_redirects_off_site(web: Callable[..., Client], agent: Any) -> None:
    token, _ = services.token_create(user=agent, name="Laptop")
    response = web(agent).post(f"/tokens/{token.pk}/revoke/", {"next": "https://evil.example/"})
    assert response["Location"] == "/profile/"


def test_token_section_speaks_italian(web: Callable[..., Client], agent: Any) -> None:
    services.token_create(user=agent, name="Laptop")
    page = web(agent, language="it").get("/profile/").content.decode()
    assert "Token API" in page and "Revoca" in page and "Crea token" in page
    created = web(agent, language="it").post("/profile/tokens/", {"name": "CI"})
    assert "non sarà più mostrato" in created.content.decode()


def test_sending_the_same_token_form_again_creates_no_second_token(
    web: Callable[..., Client], agent: Any
) -> None:
    client = web(agent)
    page = client.get("/profile/").content.decode()
    once = re.search(r'name="once" value="([^"]+)"', page)
    assert once is not None
    form = {"name": "CI job", "expires_in_days": "30", "once": once.group(1)}
    first = client.post("/profile/tokens/", form)
    assert len(SECRET.findall(first.content.decode())) == 1
    again = client.post("/profile/tokens/", form)  # the browser's reload
    assert again.status_code == 302 and again["Location"] == "/profile/"
    assert ApiToken.objects.filter(user=agent, name="CI job").count() == 1
    shown = client.get("/profile/").content.decode()
    assert "already created" in shown and SECRET.search(shown) is None
    assert once.group(1) not in shown  # the next form has a key of its own


def test_revoking_a_token_asks_for_confirmation(web: Callable[..., Client], agent: Any) -> None:
    services.token_create(user=agent, name="Laptop")
    page = web(agent, language="it").get("/profile/").content.decode()
    assert 'data-confirm="Revocare questo token?' in page
