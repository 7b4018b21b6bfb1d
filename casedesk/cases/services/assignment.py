"""Assign a case to a user or a team (docs/routing.md)."""

from __future__ import annotations

import uuid
from typing import Any

from django.db import transaction

from casedesk.cases.choices import CaseAction, State
from casedesk.cases.locks import case_lock
from casedesk.cases.models import Case
from casedesk.cases.permissions import require_case_change
from casedesk.cases.selectors import case_get
from casedesk.cases.services.common import (
    Ref,
    case_snapshot,
    resolve_owner,
    set_owner,
)
from casedesk.cases.services.pipeline import CaseWrite, SystemPost, case_write_finish
from casedesk.core.choices import Channel
from casedesk.core.concurrency import ExpectedVersion, check_version
from casedesk.core.errors import CaseNotActive
from casedesk.directory.models import Team, User


def owner_name(owner: User | Team) -> str:
    return owner.display_name if isinstance(owner, User) else owner.name


OWNER_FIELDS = ("owner_user", "owner_team", "version", "modified_at")


def case_owns(case: Case, owner: User | Team) -> bool:
    """Whether `owner` already owns `case`."""
    if isinstance(owner, User):
        return case.owner_user_id == owner.pk
    return case.owner_team_id == owner.pk


def assign_write(before: dict[str, Any], owner: User | Team, *, save: bool = True) -> CaseWrite:
    """The case write of an assignment to `owner` (`before`: the case's snapshot before it),
    with its timeline post. `save`: False when another write of the same change saves it."""
    return CaseWrite(
        action=CaseAction.ASSIGN,
        before=before,
        post=SystemPost("assigned", {"owner": owner_name(owner)}),
        save_fields=OWNER_FIELDS,
        save=save,
    )


def require_active(case: Case) -> None:
    if case.state != State.ACTIVE:
        raise CaseNotActive(details={"case_id": str(case.pk), "state": case.state})


def active_case_lock(*, actor: User, case_id: uuid.UUID, expected_version: ExpectedVersion) -> Case:
    """The case an owner or queue write changes: locked, at the expected version, changeable
    by `actor` and active. Refuse with `not_found`, `version_mismatch`, `forbidden`,
    `case_not_active`, in that order."""
    case = case_lock(case_id=case_id)
    check_version(expected_version, case.version)
    require_case_change(actor, case)
    require_active(case)
    return case


@transaction.atomic
def case_assign(
    *,
    actor: User,
    case_id: uuid.UUID,
    owner: Ref,
    expected_version: ExpectedVersion = None,
    channel: str = Channel.API,
) -> Case:
    """Make a user or a team the owner of an active case.

    Agents assign the cases they may change; managers any case. Assigning the current owner
    changes nothing. Refuse with `not_found`, `version_mismatch`, `forbidden`,
    `case_not_active`, and `validation_error` for an unknown or inactive owner.
    """
    case = active_case_lock(actor=actor, case_id=case_id, expected_version=expected_version)
    target = resolve_owner(owner)
    before = case_snapshot(case)
    if case_owns(case, target):
        return case_get(case_id=case.pk)
    set_owner(case, target)
    case_write_finish(case=case, actor=actor, channel=channel, write=assign_write(before, target))
    return case_get(case_id=case.pk)
