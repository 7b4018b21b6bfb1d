"""Administering users and teams through the services: change, deactivate and reactivate a
user, set a password, rename a team and set its members, and never lock the organisation out
of its own administration."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

import pytest

from casedesk.core.errors import (
    Forbidden,
    NotFound,
    Unauthenticated,
    ValidationFailed,
    VersionMismatch,
)
from casedesk.core.models import AuditEntry
from casedesk.directory import services
from casedesk.directory.access import SYSTEM
from casedesk.directory.models import Team, User
from tests.conftest import PASSWORD

pytestmark = pytest.mark.django_db

NEW_PASSWORD = "another-long-secret-42"
MISSING = uuid.UUID(int=0)


def _fields(exc: pytest.ExceptionInfo[ValidationFailed]) -> dict[str, str]:
    return dict(exc.value.details["fields"])


def _reload(user: User) -> User:
    return User.objects.get(pk=user.pk)


# --- user details -----------------------------------------------------------------------------


def test_admin_changes_name_email_role_and_language_in_one_audited_version(
    admin: User, agent: User
) -> None:
    updated = services.user_update(
        actor=admin,
        user_id=agent.pk,
        changes={
            "full_name": "Anna Rossi",
            "email": "anna@example.com",
            "role": "manager",
            "language": "it",
        },
        expected_version=agent.version,
    )
    stored = _reload(agent)
    assert (stored.full_name, stored.email, stored.role, stored.language) == (
        "Anna Rossi",
        "anna@example.com",
        "manager",
        "it",
    )
    assert updated.version == stored.version == agent.version + 1
    entry = AuditEntry.objects.get(entity_id=agent.pk, action="update")
    assert entry.actor_id == admin.pk
    assert entry.changes == {
        "full_name": ["Anna Agente", "Anna Rossi"],
        "email": ["", "anna@example.com"],
        "role": ["agent", "manager"],
        "language": ["", "it"],
    }


def test_update_changes_nothing_when_the_values_are_the_same(admin: User, agent: User) -> None:
    services.user_update(
        actor=admin, user_id=agent.pk, changes={"full_name": agent.full_name, "role": "agent"}
    )
    assert _reload(agent).version == agent.version
    assert not AuditEntry.objects.filter(entity_id=agent.pk, action="update").exists()


def test_null_clears_the_full_name_and_the_email(admin: User, make_user: Any) -> None:
    user = make_user(full_name="Carla Neri", email="carla@example.com")
    services.user_update(actor=admin, user_id=user.pk, changes={"full_name": None, "email": None})
    stored = _reload(user)
    assert (stored.full_name, stored.email, stored.display_name) == ("", "", user.username)


def test_update_is_refused_when_the_version_is_stale(admin: User, agent: User) -> None:
    with pytest.raises(VersionMismatch):
        services.user_update(
            actor=admin,
            user_id=agent.pk,
            changes={"full_name": "Stale"},
            expected_version=agent.version + 1,
        )
    assert _reload(agent).full_name == "Anna Agente"


@pytest.mark.parametrize("role", ["agent", "manager"])
def test_only_administrators_change_users(make_user: Any, agent: User, role: str) -> None:
    caller = make_user(role)
    with pytest.raises(Forbidden):
        services.user_update(actor=caller, user_id=agent.pk, changes={"role": "admin"})
    with pytest.raises(Forbidden):
        services.user_set_password(actor=caller, user_id=agent.pk, password=NEW_PASSWORD)
    assert _reload(agent).role == "agent"


def test_an_agent_cannot_promote_themselves(agent: User) -> None:
    with pytest.raises(Forbidden):
        services.user_update(actor=agent, user_id=agent.pk, changes={"role": "admin"})


def test_unknown_user_is_not_found(admin: User) -> None:
    with pytest.raises(NotFound):
        services.user_update(actor=admin, user_id=MISSING, changes={"full_name": "X"})
    with pytest.raises(NotFound):
        services.user_set_password(actor=admin, user_id=MISSING, password=NEW_PASSWORD)


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"username": "renamed"}, "username"),
        ({"role": "boss"}, "role"),
        ({"role": None}, "role"),
        ({"is_active": None}, "is_active"),
        ({"language": "fr"}, "language"),
        ({"email": "not-an-address"}, "email"),
        ({"full_name": "x" * 201}, "full_name"),
        ({"team_ids": [MISSING]}, "team_ids"),
    ],
)
def test_bad_values_are_refused_field_by_field_and_change_nothing(
    admin: User, agent: User, changes: dict[str, Any], field: str
) -> None:
    with pytest.raises(ValidationFailed) as exc:
        services.user_update(actor=admin, user_id=agent.pk, changes=changes)
    assert field in _fields(exc)
    assert _reload(agent).version == agent.version


def test_a_new_user_with_an_e_mail_that_is_no_address_is_refused(admin: User) -> None:
    with pytest.raises(ValidationFailed) as exc:
        services.user_create(actor=admin, username="carla", password=PASSWORD, email="carla@")
    assert "email" in _fields(exc)
    assert not User.objects.filter(username="carla").exists()


def test_team_ids_replace_the_users_teams_and_step_each_team_changed(
    admin: User, make_user: Any
) -> None:
    user = make_user(teams=["Tier 1", "Billing"])
    tier1, billing = Team.objects.get(name="Tier 1"), Team.objects.get(name="Billing")
    tier2 = services.team_create(actor=admin, name="Tier 2")
    services.user_update(actor=admin, user_id=user.pk, changes={"team_ids": [billing.pk, tier2.pk]})
    assert set(_reload(user).teams.all()) == {billing, tier2}
    versions = {t.name: t.version for t in Team.objects.all()}
    assert versions["Tier 1"] == tier1.version + 1  # lost a member
    assert versions["Tier 2"] == tier2.version + 1  # gained one
    assert versions["Billing"] == billing.version  # unchanged
    entry = AuditEntry.objects.get(entity_id=user.pk, action="update")
    assert entry.changes["team_ids"] == [
        sorted([str(tier1.pk), str(billing.pk)]),
        sorted([str(billing.pk), str(tier2.pk)]),
    ]


# --- deactivation -----------------------------------------------------------------------------


def test_a_deactivated_user_signs_in_again_when_reactivated_but_old_tokens_stay_dead(
    admin: User, agent: User
) -> None:
    _token, secret = services.token_create(user=agent)
    services.user_update(actor=admin, user_id=agent.pk, changes={"is_active": False})
    with pytest.raises(Unauthenticated):
        services.login_verify(username=agent.username, password=PASSWORD, address="test")
    assert services.token_authenticate(secret) is None

    services.user_update(actor=admin, user_id=agent.pk, changes={"is_active": True})
    assert services.login_verify(username=agent.username, password=PASSWORD, address="test")
    assert services.token_authenticate(secret) is None
    _new, fresh = services.token_create(user=agent)
    assert services.token_authenticate(fresh) == agent


def test_a_deactivated_user_keeps_the_cases_they_own(admin: User, agent: User) -> None:
    from casedesk.cases.models import Case
    from casedesk.cases.services import records
    from casedesk.cases.services.common import Ref
    from casedesk.customers.services import account_create

    account = account_create(actor=agent, name="Farmacia Centrale")
    case = records.case_create(actor=agent, title="Printer", customer=Ref("account", account.pk))
    services.user_update(actor=admin, user_id=agent.pk, changes={"is_active": False})
    stored = Case.objects.get(pk=case.pk)
    assert stored.owner_user_id == agent.pk and stored.version == case.version


def test_deactivation_is_audited(admin: User, agent: User) -> None:
    services.user_update(actor=admin, user_id=agent.pk, changes={"is_active": False})
    entry = AuditEntry.objects.get(entity_id=agent.pk, action="update")
    assert entry.changes == {"is_active": [True, False]}


# --- never lock the organisation out ----------------------------------------------------------


def test_an_administrator_cannot_deactivate_themselves(admin: User, make_user: Any) -> None:
    make_user("admin")  # another active administrator: the refusal is about oneself
    with pytest.raises(ValidationFailed) as exc:
        services.user_update(actor=admin, user_id=admin.pk, changes={"is_active": False})
    assert _fields(exc) == {"is_active": "an administrator cannot deactivate themselves"}
    assert _reload(admin).is_active


def test_the_last_active_administrator_cannot_be_demoted(admin: User) -> None:
    with pytest.raises(ValidationFailed) as exc:
        services.user_update(actor=admin, user_id=admin.pk, changes={"role": "manager"})
    assert _fields(exc) == {"role": "the last active administrator must stay an administrator"}
    assert _reload(admin).role == "admin"


def test_the_last_active_administrator_cannot_be_deactivated_from_the_command_line(
    admin: User,
) -> None:
    with pytest.raises(ValidationFailed) as exc:
        services.user_update(actor=SYSTEM, user_id=admin.pk, changes={"is_active": False})
    assert _fields(exc) == {"is_active": "the last active administrator cannot be deactivated"}
    assert _reload(admin).is_active


def test_an_inactive_administrator_does_not_count_as_another_one(
    admin: User, make_user: Any
) -> None:
    dormant = make_user("admin")
    services.user_update(actor=admin, user_id=dormant.pk, changes={"is_active": False})
    with pytest.raises(ValidationFailed):
        services.user_update(actor=SYSTEM, user_id=admin.pk, changes={"role": "agent"})


def test_an_administrator_is_demoted_or_deactivated_while_another_stays(
    admin: User, make_user: Any
) -> None:
    other = make_user("admin")
    services.user_update(actor=admin, user_id=other.pk, changes={"role": "manager"})
    services.user_update(actor=admin, user_id=other.pk, changes={"role": "admin"})
    services.user_update(actor=admin, user_id=other.pk, changes={"is_active": False})
    assert not _reload(other).is_active
    # and an administrator may step down while another one is active
    services.user_update(actor=admin, user_id=other.pk, changes={"is_active": True})
    services.user_update(actor=admin, user_id=admin.pk, changes={"role": "agent"})
    assert _reload(admin).role == "agent"


def test_a_deactivated_administrator_is_reactivated_even_as_the_only_one(
    admin: User, make_user: Any
) -> None:
    other = make_user("admin")
    services.user_update(actor=admin, user_id=other.pk, changes={"is_active": False})
    services.user_update(actor=admin, user_id=other.pk, changes={"is_active": True})
    assert _reload(other).is_active


# --- passwords --------------------------------------------------------------------------------


def test_a_new_password_replaces_the_old_one_and_is_audited_without_it(
    admin: User, agent: User
) -> None:
    updated = services.user_set_password(
        actor=admin, user_id=agent.pk, password=NEW_PASSWORD, expected_version=agent.version
    )
    assert updated.version == agent.version + 1
    with pytest.raises(Unauthenticated):
        services.login_verify(username=agent.username, password=PASSWORD, address="test")
    assert services.login_verify(username=agent.username, password=NEW_PASSWORD, address="test")
    entry = AuditEntry.objects.get(entity_id=agent.pk, action="password_set")
    assert entry.actor_id == admin.pk
    assert NEW_PASSWORD not in str(entry.changes) + str(entry.details)
    assert _reload(agent).password not in str(entry.changes) + str(entry.details)


@pytest.mark.parametrize("password", ["short", "123456789012345", "password1234", "carlacarla12"])
def test_a_password_is_checked_by_the_policy_like_a_new_users(
    admin: User, make_user: Any, password: str
) -> None:
    user = make_user(username="carlacarla")
    with pytest.raises(ValidationFailed) as exc:
        services.user_set_password(actor=admin, user_id=user.pk, password=password)
    assert "password" in _fields(exc)
    assert services.login_verify(username="carlacarla", password=PASSWORD, address="test")


def test_a_password_is_refused_when_the_version_is_stale(admin: User, agent: User) -> None:
    with pytest.raises(VersionMismatch):
        services.user_set_password(
            actor=admin, user_id=agent.pk, password=NEW_PASSWORD, expected_version=99
        )


# --- teams ------------------------------------------------------------------------------------


@pytest.fixture
def tier1(admin: User, agent: User) -> Team:
    return services.team_create(actor=admin, name="Tier 1", member_ids=[agent.pk])


def test_admin_renames_a_team_and_sets_its_members_in_one_audited_version(
    admin: User, agent: User, manager: User, tier1: Team
) -> None:
    updated = services.team_update(
        actor=admin,
        team_id=tier1.pk,
        changes={"name": "Primo livello", "member_ids": [manager.pk]},
        expected_version=tier1.version,
    )
    stored = Team.objects.get(pk=tier1.pk)
    assert stored.name == "Primo livello" and list(stored.members.all()) == [manager]
    assert updated.version == stored.version == tier1.version + 1
    entry = AuditEntry.objects.get(entity_id=tier1.pk, action="update")
    assert entry.actor_id == admin.pk
    assert entry.changes == {
        "name": ["Tier 1", "Primo livello"],
        "member_ids": [[str(agent.pk)], [str(manager.pk)]],
    }


def test_members_changed_step_each_users_version(
    admin: User, agent: User, manager: User, tier1: Team
) -> None:
    before = {u.pk: _reload(u).version for u in (admin, agent, manager)}
    services.team_update(actor=admin, team_id=tier1.pk, changes={"member_ids": [manager.pk]})
    assert _reload(agent).version == before[agent.pk] + 1  # left
    assert _reload(manager).version == before[manager.pk] + 1  # joined
    assert _reload(admin).version == before[admin.pk]


def test_a_deactivated_user_is_moved_to_another_team(admin: User, agent: User, tier1: Team) -> None:
    services.user_update(actor=admin, user_id=agent.pk, changes={"is_active": False})
    tier2 = services.team_create(actor=admin, name="Tier 2")
    services.team_update(actor=admin, team_id=tier1.pk, changes={"member_ids": []})
    services.team_update(actor=admin, team_id=tier2.pk, changes={"member_ids": [agent.pk]})
    assert list(_reload(agent).teams.all()) == [tier2]


def test_a_team_keeps_its_own_name_in_other_letters_but_not_anothers(
    admin: User, tier1: Team
) -> None:
    services.team_create(actor=admin, name="Billing")
    services.team_update(actor=admin, team_id=tier1.pk, changes={"name": "TIER 1"})
    assert Team.objects.get(pk=tier1.pk).name == "TIER 1"
    with pytest.raises(ValidationFailed) as exc:
        services.team_update(actor=admin, team_id=tier1.pk, changes={"name": "billing"})
    assert _fields(exc) == {"name": "a team with this name exists"}


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"name": ""}, "name"),
        ({"name": None}, "name"),
        ({"member_ids": [MISSING]}, "member_ids"),
        ({"manager_id": MISSING}, "manager_id"),
    ],
)
def test_bad_team_values_are_refused_and_change_nothing(
    admin: User, tier1: Team, changes: dict[str, Any], field: str
) -> None:
    with pytest.raises(ValidationFailed) as exc:
        services.team_update(actor=admin, team_id=tier1.pk, changes=changes)
    assert field in _fields(exc)
    assert Team.objects.get(pk=tier1.pk).version == tier1.version


def test_team_update_is_refused_when_the_version_is_stale(admin: User, tier1: Team) -> None:
    with pytest.raises(VersionMismatch):
        services.team_update(
            actor=admin, team_id=tier1.pk, changes={"name": "X"}, expected_version=99
        )


@pytest.mark.parametrize("role", ["agent", "manager"])
def test_only_administrators_change_teams(
    make_user: Callable[..., Any], tier1: Team, role: str
) -> None:
    with pytest.raises(Forbidden):
        services.team_update(actor=make_user(role), team_id=tier1.pk, changes={"name": "Mine"})


def test_unknown_team_is_not_found(admin: User) -> None:
    with pytest.raises(NotFound):
        services.team_update(actor=admin, team_id=MISSING, changes={"name": "X"})
