"""The first response to a case (docs/service-levels.md#first-response): given by the first
e-mail an agent wrote being sent (`emails.case_first_response_step`), the first completed
outgoing phone call, or an agent marking it. It is recorded once, in `first_response_at`,
through the case-write pipeline, whose SLA step then meets the first response KPI."""

from __future__ import annotations

import uuid

from django.db import transaction

from casedesk.cases.choices import ActivityType, CaseAction, Direction, State
from casedesk.cases.locks import case_lock
from casedesk.cases.models import Activity, Case
from casedesk.cases.permissions import require_case_change
from casedesk.cases.selectors import case_get
from casedesk.cases.services.common import case_snapshot
from casedesk.cases.services.pipeline import CaseWrite, case_write_finish
from casedesk.core import clock
from casedesk.core.choices import Channel
from casedesk.core.concurrency import ExpectedVersion, check_version
from casedesk.core.errors import CaseNotActive, FirstResponseGiven
from casedesk.directory.access import Actor


def gives_first_response(case: Case, activity: Activity) -> bool:
    """Whether completing `activity` gives the active `case` its first response: an outgoing
    phone call, when none was given yet."""
    return (
        activity.type == ActivityType.PHONE_CALL
        and activity.direction == Direction.OUTGOING
        and case.state == State.ACTIVE
        and case.first_response_at is None
    )


@transaction.atomic
def case_first_response_mark(
    *,
    actor: Actor,
    case_id: uuid.UUID,
    expected_version: ExpectedVersion = None,
    channel: str = Channel.API,
) -> Case:
    """Record that the first response to an active case was given now (an agent answered
    the customer some way the desk does not see). Audited as a change of `first_response_at`.

    Refuse with `not_found`, `version_mismatch`, `forbidden` (a case the caller may not
    change), `case_not_active` (resolved or cancelled) or `first_response_given` (with
    `first_response_at`).
    """
    case = case_lock(case_id=case_id)
    check_version(expected_version, case.version)
    require_case_change(actor, case)
    if case.state != State.ACTIVE:
        raise CaseNotActive(details={"case_id": str(case.pk), "state": case.state})
    if case.first_response_at is not None:
        raise FirstResponseGiven(
            details={
                "case_id": str(case.pk),
                "first_response_at": case.first_response_at.isoformat(),
            }
        )
    before = case_snapshot(case)
    case.first_response_at = clock.now()
    case_write_finish(
        case=case,
        actor=actor,
        channel=channel,
        write=CaseWrite(
            action=CaseAction.UPDATE,
            before=before,
            details={"first_response": "marked"},
            save_fields=("first_response_at",),
        ),
    )
    return case_get(case_id=case.pk)
