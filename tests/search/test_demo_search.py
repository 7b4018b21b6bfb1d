"""The demo data set has resolved cases worth finding and connections to them."""

from __future__ import annotations

import io

import pytest
from django.core.management import call_command

from casedesk.cases.models import Case, Connection
from casedesk.search.checks import case_index_matches_cases, customer_index_matches_customers
from tests.conftest import Api

pytestmark = pytest.mark.django_db


def test_demo_similar_cases_find_resolved_cases_when_loaded(make_api: object) -> None:
    call_command("demo", stdout=io.StringIO())
    from casedesk.directory.models import User

    api: Api = make_api(User.objects.get(username="agent"))  # type: ignore[operator]
    current = Case.objects.get(title="Interruzione servizio fibra, sede di Monza")
    response = api.get(f"/api/v1/cases/{current.pk}/similar", q="interruzioni servizio fibra")
    assert response.status_code == 200
    items = response.json()["items"]
    assert items and items[0]["title"] == "Interruzione del servizio fibra a Milano"
    assert items[0]["resolution"].startswith("Guasto sulla centrale")
    links = api.get(f"/api/v1/cases/{current.pk}/similar-cases").json()
    assert links["solution"]["title"] == "Interruzione del servizio fibra a Milano"
    assert Connection.objects.count() >= 4
    assert list(case_index_matches_cases()) == []
    assert list(customer_index_matches_customers()) == []
