"""The case state machine as plain rules: no database, no Django models.

States and their status reasons are in `choices`; these functions decide what may follow what.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from casedesk.cases.choices import (
    STATE_OF_STATUS,
    STATUSES_BY_STATE,
    ActivityState,
    ActivityType,
    ParentClosePolicy,
    Stage,
    State,
    Status,
)

ACTIVE_STATUSES = STATUSES_BY_STATE[State.ACTIVE]
RESOLVED_STATUSES = STATUSES_BY_STATE[State.RESOLVED]
CANCELLED_STATUSES = STATUSES_BY_STATE[State.CANCELLED]
ALL_STATUSES = tuple(STATE_OF_STATUS)


def state_of(status: str) -> str:
    return STATE_OF_STATUS[status]


def transition_allowed(
    *, enforced: bool, allowed: Mapping[str, Sequence[str]], current: str, target: str
) -> bool:
    """Whether a case may move from status `current` to `target` under the configured map.

    Keeping the same status is always allowed. When the map is not enforced, anything the state
    model allows is allowed (callers check the state model themselves).
    """
    if current == target or not enforced:
        return True
    return target in allowed.get(current, ())


def transitions_map_problems(
    allowed: Mapping[str, Sequence[str]], *, enforced: bool
) -> dict[str, str]:
    """Problems with a transitions map, as field → message (empty when it may be saved).

    Keys and targets must be known statuses. When enforced, every active status must reach a
    resolved or cancelled status, directly or through other active statuses.
    """
    problems: dict[str, str] = {}
    for source, targets in allowed.items():
        if source not in STATE_OF_STATUS:
            problems[f"allowed.{source}"] = "is not a status"
            continue
        if isinstance(targets, str) or not isinstance(targets, Sequence):
            problems[f"allowed.{source}"] = "must be a list of statuses"
            continue
        unknown = [t for t in targets if t not in STATE_OF_STATUS]
        if unknown:
            problems[f"allowed.{source}"] = f"unknown status {unknown[0]!r}"
    if problems or not enforced:
        return problems
    closed = set(RESOLVED_STATUSES) | set(CANCELLED_STATUSES)
    for start in ACTIVE_STATUSES:
        seen: set[str] = set()
        frontier = [start]
        reaches = False
        while frontier and not reaches:
            status = frontier.pop()
            if status in seen:
                continue
            seen.add(status)
            for target in allowed.get(status, ()):
                if target in closed:
                    reaches = True
                    break
                if target in ACTIVE_STATUSES:
                    frontier.append(target)
        if not reaches:
            problems[f"allowed.{start}"] = "cannot reach a resolved or cancelled status"
    return problems


def default_status(state: str) -> str:
    return STATUSES_BY_STATE[state][0]


def reactivation_status() -> str:
    return Status.IN_PROGRESS


# --- Lifecycle actions (docs/cases.md#status-model) ----------------------------------------

RESOLVE = "resolve"
CANCEL = "cancel"
MERGE = "merge"
REACTIVATE = "reactivate"
LIFECYCLE_ACTIONS = (RESOLVE, CANCEL, MERGE, REACTIVATE)

# Refusal codes (docs/api.md); services turn them into the DomainErrors of the same code.
CASE_NOT_ACTIVE = "case_not_active"
CASE_NOT_CLOSED = "case_not_closed"
CASE_MERGED = "case_merged"


def lifecycle_refusal(action: str, *, state: str, status: str) -> str | None:
    """Why a case in `state`/`status` may not undergo `action`, or None when it may.

    Resolve, cancel and merge need an active case. Reactivate needs a resolved case or a
    cancelled one that was not merged.
    """
    if action in (RESOLVE, CANCEL, MERGE):
        return None if state == State.ACTIVE else CASE_NOT_ACTIVE
    if action == REACTIVATE:
        if state == State.ACTIVE:
            return CASE_NOT_CLOSED
        if status == Status.MERGED:
            return CASE_MERGED
        return None
    raise ValueError(f"unknown lifecycle action {action!r}")


def lifecycle_target(action: str, *, resolution_type: str | None = None) -> tuple[str, str]:
    """The `(state, status)` a case has after `action`. Resolve needs a resolved status."""
    if action == RESOLVE:
        if resolution_type not in RESOLVED_STATUSES:
            raise ValueError(f"{resolution_type!r} is not a resolution type")
        return State.RESOLVED, resolution_type
    if action == CANCEL:
        return State.CANCELLED, Status.CANCELLED
    if action == MERGE:
        return State.CANCELLED, Status.MERGED
    if action == REACTIVATE:
        return State.ACTIVE, reactivation_status()
    raise ValueError(f"unknown lifecycle action {action!r}")


def stage_after(action: str, current: str) -> str:
    """The process stage after `action`: resolve sets `resolve`, reactivate sets `research`."""
    if action == RESOLVE:
        return Stage.RESOLVE
    if action == REACTIVATE:
        return Stage.RESEARCH
    return current


# --- Activities and time (docs/cases.md#total-time) -----------------------------------------

# Phone calls and e-mails have a direction; the other types have none.
DIRECTED_TYPES = (ActivityType.PHONE_CALL, ActivityType.EMAIL)


@dataclass(frozen=True)
class ActivityFacts:
    """What the time rules need to know of an activity."""

    id: object
    type: str
    state: str
    duration_minutes: int | None
    billed: bool


def activity_is_closed(state: str) -> bool:
    """Completed and cancelled activities are read-only."""
    return state != ActivityState.OPEN


def direction_allowed(activity_type: str, direction: str | None) -> bool:
    return direction is None or activity_type in DIRECTED_TYPES


def counts_toward_total(activity: ActivityFacts) -> bool:
    """Completed, not yet billed, and not a case resolution."""
    return (
        activity.state == ActivityState.COMPLETED
        and not activity.billed
        and activity.type != ActivityType.CASE_RESOLUTION
    )


def total_time(activities: Iterable[ActivityFacts]) -> int:
    """The case's total time: the durations of its completed activities not yet billed."""
    return sum(a.duration_minutes or 0 for a in activities if counts_toward_total(a))


def open_activity_ids(activities: Iterable[ActivityFacts]) -> list[object]:
    return [a.id for a in activities if a.state == ActivityState.OPEN]


@dataclass(frozen=True)
class ResolutionMinutes:
    total: int
    billable: int
    billed_ids: list[object]


def resolution_minutes(
    activities: Iterable[ActivityFacts], billable_minutes: int | None
) -> ResolutionMinutes:
    """What a resolution counts: the total time, the billable minutes (the total unless given)
    and the activities it marks billed."""
    counted = [a for a in activities if counts_toward_total(a)]
    total = sum(a.duration_minutes or 0 for a in counted)
    if billable_minutes is not None and billable_minutes < 0:
        raise ValueError("billable minutes cannot be negative")
    billable = total if billable_minutes is None else billable_minutes
    return ResolutionMinutes(total=total, billable=billable, billed_ids=[a.id for a in counted])


# --- Parent and child cases (docs/cases.md#parent-and-child-cases) ------------------------------

SELF = "self"
DEPTH = "depth"
PARENT_AS_CHILD = "parent_as_child"
MAX_CHILD_CASES = "max_child_cases"
PARENT_OF_OTHER = "parent_of_other"
DIFFERENT_PARENT = "different_parent"


@dataclass(frozen=True)
class FamilyFacts:
    """A case's place in the hierarchy: its parent and how many children it has."""

    id: object
    parent_id: object | None
    child_count: int


def parent_link_refusal(
    *, child: FamilyFacts, parent: FamilyFacts, max_child_cases: int
) -> str | None:
    """Why `child` may not become a child of `parent` (a reason), or None.

    One level only: a child cannot have children and a parent cannot become a child; a parent
    has at most `max_child_cases` children.
    """
    if child.id == parent.id:
        return SELF
    if child.parent_id == parent.id:
        return None
    if parent.parent_id is not None:
        return DEPTH
    if child.child_count > 0:
        return PARENT_AS_CHILD
    if parent.child_count + 1 > max_child_cases:
        return MAX_CHILD_CASES
    return None


def merge_hierarchy_refusal(
    *, subordinate: FamilyFacts, master: FamilyFacts, max_child_cases: int
) -> str | None:
    """Why `subordinate` may not be merged into `master` as far as the hierarchy goes, or None.

    Neither may be the parent of the other; a child merges only into a master of the same
    parent; the master takes the subordinate's children, so it must not be a child itself
    (when there are any) and must stay within `max_child_cases`.
    """
    if subordinate.id == master.id:
        return SELF
    if subordinate.parent_id == master.id or master.parent_id == subordinate.id:
        return PARENT_OF_OTHER
    if subordinate.parent_id is not None and master.parent_id != subordinate.parent_id:
        return DIFFERENT_PARENT
    if subordinate.child_count > 0:
        if master.parent_id is not None:
            return DEPTH
        if master.child_count + subordinate.child_count > max_child_cases:
            return MAX_CHILD_CASES
    return None


PROCEED = "proceed"
BLOCK = "block"
CASCADE = "cascade"


def close_policy_decision(policy: str, *, active_children: int) -> str:
    """What closing (resolving or cancelling) a parent with `active_children` does:
    `proceed` alone, `block` (refuse with `child_cases_open`) or `cascade` to each child."""
    if active_children == 0 or policy == ParentClosePolicy.INDEPENDENT:
        return PROCEED
    if policy == ParentClosePolicy.BLOCK:
        return BLOCK
    if policy == ParentClosePolicy.CASCADE:
        return CASCADE
    raise ValueError(f"unknown parent close policy {policy!r}")


def contact_belongs_to(
    *,
    contact_id: object,
    contact_account_id: object,
    customer_is_contact: bool,
    customer_id: object,
) -> bool:
    """A case's contact is the customer itself (a contact customer) or a contact of the customer
    account (docs/cases.md#the-case-record)."""
    if customer_is_contact:
        return contact_id == customer_id
    return contact_account_id == customer_id
