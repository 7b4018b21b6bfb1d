"""Similar cases and connections (docs/cases.md): `/cases/{id}/similar`,
`/cases/{id}/similar-cases`."""

from __future__ import annotations

import uuid
from typing import Any, Literal

from django.http import HttpRequest, HttpResponse
from ninja import Query, Router, Status

from casedesk.api.auth import actor
from casedesk.api.http import set_etag
from casedesk.api.schemas import In, ListParams, Out, Ref, errors
from casedesk.cases.models import Case, Connection
from casedesk.cases.services.connections import connection_create
from casedesk.core.pagination import paginate
from casedesk.core.types import Flag, Limit, SearchText
from casedesk.search import similar

router = Router(tags=["similar cases"])


class SimilarParams(ListParams):
    q: SearchText | None = None
    subject_id: uuid.UUID | None = None
    include_subsubjects: bool = False
    state: Literal["active", "resolved", "cancelled", "any"] = "resolved"
    limit: Limit = 20


class CandidateOut(Out):
    id: str
    ticket_number: str
    title: str
    subject_id: str | None
    customer: Ref
    state: str
    status: str
    resolution: str | None
    created_at: str
    resolved_at: str | None
    rank: float


class CandidatePage(Out):
    items: list[CandidateOut]
    next: str | None


class ConnectionIn(In):
    case_id: uuid.UUID
    solution_found: Flag = False


class ConnectionOut(Out):
    id: str
    case_id: str
    ticket_number: str
    title: str
    state: str
    status: str
    solution_found: bool
    resolution: str | None
    direction: Literal["outgoing", "incoming"]
    created_at: str
    version: int


class SolutionOut(Out):
    connection_id: str
    case_id: str
    ticket_number: str
    title: str
    resolution: str | None


class ConnectionPage(Out):
    items: list[ConnectionOut]
    next: str | None
    solution: SolutionOut | None


def _customer(case: Case) -> dict[str, str]:
    record = case.customer_account or case.customer_contact
    assert record is not None  # the "exactly one customer" constraint
    kind = "account" if case.customer_account_id else "contact"
    return {"type": kind, "id": str(record.pk), "name": record.name}


def candidate_out(candidate: similar.Candidate) -> dict[str, Any]:
    case = candidate.case
    return {
        "id": str(case.pk),
        "ticket_number": case.ticket_number,
        "title": case.title,
        "subject_id": str(case.subject_id) if case.subject_id else None,
        "customer": _customer(case),
        "state": case.state,
        "status": case.status,
        "resolution": candidate.resolution,
        "created_at": case.created_at.isoformat(),
        "resolved_at": case.resolved_at.isoformat() if case.resolved_at else None,
        "rank": candidate.rank,
    }


def connection_out(
    connection: Connection, case_id: uuid.UUID, resolutions: dict[uuid.UUID, str]
) -> dict[str, Any]:
    other = similar.connection_other(connection, case_id)
    return {
        "id": str(connection.pk),
        "case_id": str(other.pk),
        "ticket_number": other.ticket_number,
        "title": other.title,
        "state": other.state,
        "status": other.status,
        "solution_found": connection.solution_found,
        "resolution": resolutions.get(other.pk),
        "direction": "outgoing" if connection.case_id == case_id else "incoming",
        "created_at": connection.created_at.isoformat(),
        "version": connection.version,
    }


@router.get("/cases/{case_id}/similar", response={200: CandidatePage, **errors()})
def similar_cases(
    request: HttpRequest, case_id: uuid.UUID, params: Query[SimilarParams]
) -> dict[str, Any]:
    """Candidate similar cases: words (title > resolution > description), subject (with
    sub-subjects), state (default resolved; `any` for every state). Never the case itself or a
    merged case."""
    page = similar.similar_cases(
        case_id=case_id,
        q=params.q,
        subject_id=params.subject_id,
        include_subsubjects=params.include_subsubjects,
        state=params.state,
        limit=params.limit,
        cursor=params.cursor,
    )
    return {"items": [candidate_out(c) for c in page.items], "next": page.next}


@router.get("/cases/{case_id}/similar-cases", response={200: ConnectionPage, **errors()})
def connection_list(
    request: HttpRequest, case_id: uuid.UUID, params: Query[ListParams]
) -> dict[str, Any]:
    """The case's connections, seen from both sides, newest first, with the case's solution."""
    page = paginate(
        similar.connections_for_case(case_id=case_id),
        order=("-created_at", "-id"),
        limit=params.limit,
        cursor=params.cursor,
        scope=f"connections:{case_id}",
    )
    others = [similar.connection_other(c, case_id).pk for c in page.items]
    solution = similar.case_solution(case_id=case_id)
    if solution is not None:
        others.append(solution.other_id)
    resolutions = similar.live_resolutions(others)
    return {
        "items": [connection_out(c, case_id, resolutions) for c in page.items],
        "next": page.next,
        "solution": {
            "connection_id": str(solution.pk),
            "case_id": str(solution.other_id),
            "ticket_number": solution.other.ticket_number,
            "title": solution.other.title,
            "resolution": resolutions.get(solution.other_id),
        }
        if solution is not None
        else None,
    }


@router.post(
    "/cases/{case_id}/similar-cases",
    response={200: ConnectionOut, 201: ConnectionOut, **errors(403, 409, 413, 422)},
)
def connection_add(
    request: HttpRequest, case_id: uuid.UUID, payload: ConnectionIn, response: HttpResponse
) -> Any:
    """Connect a similar case ("add connection"); `solution_found: true` marks it as this
    case's solution ("solution found"). 201 for a new connection, 200 when the pair was
    already connected. A merged case, on either side, is refused with 409 `case_not_active`."""
    connection, created = connection_create(
        actor=actor(request),
        case_id=case_id,
        other_id=payload.case_id,
        solution_found=payload.solution_found,
    )
    connection = Connection.objects.select_related("case", "other").get(pk=connection.pk)
    other = similar.connection_other(connection, case_id)
    body = connection_out(connection, case_id, similar.live_resolutions([other.pk]))
    set_etag(response, connection.version)
    return Status(201 if created else 200, body)
