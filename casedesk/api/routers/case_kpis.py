"""A case's service level (docs/service-levels.md#on-a-case): its KPI instances, and marking
its first response given."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from django.http import HttpRequest, HttpResponse
from ninja import Query, Router, Schema

from casedesk.api.auth import actor
from casedesk.api.http import if_match
from casedesk.api.routers.cases import CaseRecordOut, case_response
from casedesk.api.schemas import OPTIONAL_BODY, NoBody, Out, errors
from casedesk.cases import selectors
from casedesk.cases.services.first_response import case_first_response_mark
from casedesk.sla.selectors import case_kpis

router = Router(tags=["cases"])


class KpiOut(Out):
    kpi: str
    item: str
    status: str
    in_force: bool
    started_at: dt.datetime
    warning_at: dt.datetime
    failure_at: dt.datetime
    succeeded_at: dt.datetime | None
    cancelled_at: dt.datetime | None
    paused_seconds: int
    paused_since: dt.datetime | None


class CaseSlaOut(Out):
    sla_id: uuid.UUID | None
    kpis: list[KpiOut]


class CaseSlaParams(Schema):
    all: bool = False


@router.get("/cases/{case_id}/sla", response={200: CaseSlaOut, **errors()})
def case_sla(request: HttpRequest, case_id: uuid.UUID, params: Query[CaseSlaParams]) -> Any:
    """The case's KPI instances in force, one a KPI (`?all=true` adds the cancelled and
    superseded ones), by KPI."""
    case = selectors.case_get(case_id=case_id)
    return {
        "sla_id": case.sla_id,
        "kpis": [
            {
                "kpi": row.kpi,
                "item": row.item_name,
                "status": row.status,
                "in_force": row.in_force,
                "started_at": row.started_at,
                "warning_at": row.warning_at,
                "failure_at": row.failure_at,
                "succeeded_at": row.succeeded_at,
                "cancelled_at": row.cancelled_at,
                "paused_seconds": row.paused_seconds,
                "paused_since": row.paused_since,
            }
            for row in case_kpis(case_id=case.pk, everything=params.all)
        ],
    }


@router.post(
    "/cases/{case_id}/first-response",
    response={200: CaseRecordOut, **errors(403, 409, 412, 413, 422)},
)
def case_first_response(
    request: HttpRequest,
    case_id: uuid.UUID,
    response: HttpResponse,
    payload: NoBody | None = OPTIONAL_BODY,
) -> Any:
    """Mark the first response to an active case given now. Already given: 409
    `first_response_given`; a resolved or cancelled case: 409 `case_not_active`."""
    case = case_first_response_mark(
        actor=actor(request), case_id=case_id, expected_version=if_match(request)
    )
    return case_response(response, case, actor(request))
