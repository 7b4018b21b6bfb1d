"""The case state machine's pure rules, without a database (casedesk/cases/workflow.py)."""

from __future__ import annotations

import itertools

import pytest
from hypothesis import given
from hypothesis import strategies as st

from casedesk.cases import workflow
from casedesk.cases.choices import (
    STATE_OF_STATUS,
    ActivityState,
    ActivityType,
    ParentClosePolicy,
    Stage,
    State,
    Status,
)
from casedesk.cases.workflow import ActivityFacts, FamilyFacts

ALL_STATUSES = list(STATE_OF_STATUS)
CLOSED = {*workflow.RESOLVED_STATUSES, *workflow.CANCELLED_STATUSES}


# --- lifecycle actions ---------------------------------------------------------------------


@pytest.mark.parametrize("status", ALL_STATUSES)
@pytest.mark.parametrize("action", workflow.LIFECYCLE_ACTIONS)
def test_lifecycle_refusal_for_every_action_and_status(action: str, status: str) -> None:
    state = STATE_OF_STATUS[status]
    refusal = workflow.lifecycle_refusal(action, state=state, status=status)
    if action == workflow.REACTIVATE:
        expected = {
            State.ACTIVE: "case_not_closed",
            State.RESOLVED: None,
            State.CANCELLED: "case_merged" if status == Status.MERGED else None,
        }[state]
    else:
        expected = None if state == State.ACTIVE else "case_not_active"
    assert refusal == expected


def test_lifecycle_refusal_refuses_unknown_actions() -> None:
    with pytest.raises(ValueError):
        workflow.lifecycle_refusal("archive", state=State.ACTIVE, status=Status.IN_PROGRESS)


@pytest.mark.parametrize(
    ("action", "kwargs", "expected"),
    [
        (workflow.RESOLVE, {"resolution_type": "problem_solved"}, ("resolved", "problem_solved")),
        (
            workflow.RESOLVE,
            {"resolution_type": "information_provided"},
            ("resolved", "information_provided"),
        ),
        (workflow.CANCEL, {}, ("cancelled", "cancelled")),
        (workflow.MERGE, {}, ("cancelled", "merged")),
        (workflow.REACTIVATE, {}, ("active", "in_progress")),
    ],
)
def test_lifecycle_target(action: str, kwargs: dict[str, str], expected: tuple[str, str]) -> None:
    assert workflow.lifecycle_target(action, **kwargs) == expected


@pytest.mark.parametrize(
    "resolution_type", [None, *(s for s in ALL_STATUSES if s not in workflow.RESOLVED_STATUSES)]
)
def test_resolve_needs_a_resolved_status(resolution_type: str | None) -> None:
    with pytest.raises(ValueError):
        workflow.lifecycle_target(workflow.RESOLVE, resolution_type=resolution_type)


def test_lifecycle_target_refuses_unknown_actions() -> None:
    with pytest.raises(ValueError):
        workflow.lifecycle_target("archive")


@pytest.mark.parametrize("current", list(Stage))
@pytest.mark.parametrize("action", workflow.LIFECYCLE_ACTIONS)
def test_stage_after(action: str, current: str) -> None:
    expected = {workflow.RESOLVE: "resolve", workflow.REACTIVATE: "research"}.get(action, current)
    assert workflow.stage_after(action, current) == expected


def test_every_target_status_belongs_to_its_state() -> None:
    for action in workflow.LIFECYCLE_ACTIONS:
        types = workflow.RESOLVED_STATUSES if action == workflow.RESOLVE else (None,)
        for resolution_type in types:
            state, status = workflow.lifecycle_target(action, resolution_type=resolution_type)
            assert workflow.state_of(status) == state


def test_defaults_of_each_state() -> None:
    assert workflow.default_status(State.ACTIVE) == "in_progress"
    assert workflow.default_status(State.RESOLVED) == "problem_solved"
    assert workflow.default_status(State.CANCELLED) == "cancelled"
    assert workflow.reactivation_status() == "in_progress"


# --- status reason transitions -------------------------------------------------------------


@pytest.mark.parametrize(("current", "target"), list(itertools.product(ALL_STATUSES, repeat=2)))
def test_transition_allowed_for_every_pair(current: str, target: str) -> None:
    allowed = {"in_progress": ["on_hold", "problem_solved"], "on_hold": []}
    assert workflow.transition_allowed(
        enforced=False, allowed=allowed, current=current, target=target
    )
    expected = current == target or target in allowed.get(current, [])
    assert (
        workflow.transition_allowed(enforced=True, allowed=allowed, current=current, target=target)
        is expected
    )


def test_a_status_without_a_key_allows_nothing_but_itself() -> None:
    for target in ALL_STATUSES:
        result = workflow.transition_allowed(
            enforced=True, allowed={}, current="researching", target=target
        )
        assert result is (target == "researching")


def _closes_everywhere() -> dict[str, list[str]]:
    return {status: ["problem_solved"] for status in workflow.ACTIVE_STATUSES}


def test_a_map_where_every_active_status_closes_directly_is_valid() -> None:
    assert workflow.transitions_map_problems(_closes_everywhere(), enforced=True) == {}


def test_an_empty_enforced_map_strands_every_active_status() -> None:
    problems = workflow.transitions_map_problems({}, enforced=True)
    assert set(problems) == {f"allowed.{s}" for s in workflow.ACTIVE_STATUSES}
    assert workflow.transitions_map_problems({}, enforced=False) == {}


def test_reaching_a_closed_status_through_other_active_statuses_is_enough() -> None:
    chain = {
        "in_progress": ["on_hold"],
        "on_hold": ["waiting_for_details"],
        "waiting_for_details": ["researching"],
        "researching": ["merged"],
    }
    assert workflow.transitions_map_problems(chain, enforced=True) == {}


def test_a_cycle_without_an_exit_is_refused_only_when_enforced() -> None:
    allowed = _closes_everywhere()
    allowed["on_hold"] = ["waiting_for_details"]
    allowed["waiting_for_details"] = ["on_hold"]
    problems = workflow.transitions_map_problems(allowed, enforced=True)
    assert set(problems) == {"allowed.on_hold", "allowed.waiting_for_details"}
    assert workflow.transitions_map_problems(allowed, enforced=False) == {}


def test_passing_through_a_closed_status_does_not_count_as_a_path() -> None:
    # Reactivation edges (closed → active) do not help an active status close.
    allowed = _closes_everywhere()
    allowed["on_hold"] = []
    allowed["problem_solved"] = ["on_hold"]
    assert set(workflow.transitions_map_problems(allowed, enforced=True)) == {"allowed.on_hold"}


@pytest.mark.parametrize(
    ("allowed", "field"),
    [
        ({"paused": []}, "allowed.paused"),
        ({"in_progress": ["closed"]}, "allowed.in_progress"),
        ({"in_progress": "on_hold"}, "allowed.in_progress"),
        ({"in_progress": None}, "allowed.in_progress"),
    ],
)
@pytest.mark.parametrize("enforced", [True, False])
def test_unknown_statuses_are_problems(allowed: dict, field: str, enforced: bool) -> None:  # type: ignore[type-arg]
    assert field in workflow.transitions_map_problems(allowed, enforced=enforced)


def _reference_problems(allowed: dict[str, list[str]]) -> set[str]:
    """Reachability by fixed point: the statuses that can close."""
    can_close = {s for s in workflow.ACTIVE_STATUSES if set(allowed.get(s, [])) & CLOSED}
    changed = True
    while changed:
        changed = False
        for status in workflow.ACTIVE_STATUSES:
            if status not in can_close and set(allowed.get(status, [])) & can_close:
                can_close.add(status)
                changed = True
    return {f"allowed.{s}" for s in workflow.ACTIVE_STATUSES if s not in can_close}


@given(
    st.dictionaries(
        st.sampled_from(ALL_STATUSES), st.lists(st.sampled_from(ALL_STATUSES), max_size=4)
    )
)
def test_map_validation_agrees_with_a_reference_reachability(allowed: dict[str, list[str]]) -> None:
    problems = workflow.transitions_map_problems(allowed, enforced=True)
    assert set(problems) == _reference_problems(allowed)


# --- activities and time -------------------------------------------------------------------

TYPES = list(ActivityType)
STATES = list(ActivityState)


@pytest.mark.parametrize("billed", [False, True])
@pytest.mark.parametrize("state", STATES)
@pytest.mark.parametrize("kind", TYPES)
def test_what_counts_toward_the_total(kind: str, state: str, billed: bool) -> None:
    activity = ActivityFacts(id=1, type=kind, state=state, duration_minutes=10, billed=billed)
    expected = state == "completed" and not billed and kind != "case_resolution"
    assert workflow.counts_toward_total(activity) is expected
    assert workflow.total_time([activity]) == (10 if expected else 0)


def test_total_time_sums_counted_durations_and_treats_none_as_zero() -> None:
    activities = [
        ActivityFacts(1, "phone_call", "completed", 15, False),
        ActivityFacts(2, "email", "completed", None, False),
        ActivityFacts(3, "task", "completed", 30, True),
        ActivityFacts(4, "task", "open", 40, False),
        ActivityFacts(5, "appointment", "cancelled", 50, False),
        ActivityFacts(6, "case_resolution", "completed", 60, False),
        ActivityFacts(7, "appointment", "completed", 5, False),
    ]
    assert workflow.total_time(activities) == 20
    assert workflow.open_activity_ids(activities) == [4]
    minutes = workflow.resolution_minutes(activities, None)
    assert (minutes.total, minutes.billable, minutes.billed_ids) == (20, 20, [1, 2, 7])
    assert workflow.resolution_minutes(activities, 0).billable == 0
    assert workflow.resolution_minutes(activities, 90).billable == 90
    with pytest.raises(ValueError):
        workflow.resolution_minutes(activities, -1)


def test_a_resolution_of_nothing_counts_nothing() -> None:
    minutes = workflow.resolution_minutes([], None)
    assert (minutes.total, minutes.billable, minutes.billed_ids) == (0, 0, [])


@pytest.mark.parametrize("state", STATES)
def test_only_open_activities_may_change(state: str) -> None:
    assert workflow.activity_is_closed(state) is (state != "open")


@pytest.mark.parametrize("direction", [None, "incoming", "outgoing"])
@pytest.mark.parametrize("kind", TYPES)
def test_only_phone_calls_and_emails_have_a_direction(kind: str, direction: str | None) -> None:
    expected = direction is None or kind in ("phone_call", "email")
    assert workflow.direction_allowed(kind, direction) is expected


# --- parent and child ----------------------------------------------------------------------


def _f(case_id: int, parent: int | None = None, children: int = 0) -> FamilyFacts:
    return FamilyFacts(id=case_id, parent_id=parent, child_count=children)


@pytest.mark.parametrize(
    ("child", "parent", "limit", "expected"),
    [
        (_f(1), _f(2), 100, None),
        (_f(1), _f(1), 100, "self"),
        (_f(1, parent=2), _f(2, children=5), 5, None),  # already its child
        (_f(1), _f(2, parent=3), 100, "depth"),
        (_f(1, children=1), _f(2), 100, "parent_as_child"),
        (_f(1), _f(2, children=4), 5, None),
        (_f(1), _f(2, children=5), 5, "max_child_cases"),
        (_f(1), _f(2), 0, "max_child_cases"),
        (_f(None), _f(2, children=1), 2, None),  # a new case
    ],
)
def test_parent_link_refusal(
    child: FamilyFacts, parent: FamilyFacts, limit: int, expected: str | None
) -> None:
    assert workflow.parent_link_refusal(child=child, parent=parent, max_child_cases=limit) == (
        expected
    )


@pytest.mark.parametrize(
    ("sub", "master", "limit", "expected"),
    [
        (_f(1), _f(2), 100, None),
        (_f(1), _f(1), 100, "self"),
        (_f(1, parent=2), _f(2, children=1), 100, "parent_of_other"),
        (_f(1, children=1), _f(2, parent=1), 100, "parent_of_other"),
        (_f(1, parent=3), _f(2, parent=3), 100, None),  # siblings
        (_f(1, parent=3), _f(2), 100, "different_parent"),
        (_f(1, parent=3), _f(2, parent=4), 100, "different_parent"),
        (_f(1), _f(2, parent=4), 100, None),  # a lone case into a child
        (_f(1, children=2), _f(2, parent=4), 100, "depth"),
        (_f(1, children=2), _f(2, children=3), 5, None),
        (_f(1, children=2), _f(2, children=4), 5, "max_child_cases"),
        (_f(1), _f(2, children=9), 5, None),  # no children to take: the limit does not apply
    ],
)
def test_merge_hierarchy_refusal(
    sub: FamilyFacts, master: FamilyFacts, limit: int, expected: str | None
) -> None:
    result = workflow.merge_hierarchy_refusal(subordinate=sub, master=master, max_child_cases=limit)
    assert result == expected


@pytest.mark.parametrize("children", [0, 1, 3])
@pytest.mark.parametrize("policy", list(ParentClosePolicy))
def test_close_policy_decision(policy: str, children: int) -> None:
    decision = workflow.close_policy_decision(policy, active_children=children)
    if children == 0 or policy == "independent":
        assert decision == "proceed"
    else:
        assert decision == policy


def test_close_policy_decision_refuses_unknown_policies() -> None:
    with pytest.raises(ValueError):
        workflow.close_policy_decision("sometimes", active_children=1)


def test_contact_belongs_when_it_is_the_contact_customer_or_a_contact_of_the_account() -> None:
    assert workflow.contact_belongs_to(
        contact_id=1, contact_account_id=None, customer_is_contact=True, customer_id=1
    )
    assert not workflow.contact_belongs_to(
        contact_id=2, contact_account_id=None, customer_is_contact=True, customer_id=1
    )
    assert workflow.contact_belongs_to(
        contact_id=2, contact_account_id=7, customer_is_contact=False, customer_id=7
    )
    assert not workflow.contact_belongs_to(
        contact_id=2, contact_account_id=8, customer_is_contact=False, customer_id=7
    )
