""" "Find case" of the new-case page (docs/web.md#the-new-case-page): cases of every state, the
chosen customer's first, in place under the box as the user types (a fragment), or a page of
results without JavaScript."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client

from casedesk.cases.services import lifecycle
from casedesk.cases.services.common import Ref
from casedesk.customers import services as customers

pytestmark = pytest.mark.django_db
HTMX = {"HX-Request": "true"}


def test_the_new_case_page_searches_in_place_not_in_a_new_tab(
    web: Callable[..., Client], agent: Any
) -> None:
    page = web(agent).get("/cases/new/").content.decode()
    start = page.index('class="findcase"')
    form = page[page.rindex("<form", 0, start) : page.index("</form>", start)]
    assert 'action="/cases/find/"' in form and 'hx-get="/cases/find/"' in form
    assert 'hx-target="#find-case-results"' in form and 'target="_blank"' not in form
    assert 'name="q"' in form and 'name="customer"' in form
    assert 'id="find-case-results"' in page


def test_cases_of_every_state_are_found(
    web: Callable[..., Client], agent: Any, make_case: Callable[..., Any]
) -> None:
    active = make_case(title="Stampante guasta al piano terra")
    resolved = make_case(title="Stampante senza toner")
    lifecycle.case_resolve(
        actor=agent, case_id=resolved.pk, resolution="Toner", resolution_type="problem_solved"
    )
    cancelled = make_case(title="Stampante duplicata")
    lifecycle.case_cancel(actor=agent, case_id=cancelled.pk)
    for headers in ({}, HTMX):
        response = web(agent, language="it").get(
            "/cases/find/", {"q": "stampante"}, headers=headers
        )
        body = response.content.decode()
        assert response.status_code == 200
        for case in (active, resolved, cancelled):
            assert case.ticket_number in body, (headers, case.title)
        assert "Risolto" in body and "Annullato" in body  # each case's state, translated
        assert ("<html" in body) is not bool(headers)  # a fragment as the user types


def test_the_chosen_customers_cases_come_first(
    web: Callable[..., Client], agent: Any, make_case: Callable[..., Any]
) -> None:
    other = customers.account_create(actor=agent, name="Comune di Padova")
    theirs = make_case(title="Stampante guasta")
    newer = make_case(title="Stampante rotta", customer=Ref("account", other.pk))
    chosen = f"account:{other.pk}"
    for headers in ({}, HTMX):
        body = (
            web(agent)
            .get("/cases/find/", {"q": "stampante", "customer": chosen}, headers=headers)
            .content.decode()
        )
        assert "Cases of Comune di Padova" in body and "Other cases" in body
        assert body.index(newer.ticket_number) < body.index("Other cases")
        assert body.index("Other cases") < body.index(theirs.ticket_number)
        assert body.count(newer.ticket_number) == 1
    # Without a customer, the newest change first.
    plain = web(agent).get("/cases/find/", {"q": "stampante"}).content.decode()
    assert "Other cases" not in plain
    assert plain.index(newer.ticket_number) < plain.index(theirs.ticket_number)


def test_a_ticket_number_lists_its_case_and_nothing_found_says_so(
    web: Callable[..., Client], agent: Any, make_case: Callable[..., Any]
) -> None:
    case = make_case(title="Router fermo")
    found = web(agent).get("/cases/find/", {"q": case.ticket_number}, headers=HTMX)
    assert found.status_code == 200 and case.ticket_number in found.content.decode()
    nothing = web(agent, language="it").get("/cases/find/", {"q": "zzqx"}, headers=HTMX)
    assert "Nessun caso trovato" in nothing.content.decode()
    page = web(agent).get("/cases/find/", {"q": "zzqx", "customer": "account:bad"})
    assert page.status_code == 200  # a malformed customer is ignored
    assert 'href="/cases/new/"' in page.content.decode()


def test_the_case_page_in_identify_finds_cases_of_its_customer_first(
    web: Callable[..., Client], agent: Any, make_case: Callable[..., Any], account: Any
) -> None:
    case = make_case(title="Stampante guasta")
    page = web(agent).get(f"/cases/{case.pk}/").content.decode()
    start = page.index('class="findcase"')
    form = page[page.rindex("<form", 0, start) : page.index("</form>", start)]
    assert 'action="/cases/find/"' in form and 'name="q"' in form
    assert f'name="customer" value="account:{account.pk}"' in form
