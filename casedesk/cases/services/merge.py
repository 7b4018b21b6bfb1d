"""Merge a case into another (docs/cases.md): all or nothing, both cases locked in id order."""

from __future__ import annotations

import uuid

from django.db import transaction
from django.db.models import F

from casedesk.cases import workflow
from casedesk.cases.choices import CaseAction
from casedesk.cases.locks import cases_lock_in_id_order
from casedesk.cases.models import Activity, Case, Note, Post
from casedesk.cases.permissions import require_case_change
from casedesk.cases.selectors import case_get, service_settings
from casedesk.cases.services import family
from casedesk.cases.services.activities import case_total_time
from casedesk.cases.services.common import case_snapshot, transition_check
from casedesk.cases.services.lifecycle import state_refusal
from casedesk.cases.services.pipeline import CaseWrite, SystemPost, case_write_finish
from casedesk.core.choices import Channel
from casedesk.core.concurrency import ExpectedVersion, check_version
from casedesk.core.errors import NotFound, ValidationFailed
from casedesk.directory.access import Actor


@transaction.atomic
def case_merge(
    *,
    actor: Actor,
    case_id: uuid.UUID,
    into_id: uuid.UUID,
    expected_version: ExpectedVersion = None,
    channel: str = Channel.API,
) -> Case:
    """Merge the subordinate case `case_id` into the master `into_id`.

    The subordinate becomes cancelled/merged with `merged_into_id`; its activities (every
    kind), notes, posts, resolutions and child cases move to the master; its queue item is
    closed; connections stay. `expected_version` is the subordinate's; the master's version
    grows too. Both cases are locked in id order.

    Refuse with `not_found` (the subordinate), `validation_error` (`into`: the same case or no
    such case), `version_mismatch`, `forbidden` (either case), `case_not_active` (either case),
    `transition_not_allowed` (the subordinate to `merged`) or `case_hierarchy` (one the parent
    of the other, a child into a case of another parent, children the master cannot take).
    """
    if case_id == into_id:
        raise ValidationFailed({"into": "a case cannot be merged into itself"})
    locked = cases_lock_in_id_order(case_ids=[case_id, into_id])
    subordinate = locked.get(case_id)
    if subordinate is None:
        raise NotFound("No such case.")
    master = locked.get(into_id)
    if master is None:
        raise ValidationFailed({"into": "no such case"})
    check_version(expected_version, subordinate.version)
    require_case_change(actor, subordinate)
    require_case_change(actor, master)
    state_refusal(workflow.MERGE, subordinate)
    state_refusal(workflow.MERGE, master)
    config = service_settings()
    state, status = workflow.lifecycle_target(workflow.MERGE)
    transition_check(subordinate, status, config)
    children = family.children_locked(subordinate)
    reason = workflow.merge_hierarchy_refusal(
        subordinate=family.family_facts(subordinate, children=len(children)),
        master=family.family_facts(master),
        max_child_cases=config.max_child_cases,
    )
    if reason is not None:
        raise family.hierarchy_error(
            reason,
            case_id=subordinate.pk,
            into=str(master.pk),
            max_child_cases=config.max_child_cases,
        )

    sub_before, master_before = case_snapshot(subordinate), case_snapshot(master)
    bump = {"version": F("version") + 1}
    moved = {
        "activities": Activity.objects.filter(case_id=subordinate.pk).update(case=master, **bump),
        "notes": Note.objects.filter(case_id=subordinate.pk).update(case=master, **bump),
        "posts": Post.objects.filter(case_id=subordinate.pk).update(case=master, **bump),
        "child_cases": len(children),
    }
    for child in children:
        child_before = case_snapshot(child)
        child.parent = master
        case_write_finish(
            case=child,
            actor=actor,
            channel=Channel.MERGE,
            write=CaseWrite(
                action=CaseAction.UPDATE,
                before=child_before,
                details={"merged_case_id": str(subordinate.pk)},
            ),
        )

    subordinate.state, subordinate.status = state, status
    subordinate.merged_into = master
    subordinate.total_minutes = 0
    subordinate.billable_minutes = 0
    case_write_finish(
        case=subordinate,
        actor=actor,
        channel=channel,
        write=CaseWrite(
            action=CaseAction.MERGE,
            before=sub_before,
            details={"into": str(master.pk), "moved": moved},
            leaves_queue=True,
        ),
    )

    master.total_minutes = case_total_time(master)
    case_write_finish(
        case=master,
        actor=actor,
        channel=Channel.MERGE,
        write=CaseWrite(
            action=CaseAction.MERGE,
            before=master_before,
            details={"merged_case_id": str(subordinate.pk), "moved": moved},
            post=SystemPost("merged", {"ticket": subordinate.ticket_number}),
        ),
    )
    return case_get(case_id=subordinate.pk)
