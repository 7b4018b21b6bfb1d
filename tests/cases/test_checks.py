"""`casedesk check` finds corruption of the case lifecycle, and only corruption."""

from __future__ import annotations

from typing import Any

import pytest

from casedesk.cases import checks
from casedesk.cases.models import Activity, Case, Note
from casedesk.core import clock
from casedesk.core.invariants import registered, run_all
from tests.cases.support import configure, resolve, worked
from tests.conftest import Api

pytestmark = pytest.mark.django_db


def _violations(check: Any) -> list[str]:
    return list(check())


@pytest.fixture
def living(agent_api: Api, manager_api: Api, new_case: Any) -> dict[str, Any]:
    """Cases in every state, with time worked, children and a merge."""
    active = new_case()
    worked(agent_api, active["id"], 10)
    resolved = new_case()
    worked(agent_api, resolved["id"], 20)
    resolve(agent_api, resolved["id"], billable_minutes=15)
    reopened = new_case()
    worked(agent_api, reopened["id"], 5)
    resolve(agent_api, reopened["id"])
    agent_api.post(f"/api/v1/cases/{reopened['id']}/reactivate")
    cancelled = new_case()
    agent_api.post(f"/api/v1/cases/{cancelled['id']}/cancel")
    parent = new_case()
    child = new_case(parent_id=parent["id"])
    merged = new_case()
    agent_api.post(f"/api/v1/cases/{merged['id']}/merge", {"into": active["id"]})
    return {
        "active": active,
        "resolved": resolved,
        "reopened": reopened,
        "cancelled": cancelled,
        "parent": parent,
        "child": child,
        "merged": merged,
    }


def test_the_lifecycle_checks_are_registered() -> None:
    names = {name for name, _ in registered()}
    assert {
        "case_status_matches_state",
        "case_one_live_resolution",
        "case_merged_owns_nothing",
        "case_one_level_of_children",
        "case_totals_match_billing",
    } <= names


def test_a_living_database_has_no_violations(living: dict[str, Any]) -> None:
    assert [v for v in run_all() if v[0].startswith("case_")] == []


def test_lowering_max_child_cases_is_not_corruption(
    living: dict[str, Any], manager_api: Api, new_case: Any
) -> None:
    new_case(parent_id=living["parent"]["id"])
    configure(manager_api, max_child_cases=1)
    assert [v for v in run_all() if v[0].startswith("case_")] == []


def test_a_resolved_case_without_a_live_resolution_is_reported(living: dict[str, Any]) -> None:
    Activity.objects.filter(case_id=living["resolved"]["id"], type="case_resolution").update(
        superseded=True
    )
    found = _violations(checks.one_live_resolution)
    assert any(living["resolved"]["ticket_number"] in v for v in found), found


def test_a_live_resolution_on_an_active_case_is_reported(living: dict[str, Any]) -> None:
    Activity.objects.filter(case_id=living["reopened"]["id"], type="case_resolution").update(
        superseded=False
    )
    found = _violations(checks.one_live_resolution)
    assert any(living["reopened"]["ticket_number"] in v for v in found), found


def test_a_merged_case_that_owns_records_is_reported(living: dict[str, Any]) -> None:
    Note.objects.create(case_id=living["merged"]["id"], text="stray", created_at=clock.now())
    Case.objects.filter(id=living["child"]["id"]).update(parent_id=living["merged"]["id"])
    found = _violations(checks.merged_owns_nothing)
    assert len(found) == 2 and all(living["merged"]["ticket_number"] in v for v in found)


def test_a_grandchild_is_reported(living: dict[str, Any], new_case: Any) -> None:
    grandchild = new_case()
    Case.objects.filter(id=grandchild["id"]).update(parent_id=living["child"]["id"])
    found = _violations(checks.one_level_of_children)
    assert found and grandchild["ticket_number"] in found[0]


def test_totals_that_disagree_with_billing_are_reported(living: dict[str, Any]) -> None:
    Case.objects.filter(id=living["resolved"]["id"]).update(billable_minutes=99)
    Case.objects.filter(id=living["active"]["id"]).update(total_minutes=1)
    Activity.objects.filter(case_id=living["reopened"]["id"], billed=True).update(billed=False)
    found = _violations(checks.totals_match_billing)
    for name in ("resolved", "active", "reopened"):
        assert any(living[name]["ticket_number"] in v for v in found), (name, found)


def test_a_status_outside_its_state_is_reported(living: dict[str, Any]) -> None:
    Case.objects.filter(id=living["resolved"]["id"]).update(resolved_at=None)
    Case.objects.filter(id=living["active"]["id"]).update(resolved_at=clock.now())
    found = _violations(checks.status_matches_state)
    assert len(found) == 2
