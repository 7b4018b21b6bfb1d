"""The workspace by keyboard in a real browser (docs/web.md#keyboard, #finding-anything): the
top bar's search as you type and its ticket jump, j/k/Enter in a list, n, a, ? and
Ctrl+Enter, with no script error and no CSP violation."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.web.browser.conftest import Session

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow]


@pytest.fixture
def cases(agent: Any, manager: Any) -> list[Any]:
    from casedesk.cases.services import records
    from casedesk.cases.services.common import Ref
    from casedesk.customers import services as customers

    account = customers.account_create(actor=agent, name="Ottica Bellini")
    return [
        records.case_create(actor=manager, title=title, customer=Ref("account", account.pk))
        for title in ("Vetrina senza corrente", "Cassa lenta", "Stampante etichette")
    ]


@pytest.mark.parametrize("language", ["en", "it"])
def test_search_as_you_type_then_jump_to_a_ticket(
    open_session: Callable[..., Session], agent: Any, cases: list[Any], language: str
) -> None:
    s = open_session(agent, language)
    page = s.page
    s.go("/")
    page.keyboard.press("/")
    search = page.locator("#global-search")
    expect(search).to_be_focused()
    search.press_sequentially("cassa", delay=30)
    results = page.locator("#global-search-results [data-search-results]")
    expect(results).to_contain_text("Cassa lenta")
    expect(results).to_contain_text("Ottica Bellini")
    search.press("ArrowDown")
    expect(page.locator("#global-search-results [data-search-item]").first).to_be_focused()
    search.fill(cases[2].ticket_number)
    search.press("Enter")
    expect(page).to_have_url(f"{s.base_url}/cases/{cases[2].pk}/")
    s.shot("global-search")


def test_lists_and_cases_by_keyboard(
    open_session: Callable[..., Session], manager: Any, cases: list[Any]
) -> None:
    s = open_session(manager, "en")
    page = s.page
    s.go("/cases/?view=active")
    page.keyboard.press("j")
    page.keyboard.press("j")
    page.keyboard.press("k")
    current = page.locator("table.list tbody tr.kbd-current")
    expect(current).to_have_count(1)
    title = current.locator("a").first.inner_text()
    page.keyboard.press("Enter")
    expect(page.locator("h1")).to_have_text(title)
    page.keyboard.press("?")
    expect(page.locator("#shortcuts-help")).to_be_visible()
    page.keyboard.press("Escape")
    expect(page.locator("#shortcuts-help")).to_be_hidden()
    page.keyboard.press("n")
    expect(page).to_have_url(f"{s.base_url}/cases/new/")


def test_assign_to_me_and_ctrl_enter(
    open_session: Callable[..., Session], agent: Any, manager: Any, cases: list[Any]
) -> None:
    s = open_session(manager, "en")
    page = s.page
    case = cases[0]
    s.go(f"/cases/{case.pk}/")
    page.keyboard.press("a")
    expect(page.locator("[data-case-owner]")).to_contain_text(manager.display_name)
    # The composer opens on a note.
    note = page.locator("#note_text")
    note.fill("Checked the breaker.")
    note.press("Control+Enter")
    expect(page.locator(".timeline")).to_contain_text("Checked the breaker.")
