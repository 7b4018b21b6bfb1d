"""Who may do what (docs/security.md, "Who may do what, checked where").

The one place that checks a role. Services refuse with `require_role`; selectors, views and
templates ask `has_role` (templates through `User.is_manager` and `User.is_admin`). Rules about
one record build on these: which cases a user may change is `casedesk/cases/permissions.py`.

Every service is told who acts, `actor`: a user, or `SYSTEM` when casedesk itself acts (the
command line's operator, the demo data, the background worker). `SYSTEM` is not a user: its
writes are audited with no user, and their channel says what acted. It holds every role. No
actor (`None`) is a programming error and raises `TypeError`, never a way past a check.
"""

from __future__ import annotations

import uuid
from typing import Final, TypeAlias, final

from casedesk.core.errors import Forbidden
from casedesk.directory.choices import Role
from casedesk.directory.models import User

# Each role may do what the roles before it may: an administrator is also a manager.
_RANK: Final[dict[str, int]] = {Role.AGENT: 0, Role.MANAGER: 1, Role.ADMIN: 2}


@final
class SystemActor:
    """casedesk itself acting, with no user behind the request. One instance: `SYSTEM`."""

    __slots__ = ()
    _instance: SystemActor | None = None

    def __new__(cls) -> SystemActor:
        if SystemActor._instance is None:
            SystemActor._instance = super().__new__(cls)
        return SystemActor._instance

    def __repr__(self) -> str:
        return "SYSTEM"

    def __reduce__(self) -> str:
        return "SYSTEM"  # a copy or a pickle is the same sentinel


SYSTEM: Final = SystemActor()

Actor: TypeAlias = User | SystemActor


def require_actor(actor: object) -> Actor:
    """`actor` itself when it is a user or `SYSTEM`; raise `TypeError` otherwise (`None`
    included): a caller that does not say who acts is a bug, not the system."""
    if isinstance(actor, User | SystemActor):
        return actor
    raise TypeError(f"a service needs an actor (a user or SYSTEM), not {actor!r}")


def is_system(actor: Actor) -> bool:
    """Whether casedesk itself acts (`SYSTEM`), not a user."""
    return require_actor(actor) is SYSTEM


def actor_user(actor: Actor) -> User | None:
    """The user who acts, to record as the author of a write; None for `SYSTEM`."""
    checked = require_actor(actor)
    return None if isinstance(checked, SystemActor) else checked


def actor_user_id(actor: Actor) -> uuid.UUID | None:
    """The id of the user who acts; None for `SYSTEM`."""
    user = actor_user(actor)
    return None if user is None else user.pk


def has_role(actor: Actor, role: str) -> bool:
    """Whether `actor` holds `role` or a role above it (agent, manager, administrator).
    `SYSTEM` holds every role."""
    checked = require_actor(actor)
    if isinstance(checked, SystemActor):
        return True
    return _RANK.get(checked.role, -1) >= _RANK[role]


def roles_holding(role: str) -> tuple[str, ...]:
    """The roles that hold `role` (it and the roles above it), for a query that selects the
    users who hold it (`User.objects.filter(role__in=roles_holding(Role.MANAGER))`)."""
    return tuple(name for name, rank in _RANK.items() if rank >= _RANK[role])


def require_role(actor: Actor, role: str, message: str | None = None) -> None:
    """Refuse with 403 `forbidden` unless `actor` holds `role` (or one above it)."""
    if not has_role(actor, role):
        raise Forbidden(message or _REFUSALS[role])


_REFUSALS: Final[dict[str, str]] = {
    Role.AGENT: "You are not allowed to do this.",
    Role.MANAGER: "Only managers and administrators may do this.",
    Role.ADMIN: "Only administrators may do this.",
}
