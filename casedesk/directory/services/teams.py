"""Teams: create, rename, set the members."""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from typing import Any

from django.db import transaction

from casedesk.core.audit import audit_record
from casedesk.core.choices import Channel
from casedesk.core.concurrency import ExpectedVersion, check_version
from casedesk.core.errors import ValidationFailed
from casedesk.directory.access import Actor, require_role
from casedesk.directory.choices import Role
from casedesk.directory.locks import directory_lock, team_lock
from casedesk.directory.models import Team, User
from casedesk.directory.services.common import (
    ADMINS_ONLY,
    text_problem,
    touch_users,
)

# The fields of a team that `team_update` changes (`member_ids` replaces the members).
TEAM_WRITABLE = ("name", "member_ids")


def _members(member_ids: Sequence[uuid.UUID]) -> list[User]:
    """The users named, active or not: a deactivated user may still be moved between teams."""
    wanted = set(member_ids)
    members = list(User.objects.filter(id__in=list(wanted)))
    if len(members) != len(wanted):
        raise ValidationFailed({"member_ids": "names a user that does not exist"})
    return members


def _name_problem(name: Any, team_id: uuid.UUID | None = None) -> str | None:
    if name is None or (isinstance(name, str) and not name.strip()):
        return "is required"
    problem = text_problem(name, 200)
    if problem:
        return problem
    same_name = Team.objects.filter(name__iexact=name)
    if team_id is not None:
        same_name = same_name.exclude(pk=team_id)
    if same_name.exists():
        return "a team with this name exists"
    return None


@transaction.atomic
def team_create(
    *,
    actor: Actor,
    name: str,
    member_ids: Sequence[uuid.UUID] = (),
    channel: str = Channel.API,
) -> Team:
    """Create a team with members. Refuse non-administrators; names are unique (422)."""
    require_role(actor, Role.ADMIN, ADMINS_ONLY)
    directory_lock()
    problem = _name_problem(name)
    if problem:
        raise ValidationFailed({"name": problem})
    members = _members(member_ids)
    team = Team.objects.create(name=name)
    team.members.add(*members)
    touch_users(m.pk for m in members)
    audit_record(
        actor=actor,
        action="create",
        channel=channel,
        entity=team,
        changes={"name": [None, name], "member_ids": [None, sorted(str(m.id) for m in members)]},
    )
    return team


@transaction.atomic
def team_update(
    *,
    actor: Actor,
    team_id: uuid.UUID,
    changes: Mapping[str, Any],
    expected_version: ExpectedVersion = None,
    channel: str = Channel.API,
) -> Team:
    """Rename a team or set its members (a merge patch; `member_ids` replaces the list and may
    name deactivated users).

    Administrators only. Refuse with `forbidden`, `not_found`, `version_mismatch`, and
    `validation_error` for an unknown field, an empty or taken name, or an unknown user.
    """
    require_role(actor, Role.ADMIN, ADMINS_ONLY)
    directory_lock()
    team = team_lock(team_id)
    check_version(expected_version, team.version)
    unknown = sorted(set(changes) - set(TEAM_WRITABLE))
    problems = dict.fromkeys(unknown, "is not a writable field")
    if "name" in changes:
        problem = _name_problem(changes["name"], team.pk)
        if problem:
            problems["name"] = problem
    members: list[User] | None = None
    if "member_ids" in changes:
        try:
            members = _members(changes["member_ids"] or [])
        except ValidationFailed as exc:
            problems.update(exc.details["fields"])
    if problems:
        raise ValidationFailed(problems)
    changed: dict[str, list[Any]] = {}
    if "name" in changes and changes["name"] != team.name:
        changed["name"] = [team.name, changes["name"]]
        team.name = changes["name"]
    if members is not None:
        before = sorted(str(pk) for pk in team.members.values_list("id", flat=True))
        after = sorted(str(m.pk) for m in members)
        if before != after:
            team.members.set(members)
            touch_users(uuid.UUID(pk) for pk in set(before) ^ set(after))
            changed["member_ids"] = [before, after]
    if not changed:
        return team
    team.version += 1
    team.save(update_fields=["name", "version"])
    audit_record(actor=actor, action="update", channel=channel, entity=team, changes=changed)
    return team
