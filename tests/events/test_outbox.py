"""Every change of a case and of its activities is an event of the outbox, written in the
transaction of the change (docs/webhooks.md#events)."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

import pytest

from casedesk.directory.access import SYSTEM
from tests.cases.support import add_activity, complete, resolve
from tests.conftest import Api
from tests.events.conftest import events_of, types_of

pytestmark = pytest.mark.django_db


def test_a_new_case_is_a_case_created_event_with_a_compact_snapshot(
    new_case: Callable[..., dict[str, Any]], agent: Any, account: dict[str, Any]
) -> None:
    case = new_case(description="The router blinks red. Password: hunter2")

    [(kind, data)] = events_of(case["id"])

    assert kind == "case.created"
    assert data["case"] == {
        "id": case["id"],
        "number": case["number"],
        "ticket_number": case["ticket_number"],
        "title": "Internet down",
        "state": "active",
        "status": "in_progress",
        "priority": "normal",
        "owner": {"type": "user", "id": str(agent.id)},
        "queue_id": None,
        "customer": {"type": "account", "id": account["id"]},
        "contact_id": None,
        "version": 1,
    }
    assert data["action"] == "create"
    assert data["actor_id"] == str(agent.id)
    assert data["changes"]["title"] == [None, "Internet down"]


def test_an_edit_is_a_case_updated_event_with_its_changes(
    agent_api: Api, new_case: Callable[..., dict[str, Any]]
) -> None:
    case = new_case()

    response = agent_api.patch(f"/api/v1/cases/{case['id']}", {"priority": "high"})

    assert response.status_code == 200
    kind, data = events_of(case["id"])[-1]
    assert kind == "case.updated"
    assert data["changes"] == {"priority": ["normal", "high"]}
    assert data["case"]["version"] == 2


def test_an_assignment_is_a_case_assigned_event(
    manager_api: Api, manager: Any, new_case: Callable[..., dict[str, Any]]
) -> None:
    case = new_case()

    response = manager_api.post(
        f"/api/v1/cases/{case['id']}/assign", {"owner": {"type": "user", "id": str(manager.id)}}
    )

    assert response.status_code == 200
    kind, data = events_of(case["id"])[-1]
    assert kind == "case.assigned"
    assert data["case"]["owner"] == {"type": "user", "id": str(manager.id)}


def test_resolve_cancel_and_reactivate_are_their_own_events(
    agent_api: Api, manager_api: Api, new_case: Callable[..., dict[str, Any]]
) -> None:
    resolved, cancelled = new_case(), new_case()

    assert resolve(agent_api, resolved["id"]).status_code == 200
    assert manager_api.post(f"/api/v1/cases/{cancelled['id']}/cancel", {}).status_code == 200
    assert manager_api.post(f"/api/v1/cases/{resolved['id']}/reactivate", {}).status_code == 200

    assert types_of(resolved["id"]) == ["case.created", "case.resolved", "case.reactivated"]
    assert types_of(cancelled["id"]) == ["case.created", "case.cancelled"]


def test_a_merge_is_a_case_merged_event_of_both_cases(
    manager_api: Api, new_case: Callable[..., dict[str, Any]]
) -> None:
    subordinate, master = new_case(), new_case()

    response = manager_api.post(f"/api/v1/cases/{subordinate['id']}/merge", {"into": master["id"]})

    assert response.status_code == 200
    kind, data = events_of(subordinate["id"])[-1]
    assert kind == "case.merged"
    assert data["case"]["status"] == "merged"
    assert data["details"]["into"] == master["id"]
    assert types_of(master["id"])[-1] == "case.merged"


def test_activity_writes_are_activity_events_of_their_case(
    agent_api: Api, new_case: Callable[..., dict[str, Any]]
) -> None:
    case = new_case()
    call = add_activity(agent_api, case["id"])
    task = add_activity(agent_api, case["id"], type="task", subject="Send the router")
    renamed = agent_api.patch(f"/api/v1/activities/{task['id']}", {"subject": "Ship it"})
    assert renamed.status_code == 200
    complete(agent_api, call["id"], 20)
    assert agent_api.post(f"/api/v1/activities/{task['id']}/cancel", {}).status_code == 200

    assert types_of(case["id"]) == [
        "case.created",
        "activity.created",
        "activity.created",
        "activity.updated",
        "activity.completed",
        "case.updated",  # the case's total time
        "activity.cancelled",
    ]
    _kind, updated = events_of(case["id"])[3]
    assert updated["activity"]["id"] == task["id"]
    assert updated["changes"] == {"subject": ["Send the router", "Ship it"]}


def test_a_rolled_back_write_leaves_no_event(
    agent: Any, new_case: Callable[..., dict[str, Any]], monkeypatch: pytest.MonkeyPatch
) -> None:
    from casedesk.cases.services import lifecycle, pipeline

    case = new_case()

    def broken_index(*args: Any, **kwargs: Any) -> None:
        raise RuntimeError("the search index is broken")

    # The last step of the pipeline fails after the event was written in the transaction.
    monkeypatch.setattr(pipeline, "case_index_write", broken_index)
    with pytest.raises(RuntimeError):
        lifecycle.case_cancel(actor=SYSTEM, case_id=uuid.UUID(case["id"]))

    assert types_of(case["id"]) == ["case.created"]


def test_a_committed_write_always_has_its_event(
    agent: Any, new_case: Callable[..., dict[str, Any]]
) -> None:
    from casedesk.cases.services import lifecycle

    case = new_case()

    lifecycle.case_cancel(actor=SYSTEM, case_id=uuid.UUID(case["id"]))

    assert types_of(case["id"]) == ["case.created", "case.cancelled"]
