from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from tests.conftest import Api


@pytest.fixture
def account(manager_api: Api) -> dict[str, Any]:
    return manager_api.post("/api/v1/accounts", {"name": "Acme Srl"}).json()


@pytest.fixture
def new_case(agent_api: Api, account: dict[str, Any]) -> Callable[..., dict[str, Any]]:
    """A case created through the API (by the agent unless another client is given)."""

    def make(api: Api | None = None, **fields: Any) -> dict[str, Any]:
        body = {"title": "Internet down", "customer": {"type": "account", "id": account["id"]}}
        body.update(fields)
        response = (api or agent_api).post("/api/v1/cases", body)
        assert response.status_code == 201, response.content
        return response.json()

    return make


@pytest.fixture
def new_queue(manager_api: Api) -> Callable[..., dict[str, Any]]:
    def make(name: str = "Tier 1", type: str = "public", members: list[Any] = ()) -> dict[str, Any]:  # type: ignore[assignment]
        body = {"name": name, "type": type, "member_ids": [str(m.id) for m in members]}
        response = manager_api.post("/api/v1/queues", body)
        assert response.status_code == 201, response.content
        return response.json()

    return make


SETS = "/api/v1/routing-rule-sets"


# The rule set the routing tests share; each module says which queue is its `tier2`.
@pytest.fixture
def active_set(manager_api: Api, manager: Any, tier2: dict[str, Any]) -> dict[str, Any]:
    """High priority → Tier 2; anything about invoices → the manager; nothing else matches."""
    body = {
        "name": "Standard",
        "items": [
            {
                "name": "Urgent",
                "conditions": [{"field": "priority", "op": "eq", "value": "high"}],
                "route_to": {"queue_id": tier2["id"]},
            },
            {
                "name": "Invoices",
                "conditions": [{"field": "title", "op": "contains", "value": "fattura"}],
                "route_to": {"owner": {"type": "user", "id": str(manager.id)}},
            },
        ],
    }
    rule_set = manager_api.post(SETS, body).json()
    assert manager_api.post(f"{SETS}/{rule_set['id']}/activate").status_code == 200
    return rule_set
