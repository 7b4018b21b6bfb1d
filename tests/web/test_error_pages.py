"""Errors are pages of the product, in the user's language, never the framework's bare ones
(docs/web.md#error-pages)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client, override_settings
from django.urls import path

pytestmark = pytest.mark.django_db


def _boom(request: Any) -> Any:
    raise RuntimeError("a bug")


urlpatterns = [path("boom", _boom)]


@pytest.mark.parametrize(
    ("language", "title"), [("en", "Page not found"), ("it", "Pagina non trovata")]
)
def test_an_unknown_page_is_a_styled_404_in_the_users_language(
    web: Callable[..., Client], agent: Any, language: str, title: str
) -> None:
    response = web(agent, language=language).get("/no/such/page")
    assert response.status_code == 404
    body = response.content.decode()
    assert title in body
    assert "casedesk.css" in body
    assert agent.display_name in body  # the top bar: the user can go on from here


def test_an_unknown_page_for_a_visitor_is_a_styled_404_too() -> None:
    response = Client(headers={"Accept-Language": "it"}).get("/no/such/page")
    assert response.status_code == 404
    assert "Pagina non trovata" in response.content.decode()


def test_an_expired_form_says_so_in_the_users_language(
    web: Callable[..., Client], agent: Any
) -> None:
    response = web(agent, csrf=True, language="it").post("/profile/", {"full_name": "x"})
    assert response.status_code == 403
    body = response.content.decode()
    assert "Il modulo è scaduto" in body
    assert "casedesk.css" in body


@override_settings(ROOT_URLCONF=__name__)
def test_a_server_error_is_a_page_in_both_languages() -> None:
    client = Client(raise_request_exception=False)
    response = client.get("/boom")
    assert response.status_code == 500
    body = response.content.decode()
    assert "Something went wrong" in body
    assert "Si è verificato un errore" in body


@pytest.mark.parametrize("language", ["en", "it"])
def test_the_language_selector_names_each_language_in_itself(
    web: Callable[..., Client], agent: Any, language: str
) -> None:
    body = web(agent, language=language).get("/").content.decode()
    assert '<option value="en" lang="en"' in body
    assert ">English</option>" in body
    assert ">Italiano</option>" in body
    assert "Inglese" not in body


def test_a_get_on_a_form_address_goes_to_the_page_above_it(
    web: Callable[..., Client], agent: Any, make_case: Callable[..., Any]
) -> None:
    case = make_case()
    client = web(agent)
    response = client.get(f"/cases/{case.pk}/notes/")
    assert response.status_code == 302
    assert response["Location"] == f"/cases/{case.pk}/"
    assert client.get("/profile/tokens/")["Location"] == "/profile/"
    assert client.get(f"/tokens/{case.pk}/revoke/")["Location"] == "/"


def test_a_form_refused_at_an_actions_address_names_the_page_it_is(
    web: Callable[..., Client], agent: Any, make_case: Callable[..., Any]
) -> None:
    case = make_case()
    client = web(agent)
    refused = client.post(f"/cases/{case.pk}/route/", {"version": case.version})
    assert refused.status_code == 422
    address = f'<meta name="casedesk-address" content="/cases/{case.pk}/">'
    assert address in refused.content.decode()  # casedesk.js shows it in the bar
    assert "casedesk-address" not in client.get(f"/cases/{case.pk}/").content.decode()
    # A dialog's form comes back on the dialog's page, whose address answers GET.
    dialog = client.post(f"/cases/{case.pk}/resolve/", {"version": case.version})
    assert dialog.status_code == 422 and "casedesk-address" not in dialog.content.decode()
    assert client.get(f"/cases/{case.pk}/resolve/").status_code == 200
    token = client.post("/profile/tokens/", {"name": "", "expires_in_days": "7"})
    assert token.status_code == 422
    assert '<meta name="casedesk-address" content="/profile/">' in token.content.decode()
    assert "casedesk-address" not in client.get("/profile/").content.decode()


def test_the_api_keeps_its_405(web: Callable[..., Client], agent: Any) -> None:
    assert web(agent).put("/api/v1/users").status_code == 405
