"""Queue items: add/move, lists, pick, release, remove, and the rights they give (docs/routing.md,
docs/security.md)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.db import IntegrityError, transaction

from casedesk.cases.models import Case
from casedesk.core import clock
from casedesk.core.models import AuditEntry
from casedesk.directory.access import SYSTEM
from casedesk.routing.models import QueueItem
from casedesk.routing.services import items as item_services
from tests.conftest import Api, assert_error

pytestmark = pytest.mark.django_db
ZERO = "00000000-0000-0000-0000-000000000000"

NewCase = Callable[..., dict[str, Any]]
NewQueue = Callable[..., dict[str, Any]]


def enqueue(api: Api, case: dict[str, Any], queue: dict[str, Any], **kw: Any) -> Any:
    return api.post(f"/api/v1/cases/{case['id']}/queue", {"queue_id": queue["id"]}, **kw)


def open_items(case: dict[str, Any]) -> list[QueueItem]:
    return list(QueueItem.objects.filter(case_id=case["id"], state="open"))


# --- add and move -------------------------------------------------------------------------


def test_adding_a_case_to_a_queue_opens_an_item_when_it_is_in_none(
    agent_api: Api, agent: Any, new_case: NewCase, new_queue: NewQueue
) -> None:
    case, queue = new_case(), new_queue()
    response = enqueue(agent_api, case, queue)
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["id"] == case["id"] and body["queue_id"] == queue["id"]
    assert body["version"] == case["version"] + 1
    assert response["ETag"] == f'"{body["version"]}"'
    item = body["queue_item"]
    assert (item["queue_id"], item["case_id"], item["state"], item["worked_by"]) == (
        queue["id"],
        case["id"],
        "open",
        None,
    )
    assert item["title"] == case["title"] and item["entered_on"]
    entry = agent_api.get(f"/api/v1/cases/{case['id']}/audit").json()["items"][-1]
    assert entry["action"] == "queue" and entry["changes"] == {"queue_id": [None, queue["id"]]}
    assert agent_api.get(f"/api/v1/cases/{case['id']}").json()["queue_id"] == queue["id"]


def test_adding_a_case_to_its_own_queue_changes_nothing_when_repeated(
    agent_api: Api, new_case: NewCase, new_queue: NewQueue
) -> None:
    case, queue = new_case(), new_queue()
    first = enqueue(agent_api, case, queue).json()
    again = enqueue(agent_api, case, queue)
    assert again.status_code == 200
    assert again.json()["version"] == first["version"]
    assert again.json()["queue_item"] == first["queue_item"]
    assert AuditEntry.objects.filter(entity_id=case["id"], action="queue").count() == 1


def test_moving_a_case_moves_its_item_and_resets_it_when_added_to_another_queue(
    agent_api: Api, agent: Any, new_case: NewCase, new_queue: NewQueue
) -> None:
    case, tier1, tier2 = new_case(), new_queue("Tier 1"), new_queue("Tier 2")
    first = enqueue(agent_api, case, tier1).json()["queue_item"]
    agent_api.post(f"/api/v1/queue-items/{first['id']}/pick")
    moved = enqueue(agent_api, case, tier2)
    assert moved.status_code == 200
    item = moved.json()["queue_item"]
    assert item["id"] == first["id"]  # the single open item moves
    assert item["queue_id"] == tier2["id"] and item["worked_by"] is None
    assert item["entered_on"] > first["entered_on"]
    assert len(open_items(case)) == 1
    assert agent_api.get(f"/api/v1/queues/{tier1['id']}/items").json()["items"] == []
    entry = agent_api.get(f"/api/v1/cases/{case['id']}/audit").json()["items"][-1]
    assert entry["changes"] == {"queue_id": [tier1["id"], tier2["id"]]}


def test_add_is_refused_with_422_when_the_queue_does_not_exist(
    agent_api: Api, new_case: NewCase
) -> None:
    case = new_case()
    error = assert_error(enqueue(agent_api, case, {"id": ZERO}), 422, "validation_error")
    assert "queue_id" in error["details"]["fields"]
    for body in ({}, {"queue_id": "x"}, {"queue_id": ZERO, "extra": 1}):
        response = agent_api.post(f"/api/v1/cases/{case['id']}/queue", body)
        assert_error(response, 422, "validation_error")


def test_add_is_refused_when_the_agent_is_not_a_member_of_the_private_queue(
    agent_api: Api, agent: Any, new_case: NewCase, new_queue: NewQueue
) -> None:
    case = new_case()
    assert_error(enqueue(agent_api, case, new_queue("Hidden", "private")), 403, "forbidden")
    assert enqueue(agent_api, case, new_queue("Mine", "private", [agent])).status_code == 200


def test_add_is_refused_when_the_caller_may_not_change_the_case(
    make_user: Callable[..., Any],
    make_api: Callable[..., Api],
    new_case: NewCase,
    new_queue: NewQueue,
) -> None:
    other = make_api(make_user("agent"))
    assert_error(enqueue(other, new_case(), new_queue()), 403, "forbidden")


def test_add_is_refused_with_case_not_active_when_the_case_is_closed(
    manager_api: Api, new_case: NewCase, new_queue: NewQueue
) -> None:
    case = new_case()
    Case.objects.filter(id=case["id"]).update(state="resolved", status="problem_solved")
    assert_error(enqueue(manager_api, case, new_queue()), 409, "case_not_active")
    assert open_items(case) == []


def test_add_answers_412_404_and_401_when_version_case_or_caller_is_wrong(
    agent_api: Api, anon_api: Api, new_case: NewCase, new_queue: NewQueue
) -> None:
    case, queue = new_case(), new_queue()
    stale = enqueue(agent_api, case, queue, headers={"If-Match": '"99"'})
    assert_error(stale, 412, "version_mismatch")
    assert_error(enqueue(agent_api, {"id": ZERO}, queue), 404, "not_found")
    assert_error(enqueue(anon_api, case, queue), 401, "unauthenticated")
    assert open_items(case) == []


def test_database_refuses_a_second_open_item_when_written_around_the_service(
    new_case: NewCase, new_queue: NewQueue
) -> None:
    case, q1, q2 = new_case(), new_queue("A"), new_queue("B")
    now = clock.now()
    QueueItem.objects.create(case_id=case["id"], queue_id=q1["id"], entered_on=now)
    with pytest.raises(IntegrityError), transaction.atomic():
        QueueItem.objects.create(case_id=case["id"], queue_id=q2["id"], entered_on=now)
    # Closed items are history: any number of them may exist beside the open one.
    QueueItem.objects.create(
        case_id=case["id"], queue_id=q2["id"], entered_on=now, state="closed", closed_at=now
    )


def test_add_moves_the_item_when_another_transaction_opened_one_after_our_read(
    monkeypatch: pytest.MonkeyPatch, manager: Any, new_case: NewCase, new_queue: NewQueue
) -> None:
    """The race the case lock prevents, forced: the insert hits the unique index and the
    service retries it as a move instead of failing."""
    case, q1, q2 = new_case(), new_queue("A"), new_queue("B")
    QueueItem.objects.create(case_id=case["id"], queue_id=q1["id"], entered_on=clock.now())
    real = item_services._open_item
    calls = {"n": 0}

    def blind_first(case: Case) -> QueueItem | None:
        calls["n"] += 1
        return None if calls["n"] == 1 else real(case)

    monkeypatch.setattr(item_services, "_open_item", blind_first)
    placement = item_services.queue_item_add(actor=manager, case_id=case["id"], queue_id=q2["id"])
    assert calls["n"] == 2
    assert placement.changed and str(placement.previous_queue_id) == q1["id"]
    assert [str(i.queue_id) for i in open_items(case)] == [q2["id"]]


# --- lists --------------------------------------------------------------------------------


def test_queue_lists_open_items_oldest_first_and_closed_ones_on_request(
    manager_api: Api, new_case: NewCase, new_queue: NewQueue
) -> None:
    queue = new_queue()
    cases = [new_case(title=f"Case {i}") for i in range(3)]
    for case in cases:
        enqueue(manager_api, case, queue)
    path = f"/api/v1/queues/{queue['id']}/items"
    titles = [i["title"] for i in manager_api.get(path).json()["items"]]
    assert titles == ["Case 0", "Case 1", "Case 2"]
    first = manager_api.get(path).json()["items"][0]
    manager_api.post(f"/api/v1/queue-items/{first['id']}/remove")
    assert [i["title"] for i in manager_api.get(path).json()["items"]] == ["Case 1", "Case 2"]
    closed = manager_api.get(path, state="closed").json()["items"]
    assert [(i["title"], i["state"]) for i in closed] == [("Case 0", "closed")]
    assert closed[0]["closed_at"]
    page = manager_api.get(path, limit=1).json()
    assert len(page["items"]) == 1 and page["next"]
    rest = manager_api.get(path, limit=1, cursor=page["next"]).json()
    assert rest["items"][0]["title"] == "Case 2"


def test_worked_by_filter_splits_available_items_from_mine_when_given(
    agent_api: Api, manager_api: Api, new_case: NewCase, new_queue: NewQueue
) -> None:
    queue = new_queue()
    mine, free = new_case(title="Mine"), new_case(title="Free")
    for case in (mine, free):
        enqueue(agent_api, case, queue)
    item = agent_api.get(f"/api/v1/queues/{queue['id']}/items").json()["items"][0]
    agent_api.post(f"/api/v1/queue-items/{item['id']}/pick")
    path = f"/api/v1/queues/{queue['id']}/items"
    assert [i["title"] for i in agent_api.get(path, worked_by="me").json()["items"]] == ["Mine"]
    assert [i["title"] for i in agent_api.get(path, worked_by="none").json()["items"]] == ["Free"]
    assert manager_api.get(path, worked_by="me").json()["items"] == []
    assert_error(agent_api.get(path, worked_by="someone"), 400, "bad_request")
    assert_error(agent_api.get(path, state="lost"), 400, "bad_request")


def test_agent_lists_work_across_queues_when_asking_for_available_and_mine(
    agent_api: Api,
    manager_api: Api,
    agent: Any,
    new_case: NewCase,
    new_queue: NewQueue,
) -> None:
    public, member, hidden = (
        new_queue("P"),
        new_queue("M", "private", [agent]),
        new_queue("H", "private"),
    )
    for title, queue in (("in P", public), ("in M", member), ("in H", hidden)):
        enqueue(manager_api, new_case(title=title), queue)
    available = agent_api.get("/api/v1/queue-items", worked_by="none").json()["items"]
    assert [i["title"] for i in available] == ["in P", "in M"]
    everything = manager_api.get("/api/v1/queue-items").json()["items"]
    assert [i["title"] for i in everything] == ["in P", "in M", "in H"]
    agent_api.post(f"/api/v1/queue-items/{available[1]['id']}/pick")
    working = agent_api.get("/api/v1/queue-items", worked_by="me").json()["items"]
    assert [i["title"] for i in working] == ["in M"]
    only_p = agent_api.get("/api/v1/queue-items", queue_id=public["id"]).json()["items"]
    assert [i["title"] for i in only_p] == ["in P"]


def test_private_queue_item_is_refused_to_an_agent_when_not_a_member(
    agent_api: Api, manager_api: Api, new_case: NewCase, new_queue: NewQueue
) -> None:
    hidden = new_queue("H", "private")
    item = enqueue(manager_api, new_case(), hidden).json()["queue_item"]
    assert_error(agent_api.get(f"/api/v1/queue-items/{item['id']}"), 403, "forbidden")
    assert_error(agent_api.post(f"/api/v1/queue-items/{item['id']}/pick"), 403, "forbidden")
    assert manager_api.get(f"/api/v1/queue-items/{item['id']}").status_code == 200


def test_case_list_filters_by_queue_when_queue_id_is_given(
    agent_api: Api, new_case: NewCase, new_queue: NewQueue
) -> None:
    q1, q2 = new_queue("A"), new_queue("B")
    in_q1, in_q2, nowhere = new_case(title="one"), new_case(title="two"), new_case(title="none")
    enqueue(agent_api, in_q1, q1)
    enqueue(agent_api, in_q2, q2)
    listed = agent_api.get("/api/v1/cases", queue_id=q1["id"]).json()["items"]
    assert [c["id"] for c in listed] == [in_q1["id"]]
    assert listed[0]["queue_id"] == q1["id"]
    enqueue(agent_api, in_q2, q1)
    listed = agent_api.get("/api/v1/cases", queue_id=q1["id"]).json()["items"]
    assert {c["id"] for c in listed} == {in_q1["id"], in_q2["id"]}
    assert agent_api.get("/api/v1/cases", queue_id=q2["id"]).json()["items"] == []
    assert nowhere["queue_id"] is None


# --- pick, release, remove ----------------------------------------------------------------


def _queued(client: Api, new_case: NewCase, queue: dict[str, Any], **case: Any) -> dict[str, Any]:
    return enqueue(client, new_case(**case), queue).json()["queue_item"]


def test_pick_makes_the_caller_the_worker_when_the_item_is_open(
    agent_api: Api, agent: Any, new_case: NewCase, new_queue: NewQueue
) -> None:
    item = _queued(agent_api, new_case, new_queue())
    path = f"/api/v1/queue-items/{item['id']}/pick"
    for response in (
        agent_api.post(path, raw=""),
        agent_api.post(path, {}),
        agent_api.post(path, {"remove": False}),
    ):
        assert response.status_code == 200, response.content
        assert response.json()["worked_by"] == {"id": str(agent.id), "name": "Anna Agente"}
        assert response.json()["state"] == "open"
    assert response["ETag"] == f'"{response.json()["version"]}"'
    entry = AuditEntry.objects.filter(entity_id=item["id"], action="pick").first()
    assert entry is not None and entry.changes == {"worked_by": [None, str(agent.id)]}


def test_pick_with_remove_closes_the_item_and_assigns_the_case_when_asked(
    agent_api: Api,
    manager_api: Api,
    agent: Any,
    manager: Any,
    new_case: NewCase,
    new_queue: NewQueue,
) -> None:
    case = new_case(api=manager_api)
    item = enqueue(manager_api, case, new_queue()).json()["queue_item"]
    response = agent_api.post(f"/api/v1/queue-items/{item['id']}/pick", {"remove": True})
    assert response.status_code == 200
    body = response.json()
    assert body["state"] == "closed" and body["worked_by"]["id"] == str(agent.id)
    fresh = agent_api.get(f"/api/v1/cases/{case['id']}").json()
    assert fresh["queue_id"] is None
    assert fresh["owner"]["id"] == str(agent.id)
    assert agent_api.patch(f"/api/v1/cases/{case['id']}", {"priority": "low"}).status_code == 200


def test_pick_is_refused_when_the_item_is_closed_or_unknown_or_the_body_is_bad(
    agent_api: Api, new_case: NewCase, new_queue: NewQueue
) -> None:
    item = _queued(agent_api, new_case, new_queue())
    path = f"/api/v1/queue-items/{item['id']}"
    assert_error(agent_api.post(f"{path}/pick", {"remove": "maybe"}), 422, "validation_error")
    assert_error(agent_api.post(f"{path}/pick", {"take": True}), 422, "validation_error")
    assert_error(
        agent_api.post(f"{path}/pick", headers={"If-Match": '"9"'}), 412, "version_mismatch"
    )
    assert agent_api.post(f"{path}/remove").status_code == 200
    assert_error(agent_api.post(f"{path}/pick"), 409, "queue_item_closed")
    assert_error(agent_api.post(f"{path}/release"), 409, "queue_item_closed")
    assert_error(agent_api.post(f"{path}/remove"), 409, "queue_item_closed")
    for action in ("pick", "release", "remove"):
        assert_error(agent_api.post(f"/api/v1/queue-items/{ZERO}/{action}"), 404, "not_found")


def test_release_clears_the_worker_when_the_worker_or_a_manager_asks(
    agent_api: Api, manager_api: Api, new_case: NewCase, new_queue: NewQueue
) -> None:
    queue = new_queue()
    item = _queued(manager_api, new_case, queue, api=manager_api)
    agent_api.post(f"/api/v1/queue-items/{item['id']}/pick")
    released = agent_api.post(f"/api/v1/queue-items/{item['id']}/release")
    assert released.status_code == 200 and released.json()["worked_by"] is None
    agent_api.post(f"/api/v1/queue-items/{item['id']}/pick")
    assert (
        manager_api.post(f"/api/v1/queue-items/{item['id']}/release", {}).json()["worked_by"]
        is None
    )
    assert_error(
        manager_api.post(f"/api/v1/queue-items/{item['id']}/release", {"now": 1}),
        422,
        "validation_error",
    )


def test_release_is_refused_when_the_caller_neither_works_on_it_nor_may_change_the_case(
    agent_api: Api,
    manager_api: Api,
    make_user: Callable[..., Any],
    make_api: Callable[..., Api],
    new_case: NewCase,
    new_queue: NewQueue,
) -> None:
    item = _queued(manager_api, new_case, new_queue(), api=manager_api)
    agent_api.post(f"/api/v1/queue-items/{item['id']}/pick")
    bystander = make_api(make_user("agent"))
    assert_error(bystander.post(f"/api/v1/queue-items/{item['id']}/release"), 403, "forbidden")
    assert_error(bystander.post(f"/api/v1/queue-items/{item['id']}/remove"), 403, "forbidden")


def test_remove_closes_the_item_and_empties_the_case_queue_when_allowed(
    agent_api: Api, agent: Any, new_case: NewCase, new_queue: NewQueue
) -> None:
    case, queue = new_case(), new_queue()
    item = enqueue(agent_api, case, queue).json()["queue_item"]
    agent_api.post(f"/api/v1/queue-items/{item['id']}/pick")
    response = agent_api.post(f"/api/v1/queue-items/{item['id']}/remove")
    assert response.status_code == 200
    assert response.json()["state"] == "closed"
    assert response.json()["worked_by"]["id"] == str(agent.id)  # kept as history
    fresh = agent_api.get(f"/api/v1/cases/{case['id']}").json()
    assert fresh["queue_id"] is None
    entry = agent_api.get(f"/api/v1/cases/{case['id']}/audit").json()["items"][-1]
    assert entry["changes"] == {"queue_id": [queue["id"], None]}
    again = enqueue(agent_api, case, queue).json()["queue_item"]
    assert again["id"] != item["id"]  # a new item; the closed one stays history


def test_closing_for_a_resolved_case_closes_the_open_item_when_called(
    agent_api: Api, new_case: NewCase, new_queue: NewQueue
) -> None:
    case = new_case()
    enqueue(agent_api, case, new_queue())
    record = Case.objects.get(id=case["id"])
    assert item_services.queue_item_close_for_case(case=record) == 1
    assert item_services.queue_item_close_for_case(case=record) == 0
    item = QueueItem.objects.get(case_id=case["id"])
    assert item.state == "closed" and item.closed_at is not None


# --- the rights queue items give (docs/security.md) ------------


def test_queue_member_may_change_a_case_when_it_sits_in_their_queue(
    manager_api: Api,
    agent_api: Api,
    agent: Any,
    new_case: NewCase,
    new_queue: NewQueue,
) -> None:
    case = new_case(api=manager_api)
    path = f"/api/v1/cases/{case['id']}"
    assert_error(agent_api.patch(path, {"priority": "high"}), 403, "forbidden")
    enqueue(manager_api, case, new_queue("Members", "private", [agent]))
    assert agent_api.patch(path, {"priority": "high"}).status_code == 200
    enqueue(manager_api, case, new_queue("Others", "private"))
    assert_error(agent_api.patch(path, {"priority": "low"}), 403, "forbidden")


def test_worker_may_change_a_case_only_while_working_on_its_item(
    manager_api: Api, agent_api: Api, new_case: NewCase, new_queue: NewQueue
) -> None:
    case = new_case(api=manager_api)
    item = enqueue(manager_api, case, new_queue("Public")).json()["queue_item"]
    path = f"/api/v1/cases/{case['id']}"
    assert_error(agent_api.patch(path, {"priority": "high"}), 403, "forbidden")
    agent_api.post(f"/api/v1/queue-items/{item['id']}/pick")
    assert agent_api.patch(path, {"priority": "high"}).status_code == 200
    agent_api.post(f"/api/v1/queue-items/{item['id']}/release")
    assert_error(agent_api.patch(path, {"priority": "low"}), 403, "forbidden")


def test_team_member_may_change_a_case_when_their_team_owns_it(
    manager_api: Api, agent_api: Api, agent: Any, new_case: NewCase
) -> None:
    from casedesk.directory.services import team_create

    team = team_create(actor=SYSTEM, name="Tier 1", member_ids=[agent.id])
    case = new_case(api=manager_api, owner={"type": "team", "id": str(team.id)})
    assert agent_api.patch(f"/api/v1/cases/{case['id']}", {"stage": "research"}).status_code == 200
