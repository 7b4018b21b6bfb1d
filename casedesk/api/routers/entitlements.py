"""Entitlements, their lifecycle and their ledger (docs/entitlements.md)."""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from django.http import HttpRequest, HttpResponse
from ninja import Query, Router, Status
from pydantic import Field

from casedesk.api.auth import actor
from casedesk.api.http import if_match, page_body, set_etag
from casedesk.api.routers.cases import CustomerIn
from casedesk.api.schemas import OPTIONAL_BODY, In, ListParams, NoBody, Out, errors
from casedesk.cases.choices import Origin
from casedesk.cases.services.common import Ref
from casedesk.core import clock
from casedesk.core.pagination import paginate
from casedesk.core.types import Day, Flag, Name, Terms
from casedesk.entitlements import rules, selectors
from casedesk.entitlements.choices import AllocationType, DecreaseOn, ShownState
from casedesk.entitlements.models import Entitlement, TermLedger
from casedesk.entitlements.services import entitlements as services

router = Router(tags=["entitlements"])

MAX_IDS = 500
IdList = Annotated[list[uuid.UUID], Field(max_length=MAX_IDS)]


class ChannelIn(In):
    channel: Origin
    terms: Terms


ChannelList = Annotated[list[ChannelIn], Field(max_length=len(Origin.values))]


class ChannelOut(Out):
    channel: str
    terms: int | float
    remaining_terms: int | float


class CustomerOut(Out):
    type: str
    id: str
    name: str


class EntitlementOut(Out):
    id: str
    version: int
    name: str
    customer: CustomerOut
    contact_ids: list[str]
    product_ids: list[str]
    state: str
    start_date: str
    end_date: str
    allocation_type: str
    total_terms: int | float
    remaining_terms: int | float
    decrease_on: str
    restrict_case_creation: bool
    is_default: bool
    channels: list[ChannelOut]
    sla_id: str | None
    created_at: str
    modified_at: str


class EntitlementPage(Out):
    items: list[EntitlementOut]
    next: str | None


class EntitlementIn(In):
    name: Name
    customer: CustomerIn
    start_date: Day
    end_date: Day
    allocation_type: AllocationType
    total_terms: Terms
    contact_ids: IdList = []
    product_ids: IdList = []
    channels: ChannelList = []
    decrease_on: DecreaseOn = DecreaseOn.RESOLUTION
    restrict_case_creation: Flag = False
    is_default: Flag = False
    sla_id: uuid.UUID | None = None


class EntitlementPatch(In):
    name: Name | None = None
    customer: CustomerIn | None = None
    start_date: Day | None = None
    end_date: Day | None = None
    allocation_type: AllocationType | None = None
    total_terms: Terms | None = None
    contact_ids: IdList | None = None
    product_ids: IdList | None = None
    channels: ChannelList | None = None
    decrease_on: DecreaseOn | None = None
    restrict_case_creation: Flag | None = None
    is_default: Flag | None = None
    sla_id: uuid.UUID | None = None


class EntitlementListParams(ListParams):
    customer_id: uuid.UUID | None = None
    state: ShownState | None = None


class LedgerOut(Out):
    id: int
    at: str
    case_id: str
    amount: int | float
    reason: str
    channel: str


class LedgerPage(Out):
    items: list[LedgerOut]
    next: str | None


def entitlement_out(entitlement: Entitlement) -> dict[str, Any]:
    """The entitlement record; terms in its unit (cases, or hours with two decimals)."""
    customer = entitlement.customer_account or entitlement.customer_contact
    if customer is None:  # the "exactly one customer" constraint forbids it
        raise AssertionError(f"entitlement {entitlement.pk} has no customer")
    unit = entitlement.allocation_type
    return {
        "id": str(entitlement.id),
        "version": entitlement.version,
        "name": entitlement.name,
        "customer": {
            "type": "account" if entitlement.customer_account_id else "contact",
            "id": str(customer.pk),
            "name": customer.name,
        },
        "contact_ids": sorted(str(c.pk) for c in entitlement.contacts.all()),
        "product_ids": sorted(str(p.pk) for p in entitlement.products.all()),
        "state": rules.shown_state(
            entitlement.state, entitlement.start_date, entitlement.end_date, clock.today()
        ),
        "start_date": entitlement.start_date.isoformat(),
        "end_date": entitlement.end_date.isoformat(),
        "allocation_type": unit,
        "total_terms": rules.stored_to_terms(entitlement.total_terms, unit),
        "remaining_terms": rules.stored_to_terms(entitlement.remaining_terms, unit),
        "decrease_on": entitlement.decrease_on,
        "restrict_case_creation": entitlement.restrict_case_creation,
        "is_default": entitlement.is_default,
        "channels": [
            {
                "channel": c.channel,
                "terms": rules.stored_to_terms(c.terms, unit),
                "remaining_terms": rules.stored_to_terms(c.remaining_terms, unit),
            }
            for c in sorted(entitlement.channels.all(), key=lambda c: c.channel)
        ],
        "sla_id": str(entitlement.sla_id) if entitlement.sla_id else None,
        "created_at": entitlement.created_at.isoformat(),
        "modified_at": entitlement.modified_at.isoformat(),
    }


def _respond(response: HttpResponse, entitlement_id: uuid.UUID) -> dict[str, Any]:
    entitlement = selectors.entitlement_get(entitlement_id=entitlement_id)
    set_etag(response, entitlement.version)
    return entitlement_out(entitlement)


def _changes(payload: EntitlementPatch) -> dict[str, Any]:
    changes = payload.model_dump(exclude_unset=True)
    if changes.get("customer") is not None:
        changes["customer"] = Ref(changes["customer"]["type"], changes["customer"]["id"])
    if changes.get("channels") is not None:
        changes["channels"] = [
            services.ChannelTerms(channel=c["channel"], terms=c["terms"])
            for c in changes["channels"]
        ]
    return changes


@router.get("/entitlements", response={200: EntitlementPage, **errors()})
def entitlement_list(request: HttpRequest, params: Query[EntitlementListParams]) -> dict[str, Any]:
    """Entitlements, newest first; `?customer_id=` lists one customer's, `?state=` one shown
    state (draft, active, waiting, expired, cancelled)."""
    page = paginate(
        selectors.entitlement_list(customer_id=params.customer_id, state=params.state),
        order=("-created_at", "-id"),
        limit=params.limit,
        cursor=params.cursor,
        scope=f"entitlements:{params.customer_id or ''}:{params.state or ''}",
    )
    return page_body(page, entitlement_out)


@router.post("/entitlements", response={201: EntitlementOut, **errors(403, 413, 422)})
def entitlement_create(
    request: HttpRequest, payload: EntitlementIn, response: HttpResponse
) -> Status:
    """Create a draft entitlement (managers)."""
    entitlement = services.entitlement_create(
        actor=actor(request),
        name=payload.name,
        customer=Ref(payload.customer.type, payload.customer.id),
        start_date=payload.start_date,
        end_date=payload.end_date,
        allocation_type=payload.allocation_type,
        total_terms=payload.total_terms,
        contact_ids=payload.contact_ids,
        product_ids=payload.product_ids,
        channels=[services.ChannelTerms(c.channel, c.terms) for c in payload.channels],
        decrease_on=payload.decrease_on,
        restrict_case_creation=payload.restrict_case_creation,
        is_default=payload.is_default,
        sla_id=payload.sla_id,
    )
    return Status(201, _respond(response, entitlement.pk))


@router.get("/entitlements/{entitlement_id}", response={200: EntitlementOut, **errors()})
def entitlement_get(
    request: HttpRequest, entitlement_id: uuid.UUID, response: HttpResponse
) -> dict[str, Any]:
    return _respond(response, entitlement_id)


@router.patch(
    "/entitlements/{entitlement_id}",
    response={200: EntitlementOut, **errors(403, 409, 412, 413, 422)},
)
def entitlement_update(
    request: HttpRequest,
    entitlement_id: uuid.UUID,
    payload: EntitlementPatch,
    response: HttpResponse,
) -> dict[str, Any]:
    """Merge-patch a draft; an active one only takes `is_default`."""
    services.entitlement_update(
        actor=actor(request),
        entitlement_id=entitlement_id,
        changes=_changes(payload),
        expected_version=if_match(request),
    )
    return _respond(response, entitlement_id)


@router.post(
    "/entitlements/{entitlement_id}/activate",
    response={200: EntitlementOut, **errors(403, 409, 412, 413, 422)},
)
def entitlement_activate(
    request: HttpRequest,
    entitlement_id: uuid.UUID,
    response: HttpResponse,
    payload: NoBody | None = OPTIONAL_BODY,
) -> dict[str, Any]:
    """Draft → active (shown as waiting or expired outside its dates)."""
    services.entitlement_activate(
        actor=actor(request), entitlement_id=entitlement_id, expected_version=if_match(request)
    )
    return _respond(response, entitlement_id)


@router.post(
    "/entitlements/{entitlement_id}/deactivate",
    response={200: EntitlementOut, **errors(403, 409, 412, 413, 422)},
)
def entitlement_deactivate(
    request: HttpRequest,
    entitlement_id: uuid.UUID,
    response: HttpResponse,
    payload: NoBody | None = OPTIONAL_BODY,
) -> dict[str, Any]:
    """Active → draft."""
    services.entitlement_deactivate(
        actor=actor(request), entitlement_id=entitlement_id, expected_version=if_match(request)
    )
    return _respond(response, entitlement_id)


@router.post(
    "/entitlements/{entitlement_id}/cancel",
    response={200: EntitlementOut, **errors(403, 409, 412, 413, 422)},
)
def entitlement_cancel(
    request: HttpRequest,
    entitlement_id: uuid.UUID,
    response: HttpResponse,
    payload: NoBody | None = OPTIONAL_BODY,
) -> dict[str, Any]:
    """Active → cancelled, for good; cases keep it."""
    services.entitlement_cancel(
        actor=actor(request), entitlement_id=entitlement_id, expected_version=if_match(request)
    )
    return _respond(response, entitlement_id)


@router.get("/entitlements/{entitlement_id}/ledger", response={200: LedgerPage, **errors()})
def entitlement_ledger(
    request: HttpRequest, entitlement_id: uuid.UUID, params: Query[ListParams]
) -> dict[str, Any]:
    """Every debit (negative) and credit of the entitlement, oldest first, in its unit."""
    unit, ledger = selectors.entitlement_ledger(entitlement_id=entitlement_id)
    page = paginate(
        ledger,
        order=("id",),
        limit=params.limit,
        cursor=params.cursor,
        scope=f"ledger:{entitlement_id}",
    )

    def render(row: TermLedger) -> dict[str, Any]:
        return {
            "id": row.id,
            "at": row.at.isoformat(),
            "case_id": str(row.case_id),
            "amount": rules.stored_to_terms(row.amount, unit),
            "reason": row.reason,
            "channel": row.channel,
        }

    return page_body(page, render)
