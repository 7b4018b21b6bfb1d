"""Demo entitlements and contracts in use: terms consumed by cases, a default entitlement, hours
billed on resolution, an expired, a draft and a cancelled entitlement, and a contract whose lines
were used by resolved cases. Everything goes through the services, so the ledger and its
counters agree (`casedesk check`)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from casedesk.cases.models import Case
from casedesk.cases.services import lifecycle
from casedesk.cases.services.common import Ref
from casedesk.cases.services.records import case_create
from casedesk.catalog import services as catalog
from casedesk.catalog.models import Product
from casedesk.core import clock
from casedesk.core.choices import Channel
from casedesk.customers import services as customers
from casedesk.customers.models import Account
from casedesk.demo import service_levels
from casedesk.directory.models import User
from casedesk.entitlements.models import Entitlement
from casedesk.entitlements.services import contracts, entitlements
from casedesk.entitlements.services.entitlements import ChannelTerms

CLI = Channel.CLI


def _account(agent: User, name: str) -> Account:
    found = Account.objects.filter(name=name).order_by("created_at").first()
    return found or customers.account_create(actor=agent, name=name, channel=CLI)


def _product(manager: User, name: str, code: str) -> Product:
    found = Product.objects.filter(name=name).order_by("created_at").first()
    return found or catalog.product_create(actor=manager, name=name, code=code, channel=CLI)


def load(users: dict[str, User]) -> dict[str, int]:
    manager, agent, sara = users["manager"], users["agent"], users["sara"]
    year = clock.today().year
    start, end = dt.date(year, 1, 1), dt.date(year, 12, 31)
    bank = _account(agent, "Banca Popolare del Lago")
    hospital = _account(agent, "Ospedale San Giorgio")
    supplier = _account(agent, "Rossi Forniture Srl")
    city = _account(agent, "Città di Milano")
    cafe = _account(agent, "Caffè Aurora")
    router = _product(manager, "Router ProLink X2", "RPX2")

    def entitlement(customer: Account, name: str, **fields: Any) -> Entitlement:
        fields.setdefault("start_date", start)
        fields.setdefault("end_date", end)
        return entitlements.entitlement_create(
            actor=manager, name=name, customer=Ref("account", customer.pk), channel=CLI, **fields
        )

    premium = entitlement(
        bank,
        "Assistenza Premium",
        allocation_type="cases",
        total_terms=20,
        decrease_on="creation",
        channels=[ChannelTerms("phone", 10), ChannelTerms("email", 5)],
        is_default=True,
        sla_id=service_levels.premium_sla_id(),
    )
    hours = entitlement(
        hospital,
        "Pacchetto 40 ore",
        allocation_type="hours",
        total_terms=Decimal("40"),
        decrease_on="resolution",
        restrict_case_creation=True,
    )
    entitlement(
        supplier,
        "Supporto Router ProLink",
        allocation_type="cases",
        total_terms=5,
        product_ids=[router.pk],
    )
    last_year = entitlement(
        city,
        f"Assistenza {year - 1}",
        allocation_type="cases",
        total_terms=12,
        start_date=dt.date(year - 1, 1, 1),
        end_date=dt.date(year - 1, 12, 31),
    )
    withdrawn = entitlement(city, "Prova gratuita", allocation_type="cases", total_terms=3)
    for active in (premium, hours, last_year, withdrawn):
        entitlements.entitlement_activate(actor=manager, entitlement_id=active.pk, channel=CLI)
    entitlements.entitlement_cancel(actor=manager, entitlement_id=withdrawn.pk, channel=CLI)

    def case(customer: Account, title: str, actor: User = agent, **fields: Any) -> Case:
        return case_create(
            actor=actor,
            title=title,
            customer=Ref("account", customer.pk),
            channel=CLI,
            given=frozenset(fields) | {"title", "customer"},
            **fields,
        )

    cases = 0
    # The bank's default entitlement is applied to its new cases and debited on creation.
    for title, origin in (
        ("Bonifici istantanei rifiutati", "phone"),
        ("Token OTP non ricevuti dai clienti", "email"),
        ("Sportello automatico fuori linea", "phone"),
    ):
        case(bank, title, origin=origin)
        cases += 1
    duplicate = case(bank, "Token OTP non ricevuti (duplicato)", origin="email")
    lifecycle.case_cancel(actor=agent, case_id=duplicate.pk, channel=CLI)
    cases += 1
    # The hospital buys hours: resolved cases consume their billable time.
    for title, minutes in (
        ("Cartella clinica elettronica lenta", 90),
        ("Stampanti di reparto non raggiungibili", 45),
    ):
        worked = case(hospital, title, entitlement_id=hours.pk, actor=sara)
        lifecycle.case_resolve(
            actor=sara,
            case_id=worked.pk,
            resolution="Risolto dal supporto di secondo livello.",
            billable_minutes=minutes,
            channel=CLI,
        )
        cases += 1
    case(hospital, "Rete Wi-Fi ospiti intermittente", entitlement_id=hours.pk, actor=sara)
    cases += 1
    # A legacy contract with its three kinds of lines, used by resolved cases.
    contract = contracts.contract_create(
        actor=manager,
        name=f"Contratto assistenza {year}",
        customer=Ref("account", cafe.pk),
        start_date=start,
        end_date=end,
        channel=CLI,
    )
    by_case = contracts.contract_line_create(
        actor=manager,
        contract_id=contract.pk,
        name="Interventi in sede",
        allotment_type="cases",
        total=10,
        channel=CLI,
    )
    by_minutes = contracts.contract_line_create(
        actor=manager,
        contract_id=contract.pk,
        name="Assistenza telefonica",
        allotment_type="minutes",
        total=600,
        channel=CLI,
    )
    contracts.contract_line_create(
        actor=manager,
        contract_id=contract.pk,
        name="Copertura annuale",
        allotment_type="coverage_dates",
        channel=CLI,
    )
    for title, line, minutes in (
        ("Macchina del caffè collegata non invia i consumi", by_case, 30),
        ("Cassa non stampa lo scontrino", by_minutes, 50),
    ):
        billed = case(cafe, title, contract_line_id=line.pk)
        lifecycle.case_resolve(
            actor=agent,
            case_id=billed.pk,
            resolution="Intervento completato.",
            billable_minutes=minutes,
            channel=CLI,
        )
        cases += 1
    return {"entitlements": 5, "contracts": 1, "entitlement cases": cases}
