"""Service › Customers: the new and edit pages of accounts and contacts."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client

from casedesk.customers import services
from casedesk.customers.models import Account, Contact

pytestmark = pytest.mark.django_db


def _account_post(account: Any, **fields: Any) -> dict[str, Any]:
    return {
        "name": account.name,
        "email": account.email,
        "phone": account.phone,
        "version": account.version,
        **fields,
    }


def _contact_post(contact: Any, **fields: Any) -> dict[str, Any]:
    return {
        "first_name": contact.first_name,
        "last_name": contact.last_name,
        "email": contact.email,
        "phone": contact.phone,
        "account_id": str(contact.account_id or ""),
        "version": contact.version,
        **fields,
    }


def test_customer_page_links_to_its_edit_page_which_shows_the_values_and_version(
    web: Callable[..., Client], agent: Any, account: Any
) -> None:
    client = web(agent)
    page = client.get(f"/customers/account/{account.pk}/").content.decode()
    assert f'href="/customers/account/{account.pk}/edit/"' in page
    response = client.get(f"/customers/account/{account.pk}/edit/")
    assert response.status_code == 200
    html = response.content.decode()
    assert 'value="Città di Verona"' in html and 'value="info@verona.it"' in html
    assert f'name="version" value="{account.version}"' in html


def test_agent_edits_an_account_and_returns_to_its_page_with_a_message(
    web: Callable[..., Client], agent: Any, account: Any
) -> None:
    response = web(agent).post(
        f"/customers/account/{account.pk}/edit/",
        _account_post(account, name="Comune di Verona", phone="+39 045 1234"),
        follow=True,
    )
    assert response.redirect_chain == [(f"/customers/account/{account.pk}/", 302)]
    assert "The account was saved." in response.content.decode()
    account.refresh_from_db()
    assert (account.name, account.phone, account.version) == ("Comune di Verona", "+39 045 1234", 2)
    # The search index follows the service's write.
    assert account.name_folded == "comune di verona" and account.phone_digits == "390451234"


def test_an_account_without_a_name_is_refused_with_422_and_nothing_changes(
    web: Callable[..., Client], agent: Any, account: Any
) -> None:
    response = web(agent).post(
        f"/customers/account/{account.pk}/edit/", _account_post(account, name="  ", email="x")
    )
    assert response.status_code == 422
    assert "This field is required." in response.content.decode()
    account.refresh_from_db()
    assert (account.name, account.email, account.version) == (
        "Città di Verona",
        "info@verona.it",
        1,
    )


def test_an_edit_made_on_a_stale_version_is_refused_with_the_conflict_message(
    web: Callable[..., Client], agent: Any, manager: Any, account: Any
) -> None:
    read = _account_post(account, email="old@verona.it")
    services.account_update(actor=manager, account_id=account.pk, changes={"phone": "045 99"})
    response = web(agent).post(f"/customers/account/{account.pk}/edit/", read)
    assert response.status_code == 412
    html = response.content.decode()
    assert "Someone else changed this record after you opened it." in html
    # The form keeps the version the user read: saving again cannot overwrite unseen changes.
    assert 'name="version" value="1"' in html
    account.refresh_from_db()
    assert (account.email, account.phone, account.version) == ("info@verona.it", "045 99", 2)


def test_agent_moves_a_contact_to_another_account_then_detaches_it(
    web: Callable[..., Client], agent: Any, account: Any, contact: Any
) -> None:
    other = services.account_create(actor=agent, name="Ottica Rossi")
    client = web(agent)
    form = client.get(f"/customers/contact/{contact.pk}/edit/").content.decode()
    assert 'value="Città di Verona"' in form
    assert f'value="{account.pk}" data-picker-value' in form
    assert "Ottica Rossi" not in form  # accounts are searched, never all listed
    response = client.post(
        f"/customers/contact/{contact.pk}/edit/",
        _contact_post(contact, account_id=str(other.pk), email="lucia@rossi.it"),
    )
    assert response.status_code == 302
    assert response["Location"] == f"/customers/contact/{contact.pk}/"
    contact.refresh_from_db()
    assert (contact.account_id, contact.email, contact.version) == (other.pk, "lucia@rossi.it", 2)
    response = client.post(
        f"/customers/contact/{contact.pk}/edit/", _contact_post(contact, account_id="")
    )
    assert response.status_code == 302
    contact.refresh_from_db()
    assert contact.account_id is None and contact.version == 3


def test_a_contact_edit_with_bad_values_is_refused_with_422_and_nothing_changes(
    web: Callable[..., Client], agent: Any, contact: Any
) -> None:
    client = web(agent)
    url = f"/customers/contact/{contact.pk}/edit/"
    response = client.post(url, _contact_post(contact, last_name="", first_name=""))
    assert response.status_code == 422
    assert "This field is required." in response.content.decode()
    unknown = "00000000-0000-0000-0000-000000000000"
    response = client.post(url, _contact_post(contact, account_id="not-an-id"))
    assert response.status_code == 422
    assert "Enter a valid UUID." in response.content.decode()
    response = client.post(url, _contact_post(contact, account_id=unknown))
    assert response.status_code == 422
    assert 'id="account-errors"' in response.content.decode()
    # A name typed but never chosen among the accounts found is not taken for "no account".
    response = client.post(url, _contact_post(contact, account_id="", account_name="Ottica"))
    assert response.status_code == 422
    assert "Choose the account among those found" in response.content.decode()
    response = client.post(url, _contact_post(contact, email="x" * 300))
    assert response.status_code == 422
    assert "at most 254 characters" in response.content.decode()
    contact.refresh_from_db()
    assert (contact.last_name, contact.version) == ("Bianchi", 1)


def test_the_customer_list_offers_new_account_and_new_contact_pages_that_create_them(
    web: Callable[..., Client], agent: Any, account: Any
) -> None:
    client = web(agent)
    listing = client.get("/customers/").content.decode()
    assert 'href="/customers/account/new/"' in listing
    assert 'href="/customers/contact/new/"' in listing
    assert client.get("/customers/account/new/").status_code == 200
    response = client.post("/customers/account/new/", {"name": "Farmacia Centrale"})
    created = Account.objects.get(name="Farmacia Centrale")
    assert response.status_code == 302
    assert response["Location"] == f"/customers/account/{created.pk}/"
    response = client.post(
        "/customers/contact/new/",
        {"first_name": "Mario", "last_name": "Verdi", "account_id": str(created.pk)},
    )
    mario = Contact.objects.get(last_name="Verdi")
    assert response["Location"] == f"/customers/contact/{mario.pk}/"
    assert (mario.name, mario.account_id) == ("Mario Verdi", created.pk)
    response = client.post("/customers/contact/new/", {"last_name": "Solo", "account_id": ""})
    assert response.status_code == 302
    assert Contact.objects.get(last_name="Solo").account_id is None


def test_new_contact_from_an_account_page_names_the_account(
    web: Callable[..., Client], agent: Any, account: Any
) -> None:
    client = web(agent)
    page = client.get(f"/customers/account/{account.pk}/").content.decode()
    link = f"/customers/contact/new/?account={account.pk}"
    assert f'href="{link}"' in page
    form = client.get(link).content.decode()
    assert 'value="Città di Verona"' in form
    assert f'value="{account.pk}" data-picker-value' in form


def test_invalid_new_records_are_refused_with_422_and_nothing_is_created(
    web: Callable[..., Client], agent: Any
) -> None:
    client = web(agent)
    assert client.post("/customers/account/new/", {"name": ""}).status_code == 422
    assert client.post("/customers/contact/new/", {"first_name": "Anna"}).status_code == 422
    assert not Account.objects.exists() and not Contact.objects.exists()


def test_unknown_customers_and_types_are_404(
    web: Callable[..., Client], agent: Any, account: Any
) -> None:
    client = web(agent)
    assert client.get(f"/customers/contact/{account.pk}/edit/").status_code == 404
    assert client.get(f"/customers/planet/{account.pk}/edit/").status_code == 404
    assert client.get("/customers/planet/new/").status_code == 404
    assert client.post("/customers/planet/new/", {"name": "X"}).status_code == 404
    assert not Account.objects.exclude(pk=account.pk).exists()


@pytest.mark.parametrize("role", ["agent", "manager", "admin"])
def test_every_role_may_edit_customers_as_the_services_allow(
    web: Callable[..., Client], make_user: Callable[..., Any], account: Any, role: str
) -> None:
    response = web(make_user(role)).post(
        f"/customers/account/{account.pk}/edit/", _account_post(account, phone="045 1")
    )
    assert response.status_code == 302
    account.refresh_from_db()
    assert account.phone == "045 1"


def test_signed_out_callers_are_sent_to_sign_in_and_nothing_changes(account: Any) -> None:
    response = Client().post(
        f"/customers/account/{account.pk}/edit/", _account_post(account, name="Hijack")
    )
    assert response.status_code == 302 and "/login/" in response["Location"]
    account.refresh_from_db()
    assert account.name == "Città di Verona"


def test_the_edit_pages_speak_italian(web: Callable[..., Client], agent: Any, contact: Any) -> None:
    client = web(agent, language="it")
    html = client.get(f"/customers/contact/{contact.pk}/edit/").content.decode()
    assert "Modifica contatto" in html and "lascia il campo vuoto per un contatto senza" in html
    response = client.post(
        f"/customers/contact/{contact.pk}/edit/", _contact_post(contact, phone="347 1"), follow=True
    )
    assert "Il contatto è stato salvato." in response.content.decode()
    response = client.post(
        f"/customers/contact/{contact.pk}/edit/", _contact_post(contact, last_name="")
    )
    assert response.status_code == 422
    assert "Campo obbligatorio." in response.content.decode()
    page = client.get("/customers/").content.decode()
    assert "Nuovo account" in page and "Nuovo contatto" in page


def test_the_account_picker_searches_accounts_only(
    web: Callable[..., Client], agent: Any, account: Any, contact: Any
) -> None:
    services.account_create(actor=agent, name="Verona Ottica")
    client = web(agent)
    both = client.get("/lookup/customers/", {"q": "verona"}).json()["items"]
    accounts = client.get("/lookup/customers/", {"q": "verona", "type": "account"}).json()["items"]
    assert {i["type"] for i in accounts} == {"account"}
    assert sorted(i["name"] for i in accounts) == ["Città di Verona", "Verona Ottica"]
    assert len(both) >= len(accounts)
    lucia = client.get("/lookup/customers/", {"q": "lucia", "type": "contact"}).json()["items"]
    assert [i["type"] for i in lucia] == ["contact"]
    assert client.get("/lookup/customers/", {"q": "lucia", "type": "account"}).json() == {
        "items": []
    }
