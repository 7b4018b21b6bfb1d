"""Cancel and merge through the API (docs/cases.md, docs/security.md)."""

from __future__ import annotations

from typing import Any

import pytest

from casedesk.cases.models import Activity, Case, Connection, Note, Post
from casedesk.core import clock
from casedesk.routing.models import Queue, QueueItem
from tests.cases.support import (
    add_activity,
    audit_actions,
    complete,
    configure,
    get_case,
    resolve,
    worked,
)
from tests.conftest import Api, assert_error

pytestmark = pytest.mark.django_db
ZERO = "00000000-0000-0000-0000-000000000000"


def _queue_item(case_id: str) -> QueueItem:
    now = clock.now()
    queue = Queue.objects.create(name="Tier 1", created_at=now, modified_at=now)
    return QueueItem.objects.create(queue=queue, case_id=case_id, entered_on=now)


def _merge(api: Api, case_id: str, into: str, **kw: Any) -> Any:
    return api.post(f"/api/v1/cases/{case_id}/merge", {"into": into}, **kw)


# --- cancel --------------------------------------------------------------------------------


def test_cancel_keeps_the_owner_and_leaves_the_queue(
    agent_api: Api, agent: Any, new_case: Any
) -> None:
    case = new_case()
    worked(agent_api, case["id"], 15)
    item = _queue_item(case["id"])
    before = get_case(agent_api, case["id"])
    response = agent_api.post(f"/api/v1/cases/{case['id']}/cancel")
    assert response.status_code == 200
    body = response.json()
    assert (body["state"], body["status"]) == ("cancelled", "cancelled")
    assert body["owner"]["id"] == str(agent.id) and body["queue_id"] is None
    assert body["version"] == before["version"] + 1 and body["resolved_at"] is None
    assert body["total_minutes"] == 15 and body["billable_minutes"] == 0
    item.refresh_from_db()
    assert item.state == "closed"
    assert audit_actions(agent_api, case["id"])[-1] == ("cancel", "api")
    assert Post.objects.filter(case_id=case["id"], event="cancelled", author=None).exists()
    cancelled_ids = {
        c["id"] for c in agent_api.get("/api/v1/cases", state="active").json()["items"]
    }
    assert case["id"] not in cancelled_ids


def test_cancel_accepts_an_empty_body(agent_api: Api, new_case: Any) -> None:
    case = new_case()
    response = agent_api.post(f"/api/v1/cases/{case['id']}/cancel", raw="")
    assert response.status_code == 200 and response.json()["status"] == "cancelled"


def test_cancel_refuses_unknown_fields(agent_api: Api, new_case: Any) -> None:
    case = new_case()
    response = agent_api.post(f"/api/v1/cases/{case['id']}/cancel", {"reason": "dup"})
    assert "reason" in assert_error(response, 422, "validation_error")["details"]["fields"]


def test_open_activities_refuse_cancel_unless_asked_to_cancel_them(
    agent_api: Api, new_case: Any
) -> None:
    case = new_case()
    pending = add_activity(agent_api, case["id"])
    error = assert_error(
        agent_api.post(f"/api/v1/cases/{case['id']}/cancel"), 409, "open_activities"
    )
    assert error["details"]["count"] == 1 and error["details"]["activity_ids"] == [pending["id"]]
    assert get_case(agent_api, case["id"])["state"] == "active"
    body = agent_api.post(
        f"/api/v1/cases/{case['id']}/cancel", {"cancel_open_activities": True}
    ).json()
    assert body["status"] == "cancelled"
    assert agent_api.get(f"/api/v1/activities/{pending['id']}").json()["state"] == "cancelled"


def test_cancel_refusals(
    agent_api: Api, new_case: Any, make_user: Any, make_api: Any, anon_api: Api
) -> None:
    case = new_case()
    assert_error(anon_api.post(f"/api/v1/cases/{case['id']}/cancel"), 401, "unauthenticated")
    assert_error(agent_api.post(f"/api/v1/cases/{ZERO}/cancel"), 404, "not_found")
    assert_error(make_api(make_user()).post(f"/api/v1/cases/{case['id']}/cancel"), 403, "forbidden")
    assert_error(
        agent_api.post(f"/api/v1/cases/{case['id']}/cancel", headers={"If-Match": '"7"'}),
        412,
        "version_mismatch",
    )
    resolve(agent_api, case["id"])
    assert_error(agent_api.post(f"/api/v1/cases/{case['id']}/cancel"), 409, "case_not_active")


# --- merge ---------------------------------------------------------------------------------


def test_merge_moves_everything_to_the_master(agent_api: Api, new_case: Any) -> None:
    subordinate = new_case(title="Duplicate")
    master = new_case(title="Original")
    worked(agent_api, master["id"], 5)
    # An earlier, superseded resolution and its billed time travel too.
    worked(agent_api, subordinate["id"], 30)
    resolve(agent_api, subordinate["id"])
    agent_api.post(f"/api/v1/cases/{subordinate['id']}/reactivate")
    worked(agent_api, subordinate["id"], 10)
    email = add_activity(agent_api, subordinate["id"], type="email", direction="incoming")
    agent_api.post(f"/api/v1/cases/{subordinate['id']}/notes", {"text": "note"})
    agent_api.post(f"/api/v1/cases/{subordinate['id']}/posts", {"text": "post"})
    child = new_case(parent_id=subordinate["id"])
    item = _queue_item(subordinate["id"])
    other = new_case()
    Connection.objects.create(
        case_id=subordinate["id"], other_id=other["id"], created_at=clock.now()
    )
    sub_activities = set(
        Activity.objects.filter(case_id=subordinate["id"]).values_list("id", flat=True)
    )
    master_before = get_case(agent_api, master["id"])
    sub_before = get_case(agent_api, subordinate["id"])

    response = _merge(
        agent_api,
        subordinate["id"],
        master["id"],
        headers={"If-Match": f'"{sub_before["version"]}"'},
    )
    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["state"], body["status"], body["merged_into_id"]) == (
        "cancelled",
        "merged",
        master["id"],
    )
    assert body["version"] == sub_before["version"] + 1 and body["queue_id"] is None
    for model in (Activity, Note, Post):
        assert not model.objects.filter(case_id=subordinate["id"]).exists()
    assert sub_activities <= set(
        Activity.objects.filter(case_id=master["id"]).values_list("id", flat=True)
    )
    assert Activity.objects.get(id=email["id"]).case_id.hex == master["id"].replace("-", "")
    assert Note.objects.filter(case_id=master["id"], text="note").exists()
    assert get_case(agent_api, child["id"])["parent_id"] == master["id"]
    after = get_case(agent_api, master["id"])
    assert after["version"] > master_before["version"]
    assert after["total_minutes"] == 15  # its own 5 and the moved, unbilled 10
    assert after["state"] == "active" and after["merged_into_id"] is None
    item.refresh_from_db()
    assert item.state == "closed"
    assert Connection.objects.filter(case_id=subordinate["id"], other_id=other["id"]).exists()
    assert audit_actions(agent_api, subordinate["id"])[-1] == ("merge", "api")
    assert audit_actions(agent_api, master["id"])[-1] == ("merge", "merge")
    assert audit_actions(agent_api, child["id"])[-1] == ("update", "merge")
    merged_post = Post.objects.get(case_id=master["id"], event="merged")
    assert merged_post.author_id is None and subordinate["ticket_number"] in merged_post.text
    assert (
        Activity.objects.filter(
            case_id=master["id"], type="case_resolution", superseded=False
        ).count()
        == 0
    )


def test_merged_open_activities_stay_open_on_the_master(agent_api: Api, new_case: Any) -> None:
    subordinate, master = new_case(), new_case()
    pending = add_activity(agent_api, subordinate["id"])
    assert _merge(agent_api, subordinate["id"], master["id"]).status_code == 200
    moved = complete(agent_api, pending["id"], 12)
    assert moved["case_id"] == master["id"]
    assert get_case(agent_api, master["id"])["total_minutes"] == 12


@pytest.mark.parametrize(
    ("body", "field"),
    [({}, "into"), ({"into": "CAS-1"}, "into"), ({"into": ZERO}, "into"), ({"into": None}, "into")],
)
def test_merge_refuses_a_missing_or_unknown_master_with_422(
    agent_api: Api, new_case: Any, body: dict[str, Any], field: str
) -> None:
    case = new_case()
    response = agent_api.post(f"/api/v1/cases/{case['id']}/merge", body)
    assert field in assert_error(response, 422, "validation_error")["details"]["fields"]


def test_a_case_cannot_be_merged_into_itself(agent_api: Api, new_case: Any) -> None:
    case = new_case()
    error = assert_error(_merge(agent_api, case["id"], case["id"]), 422, "validation_error")
    assert "into" in error["details"]["fields"]
    assert get_case(agent_api, case["id"])["state"] == "active"


def test_merge_needs_both_cases_active(agent_api: Api, new_case: Any) -> None:
    active, resolved, cancelled = new_case(), new_case(), new_case()
    resolve(agent_api, resolved["id"])
    agent_api.post(f"/api/v1/cases/{cancelled['id']}/cancel")
    for sub, master, bad in (
        (active, resolved, resolved),
        (resolved, active, resolved),
        (active, cancelled, cancelled),
    ):
        error = assert_error(_merge(agent_api, sub["id"], master["id"]), 409, "case_not_active")
        assert error["details"]["case_id"] == bad["id"]
    assert get_case(agent_api, active["id"])["state"] == "active"


def test_merge_needs_the_right_to_change_both_cases(
    agent_api: Api, new_case: Any, make_user: Any, make_api: Any, manager_api: Api
) -> None:
    mine = new_case()
    theirs_api = make_api(make_user())
    theirs = new_case(theirs_api)
    assert_error(_merge(agent_api, mine["id"], theirs["id"]), 403, "forbidden")
    assert_error(_merge(agent_api, theirs["id"], mine["id"]), 403, "forbidden")
    assert _merge(manager_api, mine["id"], theirs["id"]).status_code == 200


def test_merge_refusals_for_the_subordinate(agent_api: Api, new_case: Any, anon_api: Api) -> None:
    sub, master = new_case(), new_case()
    assert_error(_merge(anon_api, sub["id"], master["id"]), 401, "unauthenticated")
    assert_error(_merge(agent_api, ZERO, master["id"]), 404, "not_found")
    # If-Match is the subordinate's version, not the master's.
    agent_api.patch(f"/api/v1/cases/{master['id']}", {"priority": "high"})
    assert_error(
        _merge(agent_api, sub["id"], master["id"], headers={"If-Match": '"2"'}),
        412,
        "version_mismatch",
    )
    ok = _merge(agent_api, sub["id"], master["id"], headers={"If-Match": '"1"'})
    assert ok.status_code == 200


def test_neither_case_may_be_the_parent_of_the_other(agent_api: Api, new_case: Any) -> None:
    parent = new_case()
    child = new_case(parent_id=parent["id"])
    for sub, master in ((parent, child), (child, parent)):
        error = assert_error(_merge(agent_api, sub["id"], master["id"]), 409, "case_hierarchy")
        assert error["details"]["reason"] == "parent_of_other"


def test_a_child_merges_only_into_a_case_of_the_same_parent(agent_api: Api, new_case: Any) -> None:
    parent, other_parent, loner = new_case(), new_case(), new_case()
    child = new_case(parent_id=parent["id"])
    sibling = new_case(parent_id=parent["id"])
    cousin = new_case(parent_id=other_parent["id"])
    for master in (loner, cousin):
        error = assert_error(_merge(agent_api, child["id"], master["id"]), 409, "case_hierarchy")
        assert error["details"]["reason"] == "different_parent"
    assert _merge(agent_api, child["id"], sibling["id"]).status_code == 200
    # A case without a parent (and without children) may merge into a child.
    assert _merge(agent_api, loner["id"], cousin["id"]).status_code == 200


def test_the_master_must_be_able_to_take_the_subordinates_children(
    agent_api: Api, manager_api: Api, new_case: Any
) -> None:
    parent, other_parent = new_case(), new_case()
    new_case(parent_id=parent["id"])
    new_case(parent_id=parent["id"])
    child_master = new_case(parent_id=other_parent["id"])
    error = assert_error(_merge(agent_api, parent["id"], child_master["id"]), 409, "case_hierarchy")
    assert error["details"]["reason"] == "depth"
    full = new_case()
    new_case(parent_id=full["id"])
    configure(manager_api, max_child_cases=2)
    error = assert_error(_merge(agent_api, parent["id"], full["id"]), 409, "case_hierarchy")
    assert error["details"]["reason"] == "max_child_cases"
    configure(manager_api, max_child_cases=3)
    assert _merge(agent_api, parent["id"], full["id"]).status_code == 200
    assert Case.objects.filter(parent_id=full["id"]).count() == 3
    assert not Case.objects.filter(parent_id=parent["id"]).exists()


def test_a_merged_case_cannot_be_changed(agent_api: Api, new_case: Any) -> None:
    sub, master = new_case(), new_case()
    _merge(agent_api, sub["id"], master["id"])
    assert_error(
        agent_api.patch(f"/api/v1/cases/{sub['id']}", {"priority": "high"}),
        409,
        "case_not_active",
    )
    assert_error(_merge(agent_api, sub["id"], master["id"]), 409, "case_not_active")
    assert_error(agent_api.post(f"/api/v1/cases/{sub['id']}/cancel"), 409, "case_not_active")
