from __future__ import annotations

import uuid
from typing import Any

import pytest

from tests.conftest import Api


@pytest.fixture
def account(agent_api: Api) -> dict[str, Any]:
    return agent_api.post("/api/v1/accounts", {"name": "Comune di Città Alta"}).json()


@pytest.fixture
def new_case(agent_api: Api, account: dict[str, Any]) -> Any:
    def make(title: str = "Internet down", api: Api | None = None, **fields: Any) -> dict[str, Any]:
        body = {"title": title, "customer": {"type": "account", "id": account["id"]}}
        body.update(fields)
        response = (api or agent_api).post("/api/v1/cases", body)
        assert response.status_code == 201, response.content
        return response.json()

    return make


@pytest.fixture
def resolve(agent: Any) -> Any:
    """Resolve a case through the lifecycle service (the owner resolves it)."""
    from casedesk.cases.services.lifecycle import case_resolve

    def run(case: dict[str, Any], resolution: str, actor: Any = None) -> None:
        case_resolve(
            actor=actor or agent,
            case_id=uuid.UUID(case["id"]),
            resolution=resolution,
            resolution_type="problem_solved",
        )

    return run


@pytest.fixture
def subject(manager_api: Api) -> Any:
    def make(name: str, parent_id: str | None = None) -> dict[str, Any]:
        body: dict[str, Any] = {"name": name}
        if parent_id:
            body["parent_id"] = parent_id
        response = manager_api.post("/api/v1/subjects", body)
        assert response.status_code == 201, response.content
        return response.json()

    return make
