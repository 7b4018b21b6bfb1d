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
