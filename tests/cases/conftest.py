from __future__ import annotations

from typing import Any

import pytest

from tests.conftest import Api


@pytest.fixture
def account(agent_api: Api) -> dict[str, Any]:
    return agent_api.post("/api/v1/accounts", {"name": "Acme Srl"}).json()


@pytest.fixture
def new_case(agent_api: Api, account: dict[str, Any]) -> Any:
    def make(api: Api | None = None, **fields: Any) -> dict[str, Any]:
        body = {"title": "Internet down", "customer": {"type": "account", "id": account["id"]}}
        body.update(fields)
        response = (api or agent_api).post("/api/v1/cases", body)
        assert response.status_code == 201, response.content
        return response.json()

    return make
