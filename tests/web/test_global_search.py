"""The top bar's search box (docs/web.md#finding-anything): a ticket or case number opens the
case; words find cases of every state, accounts and contacts; as-you-type results are a
fragment of the same search."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client

from casedesk.cases.services import lifecycle

pytestmark = pytest.mark.django_db


def test_a_ticket_number_opens_its_case(
    web: Callable[..., Client], agent: Any, make_case: Callable[..., Any]
) -> None:
    case = make_case()
    client = web(agent)
    for typed in (case.ticket_number, case.ticket_number.lower(), f" {case.number} "):
        response = client.get("/search/", {"q": typed})
        assert response.status_code == 302, typed
        assert response["Location"] == f"/cases/{case.pk}/"


def test_words_find_cases_of_every_state_and_customers(
    web: Callable[..., Client], agent: Any, make_case: Callable[..., Any], account: Any
) -> None:
    open_case = make_case(title="Stampante guasta al piano terra")
    closed = make_case(title="Stampante senza toner")
    lifecycle.case_resolve(
        actor=agent, case_id=closed.pk, resolution="Toner", resolution_type="problem_solved"
    )
    page = web(agent, language="it").get("/search/", {"q": "stampante"}).content.decode()
    assert open_case.ticket_number in page and closed.ticket_number in page
    assert "Problema risolto" in page  # the state of each case, in the user's language
    customers = web(agent).get("/search/", {"q": "verona"}).content.decode()
    assert account.name in customers
    assert f"/customers/account/{account.pk}/" in customers


def test_as_you_type_the_results_are_a_fragment(
    web: Callable[..., Client], agent: Any, make_case: Callable[..., Any]
) -> None:
    case = make_case(title="Router fermo")
    response = web(agent).get("/search/", {"q": case.ticket_number}, headers={"HX-Request": "true"})
    assert response.status_code == 200  # typing a ticket shows it; Enter opens it
    body = response.content.decode()
    assert "<html" not in body and "data-search-results" in body
    assert case.ticket_number in body
    assert (
        "Nothing found"
        in web(agent)
        .get("/search/", {"q": "zzqx"}, headers={"HX-Request": "true"})
        .content.decode()
    )


def test_every_page_has_the_search_box_and_the_shortcuts(
    web: Callable[..., Client], agent: Any
) -> None:
    page = web(agent, language="it").get("/").content.decode()
    assert 'id="global-search"' in page and 'hx-get="/search/"' in page
    assert 'id="shortcuts-help"' in page and "Scorciatoie da tastiera" in page
    assert "vendor/htmx/htmx.min.js" in page and "casedesk/shortcuts.js" in page


def test_an_empty_search_is_a_page_that_explains_itself(
    web: Callable[..., Client], agent: Any
) -> None:
    page = web(agent).get("/search/").content.decode()
    assert "Type a ticket number" in page
