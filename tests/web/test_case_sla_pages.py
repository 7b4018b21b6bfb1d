"""The service level on the web pages (docs/service-levels.md#on-a-case): the case page's
service-level card and "Mark first response", the case list's "Resolve by" column, its sort
and its priority and SLA status filters."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client

from casedesk.cases.models import Case
from casedesk.sla.models import KpiInstance
from tests.support.sla import make_sla

pytestmark = pytest.mark.django_db


def test_mark_first_response_records_it_and_meets_the_kpi(
    web: Callable[..., Client], agent: Any, make_case: Any
) -> None:
    make_sla()
    case = make_case()
    page = web(agent).get(f"/cases/{case.pk}/").content.decode()
    assert "Mark first response" in page and "Resolve by" in page
    response = web(agent).post(f"/cases/{case.pk}/first-response/", {"version": case.version})
    assert response.status_code == 302
    case = Case.objects.get(pk=case.pk)
    assert case.first_response_at is not None
    first = KpiInstance.objects.get(case=case, kpi="first_response")
    assert first.status == "succeeded"
    page = web(agent).get(f"/cases/{case.pk}/").content.decode()
    assert "Mark first response" not in page


def test_mark_first_response_twice_shows_the_refusal(
    web: Callable[..., Client], agent: Any, make_case: Any
) -> None:
    case = make_case()
    client = web(agent)
    client.post(f"/cases/{case.pk}/first-response/", {"version": case.version})
    response = client.post(
        f"/cases/{case.pk}/first-response/", {"version": case.version + 1}, follow=True
    )
    assert "The first response was already given." in response.content.decode()


def test_the_case_page_speaks_italian(
    web: Callable[..., Client], agent: Any, make_case: Any
) -> None:
    make_sla()
    case = make_case()
    page = web(agent, language="it").get(f"/cases/{case.pk}/").content.decode()
    assert "Segna prima risposta" in page and "Livello di servizio" in page


def test_the_list_shows_resolve_by_and_filters_by_priority_and_sla_status(
    web: Callable[..., Client], agent: Any, make_case: Any
) -> None:
    make_sla()
    high = make_case(title="Urgent printer", priority="high")
    make_case(title="Slow printer", priority="low")
    client = web(agent)
    page = client.get("/cases/", {"view": "active", "sort": "resolve_by"}).content.decode()
    assert "Resolve by" in page and "Urgent printer" in page and "Slow printer" in page
    page = client.get("/cases/", {"view": "active", "priority": "high"}).content.decode()
    assert "Urgent printer" in page and "Slow printer" not in page
    page = client.get("/cases/", {"view": "active", "sla_status": "paused"}).content.decode()
    assert "Urgent printer" not in page
    page = client.get(
        "/cases/", {"view": "active", "sla_status": "in_progress", "sort": "priority"}
    ).content.decode()
    assert page.index("Urgent printer") < page.index("Slow printer")
    assert str(high.pk) in page
