"""The customer lookup endpoints of the case form and the Customers pages."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client

from casedesk.customers.models import Account, Contact

pytestmark = pytest.mark.django_db


def test_lookup_finds_accounts_and_contacts_together_ignoring_accents(
    web: Callable[..., Client], agent: Any, account: Any, contact: Any
) -> None:
    from casedesk.customers import services

    services.contact_create(actor=agent, first_name="Carla", last_name="Cittadini")
    items = web(agent).get("/lookup/customers/", {"q": "citta"}).json()["items"]
    assert {(i["type"], i["name"]) for i in items} == {
        ("account", "Città di Verona"),
        ("contact", "Carla Cittadini"),
    }


def test_lookup_answers_nothing_for_empty_or_over_long_text(
    web: Callable[..., Client], agent: Any, account: Any
) -> None:
    client = web(agent)
    assert client.get("/lookup/customers/", {"q": ""}).json() == {"items": []}
    assert client.get("/lookup/customers/", {"q": "v" * 500}).json() == {"items": []}


def test_contact_lookup_lists_the_accounts_contacts(
    web: Callable[..., Client], agent: Any, account: Any, contact: Any
) -> None:
    items = web(agent).get("/lookup/contacts/", {"customer": f"account:{account.pk}"}).json()
    assert [i["name"] for i in items["items"]] == ["Lucia Bianchi"]
    bad = web(agent).get("/lookup/contacts/", {"customer": "account:nope"}).json()
    assert bad == {"items": []}


def test_inline_account_creation_answers_201_with_the_new_customer(
    web: Callable[..., Client], agent: Any
) -> None:
    response = web(agent).post("/lookup/accounts/new/", {"name": "Ottica Rossi"})
    assert response.status_code == 201
    body = response.json()
    assert body["type"] == "account" and Account.objects.get(id=body["id"]).name == "Ottica Rossi"


def test_inline_contact_creation_attaches_it_to_the_chosen_account(
    web: Callable[..., Client], agent: Any, account: Any
) -> None:
    response = web(agent).post(
        "/lookup/contacts/new/",
        {"first_name": "Mario", "last_name": "Verdi", "account_id": str(account.pk)},
    )
    assert response.status_code == 201
    assert Contact.objects.get(id=response.json()["id"]).account_id == account.pk


def test_inline_creation_answers_422_with_field_errors_when_invalid(
    web: Callable[..., Client], agent: Any
) -> None:
    response = web(agent).post("/lookup/accounts/new/", {"name": ""})
    assert response.status_code == 422
    assert "name" in response.json()["error"]["details"]["fields"]
    response = web(agent).post(
        "/lookup/contacts/new/",
        {"last_name": "Verdi", "account_id": "00000000-0000-0000-0000-000000000000"},
    )
    assert response.status_code == 422
    assert response.json()["error"]["code"] == "validation_error"
    assert not Contact.objects.exists()


def test_inline_creation_needs_a_csrf_token_and_a_session(
    web: Callable[..., Client], agent: Any
) -> None:
    assert web(agent, csrf=True).post("/lookup/accounts/new/", {"name": "X"}).status_code == 403
    assert Client().post("/lookup/accounts/new/", {"name": "X"}).status_code == 401
    assert not Account.objects.exists()


def test_customer_panel_shows_recent_cases(
    web: Callable[..., Client], agent: Any, account: Any, make_case: Any
) -> None:
    make_case(title="Earlier trouble")
    body = web(agent).get(f"/customers/account/{account.pk}/panel/").content.decode()
    assert "Earlier trouble" in body and "<html" not in body


def test_customer_pages_answer_404_for_unknown_customers(
    web: Callable[..., Client], agent: Any
) -> None:
    client = web(agent)
    missing = "00000000-0000-0000-0000-000000000000"
    assert client.get(f"/customers/account/{missing}/").status_code == 404
    assert client.get(f"/customers/planet/{missing}/panel/").status_code == 404


def test_customers_page_searches_and_lists(
    web: Callable[..., Client], agent: Any, account: Any, contact: Any
) -> None:
    client = web(agent)
    assert "Città di Verona" in client.get("/customers/").content.decode()
    found = client.get("/customers/", {"q": "lucia"}).content.decode()
    assert "Lucia Bianchi" in found
    detail = client.get(f"/customers/account/{account.pk}/").content.decode()
    assert "Lucia Bianchi" in detail
