"""The case list's filters and sorts of the service level (docs/service-levels.md#on-a-case)."""

from __future__ import annotations

from typing import Any

import pytest

from tests.conftest import Api, FakeClock, assert_error
from tests.support.sla import make_sla

pytestmark = pytest.mark.django_db


@pytest.fixture
def account(agent_api: Api) -> dict[str, Any]:
    return agent_api.post("/api/v1/accounts", {"name": "Acme Srl"}).json()


@pytest.fixture
def new_case(agent_api: Api, account: dict[str, Any]) -> Any:
    def make(**fields: Any) -> dict[str, Any]:
        body = {"title": "Internet down", "customer": {"type": "account", "id": account["id"]}}
        body.update(fields)
        response = agent_api.post("/api/v1/cases", body)
        assert response.status_code == 201, response.content
        return response.json()

    return make


def _all(api: Api, **query: Any) -> list[str]:
    """Every page of the list, one case a page: the cursor is exercised at every step."""
    ids: list[str] = []
    cursor = None
    while True:
        params = dict(query, limit=1)
        if cursor:
            params["cursor"] = cursor
        response = api.get("/api/v1/cases", **params)
        assert response.status_code == 200, response.content
        body = response.json()
        ids.extend(item["id"] for item in body["items"])
        cursor = body["next"]
        if not cursor:
            return ids


def test_the_list_filters_by_priority(agent_api: Api, new_case: Any) -> None:
    high = new_case(priority="high")
    new_case(priority="low")
    assert _all(agent_api, priority="high") == [high["id"]]
    assert_error(agent_api.get("/api/v1/cases", priority="urgent"), 400, "bad_request")


def test_the_list_filters_by_sla_status(
    agent_api: Api, new_case: Any, fake_clock: FakeClock
) -> None:
    new_case()  # no SLA yet
    make_sla()
    running = new_case()
    held = new_case(status="on_hold")
    assert _all(agent_api, sla_status="in_progress") == [running["id"]]
    assert _all(agent_api, sla_status="paused") == [held["id"]]


def test_resolve_by_sorts_soonest_first_and_cases_without_one_last(
    agent_api: Api, new_case: Any, fake_clock: FakeClock
) -> None:
    none_a = new_case()
    make_sla(
        {
            "kpi": "resolve",
            "warn": 10,
            "fail": 20,
            "conditions": [{"field": "priority", "op": "eq", "value": "high"}],
        },
        {"kpi": "resolve", "warn": 100, "fail": 200},
    )
    fake_clock.advance(60)
    late = new_case()
    fake_clock.advance(60)
    soon = new_case(priority="high")
    fake_clock.advance(60)
    later = new_case()
    fake_clock.advance(60)
    none_b = new_case(status="on_hold")  # paused: still has a resolve_by
    ids = _all(agent_api, order="resolve_by")
    assert ids[:3] == [soon["id"], late["id"], later["id"]]
    assert ids[3] == none_b["id"]
    assert ids[4:] == [none_a["id"]]


def test_priority_sorts_high_first_then_newest(
    agent_api: Api, new_case: Any, fake_clock: FakeClock
) -> None:
    low = new_case(priority="low")
    fake_clock.advance(1)
    normal = new_case()
    fake_clock.advance(1)
    high_old = new_case(priority="high")
    fake_clock.advance(1)
    high_new = new_case(priority="high")
    assert _all(agent_api, order="priority") == [
        high_new["id"],
        high_old["id"],
        normal["id"],
        low["id"],
    ]


def test_modified_sorts_newest_change_first(
    agent_api: Api, new_case: Any, fake_clock: FakeClock
) -> None:
    first = new_case()
    fake_clock.advance(1)
    second = new_case()
    fake_clock.advance(1)
    agent_api.patch(f"/api/v1/cases/{first['id']}", {"title": "Changed"})
    assert _all(agent_api, order="-modified_at") == [first["id"], second["id"]]


def test_an_unknown_order_is_refused(agent_api: Api) -> None:
    assert_error(agent_api.get("/api/v1/cases", order="title"), 400, "bad_request")
