"""Service › Cases: the case lists, the new case form and the case page."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods, require_POST

from casedesk.cases import selectors
from casedesk.cases.allowed import case_allowed
from casedesk.cases.choices import STATUSES_BY_STATE, State
from casedesk.cases.fields import CaseChanges
from casedesk.cases.services import records, saved_views
from casedesk.core.choices import Channel
from casedesk.core.errors import DomainError
from casedesk.customers import selectors as customer_selectors
from casedesk.routing.services import routing
from casedesk.web.errors import form_add_domain_error, message_domain_error
from casedesk.web.forms.cases import (
    FIELD_OF_API_NAME,
    CaseForm,
    CaseListForm,
    StageForm,
    parse_customer,
)
from casedesk.web.views.case_page import (
    case_page,
    edit_form,
    edit_initial,
    owner_choices,
    queue_choices,
)
from casedesk.web.views.common import actor, found, page_both, parse_uuid
from casedesk.web.views.customers import contact_choices_for, customer_context

PAGE_SIZE = 25

# The lists of Service › Cases: the state they show and whether only the caller's cases.
VIEWS: dict[str, tuple[Any, str, bool]] = {
    "my": (gettext_lazy("My active cases"), State.ACTIVE, True),
    "active": (gettext_lazy("All active cases"), State.ACTIVE, False),
    "resolved": (gettext_lazy("Resolved cases"), State.RESOLVED, False),
    "cancelled": (gettext_lazy("Cancelled cases"), State.CANCELLED, False),
}

# The columns of the list, each with its sort order when it has one (an index of the case
# table reads it, with the view's state first: docs/web.md#lists). `?sort=<column>` lists in
# that order, `?sort=-<column>` in its exact reverse. The customer and the owner are names
# kept in other tables: sorting by them would sort every case, so they do not sort.
COLUMNS: dict[str, tuple[Any, selectors.CaseOrder | None]] = {
    "number": (gettext_lazy("Case number"), selectors.CaseOrder(("number", "id"))),
    "title": (gettext_lazy("Case title"), selectors.CaseOrder(("title", "id"))),
    "customer": (gettext_lazy("Customer"), None),
    "priority": (gettext_lazy("Priority"), selectors.CASE_ORDERS["priority"]),
    "status": (
        gettext_lazy("Status reason"),
        selectors.CaseOrder(("status", "-created_at", "-id")),
    ),
    "owner": (gettext_lazy("Owner"), None),
    "created": (gettext_lazy("Created on"), selectors.CaseOrder(("created_at", "id"))),
    "resolve_by": (gettext_lazy("Resolve by"), selectors.CASE_ORDERS["resolve_by"]),
}
DEFAULT_SORT = "-created"
# Sorts of earlier versions of the page, still in bookmarks.
OLD_SORTS = {"newest": "-created", "oldest": "created"}


def sort_choices() -> list[tuple[str, str]]:
    """The sort menu of the filters (the headers' links do the same without it)."""
    found = []
    for key, (label, order) in COLUMNS.items():
        if order is not None:
            found.append((key, _("%(column)s, ascending") % {"column": label}))
            found.append((f"-{key}", _("%(column)s, descending") % {"column": label}))
    return found


def saved_context(request: HttpRequest) -> dict[str, Any]:
    """The user's saved views as tabs (each tab fetches its count when shown:
    `saved_view_count`), the current one, and the list's parameters a new one keeps."""
    current_id = parse_uuid(request.GET.get("saved"))
    tabs = []
    current = None
    for view in saved_views.saved_view_list(user=actor(request)):
        tabs.append({"view": view, "url": "?" + urlencode({**view.query, "saved": str(view.pk)})})
        if view.pk == current_id:
            current = view
    keep = [(k, request.GET[k]) for k in saved_views.KEPT if request.GET.get(k)]
    return {"saved_tabs": tabs, "saved_current": current, "saved_keep": keep}


def customer_name(value: str | None) -> str | None:
    """The name of the customer a `?customer=account:<uuid>` names, or None."""
    ref = parse_customer(value or "")
    if ref is None:
        return None
    try:
        return customer_selectors.customer_get(customer_type=ref.type, customer_id=ref.id).name
    except DomainError:
        return None


def column_headers(sort: str) -> list[dict[str, Any]]:
    """The list's headers: label, the sort a click asks for (the reverse of the current one
    on its column) and `aria-sort` on the sorted column."""
    current, descending = sort.lstrip("-"), sort.startswith("-")
    headers = []
    for key, (label, order) in COLUMNS.items():
        sorted_here = order is not None and key == current
        headers.append(
            {
                "key": key,
                "label": label,
                "sort": None
                if order is None
                else (key if sorted_here and descending else f"-{key}" if sorted_here else key),
                "aria_sort": ("descending" if descending else "ascending") if sorted_here else "",
            }
        )
    return headers


def view_tabs(user: Any) -> list[tuple[str, Any, int | None]]:
    """The built-in views with their counts, from the case counters in one query (no case is
    counted: the views filter by state and owner only, which list the same cases for every
    viewer; docs/cases.md#counters)."""
    counts = selectors.case_state_counts(owner=user)
    return [
        (key, label, counts.get(state, (0, 0))[1 if mine else 0])
        for key, (label, state, mine) in VIEWS.items()
    ]


@dataclass
class ListQuery:
    """The case list's parameters read and checked: the view, its form and the filters."""

    view: str
    heading: Any
    mine: bool
    form: CaseListForm
    owners: list[Any]
    cleaned: dict[str, Any]
    sort: str
    filters: selectors.CaseFilters


def list_query(request: HttpRequest, params: Mapping[str, str]) -> ListQuery:
    """The list that `params` (the page's query string, or a saved view's) asks for, as the
    request's user sees it; what the form refuses is left out."""
    view = params.get("view") or "my"
    if view not in VIEWS:
        view = "my"
    heading, state, mine = VIEWS[view]
    query = QueryDict(mutable=True)
    query.update(params)
    old_sort = OLD_SORTS.get(params.get("sort") or "")
    if old_sort:
        query["sort"] = old_sort
    owners = owner_choices()
    form = CaseListForm(
        query or None,
        statuses=list(STATUSES_BY_STATE[state]),
        sorts=sort_choices(),
        queues=queue_choices(request),
        owners=owners,
        customer_name=customer_name(params.get("customer")),
    )
    cleaned: dict[str, Any] = form.cleaned_data if form.is_bound and form.is_valid() else {}
    owner = cleaned.get("owner")
    customer = cleaned.get("customer")
    filters = selectors.CaseFilters(
        state=state,
        status=cleaned.get("status") or None,
        owner_id=actor(request).pk if mine else owner.id if owner else None,
        owner_type="user" if mine else owner.type if owner else None,
        customer_id=customer.id if customer else None,
        subject_id=cleaned.get("subject"),
        queue_id=cleaned.get("queue"),
        search=cleaned.get("search") or None,
        priority=cleaned.get("priority") or None,
        sla_status=cleaned.get("sla_status") or None,
    )
    return ListQuery(
        view=view,
        heading=heading,
        mine=mine,
        form=form,
        owners=owners,
        cleaned=cleaned,
        sort=cleaned.get("sort") or DEFAULT_SORT,
        filters=filters,
    )


@login_required
def case_list(request: HttpRequest) -> HttpResponse:
    asked = list_query(request, request.GET.dict())
    form, cleaned, sort, filters = asked.form, asked.cleaned, asked.sort, asked.filters
    order = COLUMNS[sort.lstrip("-")][1]
    assert order is not None
    scope = "web-cases:" + "|".join(f"{k}={v}" for k, v in sorted(vars(filters).items()) if v)
    cases, next_cursor, previous_cursor, status = page_both(
        request,
        selectors.case_list(filters, viewer=actor(request)),
        order=order.keys,
        limit=PAGE_SIZE,
        cursor=cleaned.get("cursor") or "",
        scope=f"{scope}|sort={sort}",
        annotations=order.annotations,
        nulls_last=order.nulls_last,
        reverse=sort.startswith("-"),
    )
    htmx = getattr(request, "htmx", None)
    return render(
        request,
        # htmx asks for the list region only (the filters, the table, the pages).
        "web/cases/_list.html" if htmx and htmx.target == "case-list" else "web/cases/list.html",
        {
            "form": form,
            "cases": cases,
            "next_cursor": next_cursor,
            "previous_cursor": previous_cursor,
            "columns": column_headers(sort),
            "view": asked.view,
            "heading": asked.heading,
            "views": view_tabs(actor(request)),
            "paged": bool(cleaned.get("cursor")),
            "owners": asked.owners,
            "mine": asked.mine,
            **saved_context(request),
            "queues": queue_choices(request),
            "nav": "cases",
            "sort": sort,
        },
        status=status,
    )


def child_initial(parent_value: str | None) -> dict[str, Any]:
    """A new child case starts with its parent's title, customer, contact, subject, product and
    priority (docs/cases.md)."""
    parent_id = parse_uuid(parent_value)
    if parent_id is None:
        return {}
    try:
        parent = selectors.case_get(case_id=parent_id)
    except DomainError:
        return {}
    initial = edit_initial(parent)
    keep = ("title", "customer", "contact", "subject", "product", "priority")
    return {"parent": str(parent.pk), **{k: initial[k] for k in keep}}


@login_required
@require_http_methods(["GET", "POST"])
def case_new(request: HttpRequest) -> HttpResponse:
    status = 200
    if request.method == "POST":
        form = CaseForm(
            request.POST,
            contact_choices=contact_choices_for(
                request.POST.get("customer", ""), [request.POST.get("contact", "")]
            ),
        )
        if form.is_valid():
            data = form.cleaned_data
            try:
                case = routing.case_create_and_route(
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
                    parent_id=data["parent"],
                    route=request.POST.get("route") == "1",
                    channel=Channel.UI,
                )
            except DomainError as exc:
                form_add_domain_error(form, exc, FIELD_OF_API_NAME)
                status = exc.status
            else:
                created = _("Case %(number)s created.") % {"number": case.ticket_number}
                if request.POST.get("route") == "1":
                    created += " " + _("It was routed by the active routing rule set.")
                messages.success(request, created)
                return redirect("web:case_detail", case_id=case.pk)
        else:
            status = 422
    else:
        initial = child_initial(request.GET.get("parent"))
        customer = initial.get("customer") or request.GET.get("customer", "")
        if parse_customer(customer):
            initial["customer"] = customer
        form = CaseForm(initial=initial, contact_choices=contact_choices_for(customer))
    return render(
        request,
        "web/cases/new.html",
        {"form": form, "nav": "cases", **customer_context(form["customer"].value() or "")},
        status=status,
    )


@login_required
@require_http_methods(["GET", "POST"])
def case_detail(request: HttpRequest, case_id: uuid.UUID) -> HttpResponse:
    case = found(selectors.case_get, case_id=case_id)
    if request.method == "GET":
        return case_page(request, case)
    allowed = case_allowed(user=actor(request), case=case, merge_candidates=0)
    form = edit_form(case, request.POST, allowed)
    if not form.is_valid():
        return case_page(request, case, form=form, status=422)
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
        return case_page(request, case, form=form, status=exc.status)
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
            changes=CaseChanges(stage=form.cleaned_data["stage"]),
            expected_version=form.cleaned_data["version"],
            channel=Channel.UI,
        )
    except DomainError as exc:
        message_domain_error(request, exc)
        return case_page(request, found(selectors.case_get, case_id=case_id), status=exc.status)
    return redirect(reverse("web:case_detail", kwargs={"case_id": case.pk}) + "#process")
