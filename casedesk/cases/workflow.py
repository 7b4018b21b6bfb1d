"""The case state machine as plain rules: no database, no Django models.

States and their status reasons are in `choices`; these functions decide what may follow what.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from casedesk.cases.choices import STATE_OF_STATUS, STATUSES_BY_STATE, State, Status

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
