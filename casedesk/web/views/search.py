"""The search box of the top bar (docs/web.md#finding-anything): a ticket or case number opens
the case; words find cases of every state, accounts and contacts. As the user types, the box
asks for the same results as a fragment (htmx); without JavaScript, the form opens the page."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET

from casedesk.cases import selectors as case_selectors
from casedesk.cases.models import Case
from casedesk.customers import selectors as customer_selectors
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
        viewer = actor(request)
        listed = case_selectors.case_list(case_selectors.CaseFilters(search=text), viewer=viewer)
        cases = list(listed.order_by("-modified_at", "-id")[:limit])
        if found is not None and all(c.pk != found for c in cases):
            cases.insert(0, case_selectors.case_get(case_id=found))
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
