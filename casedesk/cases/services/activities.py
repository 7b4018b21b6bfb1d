"""Activities, notes and posts on a case (docs/cases.md).

Users add phone calls, tasks, e-mails and appointments; completing one records its actual
duration, cancelling closes it without time; closed activities are read-only. Activities,
notes and posts may still be added to a resolved case (follow-ups), which is not an edit of
the case. The total time of an active case is kept on the case as activities complete.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.db.models import Sum

from casedesk.cases import workflow
from casedesk.cases.choices import (
    USER_ACTIVITY_TYPES,
    ActivityState,
    ActivityType,
    CaseAction,
    Direction,
    State,
)
from casedesk.cases.locks import activity_lock, case_lock
from casedesk.cases.models import Activity, Case, Note, Post
from casedesk.cases.permissions import require_activity_change, require_case_change
from casedesk.cases.services.common import case_snapshot
from casedesk.cases.services.first_response import gives_first_response
from casedesk.cases.services.pipeline import CaseWrite, case_write_finish
from casedesk.core import clock
from casedesk.core.audit import audit_record, diff, snapshot
from casedesk.core.choices import Channel
from casedesk.core.concurrency import ExpectedVersion, check_version
from casedesk.core.errors import (
    ActivityClosed,
    CaseNotActive,
    ValidationFailed,
)
from casedesk.directory.access import Actor, actor_user_id
from casedesk.directory.models import User

# Fields of an open activity that a PATCH may change, under their API names.
ACTIVITY_WRITABLE = frozenset(
    {
        "subject",
        "description",
        "direction",
        "due",
        "scheduled_start",
        "scheduled_end",
        "duration_minutes",
    }
)
ACTIVITY_AUDITED = (
    "type",
    "subject",
    "description",
    "state",
    "direction",
    "due",
    "scheduled_start",
    "scheduled_end",
    "duration_minutes",
    "billed",
    "closed_at",
)
SUBJECT_MAX = 200


@dataclass(frozen=True)
class ActivityChange:
    """What happened to one activity in a write (`action`: create, update, complete, cancel),
    as the apps that build on activities receive it, inside the write's transaction.

    `changes` is `{field: [old, new]}` under the API names, exactly as audited.
    """

    activity: Activity
    action: str
    channel: str
    actor_id: uuid.UUID | None
    changes: Mapping[str, list[Any]]


ActivityWriteHook = Callable[[Sequence[ActivityChange]], object]
_hooks: list[ActivityWriteHook] = []


def activity_write_hook_add(hook: ActivityWriteHook) -> None:
    """Run `hook` in every activity write, after its audit row (once, however often it is
    added). For apps that build on `cases` (the outbox); call from `ready()`."""
    if hook not in _hooks:
        _hooks.append(hook)


NoteWriteHook = Callable[[Note, Actor], object]
_note_hooks: list[NoteWriteHook] = []


def note_write_hook_add(hook: NoteWriteHook) -> None:
    """Run `hook(note, actor)` for every new note, after its audit row, in its transaction
    (once, however often it is added). For apps that build on `cases` (notifications); call
    from `ready()`."""
    if hook not in _note_hooks:
        _note_hooks.append(hook)


def activity_facts(activity: Activity) -> workflow.ActivityFacts:
    return workflow.ActivityFacts(
        id=activity.pk,
        type=activity.type,
        state=activity.state,
        duration_minutes=activity.duration_minutes,
        billed=activity.billed,
    )


def case_total_time(case: Case) -> int:
    """The total time of `case` now: its completed activities not yet billed (docs/cases.md)."""
    total = (
        Activity.objects.filter(case_id=case.pk, state=ActivityState.COMPLETED, billed=False)
        .exclude(type=ActivityType.CASE_RESOLUTION)
        .aggregate(total=Sum("duration_minutes"))["total"]
    )
    return int(total or 0)


def case_total_refresh(
    *,
    actor: Actor,
    case: Case,
    channel: str,
    action: CaseAction,
    details: dict[str, Any],
    first_response_at: dt.datetime | None = None,
) -> bool:
    """Bring an active case's `total_minutes` in step with its activities (the case is locked
    by the caller), and record its first response at `first_response_at` when given (in the
    same write). A resolved or cancelled case keeps the totals of its resolution."""
    if case.state != State.ACTIVE:
        return False
    total = case_total_time(case)
    if total == case.total_minutes and first_response_at is None:
        return False
    before = case_snapshot(case)
    case.total_minutes = total
    if first_response_at is not None:
        case.first_response_at = first_response_at
    case_write_finish(
        case=case,
        actor=actor,
        channel=channel,
        write=CaseWrite(action=action, before=before, details=details),
    )
    return True


def _aware(value: dt.datetime | None, field: str) -> dt.datetime | None:
    if value is None:
        return None
    if not isinstance(value, dt.datetime):
        raise ValidationFailed({field: "must be a date and time"})
    if value.tzinfo is None:
        value = value.replace(tzinfo=dt.UTC)
    try:
        # Stored in UTC: a time whose UTC form leaves the calendar's range cannot be kept.
        return value.astimezone(dt.UTC)
    except (OverflowError, ValueError) as exc:
        raise ValidationFailed({field: "is out of range"}) from exc


def _lock_case_for_additions(*, actor: Actor, case_id: uuid.UUID) -> Case:
    """The case, locked, if `actor` may add to it: it must not be cancelled or merged (a
    resolved case takes follow-ups)."""
    case = case_lock(case_id=case_id)
    require_case_change(actor, case)
    if case.state == State.CANCELLED:
        raise CaseNotActive(
            "Nothing can be added to a cancelled or merged case.",
            details={"case_id": str(case.pk), "state": case.state, "status": case.status},
        )
    return case


def activity_snapshot(activity: Activity) -> dict[str, Any]:
    """The activity's audited fields under their API names."""
    values = snapshot(activity, ACTIVITY_AUDITED)
    values["case_id"] = str(activity.case_id)
    values["owner"] = str(activity.owner_id) if activity.owner_id else None
    return values


def activity_audit(
    *,
    actor: Actor,
    activity: Activity,
    action: str,
    channel: str,
    before: dict[str, Any] | None,
    details: dict[str, Any] | None = None,
) -> None:
    """The audit row of an activity write, and the write hooks (the outbox's activity events);
    `before` is None for a new activity."""
    changes = diff(before or {}, activity_snapshot(activity))
    audit_record(
        actor=actor,
        action=action,
        channel=channel,
        entity=activity,
        entity_type="activity",
        changes=changes,
        details={"case_id": str(activity.case_id), **(details or {})},
    )
    if _hooks:
        written = [
            ActivityChange(
                activity=activity,
                action=action,
                channel=channel,
                actor_id=actor_user_id(actor),
                changes=changes,
            )
        ]
        for hook in _hooks:
            hook(written)


def _validate(activity: Activity) -> None:
    problems: dict[str, str] = {}
    if not activity.subject or not activity.subject.strip():
        problems["subject"] = "is required"
    elif len(activity.subject) > SUBJECT_MAX:
        problems["subject"] = f"at most {SUBJECT_MAX} characters"
    if activity.direction is not None and activity.direction not in Direction.values:
        problems["direction"] = "must be incoming or outgoing"
    elif not workflow.direction_allowed(activity.type, activity.direction):
        problems["direction"] = "only phone calls and e-mails have a direction"
    if activity.duration_minutes is not None and activity.duration_minutes < 0:
        problems["duration_minutes"] = "cannot be negative"
    start, end = activity.scheduled_start, activity.scheduled_end
    if start is not None and end is not None and end < start:
        problems["scheduled_end"] = "must not be before scheduled_start"
    if problems:
        raise ValidationFailed(problems)


@transaction.atomic
def activity_create(
    *,
    actor: User,
    case_id: uuid.UUID,
    type: str,
    subject: str,
    description: str = "",
    due: dt.datetime | None = None,
    scheduled_start: dt.datetime | None = None,
    scheduled_end: dt.datetime | None = None,
    direction: str | None = None,
    duration_minutes: int | None = None,
    channel: str = Channel.API,
) -> Activity:
    """Add an open phone call, task, e-mail or appointment to a case; the caller owns it.

    Refuse with `forbidden` (a case the caller may not change), `case_not_active` (a cancelled
    or merged case) or `validation_error` (type, subject, direction, schedule, duration).
    """
    case = _lock_case_for_additions(actor=actor, case_id=case_id)
    if type not in USER_ACTIVITY_TYPES:
        raise ValidationFailed({"type": "must be phone_call, task, email or appointment"})
    activity = Activity(
        case=case,
        type=type,
        subject=subject,
        description=description or "",
        state=ActivityState.OPEN,
        direction=direction,
        due=_aware(due, "due"),
        scheduled_start=_aware(scheduled_start, "scheduled_start"),
        scheduled_end=_aware(scheduled_end, "scheduled_end"),
        duration_minutes=duration_minutes,
        owner=actor,
        created_by=actor,
        created_at=clock.now(),
    )
    _validate(activity)
    activity.save()
    activity_audit(actor=actor, activity=activity, action="create", channel=channel, before=None)
    return activity


@transaction.atomic
def activity_update(
    *,
    actor: User,
    activity_id: uuid.UUID,
    changes: dict[str, Any],
    expected_version: ExpectedVersion = None,
    channel: str = Channel.API,
) -> Activity:
    """Apply a merge patch to an open activity (absent: unchanged; null: cleared).

    Refuse with `not_found`, `version_mismatch`, `forbidden` (neither its owner nor allowed to
    change its case), `activity_closed` (completed or cancelled) or `validation_error`.
    """
    case, activity = activity_lock(activity_id)
    check_version(expected_version, activity.version)
    require_activity_change(actor, case, activity)
    if workflow.activity_is_closed(activity.state):
        raise ActivityClosed(details={"activity_id": str(activity.pk), "state": activity.state})
    unknown = set(changes) - ACTIVITY_WRITABLE
    if unknown:
        raise ValidationFailed({name: "is not a writable field" for name in sorted(unknown)})
    before = activity_snapshot(activity)
    for field in ("due", "scheduled_start", "scheduled_end"):
        if field in changes:
            setattr(activity, field, _aware(changes[field], field))
    if "subject" in changes:
        activity.subject = changes["subject"] or ""
    if "description" in changes:
        activity.description = changes["description"] or ""
    if "direction" in changes:
        activity.direction = changes["direction"]
    if "duration_minutes" in changes:
        activity.duration_minutes = changes["duration_minutes"]
    _validate(activity)
    if activity_snapshot(activity) == before:
        return activity
    activity.version += 1
    activity.save()
    activity_audit(actor=actor, activity=activity, action="update", channel=channel, before=before)
    return activity


def _close(
    *,
    actor: User,
    activity_id: uuid.UUID,
    state: str,
    duration_minutes: int | None,
    expected_version: ExpectedVersion,
    channel: str,
) -> Activity:
    case, activity = activity_lock(activity_id)
    check_version(expected_version, activity.version)
    require_activity_change(actor, case, activity)
    if workflow.activity_is_closed(activity.state):
        raise ActivityClosed(details={"activity_id": str(activity.pk), "state": activity.state})
    if duration_minutes is not None:
        if duration_minutes < 0:
            raise ValidationFailed({"duration_minutes": "cannot be negative"})
        activity.duration_minutes = duration_minutes
    before = activity_snapshot(activity)
    activity.state = state
    activity.closed_at = clock.now()
    activity.version += 1
    activity.save()
    action = "complete" if state == ActivityState.COMPLETED else "cancel"
    activity_audit(actor=actor, activity=activity, action=action, channel=channel, before=before)
    if state == ActivityState.COMPLETED:
        case_total_refresh(
            actor=actor,
            case=case,
            channel=channel,
            action=CaseAction.ACTIVITY_COMPLETE,
            details={"activity_id": str(activity.pk)},
            # The first completed outgoing phone call is the case's first response.
            first_response_at=activity.closed_at if gives_first_response(case, activity) else None,
        )
    return activity


@transaction.atomic
def activity_complete(
    *,
    actor: User,
    activity_id: uuid.UUID,
    duration_minutes: int | None = None,
    expected_version: ExpectedVersion = None,
    channel: str = Channel.API,
) -> Activity:
    """Complete an open activity, recording its actual duration (`duration_minutes`; omitted:
    keep the activity's own). On an active case the total time grows.

    Refuse with `not_found`, `version_mismatch`, `forbidden`, `activity_closed`,
    `validation_error` (a negative duration).
    """
    return _close(
        actor=actor,
        activity_id=activity_id,
        state=ActivityState.COMPLETED,
        duration_minutes=duration_minutes,
        expected_version=expected_version,
        channel=channel,
    )


@transaction.atomic
def activity_cancel(
    *,
    actor: User,
    activity_id: uuid.UUID,
    expected_version: ExpectedVersion = None,
    channel: str = Channel.API,
) -> Activity:
    """Cancel an open activity: it closes without counting time.

    Refuse with `not_found`, `version_mismatch`, `forbidden`, `activity_closed`.
    """
    return _close(
        actor=actor,
        activity_id=activity_id,
        state=ActivityState.CANCELLED,
        duration_minutes=None,
        expected_version=expected_version,
        channel=channel,
    )


def activities_cancel_open(
    *, actor: Actor, activities: list[Activity], channel: str, details: dict[str, Any]
) -> list[str]:
    """Cancel the given open activities (locked by the caller) as part of closing their case;
    returns their ids."""
    now = clock.now()
    ids: list[str] = []
    for activity in activities:
        before = activity_snapshot(activity)
        activity.state = ActivityState.CANCELLED
        activity.closed_at = now
        activity.version += 1
        activity.save(update_fields=["state", "closed_at", "version"])
        activity_audit(
            actor=actor,
            activity=activity,
            action="cancel",
            channel=channel,
            before=before,
            details=details,
        )
        ids.append(str(activity.pk))
    return ids


def _text(text: str, field: str = "text") -> str:
    if not text or not text.strip():
        raise ValidationFailed({field: "is required"})
    return text


@transaction.atomic
def note_create(*, actor: User, case_id: uuid.UUID, text: str, channel: str = Channel.API) -> Note:
    """Add a note to a case (active or resolved).

    Refuse with `forbidden`, `case_not_active` (cancelled or merged), `validation_error`.
    """
    case = _lock_case_for_additions(actor=actor, case_id=case_id)
    note = Note.objects.create(case=case, text=_text(text), author=actor, created_at=clock.now())
    audit_record(
        actor=actor,
        action="create",
        channel=channel,
        entity=note,
        entity_type="note",
        changes={"text": [None, note.text]},
        details={"case_id": str(case.pk)},
    )
    for hook in _note_hooks:
        hook(note, actor)
    return note


@transaction.atomic
def post_create(*, actor: User, case_id: uuid.UUID, text: str, channel: str = Channel.API) -> Post:
    """Add a user's post to a case (active or resolved); the system's own posts have no author.

    Refuse with `forbidden`, `case_not_active` (cancelled or merged), `validation_error`.
    """
    case = _lock_case_for_additions(actor=actor, case_id=case_id)
    post = Post.objects.create(case=case, text=_text(text), author=actor, created_at=clock.now())
    audit_record(
        actor=actor,
        action="create",
        channel=channel,
        entity=post,
        entity_type="post",
        changes={"text": [None, post.text]},
        details={"case_id": str(case.pk)},
    )
    return post
