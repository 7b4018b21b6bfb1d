"""The lifecycle actions of a case: resolve, cancel, merge, reactivate, and the cases it may be
merged into (docs/cases.md)."""

from __future__ import annotations

import uuid
from typing import Any, Literal

from django.http import HttpRequest, HttpResponse
from ninja import Router

from casedesk.api.auth import actor
from casedesk.api.http import if_match
from casedesk.api.routers.cases import CaseOut, CaseRecordOut, case_out, case_response
from casedesk.api.schemas import OPTIONAL_BODY, In, NoBody, Out, errors
from casedesk.cases import selectors
from casedesk.cases.allowed import case_allowed
from casedesk.cases.services import lifecycle, merge
from casedesk.core.types import Flag, Minutes, ResolutionText

router = Router(tags=["cases"])


class ResolveIn(In):
    resolution_type: Literal["problem_solved", "information_provided"] = "problem_solved"
    resolution: ResolutionText
    billable_minutes: Minutes | None = None
    cancel_open_activities: Flag = False


class CancelIn(In):
    cancel_open_activities: Flag = False


class MergeIn(In):
    into: uuid.UUID


@router.post(
    "/cases/{case_id}/resolve", response={200: CaseRecordOut, **errors(403, 409, 412, 413, 422)}
)
def case_resolve(
    request: HttpRequest, case_id: uuid.UUID, payload: ResolveIn, response: HttpResponse
) -> Any:
    """Resolve an active case. Open activities → 409 `open_activities` (with `count` and
    `activity_ids`) unless `cancel_open_activities`; `billable_minutes` defaults to the total
    time."""
    case = lifecycle.case_resolve(
        actor=actor(request),
        case_id=case_id,
        resolution_type=payload.resolution_type,
        resolution=payload.resolution,
        billable_minutes=payload.billable_minutes,
        cancel_open_activities=payload.cancel_open_activities,
        expected_version=if_match(request),
    )
    return case_response(response, case, actor(request))


@router.post(
    "/cases/{case_id}/cancel", response={200: CaseRecordOut, **errors(403, 409, 412, 413, 422)}
)
def case_cancel(
    request: HttpRequest,
    case_id: uuid.UUID,
    response: HttpResponse,
    payload: CancelIn | None = None,
) -> Any:
    """Cancel an active case (same open-activities rule as resolve)."""
    case = lifecycle.case_cancel(
        actor=actor(request),
        case_id=case_id,
        cancel_open_activities=payload.cancel_open_activities if payload else False,
        expected_version=if_match(request),
    )
    return case_response(response, case, actor(request))


@router.post(
    "/cases/{case_id}/merge", response={200: CaseRecordOut, **errors(403, 409, 412, 413, 422)}
)
def case_merge(
    request: HttpRequest, case_id: uuid.UUID, payload: MergeIn, response: HttpResponse
) -> Any:
    """Merge this case into `into`: it becomes cancelled/merged and everything it holds moves
    to the master. `If-Match` is this case's version."""
    case = merge.case_merge(
        actor=actor(request),
        case_id=case_id,
        into_id=payload.into,
        expected_version=if_match(request),
    )
    return case_response(response, case, actor(request))


@router.post(
    "/cases/{case_id}/reactivate", response={200: CaseRecordOut, **errors(403, 409, 412, 413, 422)}
)
def case_reactivate(
    request: HttpRequest,
    case_id: uuid.UUID,
    response: HttpResponse,
    payload: NoBody | None = OPTIONAL_BODY,
) -> Any:
    """Return a resolved, or cancelled but not merged, case to active/in_progress."""
    case = lifecycle.case_reactivate(
        actor=actor(request), case_id=case_id, expected_version=if_match(request)
    )
    return case_response(response, case, actor(request))


class MergeCandidatesOut(Out):
    items: list[CaseOut]


@router.get("/cases/{case_id}/merge-candidates", response={200: MergeCandidatesOut, **errors()})
def case_merge_candidates(request: HttpRequest, case_id: uuid.UUID) -> Any:
    """The cases the caller may merge this case into now, newest first: at most 50 active
    cases of the same customer that the caller may change and that the parent and child rules
    let take it. Empty when the caller may not merge this case (`merge` is then missing from
    its `allowed_actions`); the web UI's merge dialog offers the same cases."""
    me = actor(request)
    allowed = case_allowed(user=me, case=selectors.case_get(case_id=case_id))
    return {"items": [case_out(case, me) for case in allowed.merge_candidates]}
