"""Who may change a case (docs/security.md#who-may-see-and-change-what). Reading is open to every
authenticated user. Built on the roles of `casedesk.directory.access`."""

from __future__ import annotations

from django.db.models import Exists, OuterRef, Q, QuerySet

from casedesk.cases.models import Activity, Case
from casedesk.core.errors import Forbidden
from casedesk.directory.access import Actor, actor_user, has_role
from casedesk.directory.choices import Role
from casedesk.directory.models import User
from casedesk.routing.choices import QueueItemState
from casedesk.routing.models import Queue, QueueItem


def user_team_ids(user: User) -> set[object]:
    cached = getattr(user, "_casedesk_team_ids", None)
    if cached is None:
        cached = set(user.teams.values_list("id", flat=True))
        user._casedesk_team_ids = cached  # type: ignore[attr-defined]
    return cached


def case_change_allowed(user: User, case: Case) -> bool:
    """Managers change any case; agents the cases they own, that a team of theirs owns, that sit
    in a queue they are a member of, or whose queue item they are working on."""
    if has_role(user, Role.MANAGER):
        return True
    if case.owner_user_id == user.pk:
        return True
    if case.owner_team_id is not None and case.owner_team_id in user_team_ids(user):
        return True
    item = (
        QueueItem.objects.filter(case_id=case.pk, state=QueueItemState.OPEN)
        .values("worked_by_id", "queue_id")
        .first()
    )
    if item is None:
        return False
    if item["worked_by_id"] == user.pk:
        return True
    return Queue.objects.filter(id=item["queue_id"], members=user).exists()


def cases_changeable(user: User, cases: QuerySet[Case]) -> QuerySet[Case]:
    """`cases` narrowed to those `user` may change: the rule of `case_change_allowed`, in the
    same query."""
    if has_role(user, Role.MANAGER):
        return cases
    working = QueueItem.objects.filter(case_id=OuterRef("pk"), state=QueueItemState.OPEN).filter(
        Q(worked_by_id=user.pk) | Q(queue__members=user)
    )
    return cases.filter(
        Q(owner_user_id=user.pk) | Q(owner_team_id__in=user_team_ids(user)) | Exists(working)
    )


def require_case_change(user: Actor, case: Case) -> None:
    """Refuse with `forbidden` unless `user` may change `case` (`SYSTEM` may change any)."""
    checked = actor_user(user)
    if checked is not None and not case_change_allowed(checked, case):
        raise Forbidden("You may not change this case.", details={"case_id": str(case.pk)})


def activity_change_allowed(
    user: User, case: Case, activity: Activity, *, case_allowed: bool | None = None
) -> bool:
    """Users change (edit, complete, cancel) the activities they own and those of cases they may
    change; `case_allowed` is `case_change_allowed(user, case)` when the caller knows it."""
    if activity.owner_id == user.pk:
        return True
    return case_change_allowed(user, case) if case_allowed is None else case_allowed


def require_activity_change(user: Actor, case: Case, activity: Activity) -> None:
    """Refuse with `forbidden` unless `user` may change `activity` of `case` (`SYSTEM` may
    change any)."""
    checked = actor_user(user)
    if checked is not None and not activity_change_allowed(checked, case, activity):
        raise Forbidden("You may not change this case.", details={"case_id": str(case.pk)})
