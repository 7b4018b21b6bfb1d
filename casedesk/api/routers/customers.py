from __future__ import annotations

import uuid
from typing import Any, Literal

from django.http import HttpRequest, HttpResponse
from ninja import Query, Router, Status

from casedesk.api.auth import actor
from casedesk.api.http import if_match, page_body, set_etag
from casedesk.api.routers.cases import activity_out, case_out
from casedesk.api.routers.entitlements import entitlement_out
from casedesk.api.schemas import In, ListParams, Out, errors
from casedesk.cases import selectors as case_selectors
from casedesk.core.pagination import paginate
from casedesk.core.types import Email, Name, PersonName, Phone, SearchText
from casedesk.customers import selectors, services
from casedesk.customers.models import Account, Contact
from casedesk.entitlements import selectors as entitlement_selectors

router = Router(tags=["customers"])


class AccountOut(Out):
    id: str
    name: str
    email: str
    phone: str
    version: int
    created_at: str
    modified_at: str


class AccountPage(Out):
    items: list[AccountOut]
    next: str | None


class AccountIn(In):
    name: Name
    email: Email = ""
    phone: Phone = ""


class AccountPatch(In):
    name: Name | None = None
    email: Email | None = None
    phone: Phone | None = None


class ContactOut(Out):
    id: str
    name: str
    first_name: str
    last_name: str
    email: str
    phone: str
    account_id: str | None
    version: int
    created_at: str
    modified_at: str


class ContactPage(Out):
    items: list[ContactOut]
    next: str | None


class ContactIn(In):
    first_name: PersonName = ""
    last_name: PersonName
    email: Email = ""
    phone: Phone = ""
    account_id: uuid.UUID | None = None


class ContactPatch(In):
    first_name: PersonName | None = None
    last_name: PersonName | None = None
    email: Email | None = None
    phone: Phone | None = None
    account_id: uuid.UUID | None = None


class SearchParams(ListParams):
    search: SearchText | None = None


class ContactParams(SearchParams):
    account_id: uuid.UUID | None = None


class CustomerItem(Out):
    type: str
    id: str
    name: str
    email: str
    phone: str
    account_id: str | None


class CustomerResults(Out):
    items: list[CustomerItem]
    next: str | None


def account_out(account: Account) -> dict[str, Any]:
    return {
        "id": str(account.id),
        "name": account.name,
        "email": account.email,
        "phone": account.phone,
        "version": account.version,
        "created_at": account.created_at.isoformat(),
        "modified_at": account.modified_at.isoformat(),
    }


def contact_out(contact: Contact) -> dict[str, Any]:
    return {
        "id": str(contact.id),
        "name": contact.name,
        "first_name": contact.first_name,
        "last_name": contact.last_name,
        "email": contact.email,
        "phone": contact.phone,
        "account_id": str(contact.account_id) if contact.account_id else None,
        "version": contact.version,
        "created_at": contact.created_at.isoformat(),
        "modified_at": contact.modified_at.isoformat(),
    }


@router.get("/accounts", response={200: AccountPage, **errors()})
def account_list(request: HttpRequest, params: Query[SearchParams]) -> dict[str, Any]:
    qs = selectors.account_list(search=params.search)
    page = paginate(
        qs,
        order=("-created_at", "-id"),
        limit=params.limit,
        cursor=params.cursor,
        scope=f"accounts:{params.search or ''}",
    )
    return page_body(page, account_out)


@router.post("/accounts", response={201: AccountOut, **errors(413, 422)})
def account_create(request: HttpRequest, payload: AccountIn, response: HttpResponse) -> Status:
    account = services.account_create(actor=actor(request), **payload.model_dump())
    set_etag(response, account.version)
    return Status(201, account_out(account))


@router.get("/accounts/{account_id}", response={200: AccountOut, **errors()})
def account_get(request: HttpRequest, account_id: uuid.UUID, response: HttpResponse) -> Any:
    account = selectors.account_get(account_id=account_id)
    set_etag(response, account.version)
    return account_out(account)


@router.patch("/accounts/{account_id}", response={200: AccountOut, **errors(412, 413, 422)})
def account_update(
    request: HttpRequest, account_id: uuid.UUID, payload: AccountPatch, response: HttpResponse
) -> Any:
    account = services.account_update(
        actor=actor(request),
        account_id=account_id,
        changes=payload.model_dump(exclude_unset=True),
        expected_version=if_match(request),
    )
    set_etag(response, account.version)
    return account_out(account)


@router.get("/contacts", response={200: ContactPage, **errors()})
def contact_list(request: HttpRequest, params: Query[ContactParams]) -> dict[str, Any]:
    qs = selectors.contact_list(account_id=params.account_id, search=params.search)
    page = paginate(
        qs,
        order=("-created_at", "-id"),
        limit=params.limit,
        cursor=params.cursor,
        scope=f"contacts:{params.account_id}:{params.search or ''}",
    )
    return page_body(page, contact_out)


@router.post("/contacts", response={201: ContactOut, **errors(413, 422)})
def contact_create(request: HttpRequest, payload: ContactIn, response: HttpResponse) -> Status:
    contact = services.contact_create(actor=actor(request), **payload.model_dump())
    set_etag(response, contact.version)
    return Status(201, contact_out(contact))


@router.get("/contacts/{contact_id}", response={200: ContactOut, **errors()})
def contact_get(request: HttpRequest, contact_id: uuid.UUID, response: HttpResponse) -> Any:
    contact = selectors.contact_get(contact_id=contact_id)
    set_etag(response, contact.version)
    return contact_out(contact)


@router.patch("/contacts/{contact_id}", response={200: ContactOut, **errors(412, 413, 422)})
def contact_update(
    request: HttpRequest, contact_id: uuid.UUID, payload: ContactPatch, response: HttpResponse
) -> Any:
    contact = services.contact_update(
        actor=actor(request),
        contact_id=contact_id,
        changes=payload.model_dump(exclude_unset=True),
        expected_version=if_match(request),
    )
    set_etag(response, contact.version)
    return contact_out(contact)


@router.get("/customers", response={200: CustomerResults, **errors()})
def customer_search(request: HttpRequest, params: Query[SearchParams]) -> dict[str, Any]:
    """Accounts and contacts together, best match first (docs/customers.md)."""
    items = selectors.customer_search(text=params.search or "", limit=params.limit)
    return {"items": items, "next": None}


@router.get("/customers/{customer_type}/{customer_id}", response={200: dict, **errors()})
def customer_get(
    request: HttpRequest,
    customer_type: Literal["account", "contact"],
    customer_id: uuid.UUID,
    response: HttpResponse,
) -> dict[str, Any]:
    """The customer with its recent cases and activities and its active entitlements."""
    customer = selectors.customer_get(customer_type=customer_type, customer_id=customer_id)
    set_etag(response, customer.version)
    body = account_out(customer) if isinstance(customer, Account) else contact_out(customer)
    body["type"] = customer_type
    recent = case_selectors.customer_recent(customer=customer)
    me = actor(request)
    body["recent_cases"] = [case_out(case, me) for case in recent.cases]
    body["recent_activities"] = [activity_out(activity) for activity in recent.activities]
    active = entitlement_selectors.customer_active_entitlements(customer=customer)
    body["entitlements"] = [entitlement_out(entitlement) for entitlement in active]
    return body
