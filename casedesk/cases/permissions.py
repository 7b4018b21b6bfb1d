"""Who may change a case (SPEC §11). Reading is open to every authenticated user."""

from __future__ import annotations

from casedesk.cases.models import Case
from casedesk.core.errors import Forbidden
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
    if user.is_manager:
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


def require_case_change(user: User | None, case: Case) -> None:
    """Refuse with `forbidden` unless `user` may change `case` (`None` is the system)."""
    if user is not None and not case_change_allowed(user, case):
        raise Forbidden("You may not change this case.", details={"case_id": str(case.pk)})
