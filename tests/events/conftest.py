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


def events_of(case_id: str) -> list[tuple[str, dict[str, Any]]]:
    """The outbox's events of one case, oldest first: (type, data)."""
    from casedesk.events.models import Event

    return [(e.type, e.data) for e in Event.objects.filter(case_id=case_id).order_by("id")]


def types_of(case_id: str) -> list[str]:
    return [t for t, _ in events_of(case_id)]
