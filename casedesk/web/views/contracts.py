"""Service › Contracts (docs/entitlements.md, legacy billing by contract): the list, a contract
with its lines,
their totals and what cases used; managers create and edit contracts and add, edit and remove
lines."""

from __future__ import annotations

import uuid
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import Prefetch
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from casedesk.core.choices import Channel
from casedesk.core.errors import DomainError
from casedesk.entitlements import selectors
from casedesk.entitlements.choices import AllotmentType
from casedesk.entitlements.models import Contract, ContractLine
from casedesk.entitlements.services import contracts as services
from casedesk.web.errors import error_message, form_add_domain_error
from casedesk.web.forms.actions import VersionForm
from casedesk.web.forms.cases import parse_customer
from casedesk.web.forms.contracts import ContractForm, ContractLineEditForm, ContractLineForm
from casedesk.web.views.common import actor, found, page_of, posted_version
from casedesk.web.views.customers import customer_context

PAGE_SIZE = 50
LEDGER_ROWS = 500
# The states a contract's period gives it, as the list's tabs offer them.
STATES = [(s.value, s.label) for s in selectors.PERIOD_STATES]
# The service's line fields -> the form's.
LINE_FIELDS = {"product_id": "product"}


@login_required
@require_GET
def contract_list(request: HttpRequest) -> HttpResponse:
    """Contracts by name, of one customer and/or in one state; keyset pages."""
    state = request.GET.get("state") or ""
    if state not in dict(STATES):
        state = ""
    customer_value = request.GET.get("customer") or ""
    ref = parse_customer(customer_value)
    rows, next_cursor, status = page_of(
        request,
        selectors.contract_list(
            customer_id=ref.id if ref else None, state=state or None
        ).prefetch_related(
            Prefetch("lines", queryset=ContractLine.objects.order_by("created_at", "id"))
        ),
        order=("name", "id"),
        limit=PAGE_SIZE,
        scope=f"web-contracts:{state}:{ref.id if ref else ''}",
    )
    return render(
        request,
        "web/contracts/list.html",
        {
            "contracts": rows,
            "state": state,
            "states": STATES,
            "next_cursor": next_cursor,
            "paged": bool(request.GET.get("cursor")),
            "form": ContractForm(initial={"customer": customer_value}),
            **customer_context(customer_value),
            "nav": "contracts",
        },
        status=status,
    )


def _totals(lines: list[ContractLine]) -> list[dict[str, Any]]:
    """Total, used and remaining of the lines of each counted allotment type."""
    totals = []
    for kind in (AllotmentType.CASES, AllotmentType.MINUTES):
        same = [line for line in lines if line.allotment_type == kind]
        if same:
            total = sum(line.total for line in same)
            used = sum(line.used for line in same)
            totals.append(
                {"allotment_type": kind, "total": total, "used": used, "remaining": total - used}
            )
    return totals


def _detail_page(
    request: HttpRequest,
    contract: Contract,
    *,
    line_form: ContractLineForm | None = None,
    status: int = 200,
) -> HttpResponse:
    lines = list(
        selectors.contract_line_list(contract_id=contract.pk)
        .select_related("product")
        .order_by("created_at", "id")
    )
    ledger = list(
        selectors.contract_ledger(contract_id=contract.pk)
        .select_related("case", "contract_line")
        .order_by("id")[:LEDGER_ROWS]
    )
    in_use = selectors.contract_lines_in_use(contract_id=contract.pk)
    return render(
        request,
        "web/contracts/detail.html",
        {
            "c": contract,
            "lines": [{"line": line, "in_use": line.pk in in_use} for line in lines],
            "totals": _totals(lines),
            "ledger": ledger,
            "line_form": line_form or ContractLineForm(auto_id="line_%s"),
            "nav": "contracts",
        },
        status=status,
    )


@login_required
@require_GET
def contract_detail(request: HttpRequest, contract_id: uuid.UUID) -> HttpResponse:
    contract = found(selectors.contract_get, contract_id=contract_id)
    return _detail_page(request, contract)


def _initial(contract: Contract) -> dict[str, Any]:
    kind = "account" if contract.customer_account_id else "contact"
    customer_id = contract.customer_account_id or contract.customer_contact_id
    return {
        "name": contract.name,
        "customer": f"{kind}:{customer_id}",
        "start_date": contract.start_date,
        "end_date": contract.end_date,
    }


def _form_page(
    request: HttpRequest, form: ContractForm, contract: Contract | None, status: int
) -> HttpResponse:
    return render(
        request,
        "web/contracts/form.html",
        {
            "form": form,
            "contract": contract,
            **customer_context(form["customer"].value() or ""),
            "nav": "contracts",
        },
        status=status,
    )


@login_required
@require_http_methods(["GET", "POST"])
def contract_edit(request: HttpRequest, contract_id: uuid.UUID | None = None) -> HttpResponse:
    """Create a contract, or change one's name, customer or period (managers)."""
    contract = found(selectors.contract_get, contract_id=contract_id) if contract_id else None
    initial = _initial(contract) if contract else {}
    if request.method == "GET":
        if not contract and request.GET.get("customer"):
            initial["customer"] = request.GET["customer"]
        return _form_page(request, ContractForm(initial=initial), contract, 200)
    form = ContractForm(request.POST, initial=initial)
    if not form.is_valid():
        return _form_page(request, form, contract, 422)
    data = form.cleaned_data
    try:
        if contract is None:
            saved = services.contract_create(actor=actor(request), channel=Channel.UI, **data)
        else:
            saved = services.contract_update(
                actor=actor(request),
                contract_id=contract.pk,
                changes={k: v for k, v in data.items() if k in form.changed_data},
                expected_version=posted_version(request),
                channel=Channel.UI,
            )
    except DomainError as exc:
        form_add_domain_error(form, exc)
        return _form_page(request, form, contract, exc.status)
    messages.success(request, _("The contract was saved."))
    return redirect("web:contract_detail", contract_id=saved.pk)


@login_required
@require_POST
def contract_line_add(request: HttpRequest, contract_id: uuid.UUID) -> HttpResponse:
    """Add a line to the contract (managers); a refusal shows the form again, open."""
    contract = found(selectors.contract_get, contract_id=contract_id)
    form = ContractLineForm(request.POST, auto_id="line_%s")
    if not form.is_valid():
        return _detail_page(request, contract, line_form=form, status=422)
    try:
        services.contract_line_create(
            actor=actor(request), contract_id=contract.pk, channel=Channel.UI, **form.values()
        )
    except DomainError as exc:
        form_add_domain_error(form, exc, LINE_FIELDS)
        return _detail_page(request, contract, line_form=form, status=exc.status)
    messages.success(request, _("The line was added."))
    return redirect("web:contract_detail", contract_id=contract.pk)


def _line_initial(line: ContractLine) -> dict[str, Any]:
    return {
        "name": line.name,
        "total": line.total,
        "start_date": line.start_date,
        "end_date": line.end_date,
        "product": str(line.product_id) if line.product_id else "",
        "version": line.version,
    }


@login_required
@require_http_methods(["GET", "POST"])
def contract_line_edit(
    request: HttpRequest, contract_id: uuid.UUID, line_id: uuid.UUID
) -> HttpResponse:
    """Change a line's name, total, dates or product (managers); its allotment type stays."""
    contract = found(selectors.contract_get, contract_id=contract_id)
    line = found(selectors.contract_line_get, contract_id=contract.pk, line_id=line_id)
    initial = _line_initial(line)
    form = ContractLineEditForm(request.POST if request.method == "POST" else None, initial=initial)
    status = 200
    if request.method == "POST":
        status = 422
        if form.is_valid():
            try:
                services.contract_line_update(
                    actor=actor(request),
                    contract_id=contract.pk,
                    line_id=line.pk,
                    changes=form.changes(),
                    expected_version=form.cleaned_data["version"],
                    channel=Channel.UI,
                )
            except DomainError as exc:
                form_add_domain_error(form, exc, LINE_FIELDS)
                status = exc.status
            else:
                messages.success(request, _("The line was saved."))
                return redirect("web:contract_detail", contract_id=contract.pk)
    return render(
        request,
        "web/contracts/line_form.html",
        {"form": form, "c": contract, "line": line, "nav": "contracts"},
        status=status,
    )


@login_required
@require_POST
def contract_line_remove(
    request: HttpRequest, contract_id: uuid.UUID, line_id: uuid.UUID
) -> HttpResponse:
    """Remove a line that no case names or has used (managers)."""
    contract = found(selectors.contract_get, contract_id=contract_id)
    line = found(selectors.contract_line_get, contract_id=contract.pk, line_id=line_id)
    form = VersionForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("The line could not be removed: reload the page."))
        return redirect("web:contract_detail", contract_id=contract.pk)
    try:
        services.contract_line_delete(
            actor=actor(request),
            contract_id=contract.pk,
            line_id=line.pk,
            expected_version=form.cleaned_data["version"],
            channel=Channel.UI,
        )
    except DomainError as exc:
        messages.error(request, error_message(exc))
        return _detail_page(request, contract, status=exc.status)
    messages.success(request, _("The line was removed."))
    return redirect("web:contract_detail", contract_id=contract.pk)
