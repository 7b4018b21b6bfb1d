"""The search box of the top bar (docs/web.md#finding-anything): a ticket or case number opens
the case; words find cases of every state, accounts and contacts. As the user types, the box
asks for the same results as a fragment (htmx); without JavaScript, the form opens the page.
Also "Find case" of the new-case page, which works the same way."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET

from casedesk.cases import selectors as case_selectors
from casedesk.cases.fields import Ref
from casedesk.cases.models import Case
from casedesk.core.errors import DomainError
from casedesk.customers import selectors as customer_selectors
from casedesk.web.forms.cases import parse_customer
from casedesk.web.views.common import actor

MAX_QUERY = 200
PAGE_LIMIT = 25
TYPING_LIMIT = 6


@login_required
@require_GET
def global_search(request: HttpRequest) -> HttpResponse:
    text = (request.GET.get("q") or "").strip()[:MAX_QUERY]
    typing = bool(getattr(request, "htmx", False))
    limit = TYPING_LIMIT if typing else PAGE_LIMIT
    found = case_selectors.case_id_by_ticket(text) if text else None
    if found is not None and not typing:
        return redirect("web:case_detail", case_id=found)
    cases: list[Case] = []
    customers: list[dict[str, object]] = []
    if text:
        _none, cases = case_selectors.cases_found(text, viewer=actor(request), limit=limit)
        customers = customer_selectors.customer_search(text=text, limit=limit)
    context = {
        "q": text,
        "cases": cases,
        "customers": customers,
        "limited": len(cases) >= limit or len(customers) >= limit,
        "nav": "search",
    }
    if typing:
        return render(request, "web/search/_results.html", context)
    return render(request, "web/search/page.html", context)


@login_required
@require_GET
def case_find(request: HttpRequest) -> HttpResponse:
    """ "Find case" of the new-case page (docs/web.md#the-new-case-page): cases of every state
    (active, resolved, cancelled) by ticket number or words, the chosen customer's first. As
    the user types, the results come as a fragment under the box (htmx); without JavaScript,
    the form opens a page of them."""
    text = (request.GET.get("q") or "").strip()[:MAX_QUERY]
    customer_value = request.GET.get("customer") or ""
    ref = parse_customer(customer_value)
    typing = bool(getattr(request, "htmx", False))
    limit = TYPING_LIMIT if typing else PAGE_LIMIT
    theirs: list[Case] = []
    others: list[Case] = []
    if text:
        theirs, others = case_selectors.cases_found(
            text, viewer=actor(request), limit=limit, customer_id=ref.id if ref else None
        )
    context = {
        "q": text,
        "customer_value": customer_value if ref is not None else "",
        "customer_name": _customer_name(ref),
        "theirs": theirs,
        "others": others,
        "limited": len(theirs) >= limit or len(others) >= limit,
        "nav": "cases",
    }
    if typing:
        return render(request, "web/cases/_find_results.html", context)
    return render(request, "web/cases/find.html", context)


def _customer_name(ref: Ref | None) -> str:
    if ref is None:
        return ""
    try:
        return customer_selectors.customer_get(customer_type=ref.type, customer_id=ref.id).name
    except DomainError:
        return ""
