from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from tests.conftest import PASSWORD

pytestmark = pytest.mark.django_db


def test_root_sends_anonymous_users_to_the_login_page() -> None:
    response = Client().get("/", follow=True)
    assert response.status_code == 200
    assert b'name="password"' in response.content


def test_login_page_speaks_italian_when_the_browser_asks() -> None:
    response = Client().get("/login/", headers={"Accept-Language": "it"})
    assert "Accedi" in response.content.decode()
    english = Client().get("/login/", headers={"Accept-Language": "en"})
    assert "Sign in" in english.content.decode()


def test_login_with_good_credentials_reaches_the_home_page(agent: Any) -> None:
    client = Client()
    response = client.post(
        "/login/", {"username": agent.username, "password": PASSWORD}, follow=True
    )
    assert response.status_code == 200
    assert response.context["user"].is_authenticated


def test_login_needs_a_csrf_token(agent: Any) -> None:
    client = Client(enforce_csrf_checks=True)
    response = client.post("/login/", {"username": agent.username, "password": PASSWORD})
    assert response.status_code == 403


def test_repeated_bad_logins_are_throttled(agent: Any) -> None:
    client = Client()
    for _ in range(5):
        client.post("/login/", {"username": agent.username, "password": "wrong-wrong-wrong"})
    response = client.post("/login/", {"username": agent.username, "password": PASSWORD})
    assert not response.wsgi_request.user.is_authenticated
    assert "Too many failed sign-ins" in response.content.decode()
