"""Service › Customers (the list, a customer's page, new and edit pages for accounts and
contacts), and the customer lookup of the case form (as-you-type, inline create)."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from casedesk.cases import selectors as case_selectors
from casedesk.core.choices import Channel
from casedesk.core.errors import DomainError
from casedesk.core.types import SearchText
from casedesk.customers import selectors, services
from casedesk.customers.models import Account, Contact
from casedesk.entitlements import rules as entitlement_rules
from casedesk.entitlements import selectors as entitlement_selectors
from casedesk.web.errors import form_add_domain_error
from casedesk.web.fields import TypedCharField
from casedesk.web.forms.cases import parse_customer
from casedesk.web.forms.customers import AccountForm, ContactForm, ContactPageForm
from casedesk.web.views.common import (
    actor,
    found,
    json_error,
    page_of,
    parse_uuid,
    posted_version,
    session_json,
)

LOOKUP_LIMIT = 20
CUSTOMER_TYPES = ("account", "contact")
_search_field = TypedCharField(type_=SearchText, required=False, max_length=200)


def _search_text(request: HttpRequest) -> str:
    try:
        return str(_search_field.clean(request.GET.get("q", "")) or "")
    except Exception:
        return ""


def _customer_json(customer: Account | Contact) -> dict[str, Any]:
    if isinstance(customer, Account):
        return {"type": "account", "id": str(customer.pk), "name": customer.name}
    return {
        "type": "contact",
        "id": str(customer.pk),
        "name": customer.name,
        "account_id": str(customer.account_id) if customer.account_id else None,
    }


@session_json
@require_GET
def customer_lookup(request: HttpRequest) -> HttpResponse:
    """Accounts and contacts matching what the user typed (docs/customers.md matching rules); with
    `type=account` or `type=contact`, only those."""
    kind = request.GET.get("type")
    types = (kind,) if kind in CUSTOMER_TYPES else CUSTOMER_TYPES
    items = selectors.customer_search(text=_search_text(request), limit=LOOKUP_LIMIT, types=types)
    return JsonResponse({"items": items})


@session_json
@require_GET
def contact_lookup(request: HttpRequest) -> HttpResponse:
    """The contacts a case for this customer may name: the contact itself, or the account's."""
    kind, _sep, raw = (request.GET.get("customer") or "").partition(":")
    customer_id = parse_uuid(raw)
    if customer_id is None or kind not in {"account", "contact"}:
        return JsonResponse({"items": []})
    contacts = selectors.customer_contacts(
        customer_type=kind, customer_id=customer_id, search=_search_text(request)
    )
    return JsonResponse({"items": [_customer_json(c) for c in contacts]})


def _form_errors_json(form: Any, status: int = 422) -> JsonResponse:
    fields = {name: [str(e) for e in errors] for name, errors in form.errors.items()}
    return JsonResponse(
        {"error": {"code": "validation_error", "message": "", "details": {"fields": fields}}},
        status=status,
    )


@session_json
@require_POST
def account_create(request: HttpRequest) -> HttpResponse:
    """Inline creation of an account from the case form."""
    form = AccountForm(request.POST)
    if not form.is_valid():
        return _form_errors_json(form)
    try:
        account = services.account_create(
            actor=actor(request), channel=Channel.UI, **form.cleaned_data
        )
    except DomainError as exc:
        return json_error(exc)
    return JsonResponse(_customer_json(account), status=201)


@session_json
@require_POST
def contact_create(request: HttpRequest) -> HttpResponse:
    """Inline creation of a contact (of the chosen account, when one is given)."""
    form = ContactForm(request.POST)
    if not form.is_valid():
        return _form_errors_json(form)
    try:
        contact = services.contact_create(
            actor=actor(request), channel=Channel.UI, **form.cleaned_data
        )
    except DomainError as exc:
        return json_error(exc)
    return JsonResponse(_customer_json(contact), status=201)


def _customer(customer_type: str, customer_id: uuid.UUID) -> Account | Contact:
    return found(selectors.customer_get, customer_type=customer_type, customer_id=customer_id)


def customer_summary(
    customer: Account | Contact, entitlements: list[Any] | None = None
) -> dict[str, Any]:
    """The customer with its recent cases and activities, as the panel beside a case shows;
    `entitlements`, the customer's active entitlements when the caller has read them."""
    recent = case_selectors.customer_recent(customer=customer, brief=True)
    if entitlements is None:
        entitlements = list(entitlement_selectors.customer_active_entitlements(customer=customer))
    return {
        "customer": customer,
        "customer_type": "account" if isinstance(customer, Account) else "contact",
        "recent_cases": recent.cases,
        "recent_activities": recent.activities,
        "entitlements": [
            {
                "entitlement": e,
                "remaining": entitlement_rules.stored_to_terms(
                    e.remaining_terms, e.allocation_type
                ),
            }
            for e in entitlements
        ],
    }


@login_required
@require_GET
def customer_panel(
    request: HttpRequest, customer_type: str, customer_id: uuid.UUID
) -> HttpResponse:
    """The customer's details with recent cases and activities (beside the case form)."""
    customer = _customer(customer_type, customer_id)
    return render(request, "web/customers/panel.html", customer_summary(customer))


@login_required
@require_GET
def customer_detail(
    request: HttpRequest, customer_type: str, customer_id: uuid.UUID
) -> HttpResponse:
    customer = _customer(customer_type, customer_id)
    context = customer_summary(customer)
    if isinstance(customer, Account):
        context["contacts"] = list(
            selectors.contact_list(account_id=customer.pk).order_by("name")[:200]
        )
    context["contracts"] = entitlement_selectors.customer_contracts(customer=customer)
    context["nav"] = "customers"
    return render(request, "web/customers/detail.html", context)


@login_required
@require_GET
def customer_list(request: HttpRequest) -> HttpResponse:
    """Accounts and contacts: a search over both, or the newest accounts."""
    text = _search_text(request)
    accounts: list[Account] = []
    results: list[dict[str, Any]] = []
    next_cursor = None
    status = 200
    if text:
        results = selectors.customer_search(text=text, limit=50)
    else:
        accounts, next_cursor, status = page_of(
            request, selectors.account_list(), order=("name", "id"), limit=50, scope="web-accounts"
        )
    return render(
        request,
        "web/customers/list.html",
        {
            "q": text,
            "results": results,
            "accounts": accounts,
            "next_cursor": next_cursor,
            "nav": "customers",
        },
        status=status,
    )


def _account_name(account_id: uuid.UUID | None) -> str:
    if account_id is None:
        return ""
    name = selectors.account_list().filter(id=account_id).values_list("name", flat=True).first()
    return name or ""


def _customer_initial(customer: Account | Contact) -> dict[str, Any]:
    if isinstance(customer, Account):
        return {"name": customer.name, "email": customer.email, "phone": customer.phone}
    return {
        "first_name": customer.first_name,
        "last_name": customer.last_name,
        "email": customer.email,
        "phone": customer.phone,
        "account_id": str(customer.account_id) if customer.account_id else "",
        "account_name": _account_name(customer.account_id),
    }


def _customer_form(
    customer_type: str, data: Any = None, initial: dict[str, Any] | None = None
) -> AccountForm | ContactPageForm:
    if customer_type == "account":
        return AccountForm(data, initial=initial)
    return ContactPageForm(data, initial=initial)


def _customer_save(
    request: HttpRequest, customer_type: str, customer: Account | Contact | None, values: Any
) -> Account | Contact:
    common: dict[str, Any] = {"actor": actor(request), "channel": Channel.UI}
    if customer is None:
        if customer_type == "account":
            return services.account_create(**common, **values)
        return services.contact_create(**common, **values)
    update: dict[str, Any] = {**common, "changes": values}
    update["expected_version"] = posted_version(request)
    if customer_type == "account":
        return services.account_update(account_id=customer.pk, **update)
    return services.contact_update(contact_id=customer.pk, **update)


@login_required
@require_http_methods(["GET", "POST"])
def customer_edit(
    request: HttpRequest, customer_type: str, customer_id: uuid.UUID | None = None
) -> HttpResponse:
    """A new account or contact, or an existing one's fields (whoever may create cases may)."""
    if customer_type not in CUSTOMER_TYPES:
        raise Http404("No such customer type.")
    customer = _customer(customer_type, customer_id) if customer_id else None
    initial = _customer_initial(customer) if customer else {}
    if customer is None and customer_type == "contact":
        # "New contact" on an account's page names the account.
        account_id = parse_uuid(request.GET.get("account"))
        initial["account_id"] = str(account_id or "")
        initial["account_name"] = _account_name(account_id)
    if request.method == "GET":
        form = _customer_form(customer_type, initial=initial)
        # The version read with the form: a save checks that nobody changed the record since.
        version = customer.version if customer else None
        status = 200
    else:
        form = _customer_form(customer_type, request.POST, initial)
        version = posted_version(request)
        status = 422
        if form.is_valid():
            try:
                values = form.values() if isinstance(form, ContactPageForm) else form.cleaned_data
                saved = _customer_save(request, customer_type, customer, values)
            except DomainError as exc:
                form_add_domain_error(form, exc, {"account_id": "account_name"})
                status = exc.status
            else:
                if customer_type == "account":
                    messages.success(request, _("The account was saved."))
                else:
                    messages.success(request, _("The contact was saved."))
                return redirect(
                    "web:customer_detail", customer_type=customer_type, customer_id=saved.pk
                )
    return render(
        request,
        "web/customers/form.html",
        {
            "form": form,
            "customer": customer,
            "customer_type": customer_type,
            "version": version,
            "nav": "customers",
        },
        status=status,
    )


def contact_choices_for(customer_value: str, include: Sequence[str] = ()) -> list[tuple[str, str]]:
    """The contacts a form offers for a customer: the contact itself, or the account's; plus
    the contacts named in `include` (those already chosen), so that a choice is never dropped
    unseen — the services decide whether they fit the customer."""
    ref = parse_customer(customer_value)
    contacts = (
        selectors.customer_contacts(customer_type=ref.type, customer_id=ref.id) if ref else []
    )
    choices = [(str(c.pk), c.name) for c in contacts]
    listed = {value for value, _name in choices}
    missing = {i for i in (parse_uuid(v) for v in include) if i and str(i) not in listed}
    if missing:
        extra = selectors.contact_list().filter(id__in=missing).order_by("name")
        choices += [(str(c.pk), c.name) for c in extra]
    return choices


def customer_context(
    customer_value: str,
    known: Account | Contact | None = None,
    entitlements: list[Any] | None = None,
) -> dict[str, Any]:
    """The chosen customer's name for the lookup and its summary for the panel. `known` is a
    customer the caller has read (with `entitlements`, its active entitlements), used when
    the value names it."""
    ref = parse_customer(customer_value)
    customer = None
    if (
        ref is not None
        and known is not None
        and ref.id == known.pk
        and ref.type == ("account" if isinstance(known, Account) else "contact")
    ):
        return {
            "customer_name": known.name,
            "customer_value": customer_value,
            "summary": customer_summary(known, entitlements),
        }
    if ref is not None:
        try:
            customer = selectors.customer_get(customer_type=ref.type, customer_id=ref.id)
        except DomainError:
            customer = None
    if customer is None:
        return {"customer_name": "", "customer_value": "", "summary": None}
    return {
        "customer_name": customer.name,
        "customer_value": customer_value,
        "summary": customer_summary(customer),
    }
