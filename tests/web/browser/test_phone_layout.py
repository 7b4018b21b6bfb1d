"""At 390 px wide the top bar takes two rows and no page scrolls sideways
(docs/web.md#small-screens)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from tests.web.browser.conftest import Session

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow]


@pytest.mark.parametrize("language", ["en", "it"])
def test_the_top_bar_is_two_rows_on_a_phone(
    open_session: Callable[..., Session], agent: Any, language: str
) -> None:
    s = open_session(agent, language, width=390, height=844)
    s.go("/")
    s.shot("phone-dashboard")
    height = s.page.evaluate("document.querySelector('.topbar').getBoundingClientRect().height")
    assert height <= 100, f"the top bar is {height}px high"
    s.no_horizontal_scroll()


def test_the_case_list_is_cards_that_fit_a_phone(
    open_session: Callable[..., Session], agent: Any
) -> None:
    from casedesk.cases.services import records
    from casedesk.cases.services.common import Ref
    from casedesk.customers import services as customers

    account = customers.account_create(actor=agent, name="Panificio Rossi di Bergamo Alta")
    for title in ("Forno industriale non si accende dopo la manutenzione", "Cassa lenta"):
        records.case_create(actor=agent, title=title, customer=Ref("account", account.pk))
    s = open_session(agent, "it", width=390, height=844)
    s.go("/cases/?view=my")
    width = s.page.evaluate("document.querySelector('table.list').getBoundingClientRect().width")
    assert width <= 390, f"the case list is {width}px wide"
    label = s.page.evaluate(
        "getComputedStyle(document.querySelector('table.list td[data-label]'), '::before').content"
    )
    assert "Numero" in label  # each cell says what it is, in the page's language
    s.no_horizontal_scroll()
    s.shot("phone-case-list")
