"""The case list's filters and sort headers replace the list in place with htmx, keep the
address, and fold on a phone (docs/web.md#lists)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from tests.web.browser.conftest import Session

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow]


@pytest.fixture
def cases(agent: Any) -> None:
    from casedesk.cases.services import records
    from casedesk.cases.services.common import Ref
    from casedesk.customers import services as customers

    account = customers.account_create(actor=agent, name="Acme")
    for title, priority in (("Bravo urgent", "high"), ("Alpha calm", "low"), ("Charlie", "low")):
        records.case_create(
            actor=agent, title=title, customer=Ref("account", account.pk), priority=priority
        )


def titles(s: Session) -> list[str]:
    return s.page.locator("#case-list td.title a").all_inner_texts()


def test_a_filter_and_a_header_replace_the_list_in_place(
    open_session: Callable[..., Session], agent: Any, cases: None
) -> None:
    from playwright.sync_api import expect

    s = open_session(agent)
    s.go("/cases/?view=active")
    s.page.evaluate("window.notReloaded = true")  # gone if the whole page loads again
    assert s.page.locator("details.filterbox").evaluate("d => d.open")  # wide: open
    s.page.select_option("#id_priority", "low")
    expect(s.page.locator("#case-list td.title a")).to_have_count(2)
    assert "priority=low" in s.page.url
    s.page.get_by_role("link", name="Case title").click()
    expect(s.page.locator("th[aria-sort='ascending']")).to_contain_text("Case title")
    assert titles(s) == ["Alpha calm", "Charlie"]
    assert "sort=title" in s.page.url and "priority=low" in s.page.url
    s.page.get_by_role("link", name="Case title").click()
    expect(s.page.locator("th[aria-sort='descending']")).to_contain_text("Case title")
    assert titles(s) == ["Charlie", "Alpha calm"]
    assert s.page.evaluate("window.notReloaded") is True
    # The sort menu of the replaced filters says the header's sort.
    assert s.page.locator("#id_sort").input_value() == "-title"


def test_the_filters_fold_on_a_phone(
    open_session: Callable[..., Session], agent: Any, cases: None
) -> None:
    s = open_session(agent, width=390, height=844)
    s.go("/cases/?view=active")
    box = s.page.locator("details.filterbox")
    assert not box.evaluate("d => d.open")
    assert not s.page.locator("#id_priority").is_visible()
    s.page.get_by_text("Filters", exact=True).click()
    assert s.page.locator("#id_priority").is_visible()
    s.no_horizontal_scroll()
