"""Editing accounts and contacts from their page, and choosing the contacts an entitlement
covers after choosing its customer with the lookup, in a browser, in English and Italian."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.web.browser.conftest import Session
from tests.web.browser.words import WORDS

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow]
LANGUAGES = ["en", "it"]


@pytest.fixture
def world(agent: Any) -> dict[str, Any]:
    from casedesk.customers import services as customers

    pharmacy = customers.account_create(actor=agent, name="Farmacia Centrale")
    optics = customers.account_create(actor=agent, name="Ottica Rossi")
    return {
        "pharmacy": pharmacy,
        "optics": optics,
        "lucia": customers.contact_create(
            actor=agent, first_name="Lucia", last_name="Bianchi", account_id=pharmacy.pk
        ),
        "paolo": customers.contact_create(
            actor=agent, first_name="Paolo", last_name="Neri", account_id=pharmacy.pk
        ),
        "sara": customers.contact_create(
            actor=agent, first_name="Sara", last_name="Rossi", account_id=optics.pk
        ),
    }


@pytest.mark.parametrize("language", LANGUAGES)
def test_agent_edits_an_account_and_moves_a_contact_to_another_account(
    open_session: Callable[..., Session], agent: Any, world: dict[str, Any], language: str
) -> None:
    w = WORDS[language]
    s = open_session(agent, language)
    page = s.page
    s.go(f"/customers/account/{world['pharmacy'].pk}/")
    page.get_by_role("link", name=w["edit"], exact=True).click()
    page.get_by_label(w["account_name"]).fill("Farmacia Centrale di Verona")
    page.get_by_label(w["phone"]).fill("+39 045 800 1234")
    s.shot("customer-edit")
    s.no_horizontal_scroll()
    page.get_by_role("button", name=w["save"], exact=True).click()
    expect(page.locator(".messages")).to_contain_text(w["account_saved"])
    expect(page.get_by_role("heading", level=1)).to_have_text("Farmacia Centrale di Verona")
    expect(page.locator("main")).to_contain_text("+39 045 800 1234")

    page.get_by_role("link", name="Lucia Bianchi").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Lucia Bianchi")
    page.get_by_role("link", name=w["edit"], exact=True).click()
    picker = page.get_by_role("combobox", name=w["account"])
    expect(picker).to_have_value("Farmacia Centrale di Verona")
    picker.fill("ottica")
    page.get_by_role("option", name=re.compile("Ottica Rossi")).click()
    expect(picker).to_have_value("Ottica Rossi")
    s.shot("customer-edit-contact")
    page.get_by_role("button", name=w["save"], exact=True).click()
    expect(page.locator(".messages")).to_contain_text(w["contact_saved"])
    expect(page.locator("main .facts")).to_contain_text("Ottica Rossi")
    from casedesk.customers.models import Account, Contact

    assert Contact.objects.get(pk=world["lucia"].pk).account_id == world["optics"].pk
    assert Account.objects.get(pk=world["pharmacy"].pk).phone == "+39 045 800 1234"


@pytest.mark.parametrize("language", LANGUAGES)
def test_manager_chooses_the_contacts_of_the_customer_chosen_with_the_lookup(
    open_session: Callable[..., Session], manager: Any, world: dict[str, Any], language: str
) -> None:
    w = WORDS[language]
    s = open_session(manager, language)
    page = s.page
    s.go("/entitlements/new/")
    expect(page.get_by_role("heading", level=1)).to_have_text(w["new_entitlement"])
    contacts = page.get_by_label(w["contacts"], exact=True)
    expect(contacts.locator("option")).to_have_count(0)
    page.get_by_label(w["name"], exact=True).fill("Assistenza farmacia")
    lookup = page.get_by_role("combobox", name=w["customer"])
    lookup.fill("farmacia")
    found = page.get_by_role("option", name=re.compile("Farmacia Centrale"))
    expect(found).to_be_visible()
    # This page has no dialogs to create a customer, so the lookup offers none.
    expect(page.get_by_role("option", name=re.compile(w["new_account"]))).to_have_count(0)
    found.click()
    expect(contacts.locator("option")).to_have_text(["Lucia Bianchi", "Paolo Neri"])
    contacts.select_option(label=["Lucia Bianchi", "Paolo Neri"])
    # Choosing the same customer again keeps what was chosen; another customer drops it.
    lookup.fill("farmacia c")
    with page.expect_response(re.compile("/lookup/contacts/")):
        page.get_by_role("option", name=re.compile("Farmacia Centrale")).click()
    expect(contacts.locator("option:checked")).to_have_text(["Lucia Bianchi", "Paolo Neri"])
    lookup.fill("ottica")
    page.get_by_role("option", name=re.compile("Ottica Rossi")).click()
    expect(contacts.locator("option")).to_have_text(["Sara Rossi"])
    expect(contacts.locator("option:checked")).to_have_count(0)
    lookup.fill("farmacia")
    page.get_by_role("option", name=re.compile("Farmacia Centrale")).click()
    expect(contacts.locator("option")).to_have_text(["Lucia Bianchi", "Paolo Neri"])
    contacts.select_option(label="Paolo Neri")
    page.get_by_label(w["start_date"]).fill("2020-01-01")
    page.get_by_label(w["end_date"]).fill("2099-12-31")
    page.get_by_label(w["total_terms"]).fill("10")
    s.shot("entitlement-form-contacts")
    s.no_horizontal_scroll()
    page.get_by_role("button", name=w["save"], exact=True).click()
    expect(page.locator("[data-entitlement-contacts]")).to_have_text("Paolo Neri")
    from casedesk.entitlements.models import Entitlement

    saved = Entitlement.objects.get(name="Assistenza farmacia")
    assert [c.pk for c in saved.contacts.all()] == [world["paolo"].pk]
