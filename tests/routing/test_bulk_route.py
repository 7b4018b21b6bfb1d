"""Bulk routing, set-wise in chunks (docs/routing.md): each case ends as routing it alone would
leave
it, or untouched when refused; a chunk is written completely or not at all."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from casedesk.cases.models import Case, Post
from casedesk.core.models import AuditEntry
from casedesk.directory.models import User
from casedesk.routing.models import QueueItem
from casedesk.routing.services import routing
from tests.conftest import Api

pytestmark = pytest.mark.django_db
ZERO = "00000000-0000-0000-0000-000000000000"
SETS = "/api/v1/routing-rule-sets"
ROUTE = "/api/v1/cases/route"

NewCase = Callable[..., dict[str, Any]]
NewQueue = Callable[..., dict[str, Any]]


@pytest.fixture
def tier1(new_queue: NewQueue) -> dict[str, Any]:
    return new_queue("Tier 1")


@pytest.fixture
def tier2(new_queue: NewQueue) -> dict[str, Any]:
    return new_queue("Tier 2")


@pytest.fixture
def small_chunks() -> Iterator[None]:
    """Two cases per transaction, so that a few cases span several chunks."""
    saved = routing.CHUNK
    routing.CHUNK = 2
    yield
    routing.CHUNK = saved


def bulk(api: Api, cases: list[dict[str, Any]] | list[str]) -> list[dict[str, Any]]:
    ids = [c if isinstance(c, str) else c["id"] for c in cases]
    response = api.post(ROUTE, {"case_ids": ids})
    assert response.status_code == 200, response.content
    results: list[dict[str, Any]] = response.json()["results"]
    return results


def route_audits(case: dict[str, Any]) -> list[AuditEntry]:
    return list(AuditEntry.objects.filter(entity_id=case["id"], action="route").order_by("id"))


def route_posts(case: dict[str, Any]) -> list[str]:
    qs = Post.objects.filter(case_id=case["id"], event__in=["routed", "not_routed"])
    return [p.text for p in qs.order_by("created_at")]


def version(case: dict[str, Any]) -> int:
    return Case.objects.get(id=case["id"]).version


def open_items(case: dict[str, Any]) -> list[QueueItem]:
    return list(QueueItem.objects.filter(case_id=case["id"], state="open"))


def untouched(case: dict[str, Any]) -> bool:
    return (
        version(case) == case["version"]
        and not route_audits(case)
        and not route_posts(case)
        and not QueueItem.objects.filter(case_id=case["id"]).exists()
    )


def test_bulk_route_leaves_each_case_as_routing_it_alone_would(
    agent_api: Api, new_case: NewCase, active_set: dict[str, Any], tier2: dict[str, Any]
) -> None:
    alone, together = new_case(priority="high"), new_case(priority="high")
    single = agent_api.post(f"/api/v1/cases/{alone['id']}/route", raw="").json()
    [result] = bulk(agent_api, [together])
    assert {k: v for k, v in result.items() if k not in {"case_id", "error"}} == {
        k: single[k] for k in ("routed", "reason", "rule_set_id", "rule_item", "queue_id", "owner")
    }
    assert result["error"] is None
    assert version(together) == version(alone) == alone["version"] + 1
    [one], [other] = route_audits(alone), route_audits(together)
    assert (other.action, other.channel, other.actor_id) == ("route", "routing", one.actor_id)
    assert other.changes == one.changes == {"queue_id": [None, tier2["id"]]}
    assert other.details == one.details
    assert route_posts(together) == route_posts(alone)
    assert [i.queue_id for i in open_items(together)] == [uuid.UUID(tier2["id"])]


def test_bulk_route_moves_an_item_from_another_queue_and_keeps_one_already_in_place(
    manager_api: Api,
    agent_api: Api,
    new_case: NewCase,
    active_set: dict[str, Any],
    tier1: dict[str, Any],
    tier2: dict[str, Any],
) -> None:
    moving, staying = new_case(priority="high"), new_case(priority="high")
    manager_api.post(f"/api/v1/cases/{moving['id']}/queue", {"queue_id": tier1["id"]})
    manager_api.post(f"/api/v1/cases/{staying['id']}/queue", {"queue_id": tier2["id"]})
    [picked] = open_items(moving)
    manager_api.post(f"/api/v1/queue-items/{picked.pk}/pick")
    picked.refresh_from_db()
    assert picked.worked_by_id is not None
    [kept] = open_items(staying)
    moving_version, staying_version = version(moving), version(staying)

    results = bulk(manager_api, [moving, staying])

    assert [r["queue_id"] for r in results] == [tier2["id"], tier2["id"]]
    [moved] = open_items(moving)
    assert moved.pk == picked.pk and str(moved.queue_id) == tier2["id"]
    assert moved.worked_by_id is None and moved.entered_on > picked.entered_on
    assert moved.version == picked.version + 1
    assert version(moving) == moving_version + 1
    assert route_audits(moving)[-1].changes == {"queue_id": [tier1["id"], tier2["id"]]}
    assert route_posts(moving)[-1].endswith('moved to queue "Tier 2".')
    [same] = open_items(staying)
    assert (same.pk, same.version, same.entered_on) == (kept.pk, kept.version, kept.entered_on)
    assert version(staying) == staying_version
    assert route_audits(staying)[-1].changes == {}
    assert route_posts(staying)[-1].endswith('already in queue "Tier 2".')
    assert QueueItem.objects.filter(case_id__in=[moving["id"], staying["id"]]).count() == 2


def test_bulk_route_assigns_the_owner_of_the_matching_item_whatever_the_callers_rights(
    agent_api: Api, agent: Any, manager: Any, new_case: NewCase, active_set: dict[str, Any]
) -> None:
    invoice, plain = new_case(title="Fattura doppia"), new_case(title="Printer jam")
    results = bulk(agent_api, [invoice, plain])
    assert results[0]["owner"] == {"type": "user", "id": str(manager.id), "name": "Marco Manager"}
    assert (results[1]["routed"], results[1]["reason"]) == (False, "no_item_matched")
    fresh = Case.objects.get(id=invoice["id"])
    assert fresh.owner_user_id == manager.id and fresh.version == invoice["version"] + 1
    before, after = {"type": "user", "id": str(agent.id)}, {"type": "user", "id": str(manager.id)}
    assert route_audits(invoice)[-1].changes == {"owner": [before, after]}
    assert route_audits(invoice)[-1].details["owner"] == after
    assert route_posts(invoice) == [
        'Routed by rule set "Standard", item "Invoices": assigned to Marco Manager.'
    ]
    assert version(plain) == plain["version"] and route_audits(plain)[-1].changes == {}
    again = bulk(agent_api, [invoice])  # the agent lost the case: refused, nothing written
    assert again[0]["error"]["code"] == "forbidden"
    assert len(route_audits(invoice)) == 1


def test_bulk_route_answers_each_id_once_in_the_order_given(
    manager_api: Api, new_case: NewCase, active_set: dict[str, Any]
) -> None:
    a, b = new_case(priority="high"), new_case(title="Printer jam")
    results = bulk(manager_api, [b, a, b, ZERO, a])
    assert [r["case_id"] for r in results] == [b["id"], a["id"], ZERO]
    assert len(route_audits(a)) == len(route_audits(b)) == 1


def test_bulk_route_changes_nothing_of_a_refused_case_when_chunks_mix_good_and_bad_ones(
    small_chunks: None,
    agent_api: Api,
    manager_api: Api,
    new_case: NewCase,
    active_set: dict[str, Any],
) -> None:
    good = [new_case(priority="high") for _ in range(3)]
    closed, foreign = new_case(priority="high"), new_case(api=manager_api, priority="high")
    Case.objects.filter(id=closed["id"]).update(state="resolved", status="problem_solved")
    closed["version"] = version(closed)
    ids = [good[0], closed, good[1], foreign, ZERO, good[2]]
    results = bulk(agent_api, ids)  # type: ignore[arg-type]
    codes = [r["error"]["code"] if r["error"] else None for r in results]
    assert codes == [None, "case_not_active", None, "forbidden", "not_found", None]
    assert all(r["routed"] for r in results if r["error"] is None)
    assert untouched(closed) and untouched(foreign)
    for case in good:
        assert len(open_items(case)) == 1 and len(route_audits(case)) == 1
        assert version(case) == case["version"] + 1


def test_bulk_route_keeps_earlier_chunks_and_writes_nothing_of_a_chunk_that_fails(
    small_chunks: None,
    monkeypatch: pytest.MonkeyPatch,
    manager: User,
    new_case: NewCase,
    active_set: dict[str, Any],
) -> None:
    cases = [new_case(priority="high") for _ in range(6)]
    real, calls = routing._write_records, {"n": 0}

    def fail_second(*args: Any, **kwargs: Any) -> None:
        calls["n"] += 1
        if calls["n"] == 2:
            raise RuntimeError("the disk is full")
        real(*args, **kwargs)

    monkeypatch.setattr(routing, "_write_records", fail_second)
    with pytest.raises(RuntimeError):
        routing.cases_route(actor=manager, case_ids=[uuid.UUID(c["id"]) for c in cases])
    for case in cases[:2]:  # the first chunk was committed whole
        assert len(open_items(case)) == 1 and len(route_audits(case)) == 1
        assert len(route_posts(case)) == 1 and version(case) == case["version"] + 1
    for case in cases[2:]:  # the failing chunk is rolled back whole; the rest never ran
        assert untouched(case)


def test_bulk_route_moves_an_item_that_appeared_after_the_read_instead_of_failing(
    monkeypatch: pytest.MonkeyPatch,
    manager_api: Api,
    manager: User,
    new_case: NewCase,
    active_set: dict[str, Any],
    tier1: dict[str, Any],
    tier2: dict[str, Any],
) -> None:
    """The race the case locks prevent, forced: the read misses an open item, the insert hits
    the unique index, and the chunk places that case again as a move."""
    fresh, raced = new_case(priority="high"), new_case(priority="high")
    manager_api.post(f"/api/v1/cases/{raced['id']}/queue", {"queue_id": tier1["id"]})
    monkeypatch.setattr(routing, "queue_items_open", lambda case_ids: {})
    results = routing.cases_route(
        actor=manager, case_ids=[uuid.UUID(fresh["id"]), uuid.UUID(raced["id"])]
    )
    assert [r.error for r in results] == [None, None]
    assert [str(i.queue_id) for i in open_items(fresh)] == [tier2["id"]]
    assert [str(i.queue_id) for i in open_items(raced)] == [tier2["id"]]
    assert QueueItem.objects.filter(case_id=raced["id"]).count() == 1
    assert route_audits(raced)[-1].changes == {"queue_id": [tier1["id"], tier2["id"]]}
    assert route_audits(fresh)[-1].changes == {"queue_id": [None, tier2["id"]]}


def test_bulk_routed_cases_enter_the_queue_in_the_order_given(
    manager_api: Api, new_case: NewCase, active_set: dict[str, Any], tier2: dict[str, Any]
) -> None:
    cases = [new_case(priority="high", title=f"Case {i}") for i in range(5)]
    order = [cases[3], cases[0], cases[4], cases[1], cases[2]]
    bulk(manager_api, order)
    listed = manager_api.get(f"/api/v1/queues/{tier2['id']}/items").json()["items"]
    assert [i["title"] for i in listed] == [c["title"] for c in order]


def test_bulk_route_records_why_when_no_set_is_active(manager_api: Api, new_case: NewCase) -> None:
    cases = [new_case(priority="high") for _ in range(2)]
    results = bulk(manager_api, cases)
    assert [(r["routed"], r["reason"]) for r in results] == [(False, "no_active_rule_set")] * 2
    for case in cases:
        assert route_audits(case)[-1].details["reason"] == "no_active_rule_set"
        assert route_posts(case) == ["Routing: no active rule set; nothing changed."]
        assert version(case) == case["version"]


def test_bulk_route_costs_the_same_statements_for_ten_cases_as_for_two_decided_alike(
    manager_api: Api, new_case: NewCase, active_set: dict[str, Any]
) -> None:
    two = [new_case(priority="high"), new_case(priority="low")]
    ten = [new_case(priority="high" if i % 2 else "low") for i in range(10)]
    counts = []
    for cases in (two, ten):
        with CaptureQueriesContext(connection) as queries:
            bulk(manager_api, cases)
        counts.append(len(queries))
    assert counts[0] == counts[1], counts


def test_bulk_route_reads_names_and_current_queues_with_the_chunk_not_per_case(
    manager_api: Api,
    agent_api: Api,
    new_case: NewCase,
    tier1: dict[str, Any],
    tier2: dict[str, Any],
) -> None:
    body = {
        "name": "By names",
        "items": [
            {
                "name": "Queued Acme",
                "conditions": [
                    {"field": "customer.name", "op": "contains", "value": "acme"},
                    {"field": "queue_id", "op": "eq", "value": tier1["id"]},
                ],
                "route_to": {"queue_id": tier2["id"]},
            },
            {
                "name": "Anna's",
                "conditions": [{"field": "owner.name", "op": "eq", "value": "Anna Agente"}],
                "route_to": {"queue_id": tier1["id"]},
            },
        ],
    }
    rule_set = manager_api.post(SETS, body).json()
    assert manager_api.post(f"{SETS}/{rule_set['id']}/activate").status_code == 200
    counts = []
    for size in (2, 6):
        queued = [new_case() for _ in range(size // 2)]
        for case in queued:
            manager_api.post(f"/api/v1/cases/{case['id']}/queue", {"queue_id": tier1["id"]})
        fresh = [new_case() for _ in range(size // 2)]
        with CaptureQueriesContext(connection) as queries:
            results = bulk(manager_api, queued + fresh)
        counts.append(len(queries))
        assert [r["rule_item"] for r in results] == ["Queued Acme"] * len(queued) + [
            "Anna's"
        ] * len(fresh)
        assert all(str(open_items(c)[0].queue_id) == tier2["id"] for c in queued)
        assert all(str(open_items(c)[0].queue_id) == tier1["id"] for c in fresh)
    assert counts[0] == counts[1], counts
