"""The access module (docs/security.md, "Who may do what, checked where"): the order of the
roles, the system actor, and no actor as a programming error."""

from __future__ import annotations

import copy
import pickle
from collections.abc import Callable
from typing import Any

import pytest

from casedesk.cases.permissions import require_case_change
from casedesk.core.audit import audit_record
from casedesk.core.errors import Forbidden
from casedesk.directory.access import (
    SYSTEM,
    SystemActor,
    actor_user,
    actor_user_id,
    has_role,
    is_system,
    require_actor,
    require_role,
)
from casedesk.directory.choices import Role
from casedesk.directory.models import User

HOLDS = {
    # (role of the user, role asked): held
    ("agent", "agent"): True,
    ("agent", "manager"): False,
    ("agent", "admin"): False,
    ("manager", "agent"): True,
    ("manager", "manager"): True,
    ("manager", "admin"): False,
    ("admin", "agent"): True,
    ("admin", "manager"): True,
    ("admin", "admin"): True,
}


@pytest.mark.parametrize(("role", "asked"), list(HOLDS))
def test_has_role_when_a_user_holds_the_role_or_one_above(role: str, asked: str) -> None:
    assert has_role(User(role=role), asked) is HOLDS[(role, asked)]


@pytest.mark.parametrize("asked", Role.values)
def test_has_role_when_the_system_acts(asked: str) -> None:
    assert has_role(SYSTEM, asked) is True


def test_user_properties_follow_has_role() -> None:
    for role in Role.values:
        user = User(role=role)
        assert user.is_manager is has_role(user, Role.MANAGER)
        assert user.is_admin is has_role(user, Role.ADMIN)


def test_require_role_refuses_with_forbidden_and_the_message_given() -> None:
    with pytest.raises(Forbidden) as refused:
        require_role(User(role=Role.AGENT), Role.MANAGER, "Only managers do this.")
    assert (refused.value.status, refused.value.code) == (403, "forbidden")
    assert refused.value.message == "Only managers do this."


def test_require_role_passes_when_the_role_is_held() -> None:
    require_role(User(role=Role.ADMIN), Role.MANAGER)
    require_role(SYSTEM, Role.ADMIN)


@pytest.mark.parametrize(
    "check",
    [
        lambda: has_role(None, Role.AGENT),  # type: ignore[arg-type]
        lambda: require_role(None, Role.AGENT),  # type: ignore[arg-type]
        lambda: require_actor(None),
        lambda: actor_user(None),  # type: ignore[arg-type]
        lambda: is_system(None),  # type: ignore[arg-type]
        lambda: require_case_change(None, object()),  # type: ignore[arg-type]
        lambda: has_role("admin", Role.AGENT),  # type: ignore[arg-type]
    ],
)
def test_access_raises_type_error_when_the_actor_is_missing_or_not_an_actor(
    check: Callable[[], Any],
) -> None:
    with pytest.raises(TypeError, match="actor"):
        check()


def test_audit_record_raises_type_error_when_the_actor_is_none() -> None:
    with pytest.raises(TypeError, match="actor"):
        audit_record(actor=None, action="create", channel="cli", entity=User())


def test_system_is_one_sentinel_and_not_a_user() -> None:
    assert SystemActor() is SYSTEM
    assert copy.deepcopy(SYSTEM) is SYSTEM
    assert pickle.loads(pickle.dumps(SYSTEM)) is SYSTEM
    assert repr(SYSTEM) == "SYSTEM"
    assert actor_user(SYSTEM) is None
    assert actor_user_id(SYSTEM) is None
    assert is_system(SYSTEM)
    assert not is_system(User(role=Role.ADMIN))


def test_actor_user_is_the_user_who_acts() -> None:
    user = User(role=Role.AGENT)
    assert actor_user(user) is user
    assert actor_user_id(user) == user.pk
