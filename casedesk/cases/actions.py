"""What a user may do now on a case, as plain rules: no database, no Django models.

The same rules the services enforce (docs/cases.md, "What a user may do now"), applied to what
is known of the case, the user's right to change it and the service settings, so that an
interface offers only what the services will take. `casedesk.cases.allowed` reads the facts.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace

from casedesk.cases import fields, workflow
from casedesk.cases.choices import State, Status

# The actions, in the order the API lists them.
EDIT = "edit"  # every writable field: the case form, the process bar, the entitlement switch
CORRECT = "correct"  # CLOSED_CORRECTABLE fields; on a closed case: managers, allow_closed_updates
RESOLVE = workflow.RESOLVE
CANCEL = workflow.CANCEL
MERGE = workflow.MERGE
REACTIVATE = workflow.REACTIVATE
ASSIGN = "assign"
ADD_TO_QUEUE = "add_to_queue"
ROUTE = "route"
ADD_ACTIVITY = "add_activity"
ADD_NOTE = "add_note"
ADD_POST = "add_post"
CONNECT = "connect"
ADD_CHILD = "add_child"
ACTIONS = (
    EDIT,
    CORRECT,
    RESOLVE,
    CANCEL,
    MERGE,
    REACTIVATE,
    ASSIGN,
    ADD_TO_QUEUE,
    ROUTE,
    ADD_ACTIVITY,
    ADD_NOTE,
    ADD_POST,
    CONNECT,
    ADD_CHILD,
)

# The fields a manager may still correct on a closed case (`allow_closed_updates`): those
# declared `correct` in casedesk/cases/fields.py.
CLOSED_CORRECTABLE = fields.CLOSED_CORRECTABLE


@dataclass(frozen=True)
class Settings:
    """The service settings the rules read."""

    transitions_enforced: bool
    transitions_allowed: Mapping[str, Sequence[str]]
    allow_closed_updates: bool
    parent_close_policy: str
    max_child_cases: int


@dataclass(frozen=True)
class ChildFacts:
    """An active child of the case: its status and whether the user may change it."""

    status: str
    may_change: bool


@dataclass(frozen=True)
class CaseFacts:
    """What the rules need to know of the case and of the user who asks."""

    state: str
    status: str
    may_change: bool  # `permissions.case_change_allowed(user, case)`
    is_manager: bool
    parent_id: object | None = None
    child_count: int = 0
    active_children: tuple[ChildFacts, ...] = ()
    has_merge_candidate: bool = False


def _reaches(settings: Settings, current: str, target: str) -> bool:
    return workflow.transition_allowed(
        enforced=settings.transitions_enforced,
        allowed=settings.transitions_allowed,
        current=current,
        target=target,
    )


def statuses_now(case: CaseFacts, settings: Settings) -> list[str]:
    """The status reasons the case may be given by an edit now: the active ones its status
    reaches under the transitions map, its own included, in the usual order. None
    when it may not be edited."""
    if not may_edit(case):
        return []
    return [s for s in workflow.ACTIVE_STATUSES if _reaches(settings, case.status, s)]


def may_edit(case: CaseFacts) -> bool:
    return case.may_change and case.state == State.ACTIVE


def may_correct(case: CaseFacts, settings: Settings) -> bool:
    """The correctable fields (`CLOSED_CORRECTABLE`): on a case the user may edit, and on a
    closed one for managers when `allow_closed_updates` is on."""
    closed_correction = (
        case.may_change
        and case.state != State.ACTIVE
        and settings.allow_closed_updates
        and case.is_manager
    )
    return may_edit(case) or closed_correction


def _closing_targets(case: CaseFacts, settings: Settings, targets: Sequence[str]) -> list[str]:
    """Of `targets` (statuses a resolve or cancel would give), those the case may close to
    now: the user may change it, it is active, the map lets it (and, under the `cascade`
    policy, each active child) move there, and no active child blocks it."""
    if not case.may_change or workflow.lifecycle_refusal(
        workflow.RESOLVE, state=case.state, status=case.status
    ):
        return []
    decision = workflow.close_policy_decision(
        settings.parent_close_policy, active_children=len(case.active_children)
    )
    if decision == workflow.BLOCK:
        return []
    children = case.active_children if decision == workflow.CASCADE else ()
    if any(not child.may_change for child in children):
        return []
    return [
        target
        for target in targets
        if _reaches(settings, case.status, target)
        and all(_reaches(settings, child.status, target) for child in children)
    ]


def resolution_types(case: CaseFacts, settings: Settings) -> list[str]:
    """The resolution types (resolved statuses) the case may be resolved with now."""
    return _closing_targets(case, settings, workflow.RESOLVED_STATUSES)


def may_cancel(case: CaseFacts, settings: Settings) -> bool:
    return bool(_closing_targets(case, settings, [Status.CANCELLED]))


def may_merge(case: CaseFacts, settings: Settings) -> bool:
    """Merge this case into another: the user may change it, it is active, it may become
    `merged`, and some case may take it (`has_merge_candidate`)."""
    return (
        case.may_change
        and workflow.lifecycle_refusal(workflow.MERGE, state=case.state, status=case.status) is None
        and _reaches(settings, case.status, Status.MERGED)
        and case.has_merge_candidate
    )


def may_merge_subordinate(case: CaseFacts, settings: Settings) -> bool:
    """The subordinate's own part of `may_merge`, before any master is considered."""
    return may_merge(replace(case, has_merge_candidate=True), settings)


def may_reactivate(case: CaseFacts, settings: Settings) -> bool:
    return (
        case.may_change
        and workflow.lifecycle_refusal(workflow.REACTIVATE, state=case.state, status=case.status)
        is None
        and _reaches(settings, case.status, workflow.reactivation_status())
    )


def may_add(case: CaseFacts) -> bool:
    """Activities, notes and posts: on an active or resolved case (follow-ups), never on a
    cancelled or merged one."""
    return case.may_change and case.state != State.CANCELLED


def may_connect(case: CaseFacts) -> bool:
    """A merged case owns nothing, so it takes no connection."""
    return case.may_change and case.status != Status.MERGED


def may_add_child(case: CaseFacts, settings: Settings) -> bool:
    """A new child case: the parent is active, the user may change it, it is not a child
    itself and has room for one more child."""
    if not may_edit(case):
        return False
    new_child = workflow.FamilyFacts(id=None, parent_id=None, child_count=0)
    parent = workflow.FamilyFacts(
        id=object(), parent_id=case.parent_id, child_count=case.child_count
    )
    refusal = workflow.parent_link_refusal(
        child=new_child, parent=parent, max_child_cases=settings.max_child_cases
    )
    return refusal is None


def allowed_actions(case: CaseFacts, settings: Settings) -> frozenset[str]:
    """Every action of `ACTIONS` the user may take on the case now."""
    edit = may_edit(case)
    found = {
        EDIT: edit,
        CORRECT: may_correct(case, settings),
        RESOLVE: bool(resolution_types(case, settings)),
        CANCEL: may_cancel(case, settings),
        MERGE: may_merge(case, settings),
        REACTIVATE: may_reactivate(case, settings),
        ASSIGN: edit,
        ADD_TO_QUEUE: edit,
        ROUTE: edit,
        ADD_ACTIVITY: may_add(case),
        ADD_NOTE: may_add(case),
        ADD_POST: may_add(case),
        CONNECT: may_connect(case),
        ADD_CHILD: may_add_child(case, settings),
    }
    return frozenset(action for action, allowed in found.items() if allowed)


def ordered(actions: frozenset[str]) -> list[str]:
    """`actions` in the order of `ACTIONS` (how the API lists them)."""
    return [action for action in ACTIONS if action in actions]
