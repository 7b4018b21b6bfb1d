from __future__ import annotations

import uuid

from django.conf import settings
from django.db.models import Case, CharField, F, QuerySet, Value, When

from casedesk.core import clock
from casedesk.core.errors import NotFound
from casedesk.directory import throttle
from casedesk.directory.access import require_role
from casedesk.directory.choices import Role, TokenState
from casedesk.directory.models import ApiToken, LoginThrottle, Team, User


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


def token_list(*, actor: User, user_id: uuid.UUID | None = None) -> QuerySet[ApiToken]:
    """The API tokens of `actor`, or (administrators) of the user `user_id`, newest first,
    each with its `state` now: revoked (also when issued before the user's last deactivation,
    which revokes every live token), else expired once `expires_at` has passed (as
    `token_authenticate` counts it), else suspended while its user is inactive, else active.

    Refuse with `forbidden` another user's tokens unless `actor` is an administrator, and
    with `not_found` an unknown user.
    """
    if user_id is None or user_id == actor.pk:
        owner_id = actor.pk
    else:
        require_role(actor, Role.ADMIN, "Only administrators see other users' tokens.")
        if not User.objects.filter(pk=user_id).exists():
            raise NotFound("No such user.")
        owner_id = user_id
    return (
        ApiToken.objects.filter(user_id=owner_id)
        .annotate(
            state=Case(
                When(revoked_at__isnull=False, then=Value(TokenState.REVOKED.value)),
                # Issued before the user's last deactivation: as revoked, and as dead.
                When(
                    created_at__lte=F("user__deactivated_at"),
                    then=Value(TokenState.REVOKED.value),
                ),
                When(expires_at__lte=clock.now(), then=Value(TokenState.EXPIRED.value)),
                When(user__is_active=False, then=Value(TokenState.SUSPENDED.value)),
                default=Value(TokenState.ACTIVE.value),
                output_field=CharField(),
            )
        )
        .order_by("-created_at", "-id")
    )


def login_throttle_of(*, user: User) -> LoginThrottle | None:
    """The live count of failed sign-ins of `user`'s name (its `failures` and until when the
    next attempt waits, `wait_until`), or None."""
    conf = dict(settings.LOGIN_THROTTLE)
    return LoginThrottle.objects.filter(
        key=throttle.user_key(user.username),
        last_failure_at__gt=throttle.forgotten_before(clock.now(), conf),
    ).first()
