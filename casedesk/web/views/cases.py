"""Service › Cases: the case lists, the new case form and the case page."""

from __future__ import annotations

import uuid
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods, require_POST

from casedesk.cases import selectors
from casedesk.cases.choices import STATUSES_BY_STATE, Stage, State
from casedesk.cases.models import Case
from casedesk.cases.permissions import case_change_allowed
from casedesk.cases.services import records
from casedesk.cases.services.common import customer_of
from casedesk.core.choices import Channel
from casedesk.core.errors import DomainError
from casedesk.core.pagination import paginate
from casedesk.customers import selectors as customer_selectors
from casedesk.web.errors import error_message, form_add_domain_error, message_domain_error
from casedesk.web.forms.cases import (
    FIELD_OF_API_NAME,
    CaseEditForm,
    CaseForm,
    CaseListForm,
    StageForm,
    parse_customer,
)
from casedesk.web.views.common import actor, found
from casedesk.web.views.customers import customer_summary

PAGE_SIZE = 25

# The lists of Service › Cases: the state they show and whether only the caller's cases.
VIEWS: dict[str, tuple[Any, str, bool]] = {
    "my": (gettext_lazy("My active cases"), State.ACTIVE, True),
    "active": (gettext_lazy("All active cases"), State.ACTIVE, False),
    "resolved": (gettext_lazy("Resolved cases"), State.RESOLVED, False),
    "cancelled": (gettext_lazy("Cancelled cases"), State.CANCELLED, False),
}

# Sort orders: each ends with the primary key so the keyset order is total.
SORTS: dict[str, tuple[Any, tuple[str, ...]]] = {
    "newest": (gettext_lazy("Newest first"), ("-created_at", "-id")),
    "oldest": (gettext_lazy("Oldest first"), ("created_at", "id")),
    "modified": (gettext_lazy("Recently modified"), ("-modified_at", "-id")),
    "number": (gettext_lazy("Case number"), ("number", "id")),
    "title": (gettext_lazy("Case title"), ("title", "id")),
}


@login_required
def case_list(request: HttpRequest) -> HttpResponse:
    view = request.GET.get("view") or "my"
    if view not in VIEWS:
        view = "my"
    heading, state, mine = VIEWS[view]
    form = CaseListForm(
        request.GET or None,
        statuses=list(STATUSES_BY_STATE[state]),
        sorts=[(key, label) for key, (label, _order) in SORTS.items()],
    )
    cleaned: dict[str, Any] = form.cleaned_data if form.is_bound and form.is_valid() else {}
    sort = cleaned.get("sort") or "newest"
    filters = selectors.CaseFilters(
        state=state,
        status=cleaned.get("status") or None,
        owner_id=actor(request).pk if mine else None,
        subject_id=cleaned.get("subject"),
        search=cleaned.get("search") or None,
    )
    scope = "web-cases:" + "|".join(f"{k}={v}" for k, v in sorted(vars(filters).items()) if v)
    status = 200
    try:
        page = paginate(
            selectors.case_list(filters),
            order=SORTS[sort][1],
            limit=PAGE_SIZE,
            cursor=cleaned.get("cursor") or None,
            scope=f"{scope}|sort={sort}",
        )
        cases, next_cursor = page.items, page.next
    except DomainError as exc:  # a stale or tampered cursor
        messages.error(request, error_message(exc))
        cases, next_cursor, status = [], None, exc.status
    return render(
        request,
        "web/cases/list.html",
        {
            "form": form,
            "cases": cases,
            "next_cursor": next_cursor,
            "view": view,
            "heading": heading,
            "views": [(key, label) for key, (label, _s, _m) in VIEWS.items()],
            "paged": bool(cleaned.get("cursor")),
            "nav": "cases",
        },
        status=status,
    )


def contact_choices_for(customer_value: str) -> list[tuple[str, str]]:
    """The contacts the case form offers for a customer: the contact itself, or the account's."""
    ref = parse_customer(customer_value)
    if ref is None:
        return []
    if ref.type == "contact":
        contact = customer_selectors.contact_list().filter(id=ref.id).first()
        return [(str(contact.pk), contact.name)] if contact else []
    return [
        (str(c.pk), c.name)
        for c in customer_selectors.contact_list(account_id=ref.id).order_by("name")[:200]
    ]


def customer_context(customer_value: str) -> dict[str, Any]:
    """The chosen customer's name for the lookup and its summary for the panel."""
    ref = parse_customer(customer_value)
    customer = None
    if ref is not None:
        try:
            customer = customer_selectors.customer_get(customer_type=ref.type, customer_id=ref.id)
        except DomainError:
            customer = None
    if customer is None:
        return {"customer_name": "", "customer_value": "", "summary": None}
    return {
        "customer_name": customer.name,
        "customer_value": customer_value,
        "summary": customer_summary(customer),
    }


@login_required
@require_http_methods(["GET", "POST"])
def case_new(request: HttpRequest) -> HttpResponse:
    status = 200
    if request.method == "POST":
        form = CaseForm(
            request.POST, contact_choices=contact_choices_for(request.POST.get("customer", ""))
        )
        if form.is_valid():
            data = form.cleaned_data
            try:
                case = records.case_create(
                    actor=actor(request),
                    title=data["title"],
                    customer=data["customer"],
                    description=data["description"] or "",
                    contact_id=data["contact"],
                    subject_id=data["subject"],
                    product_id=data["product"],
                    origin=data["origin"],
                    case_type=data["case_type"],
                    priority=data["priority"],
                    channel=Channel.UI,
                )
            except DomainError as exc:
                form_add_domain_error(form, exc, FIELD_OF_API_NAME)
                status = exc.status
            else:
                messages.success(
                    request, _("Case %(number)s created.") % {"number": case.ticket_number}
                )
                return redirect("web:case_detail", case_id=case.pk)
        else:
            status = 422
    else:
        initial: dict[str, Any] = {}
        customer = request.GET.get("customer", "")
        if parse_customer(customer):
            initial["customer"] = customer
        form = CaseForm(initial=initial, contact_choices=contact_choices_for(customer))
    return render(
        request,
        "web/cases/new.html",
        {"form": form, "nav": "cases", **customer_context(form["customer"].value() or "")},
        status=status,
    )


def _edit_initial(case: Case) -> dict[str, Any]:
    customer = customer_of(case)
    kind = "account" if case.customer_account_id else "contact"
    return {
        "title": case.title,
        "customer": f"{kind}:{customer.pk}",
        "contact": str(case.contact_id) if case.contact_id else "",
        "subject": str(case.subject_id) if case.subject_id else "",
        "product": str(case.product_id) if case.product_id else "",
        "origin": case.origin,
        "case_type": case.case_type or "",
        "priority": case.priority,
        "description": case.description,
        "status": case.status,
        "decrement_entitlement_terms": case.decrement_entitlement_terms,
        "version": case.version,
    }


def case_page(
    request: HttpRequest, case: Case, form: CaseEditForm | None = None, status: int = 200
) -> HttpResponse:
    """Render the case page (the form bound to the user's input after a refusal)."""
    initial = _edit_initial(case)
    if form is None:
        form = CaseEditForm(
            initial=initial, contact_choices=contact_choices_for(initial["customer"])
        )
    customer_value = form["customer"].value() or initial["customer"]
    can_change = case_change_allowed(actor(request), case)
    editable = can_change and case.state == State.ACTIVE
    return render(
        request,
        "web/cases/detail.html",
        {
            "case": case,
            "form": form,
            **customer_context(customer_value),
            "can_change": can_change,
            "editable": editable,
            "disabled": not editable,
            "stages": Stage.choices,
            "stage_index": [s for s, _label in Stage.choices].index(case.stage),
            "nav": "cases",
        },
        status=status,
    )


@login_required
@require_http_methods(["GET", "POST"])
def case_detail(request: HttpRequest, case_id: uuid.UUID) -> HttpResponse:
    case = found(selectors.case_get, case_id=case_id)
    if request.method == "GET":
        return case_page(request, case)
    form = CaseEditForm(
        request.POST,
        initial=_edit_initial(case),
        contact_choices=contact_choices_for(request.POST.get("customer", "")),
    )
    if not form.is_valid():
        return case_page(request, case, form, status=422)
    try:
        records.case_update(
            actor=actor(request),
            case_id=case.pk,
            changes=form.changes(),
            expected_version=form.cleaned_data["version"],
            channel=Channel.UI,
        )
    except DomainError as exc:
        form_add_domain_error(form, exc, FIELD_OF_API_NAME)
        return case_page(request, case, form, status=exc.status)
    messages.success(request, _("The case was saved."))
    return redirect("web:case_detail", case_id=case.pk)


@login_required
@require_POST
def case_stage(request: HttpRequest, case_id: uuid.UUID) -> HttpResponse:
    """The process bar: move the case to another stage (any order)."""
    case = found(selectors.case_get, case_id=case_id)
    form = StageForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose a stage."))
        return redirect("web:case_detail", case_id=case.pk)
    try:
        records.case_update(
            actor=actor(request),
            case_id=case.pk,
            changes={"stage": form.cleaned_data["stage"]},
            expected_version=form.cleaned_data["version"],
            channel=Channel.UI,
        )
    except DomainError as exc:
        message_domain_error(request, exc)
        return case_page(request, found(selectors.case_get, case_id=case_id), status=exc.status)
    return redirect(reverse("web:case_detail", kwargs={"case_id": case.pk}) + "#process")
