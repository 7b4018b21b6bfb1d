"""What a user may do now (casedesk.cases.allowed) agrees with what the services do.

For a grid of role × ownership × case state × settings, every action the selector allows
succeeds when the service is called, and every action it leaves out is refused with a
DomainError of the rule that refuses it. Each attempt is rolled back, so the next one starts
from the same case.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from typing import Any

import pytest
from django.db import transaction

from casedesk.cases import actions, selectors
from casedesk.cases.allowed import case_allowed
from casedesk.cases.fields import CaseChanges
from casedesk.cases.services import activities, config, lifecycle, merge, records
from casedesk.cases.services.common import Ref
from casedesk.core.errors import DomainError
from casedesk.directory.access import SYSTEM

# Every active status reaches a closed one; problem_solved cannot be reactivated, cancelled can;
# in_progress may only be resolved, on_hold only cancelled or merged.
ENFORCED_MAP = {
    "in_progress": ["on_hold", "problem_solved"],
    "on_hold": ["in_progress", "cancelled", "merged"],
    "waiting_for_details": ["cancelled"],
    "researching": ["cancelled"],
    "problem_solved": [],
    "information_provided": ["in_progress"],
    "cancelled": ["in_progress"],
}
ROLES = ("agent", "manager")
OWNERSHIP = ("own", "other")
STATES = ("in_progress", "on_hold", "problem_solved", "information_provided", "cancelled", "merged")
SETTINGS = ("plain", "enforced", "closed_updates", "enforced+closed_updates")
REFUSALS = {
    "forbidden",
    "case_not_active",
    "case_not_closed",
    "case_merged",
    "transition_not_allowed",
}


class Rollback(Exception):
    pass


def attempt(call: Callable[[], Any]) -> DomainError | None:
    """Run `call` and undo what it did; answer its refusal, or None when it succeeded."""
    try:
        with transaction.atomic():
            call()
            raise Rollback
    except Rollback:
        return None
    except DomainError as exc:
        return exc


@pytest.fixture
def world(db: None, make_user: Callable[..., Any]) -> dict[str, Any]:
    from casedesk.customers import services as customers

    owner = make_user("agent", full_name="Olga Owner")
    return {
        "owner": owner,
        "agent": make_user("agent"),
        "manager": make_user("manager"),
        "account": customers.account_create(actor=owner, name="Acme Srl"),
    }


def _case(world: dict[str, Any], owner: Any, state: str) -> Any:
    customer = Ref("account", world["account"].pk)
    status = state if state in ("in_progress", "on_hold") else "in_progress"
    case = records.case_create(actor=owner, title="Router down", customer=customer, status=status)
    if state in ("problem_solved", "information_provided"):
        lifecycle.case_resolve(
            actor=SYSTEM, case_id=case.pk, resolution="Replaced it.", resolution_type=state
        )
    elif state == "cancelled":
        lifecycle.case_cancel(actor=SYSTEM, case_id=case.pk)
    elif state == "merged":
        into = records.case_create(actor=owner, title="Master", customer=customer)
        merge.case_merge(actor=SYSTEM, case_id=case.pk, into_id=into.pk)
    return selectors.case_get(case_id=case.pk)


def _configure(settings: str) -> None:
    enforced = "enforced" in settings
    config.status_transitions_set(
        actor=SYSTEM, enforced=enforced, allowed=ENFORCED_MAP if enforced else {}
    )
    config.service_settings_update(
        actor=SYSTEM, changes={"allow_closed_updates": "closed_updates" in settings}
    )


GRID = list(itertools.product(ROLES, OWNERSHIP, STATES, SETTINGS))


@pytest.mark.parametrize(("role", "ownership", "state", "settings"), GRID)
def test_allowed_actions_agree_with_the_services_when_role_ownership_state_and_settings_vary(
    world: dict[str, Any], role: str, ownership: str, state: str, settings: str
) -> None:
    user = world[role]
    _configure("plain")
    case = _case(world, user if ownership == "own" else world["owner"], state)
    # A master the user may change, so that a refused merge is refused for this case.
    master = records.case_create(
        actor=user, title="Same problem", customer=Ref("account", world["account"].pk)
    )
    _configure(settings)
    allowed = case_allowed(user=user, case=case)
    into = allowed.merge_candidates[0].pk if allowed.merge_candidates else master.pk
    resolution_type = (allowed.resolution_types or ["problem_solved"])[0]
    calls: dict[str, Callable[[], Any]] = {
        actions.EDIT: lambda: records.case_update(
            actor=user, case_id=case.pk, changes=CaseChanges(origin="email")
        ),
        actions.CORRECT: lambda: records.case_update(
            actor=user, case_id=case.pk, changes=CaseChanges(title="Router down again")
        ),
        actions.RESOLVE: lambda: lifecycle.case_resolve(
            actor=user,
            case_id=case.pk,
            resolution="Reset.",
            resolution_type=resolution_type,
            cancel_open_activities=True,
        ),
        actions.CANCEL: lambda: lifecycle.case_cancel(
            actor=user, case_id=case.pk, cancel_open_activities=True
        ),
        actions.REACTIVATE: lambda: lifecycle.case_reactivate(actor=user, case_id=case.pk),
        actions.MERGE: lambda: merge.case_merge(actor=user, case_id=case.pk, into_id=into),
        actions.ADD_ACTIVITY: lambda: activities.activity_create(
            actor=user, case_id=case.pk, type="task", subject="Call back"
        ),
        actions.ADD_NOTE: lambda: activities.note_create(actor=user, case_id=case.pk, text="Seen."),
    }
    disagreements = []
    for action, call in calls.items():
        refusal = attempt(call)
        if action in allowed and refusal is not None:
            disagreements.append(f"{action} allowed but refused with {refusal.code}")
        if action not in allowed:
            if refusal is None:
                disagreements.append(f"{action} not allowed but the service took it")
            elif refusal.code not in REFUSALS:
                disagreements.append(f"{action} refused with the unexpected {refusal.code}")
            elif not allowed.may_change and refusal.code != "forbidden":
                disagreements.append(f"{action} refused with {refusal.code}, not forbidden")
    assert disagreements == []


def test_status_reasons_follow_the_transitions_map_when_it_is_enforced(
    world: dict[str, Any],
) -> None:
    case = _case(world, world["owner"], "in_progress")
    _configure("enforced")
    allowed = case_allowed(user=world["owner"], case=case)
    assert allowed.statuses == ["in_progress", "on_hold"]
    assert allowed.resolution_types == ["problem_solved"]


def test_every_offered_status_reason_is_taken_by_the_service_when_transitions_are_enforced(
    world: dict[str, Any],
) -> None:
    case = _case(world, world["owner"], "on_hold")
    _configure("enforced")
    for status in case_allowed(user=world["owner"], case=case).statuses:
        refusal = attempt(
            lambda status=status: records.case_update(
                actor=world["owner"], case_id=case.pk, changes=CaseChanges(status=status)
            )
        )
        assert refusal is None, (status, refusal)


def test_resolve_is_not_offered_when_the_block_policy_meets_an_active_child(
    world: dict[str, Any],
) -> None:
    parent = _case(world, world["owner"], "in_progress")
    records.case_create(actor=world["owner"], title="Child", parent_id=parent.pk)
    config.service_settings_update(actor=SYSTEM, changes={"parent_close_policy": "block"})
    allowed = case_allowed(user=world["owner"], case=parent)
    assert actions.RESOLVE not in allowed and actions.CANCEL not in allowed
    refusal = attempt(lambda: lifecycle.case_cancel(actor=world["owner"], case_id=parent.pk))
    assert refusal is not None and refusal.code == "child_cases_open"


def test_merge_candidates_are_all_taken_by_the_service_when_they_are_offered(
    world: dict[str, Any],
) -> None:
    customer = Ref("account", world["account"].pk)
    case = _case(world, world["owner"], "in_progress")
    mine = records.case_create(actor=world["owner"], title="Mine", customer=customer)
    records.case_create(actor=world["manager"], title="Not mine", customer=customer)
    child_of_case = records.case_create(actor=world["owner"], title="Child", parent_id=case.pk)
    candidates = case_allowed(user=world["owner"], case=case).merge_candidates
    assert [c.pk for c in candidates] == [mine.pk]
    assert child_of_case.pk not in [c.pk for c in candidates]
    assert (
        attempt(lambda: merge.case_merge(actor=world["owner"], case_id=case.pk, into_id=mine.pk))
        is None
    )


def test_closed_correctable_fields_match_the_service_when_listed() -> None:
    assert actions.CLOSED_CORRECTABLE == records.CLOSED_CORRECTABLE
    # docs/cases.md, "Closed cases"
    assert {
        "title",
        "description",
        "subject_id",
        "product_id",
        "priority",
        "case_type",
    } == actions.CLOSED_CORRECTABLE
