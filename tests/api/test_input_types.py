"""Bodies are typed strictly: a JSON object with only the fields an operation names, numbers
that are JSON numbers and booleans that are JSON booleans. Anything else is 422 and changes
nothing."""

from __future__ import annotations

from typing import Any

import pytest

from casedesk.cases.models import Activity
from casedesk.catalog.models import Subject
from casedesk.customers.models import Account, Contact
from casedesk.directory.models import ApiToken, Team, User
from casedesk.entitlements.models import Entitlement
from tests.conftest import Api, assert_error

pytestmark = pytest.mark.django_db


@pytest.fixture
def account(agent_api: Api) -> dict[str, Any]:
    response = agent_api.post("/api/v1/accounts", {"name": "Città Ottica"})
    assert response.status_code == 201, response.content
    return dict(response.json())


@pytest.fixture
def case(agent_api: Api, account: dict[str, Any]) -> dict[str, Any]:
    response = agent_api.post(
        "/api/v1/cases",
        {"title": "Fibra assente", "customer": {"type": "account", "id": account["id"]}},
    )
    assert response.status_code == 201, response.content
    return dict(response.json())


def _refused(response: Any, field: str) -> None:
    error = assert_error(response, 422, "validation_error")
    assert field in error["details"]["fields"], error


@pytest.mark.parametrize("value", [True, "5", 5.0, 5.5, None])
def test_a_non_integer_is_refused_as_duration_minutes_when_an_activity_is_logged(
    agent_api: Api, case: dict[str, Any], value: Any
) -> None:
    body = {"type": "phone_call", "subject": "Richiamata", "duration_minutes": value}
    if value is None:
        body["duration_minutes"] = [5]
    response = agent_api.post(f"/api/v1/cases/{case['id']}/activities", body)
    _refused(response, "duration_minutes")
    assert not Activity.objects.filter(subject="Richiamata").exists()


@pytest.mark.parametrize("value", [False, True, "5", 2.0])
def test_a_non_integer_is_refused_as_max_child_cases_when_the_service_is_configured(
    admin_api: Api, value: Any
) -> None:
    before = admin_api.get("/api/v1/config/service").json()
    response = admin_api.patch("/api/v1/config/service", {"max_child_cases": value})
    _refused(response, "max_child_cases")
    assert admin_api.get("/api/v1/config/service").json() == before


@pytest.mark.parametrize("value", [1, 0, "true", "false", "yes", None])
def test_a_non_boolean_is_refused_as_a_flag_when_the_service_is_configured(
    admin_api: Api, value: Any
) -> None:
    response = admin_api.patch(
        "/api/v1/config/service", {"allow_closed_updates": value if value is not None else [True]}
    )
    _refused(response, "allow_closed_updates")


@pytest.mark.parametrize("value", ["5", True, "NaN", [5]])
def test_a_non_number_is_refused_as_terms_when_an_entitlement_is_created(
    manager_api: Api, account: dict[str, Any], value: Any
) -> None:
    response = manager_api.post(
        "/api/v1/entitlements",
        {
            "name": "Assistenza 2026",
            "customer": {"type": "account", "id": account["id"]},
            "start_date": "2026-01-01",
            "end_date": "2026-12-31",
            "allocation_type": "cases",
            "total_terms": value,
        },
    )
    _refused(response, "total_terms")
    assert not Entitlement.objects.exists()


def test_numbers_are_taken_as_terms_when_they_are_json_numbers(
    manager_api: Api, account: dict[str, Any]
) -> None:
    response = manager_api.post(
        "/api/v1/entitlements",
        {
            "name": "Assistenza 2026",
            "customer": {"type": "account", "id": account["id"]},
            "start_date": "2026-01-01",
            "end_date": "2026-12-31",
            "allocation_type": "hours",
            "total_terms": 12.5,
        },
    )
    assert response.status_code == 201, response.content
    assert response.json()["total_terms"] == 12.5


@pytest.mark.parametrize("value", [1_700_000_000, 0, 1.5])
def test_a_number_is_refused_as_a_time_when_an_activity_is_logged(
    agent_api: Api, case: dict[str, Any], value: Any
) -> None:
    body = {"type": "task", "subject": "Richiamata", "due": value}
    response = agent_api.post(f"/api/v1/cases/{case['id']}/activities", body)
    _refused(response, "due")
    assert not Activity.objects.filter(subject="Richiamata").exists()


def test_a_number_is_refused_as_a_date_when_an_entitlement_is_created(
    manager_api: Api, account: dict[str, Any]
) -> None:
    response = manager_api.post(
        "/api/v1/entitlements",
        {
            "name": "Assistenza 2026",
            "customer": {"type": "account", "id": account["id"]},
            "start_date": 0,
            "end_date": "2026-12-31",
            "allocation_type": "cases",
            "total_terms": 5,
        },
    )
    _refused(response, "start_date")
    assert not Entitlement.objects.exists()


@pytest.mark.parametrize("body", ["[null, null]", '"str"', "42", "true", "null", "[]"])
def test_a_body_that_is_not_an_object_is_refused_when_a_token_is_created(
    agent_api: Api, body: str
) -> None:
    before = ApiToken.objects.count()
    error = assert_error(agent_api.post("/api/v1/auth/tokens", raw=body), 422, "validation_error")
    assert error["details"]["fields"] == {"body": "must be a JSON object"}, error
    assert ApiToken.objects.count() == before


@pytest.mark.parametrize(
    ("path", "body", "model"),
    [
        ("/api/v1/accounts", {"name": "Acme"}, Account),
        ("/api/v1/contacts", {"last_name": "Rossi"}, Contact),
        ("/api/v1/teams", {"name": "Tier 9"}, Team),
        ("/api/v1/subjects", {"name": "Fatture"}, Subject),
        ("/api/v1/users", {"username": "mallory", "password": "a-long-enough-pass-1"}, User),
    ],
)
def test_an_unknown_field_is_refused_when_a_record_is_created(
    admin_api: Api, path: str, body: dict[str, Any], model: Any
) -> None:
    before = model.objects.count()
    response = admin_api.post(path, {**body, "is_superuser": True})
    _refused(response, "is_superuser")
    assert model.objects.count() == before


@pytest.mark.parametrize(
    "path", ["/api/v1/activities/{id}/cancel", "/api/v1/cases/{case}/reactivate"]
)
def test_an_unknown_field_is_refused_when_an_action_takes_no_options(
    agent_api: Api, case: dict[str, Any], path: str
) -> None:
    activity = agent_api.post(
        f"/api/v1/cases/{case['id']}/activities", {"type": "task", "subject": "Richiamare"}
    ).json()
    url = path.format(id=activity["id"], case=case["id"])
    _refused(agent_api.post(url, {"force": True}), "force")
