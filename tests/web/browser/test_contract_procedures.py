"""Service › Contracts end to end in a browser, in English and Italian: a manager creates a
contract for a customer found in the lookup, adds a line of time on the contract page, and finds
it in the list; with screenshots of the contract and the list."""

from __future__ import annotations

import datetime as dt
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
def pharmacy(agent: Any, manager: Any) -> Any:
    """A customer with last year's contract, whose lines cases used."""
    from casedesk.cases.services.common import Ref
    from casedesk.core import clock
    from casedesk.customers import services as customers
    from casedesk.entitlements.services import contracts

    account = customers.account_create(actor=agent, name="Farmacia Centrale")
    year = clock.today().year - 1
    old = contracts.contract_create(
        actor=manager,
        name=f"Contratto assistenza {year}",
        customer=Ref("account", account.pk),
        start_date=dt.date(year, 1, 1),
        end_date=dt.date(year, 12, 31),
    )
    contracts.contract_line_create(
        actor=manager,
        contract_id=old.pk,
        name="Interventi in sede",
        allotment_type="cases",
        total=6,
    )
    return account


@pytest.mark.parametrize("language", LANGUAGES)
def test_manager_creates_a_contract_with_a_line_and_finds_it_in_the_list(
    open_session: Callable[..., Session], manager: Any, pharmacy: Any, language: str
) -> None:
    from casedesk.entitlements.models import Contract, ContractLine

    w = WORDS[language]
    year = dt.date.today().year
    s = open_session(manager, language)
    page = s.page
    s.go("/")
    page.get_by_role("navigation", name=re.compile("Service|Servizio")).get_by_role(
        "link", name=w["contracts"], exact=True
    ).click()
    page.get_by_role("link", name=w["new_contract"]).click()
    page.get_by_label(w["name"], exact=True).fill(f"Assistenza {year}")
    lookup = page.get_by_role("combobox", name=w["customer"])
    lookup.fill("farmacia")
    page.get_by_role("option", name=re.compile("Farmacia Centrale")).click()
    page.get_by_label(w["start_date"]).fill(f"{year}-01-01")
    page.get_by_label(w["end_date"]).fill(f"{year}-12-31")
    page.get_by_role("button", name=w["save"], exact=True).click()
    expect(page.locator(".messages")).to_contain_text(w["contract_saved"])
    expect(page.get_by_role("heading", level=1)).to_contain_text(f"Assistenza {year}")
    expect(page.locator("[data-contract-state]")).to_have_text(w["active"])

    lines = page.locator("#lines")
    lines.get_by_text(w["add_a_line"]).click()
    lines.get_by_label(w["line_name"]).fill("Assistenza telefonica")
    lines.get_by_label(w["allotment_type"]).select_option(label=w["time_minutes"])
    lines.get_by_label(w["line_total"]).fill("600")
    lines.get_by_role("button", name=w["add_line"]).click()
    expect(page.locator(".messages")).to_contain_text(w["line_added"])
    row = page.locator("[data-contract-lines] tr", has_text="Assistenza telefonica")
    expect(row).to_contain_text(w["time_minutes"])
    expect(row).to_contain_text("10 h")
    expect(page.locator('[data-total="minutes"]')).to_contain_text("10 h")
    s.shot("contract")
    s.no_horizontal_scroll()

    contract = Contract.objects.get(name=f"Assistenza {year}")
    line = ContractLine.objects.get(contract=contract)
    assert (line.allotment_type, line.total, line.start_date) == (
        "minutes",
        600,
        dt.date(year, 1, 1),
    )
    assert contract.customer_account_id == pharmacy.pk

    page.get_by_role("navigation", name=re.compile("Breadcrumb|Percorso")).get_by_role(
        "link", name=w["contracts"]
    ).click()
    listed = page.locator("tbody tr", has_text=f"Assistenza {year}")
    expect(listed).to_contain_text("Farmacia Centrale")
    expect(listed).to_contain_text("Assistenza telefonica")
    expect(page.locator("tbody tr")).to_have_count(2)
    s.shot("contract-list")
    s.no_horizontal_scroll()


def test_contract_pages_fit_a_narrow_window(
    open_session: Callable[..., Session], manager: Any, agent: Any, pharmacy: Any
) -> None:
    from casedesk.cases.services import lifecycle, records
    from casedesk.cases.services.common import Ref
    from casedesk.entitlements.models import Contract, ContractLine
    from casedesk.entitlements.services import contracts

    current = contracts.contract_create(
        actor=manager,
        name="Contratto di assistenza tecnica con interventi in sede",
        customer=Ref("account", pharmacy.pk),
        start_date=dt.date.today() - dt.timedelta(days=30),
        end_date=dt.date.today() + dt.timedelta(days=300),
    )
    line = contracts.contract_line_create(
        actor=manager,
        contract_id=current.pk,
        name="Assistenza telefonica prioritaria",
        allotment_type="minutes",
        total=600,
    )
    case = records.case_create(
        actor=agent,
        title="Registratore di cassa bloccato alla chiusura serale",
        customer=Ref("account", pharmacy.pk),
        contract_line_id=line.pk,
    )
    lifecycle.case_resolve(actor=agent, case_id=case.pk, resolution="Fatto.", billable_minutes=45)
    assert Contract.objects.count() == 2 and ContractLine.objects.get(pk=line.pk).used == 45
    s = open_session(manager, "it", width=390, height=844)
    for path in (
        "/contracts/",
        f"/contracts/{current.pk}/",
        "/contracts/new/",
        f"/contracts/{current.pk}/edit/",
        f"/contracts/{current.pk}/lines/{line.pk}/",
        f"/customers/account/{pharmacy.pk}/",
    ):
        s.go(path)
        expect(s.page.get_by_role("heading", level=1)).to_be_visible()
        s.no_horizontal_scroll()
    s.go(f"/contracts/{current.pk}/")
    expect(s.page.locator("[data-contract-ledger]")).to_contain_text(case.ticket_number)
    s.shot("contract-narrow")
