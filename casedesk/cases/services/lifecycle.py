"""Resolve, cancel and reactivate a case (docs/cases.md).

Resolving and cancelling share the open-activities rule and the parent close policy; with the
`cascade` policy each active child is closed the same way in the same transaction, and the
first child that refuses refuses the whole operation with its code and `details.case_id`.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.db.models import F

from casedesk.cases import workflow
from casedesk.cases.choices import ActivityState, ActivityType, CaseAction, Status
from casedesk.cases.locks import activities_open_lock, activities_unbilled_lock, case_lock
from casedesk.cases.models import Activity, Case, ServiceSettings
from casedesk.cases.permissions import require_case_change
from casedesk.cases.selectors import case_get, service_settings
from casedesk.cases.services import family
from casedesk.cases.services.activities import (
    activities_cancel_open,
    activity_facts,
    case_total_time,
)
from casedesk.cases.services.common import case_snapshot, transition_check
from casedesk.cases.services.pipeline import CaseWrite, SystemPost, case_write_finish
from casedesk.core import clock
from casedesk.core.choices import Channel
from casedesk.core.concurrency import ExpectedVersion, check_version
from casedesk.core.errors import (
    CaseMerged,
    CaseNotActive,
    CaseNotClosed,
    ChildCasesOpen,
    DomainError,
    OpenActivities,
    ValidationFailed,
)
from casedesk.directory.access import Actor, actor_user

RESOLUTION_MAX = 2000
SUBJECT_MAX = 200


def state_refusal(action: str, case: Case) -> None:
    """Refuse with the code the state machine gives for `action` on `case`, if any."""
    code = workflow.lifecycle_refusal(action, state=case.state, status=case.status)
    if code is None:
        return
    details = {"case_id": str(case.pk), "state": case.state, "status": case.status}
    if code == workflow.CASE_NOT_ACTIVE:
        raise CaseNotActive(details=details)
    if code == workflow.CASE_NOT_CLOSED:
        raise CaseNotClosed(details=details)
    if code == workflow.CASE_MERGED:
        raise CaseMerged(details=details)
    raise AssertionError(f"unmapped refusal {code}")  # pragma: no cover


@dataclass(frozen=True)
class Closing:
    """What closing a case (and, with `cascade`, each active child) does."""

    action: str  # workflow.RESOLVE or workflow.CANCEL
    cancel_open_activities: bool
    resolution_type: str | None = None
    resolution: str = ""

    @property
    def target(self) -> tuple[str, str]:
        return workflow.lifecycle_target(self.action, resolution_type=self.resolution_type)


def _check(
    *, actor: Actor, case: Case, closing: Closing, config: ServiceSettings
) -> list[Activity]:
    """Every refusal closing `case` may meet; returns its open activities, locked."""
    require_case_change(actor, case)
    state_refusal(closing.action, case)
    transition_check(case, closing.target[1], config)
    open_activities = activities_open_lock(case)
    if open_activities and not closing.cancel_open_activities:
        raise OpenActivities(
            details={
                "case_id": str(case.pk),
                "count": len(open_activities),
                "activity_ids": [str(a.pk) for a in open_activities],
            }
        )
    return open_activities


def _apply(
    *,
    actor: Actor,
    case: Case,
    closing: Closing,
    open_activities: list[Activity],
    billable_minutes: int | None,
    channel: str,
    details: dict[str, Any],
) -> None:
    """Close `case` (checked and locked by the caller), in the caller's transaction."""
    now = clock.now()
    before = case_snapshot(case)
    details = dict(details)
    details["cancelled_activity_ids"] = activities_cancel_open(
        actor=actor,
        activities=open_activities,
        channel=channel,
        details={"reason": closing.action},
    )
    state, status = closing.target
    if closing.action == workflow.RESOLVE:
        counted = activities_unbilled_lock(case)
        minutes = workflow.resolution_minutes(
            [activity_facts(a) for a in counted], billable_minutes
        )
        Activity.objects.filter(id__in=minutes.billed_ids).update(
            billed=True, version=F("version") + 1
        )
        resolution = Activity.objects.create(
            case=case,
            type=ActivityType.CASE_RESOLUTION,
            subject=closing.resolution[:SUBJECT_MAX],
            description=closing.resolution,
            state=ActivityState.COMPLETED,
            owner=actor_user(actor),
            created_by=actor_user(actor),
            created_at=now,
            closed_at=now,
            resolution_type=status,
            total_minutes=minutes.total,
            billable_minutes=minutes.billable,
        )
        case.total_minutes = minutes.total
        case.billable_minutes = minutes.billable
        case.resolved_at = now
        details["resolution_activity_id"] = str(resolution.pk)
        details["billed_activity_ids"] = [str(i) for i in minutes.billed_ids]
    case.state, case.status = state, status
    case.stage = workflow.stage_after(closing.action, case.stage)
    if closing.action == workflow.RESOLVE:
        post = SystemPost("resolved", {"status": status})
    else:
        post = SystemPost("cancelled")
    case_write_finish(
        case=case,
        actor=actor,
        channel=channel,
        write=CaseWrite(
            action=CaseAction(closing.action),
            before=before,
            details=details,
            post=post,
            leaves_queue=True,
        ),
    )


def _close(
    *,
    actor: Actor,
    case_id: uuid.UUID,
    closing: Closing,
    billable_minutes: int | None,
    expected_version: ExpectedVersion,
    channel: str,
) -> Case:
    case = case_lock(case_id=case_id)
    check_version(expected_version, case.version)
    config = service_settings()
    open_activities = _check(actor=actor, case=case, closing=closing, config=config)
    children = family.active_children_locked(case)
    decision = workflow.close_policy_decision(
        config.parent_close_policy, active_children=len(children)
    )
    if decision == workflow.BLOCK:
        raise ChildCasesOpen(
            details={
                "case_id": str(case.pk),
                "count": len(children),
                "child_ids": [str(c.pk) for c in children],
            }
        )
    cascaded: list[str] = []
    if decision == workflow.CASCADE:
        for child in children:
            try:
                child_open = _check(actor=actor, case=child, closing=closing, config=config)
                _apply(
                    actor=actor,
                    case=child,
                    closing=closing,
                    open_activities=child_open,
                    billable_minutes=None,  # each child bills its own total time
                    channel=Channel.CASCADE,
                    details={"parent_id": str(case.pk)},
                )
            except DomainError as exc:
                exc.details = {**exc.details, "case_id": str(child.pk)}
                raise
            cascaded.append(str(child.pk))
    _apply(
        actor=actor,
        case=case,
        closing=closing,
        open_activities=open_activities,
        billable_minutes=billable_minutes,
        channel=channel,
        details={"cascaded_case_ids": cascaded} if cascaded else {},
    )
    return case_get(case_id=case.pk)


@transaction.atomic
def case_resolve(
    *,
    actor: Actor,
    case_id: uuid.UUID,
    resolution: str,
    resolution_type: str = Status.PROBLEM_SOLVED,
    billable_minutes: int | None = None,
    cancel_open_activities: bool = False,
    expected_version: ExpectedVersion = None,
    channel: str = Channel.API,
) -> Case:
    """Resolve an active case with a resolution type (a resolved status), a resolution text and
    billable minutes (default: the total time).

    In one transaction: open activities are cancelled (only with `cancel_open_activities`), a
    completed `case_resolution` activity records text, type, total and billable minutes; the
    counted activities are marked billed; the case keeps those totals, gets `resolved_at`,
    stage `resolve`, leaves its queue; the parent close policy applies to active children.

    Refuse with `not_found`, `version_mismatch`, `forbidden`, `validation_error` (type, text,
    minutes), `case_not_active`, `transition_not_allowed`, `open_activities` (with `count` and
    `activity_ids`), `child_cases_open`, or a child's refusal under `cascade`.
    """
    problems: dict[str, str] = {}
    if resolution_type not in workflow.RESOLVED_STATUSES:
        problems["resolution_type"] = "must be " + " or ".join(workflow.RESOLVED_STATUSES)
    if not resolution or not resolution.strip():
        problems["resolution"] = "is required"
    elif len(resolution) > RESOLUTION_MAX:
        problems["resolution"] = f"at most {RESOLUTION_MAX} characters"
    if billable_minutes is not None and billable_minutes < 0:
        problems["billable_minutes"] = "cannot be negative"
    if problems:
        raise ValidationFailed(problems)
    return _close(
        actor=actor,
        case_id=case_id,
        closing=Closing(
            action=workflow.RESOLVE,
            cancel_open_activities=cancel_open_activities,
            resolution_type=resolution_type,
            resolution=resolution,
        ),
        billable_minutes=billable_minutes,
        expected_version=expected_version,
        channel=channel,
    )


@transaction.atomic
def case_cancel(
    *,
    actor: Actor,
    case_id: uuid.UUID,
    cancel_open_activities: bool = False,
    expected_version: ExpectedVersion = None,
    channel: str = Channel.API,
) -> Case:
    """Cancel an active case: status `cancelled`; the owner is kept; it leaves its queue. Open
    activities are cancelled with it only with `cancel_open_activities`; the parent close
    policy applies to active children.

    Refuse with `not_found`, `version_mismatch`, `forbidden`, `case_not_active`,
    `transition_not_allowed`, `open_activities`, `child_cases_open`, or a child's refusal.
    """
    return _close(
        actor=actor,
        case_id=case_id,
        closing=Closing(action=workflow.CANCEL, cancel_open_activities=cancel_open_activities),
        billable_minutes=None,
        expected_version=expected_version,
        channel=channel,
    )


@transaction.atomic
def case_reactivate(
    *,
    actor: Actor,
    case_id: uuid.UUID,
    expected_version: ExpectedVersion = None,
    channel: str = Channel.API,
) -> Case:
    """Return a resolved case, or a cancelled one that was not merged, to active/in_progress
    with stage `research`. Earlier resolutions stay on the timeline, marked superseded;
    billed activities stay billed; the totals start again from the unbilled time.

    Refuse with `not_found`, `version_mismatch`, `forbidden`, `case_not_closed` (an active
    case), `case_merged`, `transition_not_allowed`.
    """
    case = case_lock(case_id=case_id)
    check_version(expected_version, case.version)
    require_case_change(actor, case)
    state_refusal(workflow.REACTIVATE, case)
    state, status = workflow.lifecycle_target(workflow.REACTIVATE)
    transition_check(case, status, service_settings())
    before = case_snapshot(case)
    superseded = list(
        Activity.objects.filter(
            case_id=case.pk, type=ActivityType.CASE_RESOLUTION, superseded=False
        ).values_list("id", flat=True)
    )
    Activity.objects.filter(id__in=superseded).update(superseded=True, version=F("version") + 1)
    case.state, case.status = state, status
    case.stage = workflow.stage_after(workflow.REACTIVATE, case.stage)
    case.resolved_at = None
    case.total_minutes = case_total_time(case)
    case.billable_minutes = 0
    case_write_finish(
        case=case,
        actor=actor,
        channel=channel,
        write=CaseWrite(
            action=CaseAction.REACTIVATE,
            before=before,
            details={"superseded_activity_ids": [str(i) for i in superseded]},
            post=SystemPost("reactivated"),
        ),
    )
    return case_get(case_id=case.pk)
