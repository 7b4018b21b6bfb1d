"""Who hears of what (docs/notifications.md#kinds): the case-write step, the e-mail hook, the
note hook and the SLA firings. Each runs inside the transaction of the change it reports and
costs a few queries however many cases the change touches."""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Iterable, Sequence
from typing import Any

from django.db.models import Q

from casedesk.cases.choices import CaseAction
from casedesk.cases.models import Case, Note
from casedesk.cases.services.pipeline import CaseChange
from casedesk.directory.access import Actor, actor_user_id
from casedesk.directory.models import Team, User
from casedesk.mail import hooks
from casedesk.mail.choices import Outcome
from casedesk.notifications import messages
from casedesk.notifications.choices import NotificationKind
from casedesk.notifications.mentions import mentioned_usernames
from casedesk.notifications.models import Follow
from casedesk.notifications.services.notify import Pending, notifications_write

# Case writes that tell followers nothing of their own: an e-mail on the case is told by the
# e-mail hook (`email_received`), to the owner too.
_NOT_FOR_FOLLOWERS = frozenset({CaseAction.EMAIL})


def _followers(case_ids: Iterable[uuid.UUID]) -> dict[uuid.UUID, list[uuid.UUID]]:
    ids = list(dict.fromkeys(case_ids))
    found: dict[uuid.UUID, list[uuid.UUID]] = defaultdict(list)
    if ids:
        for case_id, user_id in Follow.objects.filter(case_id__in=ids).values_list(
            "case_id", "user_id"
        ):
            found[case_id].append(user_id)
    return found


def _team_members(team_ids: Iterable[uuid.UUID]) -> dict[uuid.UUID, tuple[str, list[uuid.UUID]]]:
    """Each team's name and members: one query."""
    ids = list(dict.fromkeys(team_ids))
    found: dict[uuid.UUID, tuple[str, list[uuid.UUID]]] = {}
    if ids:
        rows = Team.members.through.objects.filter(team_id__in=ids).values_list(
            "team_id", "team__name", "user_id"
        )
        for team_id, name, user_id in rows:
            found.setdefault(team_id, (name, []))[1].append(user_id)
    return found


def _new_owner(change: CaseChange) -> tuple[str, uuid.UUID] | None:
    owner = change.changes.get("owner")
    if not owner or not isinstance(owner[1], dict):
        return None
    ref: dict[str, Any] = owner[1]
    try:
        return str(ref["type"]), uuid.UUID(str(ref["id"]))
    except (KeyError, ValueError):
        return None


def case_notifications_step(written: Sequence[tuple[Case, CaseChange]]) -> None:
    """The case-write step: `assigned` to the new owner (a user, or each member of a team)
    and `followed_case_changed` to the followers of a case that changed — not to whoever is
    told `assigned` by the same write, and nobody of their own change. At most three queries
    and two inserts for the whole batch."""
    owners: dict[uuid.UUID, tuple[str, uuid.UUID]] = {}
    changed: list[CaseChange] = []
    for _case, change in written:
        owner = _new_owner(change)
        if owner is not None:
            owners[change.case_id] = owner
        if not change.created and change.changes and change.action not in _NOT_FOR_FOLLOWERS:
            changed.append(change)
    if not owners and not changed:
        return
    teams = _team_members(ref for kind, ref in owners.values() if kind == "team")
    followers = _followers(change.case_id for change in changed)
    pending: list[Pending] = []
    assigned: dict[uuid.UUID, set[uuid.UUID]] = defaultdict(set)
    for _case, change in written:
        owner = owners.get(change.case_id)
        if owner is None:
            continue
        kind, ref = owner
        if kind == "user":
            recipients, message, params = [ref], messages.ASSIGNED_TO_YOU, {}
        else:
            name, recipients = teams.get(ref, ("", []))
            message, params = messages.ASSIGNED_TO_TEAM, {"team": name}
        for user_id in recipients:
            assigned[change.case_id].add(user_id)
            pending.append(
                Pending(
                    kind=NotificationKind.ASSIGNED,
                    recipient_id=user_id,
                    case_id=change.case_id,
                    actor_id=change.actor_id,
                    message=message,
                    params=params,
                )
            )
    for change in changed:
        for user_id in followers.get(change.case_id, ()):
            if user_id in assigned[change.case_id]:
                continue
            pending.append(
                Pending(
                    kind=NotificationKind.FOLLOWED_CASE_CHANGED,
                    recipient_id=user_id,
                    case_id=change.case_id,
                    actor_id=change.actor_id,
                    message=messages.CASE_CHANGED,
                    params={"action": str(change.action)},
                )
            )
    notifications_write(pending)


def email_notifications_hook(change: hooks.EmailChange) -> None:
    """`email_received` to the owner of the case an incoming e-mail was added to (each
    member of an owning team) and to its followers. An e-mail that opens a new case is told
    as the new case's assignment (`assigned`), not twice."""
    if change.kind != hooks.RECEIVED or change.case_id is None:
        return
    if change.status not in (Outcome.APPENDED, Outcome.REOPENED):
        return
    owner = Case.objects.filter(id=change.case_id).values_list("owner_user_id", "owner_team_id")
    recipients: list[uuid.UUID] = []
    for user_id, team_id in owner:
        if user_id is not None:
            recipients.append(user_id)
        elif team_id is not None:
            recipients += _team_members([team_id]).get(team_id, ("", []))[1]
    recipients += _followers([change.case_id]).get(change.case_id, [])
    notifications_write(
        [
            Pending(
                kind=NotificationKind.EMAIL_RECEIVED,
                recipient_id=user_id,
                case_id=change.case_id,
                actor_id=None,
                message=messages.EMAIL_RECEIVED,
                params={"sender": change.sender},
            )
            for user_id in recipients
        ]
    )


def _mentioned(text: str) -> list[uuid.UUID]:
    """The active users `@`-mentioned in `text` (user names match regardless of case)."""
    names = mentioned_usernames(text)
    if not names:
        return []
    match = Q()
    for name in names:
        match |= Q(username__iexact=name)
    return list(User.objects.filter(match, is_active=True).values_list("id", flat=True))


def note_notifications_hook(note: Note, actor: Actor) -> None:
    """`mention` to each active user `@`-named in a new note, and `followed_case_changed` to
    the case's other followers; nobody of their own note."""
    actor_id = actor_user_id(actor)
    mentioned = _mentioned(note.text)
    pending = [
        Pending(
            kind=NotificationKind.MENTION,
            recipient_id=user_id,
            case_id=note.case_id,
            actor_id=actor_id,
            message=messages.MENTIONED,
        )
        for user_id in mentioned
    ]
    told = set(mentioned)
    pending += [
        Pending(
            kind=NotificationKind.FOLLOWED_CASE_CHANGED,
            recipient_id=user_id,
            case_id=note.case_id,
            actor_id=actor_id,
            message=messages.NOTE_ADDED,
        )
        for user_id in _followers([note.case_id]).get(note.case_id, [])
        if user_id not in told
    ]
    notifications_write(pending)
