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


def test_a_contracts_lines_and_their_use_are_cards_that_fit_a_phone(
    open_session: Callable[..., Session],
    agent: Any,
    manager: Any,
    account: Any,
    make_case: Callable[..., Any],
) -> None:
    import datetime as dt

    from casedesk.cases.services import lifecycle
    from casedesk.cases.services.common import Ref
    from casedesk.core import clock
    from casedesk.entitlements.services import contracts

    today = clock.today()
    contract = contracts.contract_create(
        actor=manager,
        name="Contratto assistenza",
        customer=Ref("account", account.pk),
        start_date=today - dt.timedelta(days=30),
        end_date=today + dt.timedelta(days=300),
    )
    line = contracts.contract_line_create(
        actor=manager,
        contract_id=contract.pk,
        name="Interventi in sede",
        allotment_type="cases",
        total=10,
    )
    case = make_case(title="Forno industriale non si accende", contract_line_id=line.pk)
    lifecycle.case_resolve(actor=agent, case_id=case.pk, resolution="Fatto.")
    s = open_session(manager, "it", width=390, height=844)
    s.go(f"/contracts/{contract.pk}/")
    for table in ("[data-contract-lines]", "[data-contract-ledger]"):
        wraps = s.page.evaluate(
            f"(() => {{ const w = document.querySelector('{table}').parentElement;"
            " return [w.scrollWidth, w.clientWidth]; })()"
        )
        assert wraps[0] <= wraps[1], f"{table} is cut off: {wraps}"
    s.no_horizontal_scroll()
    s.shot("phone-contract")


@pytest.mark.parametrize("width", [390, 1366])
def test_the_notification_settings_are_one_table_whose_columns_line_up(
    open_session: Callable[..., Session], agent: Any, width: int
) -> None:
    s = open_session(agent, "it", width=width, height=844)
    s.go("/profile/")
    header, box = s.page.evaluate(
        """() => {
          const t = document.querySelector('[data-notification-settings]');
          const centre = (e) => {
            const r = e.getBoundingClientRect();
            return r.left + r.width / 2;
          };
          return [centre(t.querySelector('#nk-app-h')), centre(t.querySelector('tbody input'))];
        }"""
    )
    assert abs(header - box) < 12, f"'In the app' is at {header}px, its boxes at {box}px"
    s.no_horizontal_scroll()
