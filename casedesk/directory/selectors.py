from __future__ import annotations

import uuid

from django.db.models import QuerySet

from casedesk.core.errors import NotFound
from casedesk.directory.models import Team, User


def user_list(*, include_inactive: bool = False) -> QuerySet[User]:
    """Users with their teams: the active ones, or everyone with `include_inactive`."""
    users = User.objects.all() if include_inactive else User.objects.filter(is_active=True)
    return users.prefetch_related("teams")


def user_get(*, user_id: uuid.UUID) -> User:
    user = User.objects.prefetch_related("teams").filter(id=user_id).first()
    if user is None:
        raise NotFound("No such user.")
    return user


def team_list() -> QuerySet[Team]:
    return Team.objects.prefetch_related("members")


def team_get(*, team_id: uuid.UUID) -> Team:
    team = Team.objects.prefetch_related("members").filter(id=team_id).first()
    if team is None:
        raise NotFound("No such team.")
    return team


def team_ids_of(user: User) -> list[uuid.UUID]:
    return list(user.teams.values_list("id", flat=True))
