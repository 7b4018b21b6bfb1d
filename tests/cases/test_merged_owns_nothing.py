"""A merged case owns nothing (docs/cases.md): its activities, notes, posts and children moved to
its
master, and the services refuse to give it new ones — activities, notes, posts, connections,
children, queue items — so that `casedesk check` (`case_merged_owns_nothing`) never has to find
them. Every write service that takes a case is tried on a merged one here."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from casedesk.cases import checks
from casedesk.cases.models import Activity, Case, Connection, Note, Post
from casedesk.routing.models import QueueItem
from tests.conftest import Api, assert_error

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(manager_api: Api, new_case: Any) -> dict[str, Any]:
    """A case merged into a master, another active case, a resolved case and a queue. The
    manager may change every case, so a refusal comes from the merge, not from the rights."""
    merged, master, active = new_case(), new_case(), new_case()
    resolved = new_case()
    manager_api.post(f"/api/v1/cases/{resolved['id']}/resolve", {"resolution": "Done."})
    response = manager_api.post(f"/api/v1/cases/{merged['id']}/merge", {"into": master["id"]})
    assert response.status_code == 200, response.content
    queue = manager_api.post("/api/v1/queues", {"name": "Tier 1", "type": "public"}).json()
    return {
        "merged": merged["id"],
        "master": master["id"],
        "active": active["id"],
        "resolved": resolved["id"],
        "queue": queue["id"],
    }


def _owned(case_id: str) -> tuple[int, ...]:
    return (
        Activity.objects.filter(case_id=case_id).count(),
        Note.objects.filter(case_id=case_id).count(),
        Post.objects.filter(case_id=case_id).count(),
        Connection.objects.filter(case_id=case_id).count(),
        Connection.objects.filter(other_id=case_id).count(),
        Case.objects.filter(parent_id=case_id).count(),
        QueueItem.objects.filter(case_id=case_id).count(),
        Case.objects.get(pk=case_id).version,
    )


NOT_ACTIVE = "case_not_active"
# (method, path, body, code of the 409): {merged}, {master}, {active}, ... the world's cases.
WRITES: list[tuple[str, str, dict[str, Any], str]] = [
    ("post", "/cases/{merged}/activities", {"type": "task", "subject": "Call"}, NOT_ACTIVE),
    ("post", "/cases/{merged}/notes", {"text": "A note"}, NOT_ACTIVE),
    ("post", "/cases/{merged}/posts", {"text": "A post"}, NOT_ACTIVE),
    ("post", "/cases/{merged}/similar-cases", {"case_id": "{resolved}"}, NOT_ACTIVE),
    ("post", "/cases/{active}/similar-cases", {"case_id": "{merged}"}, NOT_ACTIVE),
    ("post", "/cases", {"parent_id": "{merged}"}, NOT_ACTIVE),
    ("patch", "/cases/{active}", {"parent_id": "{merged}"}, NOT_ACTIVE),
    ("patch", "/cases/{merged}", {"priority": "high"}, NOT_ACTIVE),
    ("post", "/cases/{merged}/queue", {"queue_id": "{queue}"}, NOT_ACTIVE),
    ("post", "/cases/{merged}/assign", {"owner": {"type": "user", "id": "{me}"}}, NOT_ACTIVE),
    ("post", "/cases/{merged}/route", {}, NOT_ACTIVE),
    ("post", "/cases/{merged}/resolve", {"resolution": "Done."}, NOT_ACTIVE),
    ("post", "/cases/{merged}/cancel", {}, NOT_ACTIVE),
    ("post", "/cases/{merged}/merge", {"into": "{active}"}, NOT_ACTIVE),
    ("post", "/cases/{active}/merge", {"into": "{merged}"}, NOT_ACTIVE),
    ("post", "/cases/{merged}/reactivate", {}, "case_merged"),
]


def _fill(value: Any, names: dict[str, str]) -> Any:
    if isinstance(value, str):
        return value.format(**names)
    if isinstance(value, dict):
        return {k: _fill(v, names) for k, v in value.items()}
    return value


@pytest.mark.parametrize(("method", "path", "body", "code"), WRITES)
def test_a_write_is_refused_and_changes_nothing_when_it_would_give_a_merged_case_something(
    manager_api: Api,
    manager: Any,
    world: dict[str, Any],
    method: str,
    path: str,
    body: dict[str, Any],
    code: str,
) -> None:
    names = {**world, "me": str(manager.pk)}
    before = _owned(world["merged"])
    response = getattr(manager_api, method)("/api/v1" + _fill(path, names), _fill(body, names))
    assert_error(response, 409, code)
    assert _owned(world["merged"]) == before
    assert list(checks.merged_owns_nothing()) == []


def test_bulk_routing_refuses_a_merged_case_in_its_result(
    manager_api: Api, world: dict[str, Any]
) -> None:
    before = _owned(world["merged"])
    response = manager_api.post("/api/v1/cases/route", {"case_ids": [world["merged"]]})
    assert response.status_code == 200
    assert response.json()["results"][0]["error"]["code"] == "case_not_active"
    assert _owned(world["merged"]) == before


def test_connecting_from_a_merged_case_writes_no_post_when_it_is_refused(
    agent_api: Api, world: dict[str, Any]
) -> None:
    error = assert_error(
        agent_api.post(
            f"/api/v1/cases/{world['merged']}/similar-cases", {"case_id": world["resolved"]}
        ),
        409,
        "case_not_active",
    )
    assert error["details"]["case_id"] == world["merged"]
    assert error["details"]["merged_into_id"] == world["master"]
    assert not Post.objects.filter(case_id=world["merged"], event="connected").exists()


def test_connecting_to_a_merged_case_names_its_master_when_it_is_refused(
    agent_api: Api, world: dict[str, Any]
) -> None:
    error = assert_error(
        agent_api.post(
            f"/api/v1/cases/{world['active']}/similar-cases", {"case_id": world["merged"]}
        ),
        409,
        "case_not_active",
    )
    assert error["details"]["case_id"] == world["merged"]
    assert error["details"]["merged_into_id"] == world["master"]


def test_the_web_refuses_a_connection_from_a_merged_case(agent: Any, world: dict[str, Any]) -> None:
    client = Client()
    client.force_login(agent)
    response = client.post(f"/cases/{world['merged']}/connections/", {"other": world["resolved"]})
    assert response.status_code == 409
    assert not Connection.objects.filter(case_id=world["merged"]).exists()
