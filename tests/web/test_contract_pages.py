"""Service › Contracts through Django's test client: the list (customer and state filters,
keyset pages), a contract with its lines, totals and uses, the new contract and add line forms,
editing a contract or a line, removing an unused line, and the customer page's contracts."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client

from casedesk.cases.services.common import Ref
from casedesk.core import clock
from casedesk.core.models import AuditEntry
from casedesk.entitlements.models import Contract, ContractLine

pytestmark = pytest.mark.django_db


def day(n: int) -> dt.date:
    return clock.today() + dt.timedelta(days=n)


@pytest.fixture
def make_contract(manager: Any, account: Any) -> Callable[..., Contract]:
    from casedesk.entitlements.services import contracts

    def make(name: str = "Contratto assistenza", start: int = -30, end: int = 300, **kw: Any):
        kw.setdefault("customer", Ref("account", account.pk))
        return contracts.contract_create(
            actor=manager, name=name, start_date=day(start), end_date=day(end), **kw
        )

    return make


@pytest.fixture
def make_line(manager: Any) -> Callable[..., ContractLine]:
    from casedesk.entitlements.services import contracts

    def make(contract: Contract, name: str = "Interventi in sede", **kw: Any) -> ContractLine:
        kw.setdefault("allotment_type", "cases")
        kw.setdefault("total", 10)
        return contracts.contract_line_create(
            actor=manager, contract_id=contract.pk, name=name, **kw
        )

    return make


def _resolved_case_on(agent: Any, make_case: Any, line: ContractLine, minutes: int = 0) -> Any:
    from casedesk.cases.services import lifecycle

    case = make_case(contract_line_id=line.pk)
    lifecycle.case_resolve(
        actor=agent, case_id=case.pk, resolution="Fatto.", billable_minutes=minutes
    )
    return case


def _text(response: Any) -> str:
    return re.sub(r"\s+", " ", response.content.decode())


def test_contracts_sit_in_the_service_navigation_beside_entitlements(
    web: Callable[..., Client], agent: Any
) -> None:
    page = _text(web(agent).get("/contracts/"))
    nav = page[page.index('class="mainnav"') : page.index("</nav>", page.index('class="mainnav"'))]
    assert nav.index(">Entitlements<") < nav.index(">Contracts<")
    assert '<a href="/contracts/" aria-current="page">Contracts</a>' in nav


def test_contract_pages_send_anonymous_visitors_to_sign_in(make_contract: Any) -> None:
    contract = make_contract()
    for path in ("/contracts/", f"/contracts/{contract.pk}/", "/contracts/new/"):
        response = Client().get(path)
        assert response.status_code == 302 and response["Location"].startswith("/login/")


def test_the_list_shows_each_contract_with_its_customer_state_dates_and_lines(
    web: Callable[..., Client], agent: Any, make_contract: Any, make_line: Any
) -> None:
    contract = make_contract()
    make_line(contract, total=10)
    make_line(contract, name="Assistenza telefonica", allotment_type="minutes", total=600)
    make_contract(name="Contratto 2020", start=-2000, end=-1700)
    page = _text(web(agent).get("/contracts/"))
    row = page[
        page.index("Contratto assistenza") : page.index("</tr>", page.index("Contratto assistenza"))
    ]
    assert "Città di Verona" in row and "Active" in row
    assert "Interventi in sede: 10 cases" in row
    assert "Assistenza telefonica: 10 h" in row
    assert "Expired" in page[page.index("Contratto 2020") :]


def test_the_list_filters_by_state(
    web: Callable[..., Client], agent: Any, make_contract: Any
) -> None:
    make_contract(name="In corso")
    make_contract(name="Scaduto da tempo", start=-900, end=-600)
    make_contract(name="Per il futuro", start=30, end=400)
    client = web(agent)
    for state, shown in (
        ("active", "In corso"),
        ("expired", "Scaduto da tempo"),
        ("waiting", "Per il futuro"),
    ):
        page = _text(client.get("/contracts/", {"state": state}))
        names = {"In corso", "Scaduto da tempo", "Per il futuro"}
        assert [n for n in names if f">{n}</a>" in page] == [shown], state
    # An unknown state shows them all.
    page = _text(client.get("/contracts/", {"state": "draft"}))
    assert all(f">{n}</a>" in page for n in ("In corso", "Scaduto da tempo", "Per il futuro"))


def test_the_list_filters_by_customer_and_keeps_it_across_the_state_tabs(
    web: Callable[..., Client], agent: Any, manager: Any, make_contract: Any
) -> None:
    from casedesk.customers import services

    other = services.account_create(actor=agent, name="Ottica Rossi")
    make_contract(name="Di Verona")
    make_contract(name="Di Rossi", customer=Ref("account", other.pk))
    response = web(agent).get("/contracts/", {"customer": f"account:{other.pk}"})
    page = _text(response)
    assert ">Di Rossi</a>" in page and ">Di Verona</a>" not in page
    assert 'value="Ottica Rossi"' in page  # the lookup shows the chosen customer
    assert f"?customer=account%3A{other.pk}&amp;state=expired" in page
    # A malformed customer filters nothing.
    page = _text(web(agent).get("/contracts/", {"customer": "planet:1"}))
    assert ">Di Rossi</a>" in page and ">Di Verona</a>" in page


def test_the_list_pages_with_a_keyset_cursor_at_a_constant_cost(
    web: Callable[..., Client],
    agent: Any,
    make_contract: Any,
    make_line: Any,
    django_assert_max_num_queries: Any,
) -> None:
    client = web(agent)
    make_line(make_contract(name="C-000"))
    client.get("/contracts/")
    with django_assert_max_num_queries(12) as few:
        client.get("/contracts/")
    for n in range(1, 52):
        make_line(make_contract(name=f"C-{n:03d}"))
    with django_assert_max_num_queries(len(few.captured_queries)):
        first = client.get("/contracts/")
    page = _text(first)
    assert ">C-049</a>" in page and ">C-050</a>" not in page
    cursor = first.context["next_cursor"]
    second = _text(client.get("/contracts/", {"cursor": cursor}))
    assert ">C-050</a>" in second and ">C-051</a>" in second and ">C-000</a>" not in second
    assert client.get("/contracts/", {"cursor": "forged"}).status_code == 400


def test_a_manager_creates_a_contract_for_the_customer_chosen_in_the_lookup(
    web: Callable[..., Client], manager: Any, account: Any
) -> None:
    client = web(manager)
    form = _text(client.get(f"/contracts/new/?customer=account:{account.pk}"))
    assert 'value="Città di Verona"' in form
    response = client.post(
        "/contracts/new/",
        {
            "name": "Assistenza 2026",
            "customer": f"account:{account.pk}",
            "start_date": "2026-01-01",
            "end_date": "2026-12-31",
        },
    )
    contract = Contract.objects.get(name="Assistenza 2026")
    assert response.status_code == 302 and response["Location"] == f"/contracts/{contract.pk}/"
    assert contract.customer_account_id == account.pk
    assert (contract.start_date, contract.end_date) == (dt.date(2026, 1, 1), dt.date(2026, 12, 31))
    audit = AuditEntry.objects.get(entity_id=contract.pk)
    assert (audit.action, audit.channel) == ("create", "ui")


def test_a_new_contract_rerenders_with_errors_when_values_are_missing_or_wrong(
    web: Callable[..., Client], manager: Any, account: Any
) -> None:
    client = web(manager)
    response = client.post("/contracts/new/", {"name": "", "customer": "", "start_date": "x"})
    assert response.status_code == 422
    errors = response.context["form"].errors
    assert {"name", "customer", "start_date", "end_date"} <= set(errors)
    response = client.post(
        "/contracts/new/",
        {
            "name": "Al contrario",
            "customer": f"account:{account.pk}",
            "start_date": "2026-12-31",
            "end_date": "2026-01-01",
        },
    )
    assert response.status_code == 422
    assert response.context["form"].errors["end_date"] == [
        "The end date must not be before the start date."
    ]
    assert not Contract.objects.exists()


def test_agents_read_contracts_but_are_offered_no_changes_and_are_refused_them(
    web: Callable[..., Client], agent: Any, account: Any, make_contract: Any, make_line: Any
) -> None:
    contract = make_contract()
    line = make_line(contract)
    client = web(agent)
    page = _text(client.get(f"/contracts/{contract.pk}/"))
    assert "Interventi in sede" in page
    for offered in ("New contract", "Edit contract", "Add line", "/remove/", "Edit line"):
        assert offered not in page, offered
    assert "New contract" not in _text(client.get("/contracts/"))
    refused = client.post(
        "/contracts/new/",
        {
            "name": "X",
            "customer": f"account:{account.pk}",
            "start_date": "2026-01-01",
            "end_date": "2026-12-31",
        },
    )
    assert refused.status_code == 403
    added = client.post(
        f"/contracts/{contract.pk}/lines/", {"name": "L", "allotment_type": "cases", "total": "1"}
    )
    assert added.status_code == 403
    removed = client.post(
        f"/contracts/{contract.pk}/lines/{line.pk}/remove/", {"version": line.version}
    )
    assert removed.status_code == 403
    assert Contract.objects.count() == 1 and ContractLine.objects.count() == 1


def test_the_contract_page_shows_customer_dates_lines_totals_and_what_cases_used(
    web: Callable[..., Client],
    agent: Any,
    make_case: Any,
    make_contract: Any,
    make_line: Any,
) -> None:
    contract = make_contract()
    visits = make_line(contract, total=10)
    phone = make_line(contract, name="Assistenza telefonica", allotment_type="minutes", total=600)
    make_line(contract, name="Copertura annuale", allotment_type="coverage_dates", total=0)
    case = _resolved_case_on(agent, make_case, visits)
    _resolved_case_on(agent, make_case, phone, minutes=50)
    page = _text(web(agent).get(f"/contracts/{contract.pk}/"))
    assert f'href="/customers/account/{contract.customer_account_id}/">Città di Verona</a>' in page
    assert '<span class="badge" data-contract-state>Active</span>' in page
    assert 'data-total="cases">Used: 1 case of 10 cases · Remaining: 9 cases' in page
    assert 'data-total="minutes">Used: 50 min of 10 h · Remaining: 9 h 10 min' in page
    lines = page[page.index("data-contract-lines") :]
    assert lines.index("Interventi in sede") < lines.index("Assistenza telefonica")
    assert "Coverage dates" in lines and "Time (minutes)" in lines
    assert f'href="/cases/{case.pk}/">{case.ticket_number}</a>' in page
    assert "-1 case<" in page and "-50 min<" in page


def test_a_manager_adds_a_line_on_the_contract_page(
    web: Callable[..., Client], manager: Any, make_contract: Any
) -> None:
    from casedesk.catalog import services as catalog

    contract = make_contract()
    router = catalog.product_create(actor=manager, name="Router X1")
    response = web(manager).post(
        f"/contracts/{contract.pk}/lines/",
        {
            "name": "Assistenza telefonica",
            "allotment_type": "minutes",
            "total": "600",
            "product": str(router.pk),
            "start_date": "",
            "end_date": "",
        },
    )
    assert response.status_code == 302 and response["Location"] == f"/contracts/{contract.pk}/"
    line = ContractLine.objects.get(contract=contract)
    assert (line.allotment_type, line.total, line.product_id) == ("minutes", 600, router.pk)
    assert (line.start_date, line.end_date) == (contract.start_date, contract.end_date)
    assert AuditEntry.objects.get(entity_id=line.pk).channel == "ui"


def test_a_refused_line_shows_the_form_again_open_with_the_services_reason(
    web: Callable[..., Client], manager: Any, make_contract: Any
) -> None:
    contract = make_contract()
    response = web(manager).post(
        f"/contracts/{contract.pk}/lines/",
        {"name": "Copertura", "allotment_type": "coverage_dates", "total": "5"},
    )
    assert response.status_code == 422
    assert response.context["line_form"].errors["total"] == [
        "A line of coverage dates has no total."
    ]
    assert '<details class="quickadd" open>' in _text(response)
    outside = web(manager).post(
        f"/contracts/{contract.pk}/lines/",
        {"name": "Troppo lunga", "allotment_type": "cases", "end_date": str(day(900))},
    )
    assert outside.status_code == 422
    assert "start_date" in outside.context["line_form"].errors
    assert not ContractLine.objects.exists()


def test_a_manager_edits_a_contract_and_a_stale_form_is_refused(
    web: Callable[..., Client], manager: Any, make_contract: Any
) -> None:
    contract = make_contract()
    client = web(manager)
    form = client.get(f"/contracts/{contract.pk}/edit/")
    assert form.status_code == 200 and 'value="Contratto assistenza"' in _text(form)
    data = {
        "name": "Contratto rinnovato",
        "customer": f"account:{contract.customer_account_id}",
        "start_date": str(contract.start_date),
        "end_date": str(day(700)),
        "version": contract.version,
    }
    saved = client.post(f"/contracts/{contract.pk}/edit/", data)
    assert saved.status_code == 302
    contract.refresh_from_db()
    assert (contract.name, contract.end_date, contract.version) == (
        "Contratto rinnovato",
        day(700),
        2,
    )
    update = AuditEntry.objects.filter(entity_id=contract.pk, action="update").get()
    assert update.channel == "ui" and set(update.changes) == {"name", "end_date"}
    stale = client.post(f"/contracts/{contract.pk}/edit/", {**data, "name": "Vecchio"})
    assert stale.status_code == 412
    assert "Someone else changed this record" in _text(stale)
    contract.refresh_from_db()
    assert contract.name == "Contratto rinnovato"


def test_moving_a_contract_whose_lines_bill_cases_to_another_customer_is_refused(
    web: Callable[..., Client],
    manager: Any,
    agent: Any,
    make_case: Any,
    make_contract: Any,
    make_line: Any,
) -> None:
    from casedesk.customers import services

    contract = make_contract()
    make_case(contract_line_id=make_line(contract).pk)
    contract.refresh_from_db()  # the line changed its version
    other = services.account_create(actor=agent, name="Ottica Rossi")
    response = web(manager).post(
        f"/contracts/{contract.pk}/edit/",
        {
            "name": contract.name,
            "customer": f"account:{other.pk}",
            "start_date": str(contract.start_date),
            "end_date": str(contract.end_date),
            "version": contract.version,
        },
    )
    assert response.status_code == 409
    assert "Cases bill to this contract line" in _text(response)
    contract.refresh_from_db()
    assert contract.customer_account_id != other.pk


def test_a_manager_edits_a_line_keeping_its_allotment_type(
    web: Callable[..., Client], manager: Any, make_contract: Any, make_line: Any
) -> None:
    contract = make_contract()
    line = make_line(contract)
    client = web(manager)
    page = _text(client.get(f"/contracts/{contract.pk}/lines/{line.pk}/"))
    assert 'name="allotment_type"' not in page and "Number of cases" in page
    data = {
        "name": "Interventi in sede (rinnovo)",
        "total": "12",
        "start_date": str(line.start_date),
        "end_date": str(line.end_date),
        "product": "",
        "version": line.version,
    }
    saved = client.post(f"/contracts/{contract.pk}/lines/{line.pk}/", data)
    assert saved.status_code == 302 and saved["Location"] == f"/contracts/{contract.pk}/"
    line.refresh_from_db()
    assert (line.name, line.total, line.allotment_type, line.version) == (
        "Interventi in sede (rinnovo)",
        12,
        "cases",
        2,
    )
    changes = AuditEntry.objects.filter(entity_id=line.pk, action="update").get().changes
    assert set(changes) == {"name", "total"}
    stale = client.post(f"/contracts/{contract.pk}/lines/{line.pk}/", {**data, "total": "1"})
    assert stale.status_code == 412
    line.refresh_from_db()
    assert line.total == 12


def test_a_line_is_edited_only_under_its_own_contract(
    web: Callable[..., Client], manager: Any, make_contract: Any, make_line: Any
) -> None:
    line = make_line(make_contract())
    other = make_contract(name="Altro")
    assert web(manager).get(f"/contracts/{other.pk}/lines/{line.pk}/").status_code == 404


def test_an_unused_line_is_removed_and_a_used_one_is_neither_offered_nor_removed(
    web: Callable[..., Client],
    manager: Any,
    agent: Any,
    make_case: Any,
    make_contract: Any,
    make_line: Any,
) -> None:
    contract = make_contract()
    mistake = make_line(contract, name="Per errore")
    used = make_line(contract, name="Usata")
    _resolved_case_on(agent, make_case, used)
    used.refresh_from_db()  # its use changed its version
    client = web(manager)
    page = _text(client.get(f"/contracts/{contract.pk}/"))
    assert f"/lines/{mistake.pk}/remove/" in page
    assert f"/lines/{used.pk}/remove/" not in page
    refused = client.post(
        f"/contracts/{contract.pk}/lines/{used.pk}/remove/", {"version": used.version}
    )
    assert refused.status_code == 409 and "Cases bill to this contract line" in _text(refused)
    removed = client.post(
        f"/contracts/{contract.pk}/lines/{mistake.pk}/remove/", {"version": mistake.version}
    )
    assert removed.status_code == 302
    assert list(ContractLine.objects.values_list("name", flat=True)) == ["Usata"]
    assert AuditEntry.objects.filter(entity_id=mistake.pk, action="delete", channel="ui").exists()


def test_the_customer_page_lists_its_contracts(
    web: Callable[..., Client], manager: Any, account: Any, make_contract: Any
) -> None:
    current = make_contract(name="Contratto in corso")
    make_contract(name="Contratto scaduto", start=-900, end=-600)
    page = _text(web(manager).get(f"/customers/account/{account.pk}/"))
    section = page[page.index("data-customer-contracts") :]
    assert f'href="/contracts/{current.pk}/">Contratto in corso</a>' in section
    assert section.index("Contratto in corso") < section.index("Contratto scaduto")
    assert f"/contracts/?customer=account:{account.pk}" in section
    assert f"/contracts/new/?customer=account:{account.pk}" in section


def test_contract_pages_speak_italian(
    web: Callable[..., Client], manager: Any, make_contract: Any, make_line: Any
) -> None:
    contract = make_contract()
    make_line(contract)
    page = _text(web(manager, language="it").get(f"/contracts/{contract.pk}/"))
    for words in (
        "Contratti",
        "Righe del contratto",
        "Tipo di assegnazione",
        "Aggiungi riga",
        "Attivo",
    ):
        assert words in page, words
    assert "Nuovo contratto" in _text(web(manager, language="it").get("/contracts/"))
