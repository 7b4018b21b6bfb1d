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


def test_login_answers_429_with_retry_after_when_the_user_name_must_wait(
    agent: Any, fake_clock: Any
) -> None:
    client = Client()
    for _ in range(5):
        client.post("/login/", {"username": agent.username, "password": "wrong-wrong-wrong"})
    response = client.post("/login/", {"username": agent.username, "password": PASSWORD})
    assert response.status_code == 429
    assert response["Retry-After"] == "5"
    assert "Try again in 5 seconds" in response.content.decode()
    assert not response.wsgi_request.user.is_authenticated


def test_login_counts_the_forwarded_client_when_the_connection_is_from_a_trusted_proxy(
    make_user: Any, settings: Any, fake_clock: Any
) -> None:
    settings.TRUSTED_PROXIES = ["10.0.0.0/8"]
    proxy = {"REMOTE_ADDR": "10.0.0.7", "HTTP_X_FORWARDED_FOR": "203.0.113.9"}
    for i in range(20):
        Client().post("/login/", {"username": f"ghost{i}", "password": "wrong"}, **proxy)
    user = make_user()
    other = {"REMOTE_ADDR": "10.0.0.7", "HTTP_X_FORWARDED_FOR": "198.51.100.5"}
    response = Client().post("/login/", {"username": user.username, "password": PASSWORD}, **other)
    assert response.status_code == 302
    refused = Client().post("/login/", {"username": user.username, "password": PASSWORD}, **proxy)
    assert refused.status_code == 429


def test_failures_on_the_form_and_the_api_count_together_when_both_name_one_user(
    agent: Any, fake_clock: Any
) -> None:
    for _ in range(3):
        Client().post("/login/", {"username": agent.username, "password": "wrong-wrong-wrong"})
    for _ in range(2):
        Client().post(
            "/api/v1/auth/token",
            {"username": agent.username, "password": "wrong-wrong-wrong"},
            content_type="application/json",
        )
    response = Client().post("/login/", {"username": agent.username, "password": PASSWORD})
    assert response.status_code == 429
