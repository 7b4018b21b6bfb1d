"""Service › Entitlements: the list, an entitlement with its ledger, and (managers) create,
edit a draft, activate, deactivate, cancel and make default."""

from __future__ import annotations

import uuid
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from casedesk.core.choices import Channel
from casedesk.core.errors import DomainError
from casedesk.entitlements import rules, selectors
from casedesk.entitlements.choices import ShownState
from casedesk.entitlements.models import Entitlement
from casedesk.entitlements.services import entitlements as services
from casedesk.web.errors import error_message, form_add_domain_error
from casedesk.web.forms.actions import VersionForm
from casedesk.web.forms.entitlements import EntitlementForm
from casedesk.web.views.common import actor, found, page_of, parse_uuid, posted_version
from casedesk.web.views.customers import contact_choices_for, customer_context

PAGE_SIZE = 50


def _terms(entitlement: Entitlement, stored: int) -> Any:
    return rules.stored_to_terms(stored, entitlement.allocation_type)


def _shown_state(entitlement: Entitlement) -> str:
    from casedesk.core import clock

    return rules.shown_state(
        entitlement.state, entitlement.start_date, entitlement.end_date, clock.today()
    )


@login_required
@require_GET
def entitlement_list(request: HttpRequest) -> HttpResponse:
    state = request.GET.get("state") or ""
    if state not in ShownState.values:
        state = ""
    customer_id = parse_uuid(request.GET.get("customer"))
    rows, next_cursor, status = page_of(
        request,
        selectors.entitlement_list(customer_id=customer_id, state=state or None),
        order=("name", "id"),
        limit=PAGE_SIZE,
        scope=f"web-entitlements:{state}:{customer_id}",
    )
    return render(
        request,
        "web/entitlements/list.html",
        {
            "rows": [
                {
                    "entitlement": e,
                    "state": _shown_state(e),
                    "remaining": _terms(e, e.remaining_terms),
                    "total": _terms(e, e.total_terms),
                }
                for e in rows
            ],
            "state": state,
            "states": ShownState.choices,
            "next_cursor": next_cursor,
            "nav": "entitlements",
        },
        status=status,
    )


def _initial(entitlement: Entitlement) -> dict[str, Any]:
    kind = "account" if entitlement.customer_account_id else "contact"
    customer_id = entitlement.customer_account_id or entitlement.customer_contact_id
    initial: dict[str, Any] = {
        "name": entitlement.name,
        "customer": f"{kind}:{customer_id}",
        "start_date": entitlement.start_date,
        "end_date": entitlement.end_date,
        "allocation_type": entitlement.allocation_type,
        "total_terms": _terms(entitlement, entitlement.total_terms),
        "decrease_on": entitlement.decrease_on,
        "restrict_case_creation": entitlement.restrict_case_creation,
        "is_default": entitlement.is_default,
        "sla": str(entitlement.sla_id) if entitlement.sla_id else "",
        "products": [str(p.pk) for p in entitlement.products.all()],
        "contacts": [str(c.pk) for c in entitlement.contacts.all()],
        "version": entitlement.version,
    }
    for c in entitlement.channels.all():
        initial[f"terms_{c.channel}"] = _terms(entitlement, c.terms)
    return initial


def _form_page(
    request: HttpRequest, form: EntitlementForm, entitlement: Entitlement | None, status: int
) -> HttpResponse:
    return render(
        request,
        "web/entitlements/form.html",
        {
            "form": form,
            "entitlement": entitlement,
            **customer_context(form["customer"].value() or ""),
            "nav": "entitlements",
        },
        status=status,
    )


@login_required
@require_http_methods(["GET", "POST"])
def entitlement_edit(request: HttpRequest, entitlement_id: uuid.UUID | None = None) -> HttpResponse:
    """Create an entitlement (a draft), or edit a draft one (managers)."""
    entitlement = (
        found(selectors.entitlement_get, entitlement_id=entitlement_id) if entitlement_id else None
    )
    if request.method == "GET":
        initial = _initial(entitlement) if entitlement else {}
        if not entitlement and request.GET.get("customer"):
            initial["customer"] = request.GET["customer"]
        choices = contact_choices_for(initial.get("customer", ""), initial.get("contacts", ()))
        form = EntitlementForm(initial=initial, contact_choices=choices)
        return _form_page(request, form, entitlement, 200)
    form = EntitlementForm(
        request.POST,
        initial=_initial(entitlement) if entitlement else None,
        contact_choices=contact_choices_for(
            request.POST.get("customer", ""), request.POST.getlist("contacts")
        ),
    )
    if not form.is_valid():
        return _form_page(request, form, entitlement, 422)
    values = form.values()
    try:
        if entitlement is None:
            saved = services.entitlement_create(actor=actor(request), channel=Channel.UI, **values)
        else:
            saved = services.entitlement_update(
                actor=actor(request),
                entitlement_id=entitlement.pk,
                changes={k: v for k, v in values.items() if _changed(form, k)},
                expected_version=posted_version(request),
                channel=Channel.UI,
            )
    except DomainError as exc:
        form_add_domain_error(
            form,
            exc,
            {
                "customer": "customer",
                "contact_ids": "contacts",
                "product_ids": "products",
                "sla_id": "sla",
            },
        )
        return _form_page(request, form, entitlement, exc.status)
    messages.success(request, _("The entitlement was saved."))
    return redirect("web:entitlement_detail", entitlement_id=saved.pk)


def _changed(form: EntitlementForm, name: str) -> bool:
    if name == "product_ids":
        return "products" in form.changed_data
    if name == "contact_ids":
        return "contacts" in form.changed_data
    if name == "sla_id":
        return "sla" in form.changed_data
    if name == "channels":
        return any(f.startswith("terms_") for f in form.changed_data)
    return name in form.changed_data


@login_required
@require_GET
def entitlement_detail(request: HttpRequest, entitlement_id: uuid.UUID) -> HttpResponse:
    entitlement = found(selectors.entitlement_get, entitlement_id=entitlement_id)
    _unit, ledger = selectors.entitlement_ledger(entitlement_id=entitlement.pk)
    rows = list(ledger.select_related("case", "actor").order_by("id")[:500])
    return render(
        request,
        "web/entitlements/detail.html",
        {
            "e": entitlement,
            "state": _shown_state(entitlement),
            "remaining": _terms(entitlement, entitlement.remaining_terms),
            "total": _terms(entitlement, entitlement.total_terms),
            "channels": [
                {
                    "channel": c.channel,
                    "terms": _terms(entitlement, c.terms),
                    "remaining": _terms(entitlement, c.remaining_terms),
                }
                for c in entitlement.channels.all()
            ],
            "ledger": [{"row": r, "amount": _terms(entitlement, r.amount)} for r in rows],
            "nav": "entitlements",
        },
    )


@login_required
@require_POST
def entitlement_action(
    request: HttpRequest, entitlement_id: uuid.UUID, action: str
) -> HttpResponse:
    """Activate, deactivate, cancel, or make default (managers)."""
    entitlement = found(selectors.entitlement_get, entitlement_id=entitlement_id)
    form = VersionForm(request.POST)
    if not form.is_valid():
        return redirect("web:entitlement_detail", entitlement_id=entitlement.pk)
    common: dict[str, Any] = {
        "actor": actor(request),
        "entitlement_id": entitlement.pk,
        "expected_version": form.cleaned_data["version"],
        "channel": Channel.UI,
    }
    try:
        if action == "activate":
            services.entitlement_activate(**common)
            done = _("The entitlement was activated.")
        elif action == "deactivate":
            services.entitlement_deactivate(**common)
            done = _("The entitlement was deactivated.")
        elif action == "cancel":
            services.entitlement_cancel(**common)
            done = _("The entitlement was cancelled.")
        else:
            default = request.POST.get("is_default") == "1"
            services.entitlement_update(changes={"is_default": default}, **common)
            done = (
                _("The entitlement is now the customer's default.")
                if default
                else _("The entitlement is no longer the customer's default.")
            )
    except DomainError as exc:
        messages.error(request, error_message(exc))
        response = entitlement_detail(request, entitlement.pk)
        response.status_code = exc.status
        return response
    messages.success(request, done)
    return redirect("web:entitlement_detail", entitlement_id=entitlement.pk)
