"""Contracts and contract lines (docs/entitlements.md, legacy billing by contract): read by
everyone,
created, changed and (lines) removed by managers."""

from __future__ import annotations

import uuid
from typing import Any, Literal

from django.db.models import Prefetch
from django.http import HttpRequest, HttpResponse
from ninja import Query, Router, Status

from casedesk.api.auth import actor
from casedesk.api.http import if_match, page_body, set_etag
from casedesk.api.routers.cases import CustomerIn
from casedesk.api.schemas import In, ListParams, Out, errors
from casedesk.cases.services.common import Ref
from casedesk.core.errors import NotFound
from casedesk.core.pagination import paginate
from casedesk.core.types import Count, Day, Name
from casedesk.entitlements import selectors
from casedesk.entitlements.choices import AllotmentType
from casedesk.entitlements.models import Contract, ContractLine
from casedesk.entitlements.services import contracts as services

router = Router(tags=["contracts"])


class CustomerOut(Out):
    type: str
    id: str
    name: str


class ContractLineOut(Out):
    id: str
    contract_id: str
    version: int
    name: str
    allotment_type: str
    total: int
    used: int
    remaining: int
    start_date: str
    end_date: str
    product_id: str | None
    created_at: str


class ContractLinePage(Out):
    items: list[ContractLineOut]
    next: str | None


class ContractOut(Out):
    id: str
    version: int
    name: str
    customer: CustomerOut
    state: str
    start_date: str
    end_date: str
    created_at: str
    lines: list[ContractLineOut]


class ContractPage(Out):
    items: list[ContractOut]
    next: str | None


class ContractIn(In):
    name: Name
    customer: CustomerIn
    start_date: Day
    end_date: Day


class ContractLineIn(In):
    name: Name
    allotment_type: AllotmentType
    total: Count = 0
    start_date: Day | None = None
    end_date: Day | None = None
    product_id: uuid.UUID | None = None


class ContractPatch(In):
    name: Name | None = None
    customer: CustomerIn | None = None
    start_date: Day | None = None
    end_date: Day | None = None


class ContractLinePatch(In):
    name: Name | None = None
    total: Count | None = None
    start_date: Day | None = None
    end_date: Day | None = None
    product_id: uuid.UUID | None = None


class ContractListParams(ListParams):
    customer_id: uuid.UUID | None = None
    state: Literal["waiting", "active", "expired"] | None = None


def contract_line_out(line: ContractLine) -> dict[str, Any]:
    """A line: `total`, `used` and `remaining` in cases or minutes (0 for coverage dates)."""
    return {
        "id": str(line.id),
        "contract_id": str(line.contract_id),
        "version": line.version,
        "name": line.name,
        "allotment_type": line.allotment_type,
        "total": line.total,
        "used": line.used,
        "remaining": line.remaining,
        "start_date": line.start_date.isoformat(),
        "end_date": line.end_date.isoformat(),
        "product_id": str(line.product_id) if line.product_id else None,
        "created_at": line.created_at.isoformat(),
    }


def contract_out(contract: Contract) -> dict[str, Any]:
    customer = contract.customer_account or contract.customer_contact
    if customer is None:  # the "exactly one customer" constraint forbids it
        raise AssertionError(f"contract {contract.pk} has no customer")
    return {
        "id": str(contract.id),
        "version": contract.version,
        "name": contract.name,
        "customer": {
            "type": "account" if contract.customer_account_id else "contact",
            "id": str(customer.pk),
            "name": customer.name,
        },
        "state": selectors.contract_state(contract),
        "start_date": contract.start_date.isoformat(),
        "end_date": contract.end_date.isoformat(),
        "created_at": contract.created_at.isoformat(),
        "lines": [contract_line_out(line) for line in contract.lines.all()],
    }


def _with_lines(qs: Any) -> Any:
    return qs.prefetch_related(
        Prefetch("lines", queryset=ContractLine.objects.order_by("created_at", "id"))
    )


@router.get("/contracts", response={200: ContractPage, **errors()})
def contract_list(request: HttpRequest, params: Query[ContractListParams]) -> dict[str, Any]:
    """Contracts, newest first, with their lines; `?customer_id=` for one customer's,
    `?state=` for those whose period is ahead (`waiting`), current (`active`) or over
    (`expired`)."""
    page = paginate(
        _with_lines(selectors.contract_list(customer_id=params.customer_id, state=params.state)),
        order=("-created_at", "-id"),
        limit=params.limit,
        cursor=params.cursor,
        scope=f"contracts:{params.customer_id or ''}:{params.state or ''}",
    )
    return page_body(page, contract_out)


@router.post("/contracts", response={201: ContractOut, **errors(403, 413, 422)})
def contract_create(request: HttpRequest, payload: ContractIn, response: HttpResponse) -> Status:
    """Create a contract for a customer (managers)."""
    contract = services.contract_create(
        actor=actor(request),
        name=payload.name,
        customer=Ref(payload.customer.type, payload.customer.id),
        start_date=payload.start_date,
        end_date=payload.end_date,
    )
    return Status(201, _respond(response, contract.pk))


def _respond(response: HttpResponse, contract_id: uuid.UUID) -> dict[str, Any]:
    contract = _with_lines(selectors.contract_queryset()).filter(pk=contract_id).first()
    if contract is None:
        raise NotFound("No such contract.")
    set_etag(response, contract.version)
    return contract_out(contract)


@router.get("/contracts/{contract_id}", response={200: ContractOut, **errors()})
def contract_get(
    request: HttpRequest, contract_id: uuid.UUID, response: HttpResponse
) -> dict[str, Any]:
    return _respond(response, contract_id)


@router.patch(
    "/contracts/{contract_id}", response={200: ContractOut, **errors(403, 409, 412, 413, 422)}
)
def contract_update(
    request: HttpRequest, contract_id: uuid.UUID, payload: ContractPatch, response: HttpResponse
) -> dict[str, Any]:
    """Merge-patch a contract (managers): name, customer, dates. Its period must hold its
    lines; the customer is fixed once cases bill to its lines (409 `contract_in_use`)."""
    changes = payload.model_dump(exclude_unset=True)
    if changes.get("customer") is not None:
        changes["customer"] = Ref(changes["customer"]["type"], changes["customer"]["id"])
    services.contract_update(
        actor=actor(request),
        contract_id=contract_id,
        changes=changes,
        expected_version=if_match(request),
    )
    return _respond(response, contract_id)


@router.get("/contracts/{contract_id}/lines", response={200: ContractLinePage, **errors()})
def contract_line_list(
    request: HttpRequest, contract_id: uuid.UUID, params: Query[ListParams]
) -> dict[str, Any]:
    """The contract's lines, oldest first."""
    page = paginate(
        selectors.contract_line_list(contract_id=contract_id),
        order=("created_at", "id"),
        limit=params.limit,
        cursor=params.cursor,
        scope=f"contract-lines:{contract_id}",
    )
    return page_body(page, contract_line_out)


@router.post(
    "/contracts/{contract_id}/lines", response={201: ContractLineOut, **errors(403, 413, 422)}
)
def contract_line_create(
    request: HttpRequest, contract_id: uuid.UUID, payload: ContractLineIn, response: HttpResponse
) -> Status:
    """Add a line (managers): `total` cases or minutes; coverage-dates lines have none."""
    line = services.contract_line_create(
        actor=actor(request),
        contract_id=contract_id,
        name=payload.name,
        allotment_type=payload.allotment_type,
        total=payload.total,
        start_date=payload.start_date,
        end_date=payload.end_date,
        product_id=payload.product_id,
    )
    set_etag(response, line.version)
    return Status(201, contract_line_out(line))


@router.get("/contracts/{contract_id}/lines/{line_id}", response={200: ContractLineOut, **errors()})
def contract_line_get(
    request: HttpRequest, contract_id: uuid.UUID, line_id: uuid.UUID, response: HttpResponse
) -> dict[str, Any]:
    line = selectors.contract_line_get(contract_id=contract_id, line_id=line_id)
    set_etag(response, line.version)
    return contract_line_out(line)


@router.patch(
    "/contracts/{contract_id}/lines/{line_id}",
    response={200: ContractLineOut, **errors(403, 412, 413, 422)},
)
def contract_line_update(
    request: HttpRequest,
    contract_id: uuid.UUID,
    line_id: uuid.UUID,
    payload: ContractLinePatch,
    response: HttpResponse,
) -> dict[str, Any]:
    """Merge-patch a line (managers): name, total, dates, product; `If-Match` is the line's
    version. Its allotment type is fixed."""
    line = services.contract_line_update(
        actor=actor(request),
        contract_id=contract_id,
        line_id=line_id,
        changes=payload.model_dump(exclude_unset=True),
        expected_version=if_match(request),
    )
    set_etag(response, line.version)
    return contract_line_out(line)


@router.delete(
    "/contracts/{contract_id}/lines/{line_id}",
    response={200: ContractOut, **errors(403, 409, 412)},
)
def contract_line_delete(
    request: HttpRequest, contract_id: uuid.UUID, line_id: uuid.UUID, response: HttpResponse
) -> dict[str, Any]:
    """Remove a line that no case names or has used (managers; 409 `contract_in_use`
    otherwise); answers the contract without it. `If-Match` is the line's version."""
    services.contract_line_delete(
        actor=actor(request),
        contract_id=contract_id,
        line_id=line_id,
        expected_version=if_match(request),
    )
    return _respond(response, contract_id)
