"""Parent and child cases: one level, the limit, inheritance, the close policies (docs/cases.md)."""

from __future__ import annotations

from typing import Any

import pytest

from casedesk.cases.models import Activity, Case
from tests.cases.support import (
    add_activity,
    audit_actions,
    configure,
    get_case,
    resolve,
    worked,
)
from tests.conftest import Api, assert_error

pytestmark = pytest.mark.django_db


def _states(api: Api, *cases: dict[str, Any]) -> list[str]:
    return [get_case(api, c["id"])["state"] for c in cases]


def test_max_child_cases_limits_creation_and_patch(
    agent_api: Api, manager_api: Api, new_case: Any
) -> None:
    configure(manager_api, max_child_cases=2)
    parent = new_case()
    new_case(parent_id=parent["id"])
    new_case(parent_id=parent["id"])
    error = assert_error(
        agent_api.post("/api/v1/cases", {"parent_id": parent["id"]}), 409, "case_hierarchy"
    )
    assert error["details"]["reason"] == "max_child_cases"
    assert error["details"]["max_child_cases"] == 2
    loner = new_case()
    assert_error(
        agent_api.patch(f"/api/v1/cases/{loner['id']}", {"parent_id": parent["id"]}),
        409,
        "case_hierarchy",
    )
    assert get_case(agent_api, loner["id"])["parent_id"] is None


def test_zero_max_child_cases_allows_no_children(
    agent_api: Api, manager_api: Api, new_case: Any
) -> None:
    configure(manager_api, max_child_cases=0)
    parent = new_case()
    assert_error(
        agent_api.post("/api/v1/cases", {"parent_id": parent["id"]}), 409, "case_hierarchy"
    )


def test_a_parent_cannot_become_a_child(agent_api: Api, new_case: Any) -> None:
    parent, other = new_case(), new_case()
    new_case(parent_id=parent["id"])
    error = assert_error(
        agent_api.patch(f"/api/v1/cases/{parent['id']}", {"parent_id": other["id"]}),
        409,
        "case_hierarchy",
    )
    assert error["details"]["reason"] == "parent_as_child"


def test_a_case_cannot_be_its_own_parent(agent_api: Api, new_case: Any) -> None:
    case = new_case()
    error = assert_error(
        agent_api.patch(f"/api/v1/cases/{case['id']}", {"parent_id": case["id"]}),
        409,
        "case_hierarchy",
    )
    assert error["details"]["reason"] == "self"


def test_patch_links_and_unlinks_a_parent(agent_api: Api, new_case: Any) -> None:
    parent, case = new_case(), new_case()
    linked = agent_api.patch(f"/api/v1/cases/{case['id']}", {"parent_id": parent["id"]}).json()
    assert linked["parent_id"] == parent["id"]
    unlinked = agent_api.patch(f"/api/v1/cases/{case['id']}", {"parent_id": None}).json()
    assert unlinked["parent_id"] is None


def test_a_closed_case_cannot_take_children(agent_api: Api, new_case: Any) -> None:
    parent = new_case()
    resolve(agent_api, parent["id"])
    assert_error(
        agent_api.post("/api/v1/cases", {"parent_id": parent["id"]}), 409, "case_not_active"
    )


def test_a_child_inherits_subject_product_and_contact_unless_given(
    agent_api: Api, manager_api: Api, new_case: Any, account: dict[str, Any]
) -> None:
    subject = manager_api.post("/api/v1/subjects", {"name": "Fibra"}).json()
    product = manager_api.post("/api/v1/products", {"name": "Router", "code": "R1"}).json()
    contact = agent_api.post(
        "/api/v1/contacts", {"last_name": "Rossi", "account_id": account["id"]}
    ).json()
    parent = new_case(subject_id=subject["id"], product_id=product["id"], contact_id=contact["id"])
    child = agent_api.post("/api/v1/cases", {"parent_id": parent["id"]}).json()
    assert (child["subject_id"], child["product_id"], child["contact_id"]) == (
        subject["id"],
        product["id"],
        contact["id"],
    )
    cleared = agent_api.post(
        "/api/v1/cases", {"parent_id": parent["id"], "subject_id": None, "contact_id": None}
    ).json()
    assert cleared["subject_id"] is None and cleared["contact_id"] is None
    assert cleared["product_id"] == product["id"]
    # With a customer of its own, the parent's contact is not carried over when it does not
    # belong to that customer.
    other = agent_api.post("/api/v1/accounts", {"name": "Other Srl"}).json()
    own = agent_api.post(
        "/api/v1/cases",
        {"parent_id": parent["id"], "customer": {"type": "account", "id": other["id"]}},
    )
    assert own.status_code == 201, own.content
    assert own.json()["customer"]["id"] == other["id"] and own.json()["contact_id"] is None


# --- close policies ------------------------------------------------------------------------


def test_independent_parents_close_alone(agent_api: Api, new_case: Any) -> None:
    parent = new_case()
    child = new_case(parent_id=parent["id"])
    assert resolve(agent_api, parent["id"]).status_code == 200
    assert _states(agent_api, parent, child) == ["resolved", "active"]


def test_block_refuses_to_close_a_parent_with_active_children(
    agent_api: Api, manager_api: Api, new_case: Any
) -> None:
    configure(manager_api, parent_close_policy="block")
    parent = new_case()
    active = new_case(parent_id=parent["id"])
    closed = new_case(parent_id=parent["id"])
    resolve(agent_api, closed["id"])
    error = assert_error(resolve(agent_api, parent["id"]), 409, "child_cases_open")
    assert error["details"]["child_ids"] == [active["id"]] and error["details"]["count"] == 1
    assert_error(agent_api.post(f"/api/v1/cases/{parent['id']}/cancel"), 409, "child_cases_open")
    agent_api.post(f"/api/v1/cases/{active['id']}/cancel")
    assert resolve(agent_api, parent["id"]).status_code == 200


def test_cascade_resolves_each_active_child_with_the_parents_resolution(
    agent_api: Api, manager_api: Api, new_case: Any
) -> None:
    configure(manager_api, parent_close_policy="cascade")
    parent = new_case()
    first = new_case(parent_id=parent["id"])
    second = new_case(parent_id=parent["id"])
    done = new_case(parent_id=parent["id"])
    agent_api.post(f"/api/v1/cases/{done['id']}/cancel")
    worked(agent_api, parent["id"], 50)
    worked(agent_api, first["id"], 20)
    response = resolve(
        agent_api,
        parent["id"],
        resolution_type="information_provided",
        resolution="Network outage fixed.",
        billable_minutes=30,
    )
    assert response.status_code == 200
    assert (response.json()["total_minutes"], response.json()["billable_minutes"]) == (50, 30)
    for child, minutes in ((first, 20), (second, 0)):
        body = get_case(agent_api, child["id"])
        assert (body["state"], body["status"]) == ("resolved", "information_provided")
        # Each child bills its own total time.
        assert (body["total_minutes"], body["billable_minutes"]) == (minutes, minutes)
        resolution = Activity.objects.get(case_id=child["id"], type="case_resolution")
        assert resolution.description == "Network outage fixed."
        assert audit_actions(agent_api, child["id"])[-1] == ("resolve", "cascade")
    assert get_case(agent_api, done["id"])["status"] == "cancelled"
    audit = agent_api.get(f"/api/v1/cases/{parent['id']}/audit").json()["items"][-1]
    assert set(audit["details"]["cascaded_case_ids"]) == {first["id"], second["id"]}


def test_cascade_cancels_each_active_child(agent_api: Api, manager_api: Api, new_case: Any) -> None:
    configure(manager_api, parent_close_policy="cascade")
    parent = new_case()
    child = new_case(parent_id=parent["id"])
    pending = add_activity(agent_api, child["id"])
    error = assert_error(
        agent_api.post(f"/api/v1/cases/{parent['id']}/cancel"), 409, "open_activities"
    )
    assert error["details"]["case_id"] == child["id"]
    assert error["details"]["activity_ids"] == [pending["id"]]
    body = agent_api.post(
        f"/api/v1/cases/{parent['id']}/cancel", {"cancel_open_activities": True}
    ).json()
    assert body["status"] == "cancelled"
    assert get_case(agent_api, child["id"])["status"] == "cancelled"
    assert agent_api.get(f"/api/v1/activities/{pending['id']}").json()["state"] == "cancelled"
    assert audit_actions(agent_api, child["id"])[-1] == ("cancel", "cascade")


def test_cascade_is_all_or_nothing_with_the_first_refusal(
    agent_api: Api, manager_api: Api, new_case: Any, make_user: Any
) -> None:
    configure(manager_api, parent_close_policy="cascade")
    parent = new_case()
    children = sorted([new_case(parent_id=parent["id"]) for _ in range(3)], key=lambda c: c["id"])
    # The last child in id order (the order of the cascade) belongs to someone else, so the
    # first two are resolved before the refusal, and rolled back with it.
    Case.objects.filter(id=children[-1]["id"]).update(owner_user=make_user())
    error = assert_error(resolve(agent_api, parent["id"]), 403, "forbidden")
    assert error["details"]["case_id"] == children[-1]["id"]
    assert _states(agent_api, parent, *children) == ["active"] * 4
    assert not Activity.objects.filter(type="case_resolution").exists()
    # A manager may change every child.
    assert resolve(manager_api, parent["id"]).status_code == 200
    assert _states(agent_api, parent, *children) == ["resolved"] * 4


def test_cascade_checks_transitions_on_each_child(
    agent_api: Api, manager_api: Api, new_case: Any
) -> None:
    configure(manager_api, parent_close_policy="cascade")
    parent = new_case()
    child = new_case(parent_id=parent["id"])
    agent_api.patch(f"/api/v1/cases/{child['id']}", {"status": "on_hold"})
    allowed = {
        "in_progress": ["on_hold", "problem_solved", "cancelled"],
        "on_hold": ["in_progress"],
        "waiting_for_details": ["cancelled"],
        "researching": ["cancelled"],
    }
    manager_api.put("/api/v1/config/status-transitions", {"enforced": True, "allowed": allowed})
    error = assert_error(resolve(agent_api, parent["id"]), 409, "transition_not_allowed")
    assert error["details"]["case_id"] == child["id"]
    assert _states(agent_api, parent, child) == ["active", "active"]
