"""Resolve, cancel and merge close the case's queue item; lists show open items only."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from casedesk.core.invariants import run_all
from casedesk.routing.models import QueueItem
from tests.conftest import Api, assert_error

pytestmark = pytest.mark.django_db

NewCase = Callable[..., dict[str, Any]]
NewQueue = Callable[..., dict[str, Any]]


@pytest.fixture
def queued(agent_api: Api, new_case: NewCase, new_queue: NewQueue) -> Any:
    def make(**fields: Any) -> tuple[dict[str, Any], dict[str, Any], dict[str, Any]]:
        case, queue = new_case(**fields), new_queue()
        item = agent_api.post(
            f"/api/v1/cases/{case['id']}/queue", {"queue_id": queue["id"]}
        ).json()["queue_item"]
        return case, queue, item

    return make


def _assert_closed(api: Api, case: dict[str, Any], queue: dict[str, Any]) -> None:
    assert api.get(f"/api/v1/cases/{case['id']}").json()["queue_id"] is None
    assert api.get(f"/api/v1/queues/{queue['id']}/items").json()["items"] == []
    history = api.get(f"/api/v1/queues/{queue['id']}/items", state="closed").json()["items"]
    assert [i["case_id"] for i in history] == [case["id"]]
    assert not [v for name, v in run_all() if "queue" in name]


def test_resolving_a_case_closes_its_item_when_it_sits_in_a_queue(
    agent_api: Api, queued: Any
) -> None:
    case, queue, item = queued()
    agent_api.post(f"/api/v1/queue-items/{item['id']}/pick")
    response = agent_api.post(
        f"/api/v1/cases/{case['id']}/resolve", {"resolution": "Fixed the line."}
    )
    assert response.status_code == 200, response.content
    _assert_closed(agent_api, case, queue)
    assert agent_api.get("/api/v1/queue-items", worked_by="me").json()["items"] == []
    assert_error(
        agent_api.post(f"/api/v1/queue-items/{item['id']}/release"), 409, "queue_item_closed"
    )


def test_cancelling_a_case_closes_its_item_and_reactivating_leaves_it_closed(
    agent_api: Api, queued: Any
) -> None:
    case, queue, _ = queued()
    assert agent_api.post(f"/api/v1/cases/{case['id']}/cancel").status_code == 200
    _assert_closed(agent_api, case, queue)
    assert agent_api.post(f"/api/v1/cases/{case['id']}/reactivate").status_code == 200
    assert agent_api.get(f"/api/v1/cases/{case['id']}").json()["queue_id"] is None
    assert not QueueItem.objects.filter(case_id=case["id"], state="open").exists()


def test_merging_a_case_closes_the_subordinates_item_and_keeps_the_masters(
    agent_api: Api, queued: Any
) -> None:
    subordinate, queue, _ = queued(title="Duplicate")
    master, master_queue, _ = queued(title="Master")
    response = agent_api.post(f"/api/v1/cases/{subordinate['id']}/merge", {"into": master["id"]})
    assert response.status_code == 200, response.content
    _assert_closed(agent_api, subordinate, queue)
    assert agent_api.get(f"/api/v1/cases/{master['id']}").json()["queue_id"] == master_queue["id"]
