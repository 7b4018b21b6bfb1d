"""The queue item counters follow every write of queue items, the counts of the queue views and
the dashboard read them, and `casedesk check` catches a wrong one (docs/routing.md#counters)."""

from __future__ import annotations

import importlib
import re
import uuid
from collections.abc import Callable
from typing import Any

import pytest
from django.apps import apps
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from casedesk.core.invariants import registered
from casedesk.routing import checks, counters, selectors
from casedesk.routing.models import QueueItem, QueueItemCount
from casedesk.routing.services import items, routing
from casedesk.web import dashboard
from tests.conftest import Api

pytestmark = pytest.mark.django_db

NewCase = Callable[..., dict[str, Any]]
NewQueue = Callable[..., dict[str, Any]]
SETS = "/api/v1/routing-rule-sets"


def exact() -> None:
    """The counters equal the open queue items' counts."""
    assert list(checks.queue_item_counters_match_the_items()) == []


def sizes(queue: dict[str, Any]) -> tuple[int, int]:
    """A queue's open items: all of them, and those nobody works on."""
    return (
        counters.open_item_count(queue_id=queue["id"]),
        counters.open_item_count(queue_id=queue["id"], worked=False),
    )


def enqueue(api: Api, case: dict[str, Any], queue: dict[str, Any]) -> dict[str, Any]:
    response = api.post(f"/api/v1/cases/{case['id']}/queue", {"queue_id": queue["id"]})
    assert response.status_code == 200, response.content
    return response.json()["queue_item"]


def test_the_counter_check_is_registered() -> None:
    assert "queue_item_counters_match_the_items" in {name for name, _ in registered()}


def test_add_move_pick_release_and_remove_are_counted(
    agent_api: Api, manager_api: Api, new_case: NewCase, new_queue: NewQueue
) -> None:
    tier1, tier2 = new_queue("Tier 1"), new_queue("Tier 2")
    case, other = new_case(), new_case()
    item = enqueue(agent_api, case, tier1)
    enqueue(agent_api, other, tier1)
    exact()
    assert sizes(tier1) == (2, 2)
    assert agent_api.post(f"/api/v1/queue-items/{item['id']}/pick").status_code == 200
    exact()
    assert sizes(tier1) == (2, 1)
    # Somebody else picks the item somebody works on: still one worked item.
    assert manager_api.post(f"/api/v1/queue-items/{item['id']}/pick").status_code == 200
    exact()
    assert sizes(tier1) == (2, 1)
    # Moving a worked item: nobody works on it in its new queue.
    enqueue(agent_api, case, tier2)
    exact()
    assert (sizes(tier1), sizes(tier2)) == ((1, 1), (1, 1))
    assert agent_api.post(f"/api/v1/queue-items/{item['id']}/pick").status_code == 200
    assert agent_api.post(f"/api/v1/queue-items/{item['id']}/release").status_code == 200
    exact()
    assert sizes(tier2) == (1, 1)
    assert agent_api.post(f"/api/v1/queue-items/{item['id']}/pick").status_code == 200
    assert agent_api.post(f"/api/v1/queue-items/{item['id']}/remove").status_code == 200
    exact()
    assert sizes(tier2) == (0, 0)
    # Adding a case to the queue it is in changes nothing.
    enqueue(agent_api, other, tier1)
    exact()
    assert sizes(tier1) == (1, 1)


def test_pick_and_remove_is_counted(agent_api: Api, new_case: NewCase, new_queue: NewQueue) -> None:
    queue = new_queue()
    item = enqueue(agent_api, new_case(), queue)
    response = agent_api.post(f"/api/v1/queue-items/{item['id']}/pick", {"remove": True})
    assert response.status_code == 200, response.content
    assert QueueItem.objects.get(pk=item["id"]).state == "closed"
    exact()
    assert sizes(queue) == (0, 0)


def test_resolve_cancel_and_merge_uncount_the_items_they_close(
    agent_api: Api, new_case: NewCase, new_queue: NewQueue
) -> None:
    queue = new_queue()
    resolved, cancelled, merged, master = new_case(), new_case(), new_case(), new_case()
    worked = enqueue(agent_api, resolved, queue)
    for case in (cancelled, merged, master):
        enqueue(agent_api, case, queue)
    assert agent_api.post(f"/api/v1/queue-items/{worked['id']}/pick").status_code == 200
    assert sizes(queue) == (4, 3)
    response = agent_api.post(f"/api/v1/cases/{resolved['id']}/resolve", {"resolution": "Done."})
    assert response.status_code == 200, response.content
    exact()
    assert sizes(queue) == (3, 3)
    assert agent_api.post(f"/api/v1/cases/{cancelled['id']}/cancel").status_code == 200
    exact()
    response = agent_api.post(f"/api/v1/cases/{merged['id']}/merge", {"into": master["id"]})
    assert response.status_code == 200, response.content
    exact()
    assert sizes(queue) == (1, 1)
    # Reactivating leaves the closed item closed, and the counters as they are.
    assert agent_api.post(f"/api/v1/cases/{cancelled['id']}/reactivate").status_code == 200
    exact()


def test_bulk_routing_and_save_and_route_are_counted(
    agent_api: Api,
    manager_api: Api,
    manager: Any,
    new_case: NewCase,
    new_queue: NewQueue,
) -> None:
    home, away = new_queue("Home"), new_queue("Away")
    rule_set = manager_api.post(
        SETS,
        {"name": "All home", "items": [{"name": "All", "route_to": {"queue_id": home["id"]}}]},
    ).json()
    assert manager_api.post(f"{SETS}/{rule_set['id']}/activate").status_code == 200
    cases = [new_case() for _ in range(5)]
    enqueue(agent_api, cases[0], away)
    worked = enqueue(agent_api, cases[1], away)
    assert agent_api.post(f"/api/v1/queue-items/{worked['id']}/pick").status_code == 200
    ids = [uuid.UUID(c["id"]) for c in cases[:4]]
    results = routing.cases_route(actor=manager, case_ids=ids)
    assert [r.error for r in results] == [None] * 4
    exact()
    assert (sizes(home), sizes(away)) == ((4, 4), (0, 0))
    assert agent_api.post(f"/api/v1/cases/{cases[4]['id']}/route").status_code == 200
    exact()
    assert sizes(home) == (5, 5)


def test_the_service_that_closes_items_for_cases_counts_what_it_closed(
    agent_api: Api, new_case: NewCase, new_queue: NewQueue
) -> None:
    queue = new_queue()
    cases = [new_case() for _ in range(3)]
    for case in cases:
        enqueue(agent_api, case, queue)
    assert items.queue_items_close_for_cases(case_ids=[c["id"] for c in cases[:2]]) == 2
    assert items.queue_items_close_for_cases(case_ids=[c["id"] for c in cases[:2]]) == 0
    exact()
    assert sizes(queue) == (1, 1)


# --- the check and the rebuild ----------------------------------------------------------------


def test_a_wrong_counter_and_a_stray_row_are_reported(
    agent_api: Api, new_case: NewCase, new_queue: NewQueue
) -> None:
    queue, empty = new_queue("Full"), new_queue("Empty")
    enqueue(agent_api, new_case(), queue)
    QueueItemCount.objects.filter(queue_id=queue["id"]).update(n=5)
    QueueItemCount.objects.create(queue_id=empty["id"], worked=True, shard=3, n=1)
    found = list(checks.queue_item_counters_match_the_items())
    assert len(found) == 2, found
    assert any(
        f"nobody works on in queue {queue['id']}: counted 5, there are 1" in v for v in found
    )
    assert any(f"worked on in queue {empty['id']}: counted 1, there are 0" in v for v in found)


def test_rebuilding_repairs_the_counters(
    agent_api: Api, new_case: NewCase, new_queue: NewQueue
) -> None:
    queue = new_queue()
    item = enqueue(agent_api, new_case(), queue)
    enqueue(agent_api, new_case(), queue)
    assert agent_api.post(f"/api/v1/queue-items/{item['id']}/pick").status_code == 200
    QueueItemCount.objects.all().delete()
    assert list(checks.queue_item_counters_match_the_items())
    counters.counters_rebuild()
    exact()
    assert sizes(queue) == (2, 1)


def test_the_data_migration_fills_the_counters(
    agent_api: Api, new_case: NewCase, new_queue: NewQueue
) -> None:
    tier1, tier2 = new_queue("Tier 1"), new_queue("Tier 2")
    picked = enqueue(agent_api, new_case(), tier1)
    enqueue(agent_api, new_case(), tier1)
    enqueue(agent_api, new_case(), tier2)
    closed = enqueue(agent_api, new_case(), tier2)
    assert agent_api.post(f"/api/v1/queue-items/{picked['id']}/pick").status_code == 200
    assert agent_api.post(f"/api/v1/queue-items/{closed['id']}/remove").status_code == 200
    QueueItemCount.objects.all().delete()
    migration = importlib.import_module("casedesk.routing.migrations.0005_queue_item_counts_fill")
    migration.fill(apps, None)
    exact()
    assert (sizes(tier1), sizes(tier2)) == ((2, 1), (1, 1))
    migration.empty(apps, None)
    assert not QueueItemCount.objects.exists()


def test_shards_are_summed(agent_api: Api, new_case: NewCase, new_queue: NewQueue) -> None:
    queue = new_queue()
    for _ in range(3):
        enqueue(agent_api, new_case(), queue)
    for shard in range(counters.SHARDS):
        QueueItemCount.objects.get_or_create(
            queue_id=queue["id"], worked=False, shard=shard, defaults={"n": 0}
        )
    QueueItemCount.objects.filter(queue_id=queue["id"], shard=0).update(n=5)
    QueueItemCount.objects.filter(queue_id=queue["id"], shard=1).update(n=-2)
    QueueItemCount.objects.filter(queue_id=queue["id"], shard__gt=1).update(n=0)
    assert sizes(queue) == (3, 3)
    exact()


# --- the readers --------------------------------------------------------------------------


@pytest.fixture
def web() -> Callable[..., Client]:
    def make(user: Any) -> Client:
        client = Client()
        client.force_login(user)
        return client

    return make


@pytest.fixture
def filled(
    agent_api: Api,
    agent: Any,
    manager: Any,
    make_user: Callable[..., Any],
    new_case: NewCase,
    new_queue: NewQueue,
) -> dict[str, Any]:
    """Tier 1 (public): three items, one worked on by the agent; Secret (private, of a member
    only): two items."""
    member = make_user("agent")
    tier1 = new_queue("Tier 1")
    secret = new_queue("Secret", type="private", members=[member])
    worked = enqueue(agent_api, new_case(), tier1)
    for _ in range(2):
        enqueue(agent_api, new_case(), tier1)
    for _ in range(2):
        case = new_case()
        items.queue_item_add(actor=manager, case_id=case["id"], queue_id=secret["id"])
    assert agent_api.post(f"/api/v1/queue-items/{worked['id']}/pick").status_code == 200
    return {"tier1": tier1, "secret": secret, "member": member}


def _counts(user: Any, **filters: Any) -> tuple[int, int]:
    """The count from the counters and the number of items the list lists."""
    item_filters = selectors.ItemFilters(**filters)
    return (
        selectors.queue_item_count(user=user, filters=item_filters),
        selectors.queue_item_list(user=user, filters=item_filters).count(),
    )


def test_the_counts_are_the_lists_for_every_viewer_and_filter(
    filled: dict[str, Any], agent: Any, manager: Any
) -> None:
    tier1, secret, member = filled["tier1"], filled["secret"], filled["member"]
    expected = {
        agent: {(None, None): 3, (None, "none"): 2, (None, "me"): 1, (secret["id"], None): 0},
        member: {(None, None): 5, (None, "none"): 4, (None, "me"): 0, (secret["id"], None): 2},
        manager: {(None, None): 5, (None, "none"): 4, (None, "me"): 0, (secret["id"], None): 2},
    }
    for user, cases in expected.items():
        for (queue_id, worked_by), n in cases.items():
            got = _counts(user, queue_id=queue_id, worked_by=worked_by)
            assert got == (n, n), (user.username, queue_id, worked_by, got)
        got = _counts(user, queue_id=tier1["id"], worked_by="none")
        assert got == (2, 2)
    assert _counts(manager, state="closed") == (0, 0)
    assert selectors.queue_item_counts(user=agent) == [("Tier 1", 3)]
    assert selectors.queue_item_counts(user=member) == [("Tier 1", 3), ("Secret", 2)]
    assert dashboard.queue_sizes(manager)[0].value == 3


_COUNTING_ITEMS = re.compile(r"COUNT\(.*FROM\s+\"casedesk_routing_queueitem\"", re.I | re.S)


def _item_counts(queries: list[dict[str, Any]]) -> list[str]:
    return [q["sql"] for q in queries if _COUNTING_ITEMS.search(q["sql"])]


def test_no_count_of_the_queue_items_for_the_open_and_available_counts(
    filled: dict[str, Any], agent: Any, manager: Any
) -> None:
    for user in (agent, manager, filled["member"]):
        with CaptureQueriesContext(connection) as captured:
            for worked_by in (None, "none"):
                for queue_id in (None, filled["tier1"]["id"]):
                    selectors.queue_item_count(
                        user=user,
                        filters=selectors.ItemFilters(queue_id=queue_id, worked_by=worked_by),
                    )
            selectors.queue_item_counts(user=user)
        assert _item_counts(captured.captured_queries) == []
        assert all(
            'casedesk_routing_queueitem"' not in q["sql"].split("FROM", 1)[-1].split()[0]
            for q in captured.captured_queries
        )


def test_the_queue_page_and_the_dashboard_count_nothing_but_the_callers_own_items(
    filled: dict[str, Any], web: Callable[..., Client], agent: Any
) -> None:
    client = web(agent)
    with CaptureQueriesContext(connection) as captured:
        assert client.get("/queues/").status_code == 200
    counted = _item_counts(captured.captured_queries)
    # One count is left: the items the caller works on (`worked_by=me`), on its own index.
    assert len(counted) == 1 and "worked_by_id" in counted[0], counted
    with CaptureQueriesContext(connection) as captured:
        assert client.get("/").status_code == 200
    assert _item_counts(captured.captured_queries) == []
