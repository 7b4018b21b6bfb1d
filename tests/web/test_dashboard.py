"""The dashboard: its charts are server-rendered SVG with the same numbers in tables."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client

pytestmark = pytest.mark.django_db


def test_dashboard_counts_open_cases_by_status_and_priority(
    web: Callable[..., Client], agent: Any, make_case: Any
) -> None:
    make_case(priority="high")
    make_case(status="on_hold")
    response = web(agent).get("/")
    assert response.status_code == 200
    body = response.content.decode()
    assert "2 cases are open." in body
    assert body.count("<svg") >= 3
    status_rows = {r["bar"].label: r["bar"].value for r in response.context["by_status"]["rows"]}
    assert status_rows["In progress"] == 1 and status_rows["On hold"] == 1
    prio_rows = {r["bar"].label: r["bar"].value for r in response.context["by_priority"]["rows"]}
    assert prio_rows == {"High": 1, "Normal": 1, "Low": 0}


def test_dashboard_shows_created_and_resolved_today(
    web: Callable[..., Client], agent: Any, make_case: Any
) -> None:
    from casedesk.cases.services import lifecycle

    case = make_case()
    lifecycle.case_resolve(actor=agent, case_id=case.pk, resolution="Done.")
    response = web(agent).get("/")
    today = response.context["per_day_table"][-1]
    assert today[1] == [1, 1]


def test_dashboard_lists_entitlements_near_exhaustion(
    web: Callable[..., Client], manager: Any, account: Any
) -> None:
    import datetime as dt

    from casedesk.cases.services.common import Ref
    from casedesk.entitlements.services import entitlements

    ent = entitlements.entitlement_create(
        actor=manager,
        name="Supporto base",
        customer=Ref("account", account.pk),
        start_date=dt.date(2020, 1, 1),
        end_date=dt.date(2099, 12, 31),
        allocation_type="cases",
        total_terms=1,
        decrease_on="creation",
    )
    entitlements.entitlement_activate(actor=manager, entitlement_id=ent.pk)
    from casedesk.cases.services import records

    records.case_create(
        actor=manager,
        title="Uses the last term",
        customer=Ref("account", account.pk),
        entitlement_id=ent.pk,
        given=frozenset({"entitlement_id"}),
    )
    body = web(manager, language="it").get("/").content.decode()
    assert "Supporto base" in body and "Autorizzazioni in esaurimento" in body


@pytest.mark.parametrize(
    ("amount", "unit", "language", "shown"),
    [
        (1, "cases", "en", "1 case"),
        (3, "cases", "en", "3 cases"),
        (0, "cases", "en", "0 cases"),
        (-1, "cases", "en", "-1 case"),
        (1, "hours", "en", "1 hour"),
        ("1.50", "hours", "en", "1.50 hours"),
        (1, "cases", "it", "1 caso"),
        (2, "cases", "it", "2 casi"),
        (1, "hours", "it", "1 ora"),
        ("2.5", "hours", "it", "2,5 ore"),
    ],
)
def test_terms_are_shown_with_their_unit_singular_or_plural(
    amount: Any, unit: str, language: str, shown: str
) -> None:
    from django.utils import translation

    from casedesk.web.templatetags.casedesk_web import terms

    with translation.override(language):
        assert terms(amount, unit) == shown
