"""The seed's procedures "Creare un caso" and "Modificare un caso", end to end in a browser."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.web.browser.conftest import Session
from tests.web.browser.words import WORDS

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow]


@pytest.fixture
def verona(agent: Any) -> Any:
    from casedesk.cases.services import records
    from casedesk.cases.services.common import Ref
    from casedesk.customers import services

    account = services.account_create(actor=agent, name="Città di Verona", phone="045 000 111")
    records.case_create(
        actor=agent, title="Stampante non raggiungibile", customer=Ref("account", account.pk)
    )
    return account


@pytest.mark.parametrize("language", ["en", "it"])
def test_agent_creates_a_case_with_the_customer_lookup_when_the_customer_exists(
    open_session: Callable[..., Session], agent: Any, verona: Any, language: str
) -> None:
    w = WORDS[language]
    s = open_session(agent, language)
    page = s.page
    s.go("/")
    page.get_by_role("navigation", name=re.compile("Service|Servizio")).get_by_role(
        "link", name=w["cases"], exact=True
    ).click()
    page.get_by_role("link", name=w["new_case"]).first.click()
    expect(page.get_by_role("heading", level=1)).to_have_text(w["new_case"])

    lookup = page.get_by_role("combobox", name=w["customer"])
    lookup.fill("citta ver")  # accents and case do not matter
    option = page.get_by_role("option", name=re.compile("Città di Verona"))
    expect(option).to_be_visible()
    lookup.press("ArrowDown")
    lookup.press("Enter")
    expect(lookup).to_have_value("Città di Verona")
    panel = page.locator("#customer-panel")
    expect(panel.get_by_role("heading", name=w["recent_cases"])).to_be_visible()
    expect(panel).to_contain_text("Stampante non raggiungibile")

    # A contact of the chosen account, created inline.
    page.get_by_role("button", name=w["new_contact_of_account"]).click()
    dialog = page.locator("#dialog-contact")
    expect(dialog).to_be_visible()
    expect(dialog).to_contain_text("Città di Verona")
    dialog.get_by_label(w["first_name"], exact=True).fill("Lucia")
    dialog.get_by_label(w["last_name"], exact=True).fill("Bianchi")
    dialog.get_by_role("button", name=w["save"]).click()
    expect(dialog).to_be_hidden()
    expect(page.get_by_label(w["contact"], exact=True)).to_have_value(re.compile(".+"))
    s.shot("case-new")

    page.get_by_label(w["case_title"]).fill("Il portale non risponde")
    page.get_by_label(w["priority"]).select_option(label=w["high"])
    page.locator("#case-form").get_by_role("button", name=w["save"], exact=True).click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Il portale non risponde")
    expect(page.locator(".messages")).to_contain_text(w["created"])
    expect(page.get_by_label(w["contact"], exact=True).locator("option:checked")).to_have_text(
        "Lucia Bianchi"
    )
    s.shot("case-page")

    from casedesk.cases.models import Case

    case = Case.objects.get(title="Il portale non risponde")
    assert case.customer_account_id == verona.pk
    assert case.contact is not None and case.contact.account_id == verona.pk
    assert case.priority == "high"


def test_the_lookup_answers_text_typed_before_its_script_ran(
    open_session: Callable[..., Session], agent: Any, verona: Any
) -> None:
    """On a slow connection the agent may type before lookup.js has run; the text is looked up."""
    s = open_session(agent, "en")
    page = s.page
    held: list[Any] = []
    page.route("**/lookup.js", lambda route: held.append(route))
    page.goto(s.base_url + "/cases/new/", wait_until="commit")
    lookup = page.get_by_role("combobox", name=WORDS["en"]["customer"])
    lookup.fill("citta ver")
    assert len(held) == 1  # the script is still on its way
    held[0].continue_()
    expect(page.get_by_role("option", name=re.compile("Città di Verona"))).to_be_visible()


@pytest.mark.parametrize("language", ["en", "it"])
def test_agent_creates_the_customer_inline_when_the_lookup_finds_none(
    open_session: Callable[..., Session], agent: Any, language: str
) -> None:
    w = WORDS[language]
    s = open_session(agent, language)
    page = s.page
    s.go("/cases/new/")
    lookup = page.get_by_role("combobox", name=w["customer"])
    lookup.fill("Nuova Ottica Srl")
    new_account = page.get_by_role("option", name=re.compile(w["new_account"]))
    expect(new_account).to_be_visible()
    new_account.click()
    dialog = page.locator("#dialog-account")
    expect(dialog).to_be_visible()
    expect(dialog.get_by_label(w["account_name"])).to_have_value("Nuova Ottica Srl")
    dialog.get_by_role("button", name=w["save"]).click()
    expect(dialog).to_be_hidden()
    expect(lookup).to_have_value("Nuova Ottica Srl")
    page.get_by_label(w["case_title"]).fill("Richiesta preventivo")
    page.locator("#case-form").get_by_role("button", name=w["save"], exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Richiesta preventivo")

    from casedesk.cases.models import Case

    case = Case.objects.select_related("customer_account").get(title="Richiesta preventivo")
    assert case.customer_account is not None
    assert case.customer_account.name == "Nuova Ottica Srl"


@pytest.mark.parametrize("language", ["en", "it"])
def test_agent_edits_a_case_and_moves_it_along_the_process_bar(
    open_session: Callable[..., Session], agent: Any, verona: Any, language: str
) -> None:
    w = WORDS[language]
    s = open_session(agent, language)
    page = s.page
    s.go("/cases/")
    expect(page.get_by_role("heading", level=1)).to_have_text(w["my_active"])
    s.shot("case-list")
    page.get_by_role("link", name="Stampante non raggiungibile").click()
    page.get_by_label(w["case_title"]).fill("Stampante del terzo piano non raggiungibile")
    page.get_by_label(w["priority"]).select_option(label=w["high"])
    page.locator("#case-form").get_by_role("button", name=w["save"], exact=True).click()
    expect(page.locator(".messages")).to_contain_text(w["saved"])
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "Stampante del terzo piano non raggiungibile"
    )
    page.locator("#process").get_by_role("button", name=re.compile(w["research"])).click()
    expect(page.locator("#process [aria-current=step]")).to_contain_text(w["research"])

    from casedesk.cases.models import Case

    case = Case.objects.get(title="Stampante del terzo piano non raggiungibile")
    assert (case.priority, case.stage) == ("high", "research")


def test_case_page_fits_a_narrow_window(
    open_session: Callable[..., Session], agent: Any, verona: Any
) -> None:
    s = open_session(agent, "en", width=390, height=844)
    s.go("/cases/")
    s.no_horizontal_scroll()
    s.page.get_by_role("link", name="Stampante non raggiungibile").click()
    expect(s.page.get_by_role("heading", level=1)).to_have_text("Stampante non raggiungibile")
    s.no_horizontal_scroll()
    s.shot("case-page-narrow")
    s.go("/cases/new/")
    s.no_horizontal_scroll()
