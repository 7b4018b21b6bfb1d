"""Routing's case writes go through the case-write pipeline (docs/concurrency.md, "The
case-write pipeline"): each yields a `CaseChange` with its action and changes, and a step
registered with `case_write_step_add` is called once per batch with every (case, change)
pair, as an outbox step writing one event row a change will be."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from typing import Any

import pytest

from casedesk.cases.models import Case
from casedesk.cases.services import pipeline
from casedesk.cases.services.imports import cases_import
from casedesk.customers.services import account_create
from tests.conftest import Api

pytestmark = pytest.mark.django_db
NewCase = Callable[..., dict[str, Any]]
Calls = list[list[tuple[Case, pipeline.CaseChange]]]


@pytest.fixture
def tier2(new_queue: Callable[..., dict[str, Any]]) -> dict[str, Any]:
    return new_queue("Tier 2")


@pytest.fixture
def calls(monkeypatch: pytest.MonkeyPatch) -> Iterator[Calls]:
    """Every call of a step added for the test: the batches it was given."""
    seen: Calls = []

    def step(written: Sequence[tuple[Case, pipeline.CaseChange]]) -> None:
        seen.append(list(written))

    monkeypatch.setattr(pipeline, "_steps", [*pipeline._steps, step])
    yield seen


def _changes(batch: list[tuple[Case, pipeline.CaseChange]]) -> list[tuple[str, str, Any]]:
    return [(str(c.case_id), c.action, dict(c.changes)) for _, c in batch]


def test_bulk_routing_gives_the_step_one_batch_with_a_route_change_per_case(
    manager_api: Api,
    manager: Any,
    new_case: NewCase,
    active_set: dict[str, Any],
    tier2: dict[str, Any],
    calls: Calls,
) -> None:
    queued, owned, unmatched = new_case(priority="high"), new_case(title="fattura"), new_case()
    cases = [queued, owned, unmatched]
    agent_ref = {"type": "user", "id": owned["owner"]["id"]}
    manager_ref = {"type": "user", "id": str(manager.id)}
    calls.clear()
    response = manager_api.post("/api/v1/cases/route", {"case_ids": [c["id"] for c in cases]})
    assert response.status_code == 200
    [batch] = calls
    assert _changes(batch) == [
        (queued["id"], "route", {"queue_id": [None, tier2["id"]]}),
        (owned["id"], "route", {"owner": [agent_ref, manager_ref]}),
        (unmatched["id"], "route", {}),
    ]
    versions = [change.version for _, change in batch]
    assert versions == [queued["version"] + 1, owned["version"] + 1, unmatched["version"]]
    assert versions == [Case.objects.get(id=c["id"]).version for c in cases]
    assert [change.details["rule_item"] for _, change in batch] == ["Urgent", "Invoices", None]


def test_queue_moves_and_pick_with_remove_are_queue_and_assign_changes(
    manager_api: Api,
    agent_api: Api,
    agent: Any,
    new_case: NewCase,
    new_queue: Callable[..., dict[str, Any]],
    calls: Calls,
) -> None:
    case = new_case(api=manager_api)
    first, second = new_queue("First"), new_queue("Second")
    calls.clear()
    manager_api.post(f"/api/v1/cases/{case['id']}/queue", {"queue_id": first["id"]})
    answer = manager_api.post(f"/api/v1/cases/{case['id']}/queue", {"queue_id": second["id"]})
    item = answer.json()["queue_item"]
    agent_api.post(f"/api/v1/queue-items/{item['id']}/pick", {"remove": True})
    changes = [change for batch in calls for _, change in batch]
    owner = {"type": "user", "id": str(agent.id)}
    before = {"type": "user", "id": case["owner"]["id"]}
    assert [(c.action, dict(c.changes)) for c in changes] == [
        ("queue", {"queue_id": [None, first["id"]]}),
        ("queue", {"queue_id": [first["id"], second["id"]]}),
        ("queue", {"queue_id": [second["id"], None]}),
        ("assign", {"owner": [before, owner]}),
    ]
    # Picked with remove: one save, one version step for the two changes.
    version = Case.objects.get(id=case["id"]).version
    assert [c.version for c in changes] == [version - 2, version - 1, version, version]


def test_the_import_gives_the_step_one_batch_of_created_changes(admin: Any, calls: Calls) -> None:
    acme = account_create(actor=admin, name="Acme Srl")
    rows = [
        {"title": f"Router fermo {i}", "customer": {"type": "account", "id": str(acme.pk)}}
        for i in range(3)
    ]
    imported = cases_import(actor=admin, rows=rows, channel="cli", batch_size=2)
    assert [len(batch) for batch in calls] == [2, 1]
    changes = [change for batch in calls for _, change in batch]
    assert [c.case_id for c in changes] == [case.id for case in imported.cases]
    assert {(c.action, c.created, c.version) for c in changes} == {("create", True, 1)}
    assert changes[0].changes["title"] == [None, "Router fermo 0"]
    assert changes[0].details == {"imported": True}
