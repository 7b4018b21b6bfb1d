from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest

from tests.conftest import Api
from tests.support.smtp import SmtpServer, smtp_server


@pytest.fixture
def account(manager_api: Api) -> dict[str, Any]:
    return manager_api.post("/api/v1/accounts", {"name": "Acme Srl"}).json()


@pytest.fixture
def new_case(agent_api: Api, account: dict[str, Any]) -> Callable[..., dict[str, Any]]:
    """A case created through the API (by the agent unless another client is given)."""

    def make(api: Api | None = None, **fields: Any) -> dict[str, Any]:
        body = {"title": "Router down", "customer": {"type": "account", "id": account["id"]}}
        body.update(fields)
        response = (api or agent_api).post("/api/v1/cases", body)
        assert response.status_code == 201, response.content
        return response.json()

    return make


@pytest.fixture
def smtp(settings: Any) -> Iterator[SmtpServer]:
    """A real SMTP server on loopback, and the desk's sender address."""
    for server in smtp_server():
        settings.SMTP_URL = server.url
        settings.MAIL_FROM = "desk@desk.example"
        yield server
