from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest

from casedesk.core import clock
from tests.conftest import Api

Json = dict[str, Any]
Make = Callable[..., Json]


def today() -> dt.date:
    return clock.today()


def days(n: int) -> str:
    return (today() + dt.timedelta(days=n)).isoformat()


@pytest.fixture
def account(manager_api: Api) -> Json:
    return manager_api.post("/api/v1/accounts", {"name": "Acme Srl"}).json()


@pytest.fixture
def other_account(manager_api: Api) -> Json:
    return manager_api.post("/api/v1/accounts", {"name": "Beta Spa"}).json()


@pytest.fixture
def contact(manager_api: Api, account: Json) -> Json:
    body = {"first_name": "Carla", "last_name": "Verdi", "account_id": account["id"]}
    return manager_api.post("/api/v1/contacts", body).json()


@pytest.fixture
def product(manager_api: Api) -> Json:
    return manager_api.post("/api/v1/products", {"name": "Router X1"}).json()


def customer_of(record: Json, kind: str = "account") -> Json:
    return {"type": kind, "id": record["id"]}


@pytest.fixture
def make_entitlement(manager_api: Api, account: Json) -> Callable[..., Json]:
    """A new entitlement through the API, activated unless `activate=False`."""

    def make(activate: bool = True, **fields: Any) -> Json:
        body: Json = {
            "name": "Support 2026",
            "customer": customer_of(account),
            "start_date": days(-30),
            "end_date": days(335),
            "allocation_type": "cases",
            "total_terms": 10,
        }
        body.update(fields)
        response = manager_api.post("/api/v1/entitlements", body)
        assert response.status_code == 201, response.content
        entitlement = response.json()
        if activate:
            response = manager_api.post(f"/api/v1/entitlements/{entitlement['id']}/activate")
            assert response.status_code == 200, response.content
            entitlement = response.json()
        return entitlement

    return make


@pytest.fixture
def new_case(agent_api: Api, account: Json) -> Callable[..., Json]:
    def make(api: Api | None = None, **fields: Any) -> Json:
        body: Json = {"title": "Internet down", "customer": customer_of(account)}
        body.update(fields)
        response = (api or agent_api).post("/api/v1/cases", body)
        assert response.status_code == 201, response.content
        return response.json()

    return make


@pytest.fixture
def fetch(manager_api: Api) -> Callable[[str], Json]:
    def get(entitlement_id: str) -> Json:
        response = manager_api.get(f"/api/v1/entitlements/{entitlement_id}")
        assert response.status_code == 200, response.content
        return response.json()

    return get


@pytest.fixture
def ledger(manager_api: Api) -> Callable[[str], list[Json]]:
    def get(entitlement_id: str) -> list[Json]:
        response = manager_api.get(f"/api/v1/entitlements/{entitlement_id}/ledger", limit=200)
        assert response.status_code == 200, response.content
        return list(response.json()["items"])

    return get


@pytest.fixture
def contract(manager_api: Api, account: Json) -> Json:
    """A contract of the account, from ten days ago to a hundred days from now."""
    body = {
        "name": "Assistenza 2026",
        "customer": customer_of(account),
        "start_date": days(-10),
        "end_date": days(100),
    }
    response = manager_api.post("/api/v1/contracts", body)
    assert response.status_code == 201, response.content
    return response.json()


@pytest.fixture
def make_line(manager_api: Api, contract: Json) -> Make:
    """A new line of the contract (five cases unless told otherwise)."""

    def make(**fields: Any) -> Json:
        body = {"name": "Hotline", "allotment_type": "cases", "total": 5, **fields}
        response = manager_api.post(f"/api/v1/contracts/{contract['id']}/lines", body)
        assert response.status_code == 201, response.content
        return response.json()

    return make
