"""The entitlement form's contacts: the contacts of the chosen customer, saved through the
services (which refuse a contact outside the customer), listed on the entitlement's page."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client

from casedesk.cases.services.common import Ref
from casedesk.customers import services as customers
from casedesk.entitlements.models import Entitlement
from casedesk.entitlements.services import entitlements

pytestmark = pytest.mark.django_db


@pytest.fixture
def people(agent: Any, account: Any, contact: Any) -> dict[str, Any]:
    """Two contacts of the account (Lucia Bianchi, Paolo Neri) and one of another account."""
    other = customers.account_create(actor=agent, name="Ottica Rossi")
    return {
        "lucia": contact,
        "paolo": customers.contact_create(
            actor=agent, first_name="Paolo", last_name="Neri", account_id=account.pk
        ),
        "stranger": customers.contact_create(
            actor=agent, first_name="Sara", last_name="Rossi", account_id=other.pk
        ),
        "other": other,
    }


def _post(customer: str, **fields: Any) -> dict[str, Any]:
    return {
        "name": "Supporto 2026",
        "customer": customer,
        "start_date": "2020-01-01",
        "end_date": "2099-12-31",
        "allocation_type": "cases",
        "total_terms": "5",
        "decrease_on": "creation",
        **fields,
    }


def _options(html: str) -> dict[str, bool]:
    """The contacts select's options: name -> selected."""
    select = re.search(r'<select name="contacts".*?</select>', html, re.S)
    assert select is not None, "the form has no contacts select"
    options = re.findall(r"<option value=\"[^\"]+\"( selected)?>([^<]+)<", select[0])
    return {name: bool(selected) for selected, name in options}


def _draft(manager: Any, account: Any, contact_ids: list[Any]) -> Any:
    return entitlements.entitlement_create(
        actor=manager,
        name="Supporto 2026",
        customer=Ref("account", account.pk),
        start_date=dt.date(2020, 1, 1),
        end_date=dt.date(2099, 12, 31),
        allocation_type="cases",
        total_terms=5,
        contact_ids=contact_ids,
    )


def test_manager_chooses_contacts_of_the_customer_and_the_page_lists_them(
    web: Callable[..., Client], manager: Any, account: Any, people: dict[str, Any]
) -> None:
    client = web(manager)
    response = client.post(
        "/entitlements/new/",
        _post(
            f"account:{account.pk}",
            contacts=[str(people["lucia"].pk), str(people["paolo"].pk)],
        ),
    )
    assert response.status_code == 302
    ent = Entitlement.objects.get(name="Supporto 2026")
    assert set(ent.contacts.all()) == {people["lucia"], people["paolo"]}
    page = client.get(f"/entitlements/{ent.pk}/").content.decode()
    covered = re.search(r"<dd data-entitlement-contacts>(.*?)</dd>", page, re.S)
    assert covered is not None
    assert re.findall(r">([^<]+)</a>", covered[1]) == ["Lucia Bianchi", "Paolo Neri"]
    assert f'href="/customers/contact/{people["lucia"].pk}/"' in covered[1]


def test_the_new_form_offers_the_contacts_of_the_customer_it_is_opened_for(
    web: Callable[..., Client], manager: Any, account: Any, people: dict[str, Any]
) -> None:
    client = web(manager)
    html = client.get(f"/entitlements/new/?customer=account:{account.pk}").content.decode()
    assert _options(html) == {"Lucia Bianchi": False, "Paolo Neri": False}
    assert _options(client.get("/entitlements/new/").content.decode()) == {}
    # A contact customer: the entitlement may name that contact only.
    html = client.get(
        f"/entitlements/new/?customer=contact:{people['stranger'].pk}"
    ).content.decode()
    assert _options(html) == {"Sara Rossi": False}


def test_the_edit_form_shows_the_covered_contacts_chosen(
    web: Callable[..., Client], manager: Any, account: Any, people: dict[str, Any]
) -> None:
    ent = _draft(manager, account, [people["paolo"].pk])
    html = web(manager).get(f"/entitlements/{ent.pk}/edit/").content.decode()
    assert _options(html) == {"Lucia Bianchi": False, "Paolo Neri": True}


def test_an_invalid_form_is_rerendered_with_the_posted_customers_contacts_still_chosen(
    web: Callable[..., Client], manager: Any, account: Any, people: dict[str, Any]
) -> None:
    response = web(manager).post(
        "/entitlements/new/",
        _post(f"account:{account.pk}", name="", contacts=[str(people["paolo"].pk)]),
    )
    assert response.status_code == 422
    assert _options(response.content.decode()) == {"Lucia Bianchi": False, "Paolo Neri": True}
    assert not Entitlement.objects.exists()


@pytest.mark.parametrize(
    ("language", "message"),
    [
        ("en", "Every contact must be the customer or a contact of the customer account."),
        ("it", "Ogni contatto deve essere il cliente o un contatto dell&#x27;account cliente."),
    ],
)
def test_a_contact_of_another_customer_is_refused_with_422_and_stays_visible(
    web: Callable[..., Client],
    manager: Any,
    account: Any,
    people: dict[str, Any],
    language: str,
    message: str,
) -> None:
    response = web(manager, language=language).post(
        "/entitlements/new/",
        _post(f"account:{account.pk}", contacts=[str(people["stranger"].pk)]),
    )
    assert response.status_code == 422
    html = response.content.decode()
    assert message in html
    # The refused choice is shown chosen, so that the manager sees what to take away.
    assert _options(html) == {"Lucia Bianchi": False, "Paolo Neri": False, "Sara Rossi": True}
    assert not Entitlement.objects.exists()


def test_contact_values_that_are_not_ids_or_unknown_are_refused_with_422(
    web: Callable[..., Client], manager: Any, account: Any, people: dict[str, Any]
) -> None:
    client = web(manager)
    response = client.post("/entitlements/new/", _post(f"account:{account.pk}", contacts=["x"]))
    assert response.status_code == 422
    assert "Select a valid choice." in response.content.decode()
    response = client.post(
        "/entitlements/new/",
        _post(f"account:{account.pk}", contacts=["00000000-0000-0000-0000-000000000000"]),
    )
    assert response.status_code == 422
    assert "A chosen contact does not exist." in response.content.decode()
    assert not Entitlement.objects.exists()


def test_editing_a_draft_changes_its_contacts_only_when_they_change(
    web: Callable[..., Client], manager: Any, account: Any, people: dict[str, Any]
) -> None:
    ent = _draft(manager, account, [people["paolo"].pk])
    client = web(manager)
    data = _post(f"account:{account.pk}", contacts=[str(people["paolo"].pk)])
    response = client.post(
        f"/entitlements/{ent.pk}/edit/", {**data, "name": "Renamed", "version": ent.version}
    )
    assert response.status_code == 302
    ent.refresh_from_db()
    assert ent.name == "Renamed" and list(ent.contacts.all()) == [people["paolo"]]
    data.pop("contacts")  # nothing chosen: the entitlement covers every contact again
    response = client.post(
        f"/entitlements/{ent.pk}/edit/", {**data, "name": "Renamed", "version": ent.version}
    )
    assert response.status_code == 302
    ent.refresh_from_db()
    assert not ent.contacts.exists()


def test_moving_a_draft_to_another_customer_refuses_contacts_left_behind(
    web: Callable[..., Client], manager: Any, account: Any, people: dict[str, Any]
) -> None:
    ent = _draft(manager, account, [people["paolo"].pk])
    response = web(manager).post(
        f"/entitlements/{ent.pk}/edit/",
        {
            **_post(f"account:{people['other'].pk}", contacts=[str(people["paolo"].pk)]),
            "version": ent.version,
        },
    )
    assert response.status_code == 422
    html = response.content.decode()
    assert "Every contact must be the customer or a contact of the customer account." in html
    assert _options(html) == {"Sara Rossi": False, "Paolo Neri": True}
    ent.refresh_from_db()
    assert ent.customer_account_id == account.pk and ent.version == 1
