"""Similar cases (search, add connection, solution found), child cases and the audit history."""

from __future__ import annotations

import uuid
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from casedesk.cases import actions, selectors
from casedesk.cases.allowed import case_allowed
from casedesk.cases.services import connections
from casedesk.core.choices import Channel
from casedesk.core.errors import DomainError
from casedesk.search import similar
from casedesk.web.errors import error_message, message_domain_error
from casedesk.web.forms.actions import ConnectForm, SimilarForm
from casedesk.web.forms.cases import subject_choices
from casedesk.web.views.case_page import case_page
from casedesk.web.views.common import actor, found, page_of


@login_required
@require_GET
def similar_cases(request: HttpRequest, case_id: uuid.UUID) -> HttpResponse:
    """Search similar cases, pre-filled with the case's subject (the seed's "Cerca casi
    simili")."""
    case = found(selectors.case_get, case_id=case_id)
    data = request.GET if "search" in request.GET else None
    form = SimilarForm(
        data,
        subjects=subject_choices(),
        initial={"subject": str(case.subject_id or ""), "state": "resolved"},
    )
    params: dict[str, Any] = {"subject_id": case.subject_id}
    if data is not None and form.is_valid():
        params = {
            "q": form.cleaned_data["q"] or None,
            "subject_id": form.cleaned_data["subject"],
            "include_subsubjects": form.cleaned_data["include_subsubjects"],
            "state": form.cleaned_data["state"] or "resolved",
        }
    status = 200
    try:
        page = similar.similar_cases(case_id=case.pk, limit=25, **params)
        candidates = page.items
    except DomainError as exc:
        messages.error(request, error_message(exc))
        candidates, status = [], exc.status
    connected = {
        similar.connection_other(c, case.pk).pk: c
        for c in similar.connections_for_case(case_id=case.pk)
    }
    return render(
        request,
        "web/cases/similar.html",
        {
            "case": case,
            "form": form,
            "candidates": candidates,
            "connected": connected,
            "can_change": actions.CONNECT
            in case_allowed(user=actor(request), case=case, merge_candidates=0),
            "nav": "cases",
        },
        status=status,
    )


@login_required
@require_POST
def connection_add(request: HttpRequest, case_id: uuid.UUID) -> HttpResponse:
    """ "Add connection", or "Solution found" with `solution_found`."""
    case = found(selectors.case_get, case_id=case_id)
    form = ConnectForm(request.POST)
    back = request.POST.get("next") or reverse("web:case_detail", kwargs={"case_id": case.pk})
    if not back.startswith("/"):
        back = "/"
    if not form.is_valid():
        messages.error(request, _("Choose a case to connect."))
        return redirect(back)
    try:
        connections.connection_create(
            actor=actor(request),
            case_id=case.pk,
            other_id=form.cleaned_data["other"],
            solution_found=form.cleaned_data["solution_found"],
            channel=Channel.UI,
        )
    except DomainError as exc:
        message_domain_error(request, exc)
        return case_page(request, case, status=exc.status)
    if form.cleaned_data["solution_found"]:
        messages.success(request, _("The solution was linked to the case."))
    else:
        messages.success(request, _("The similar case was connected."))
    return redirect(reverse("web:case_detail", kwargs={"case_id": case.pk}) + "#similar")


@login_required
@require_GET
def case_history(request: HttpRequest, case_id: uuid.UUID) -> HttpResponse:
    """Every change of the case: who, when, through what, each field's old and new value."""
    case = found(selectors.case_get, case_id=case_id)
    entries = selectors.case_audit_list(case_id=case.pk)
    rows, next_cursor, status = page_of(
        request,
        entries,
        order=("id",),
        limit=100,
        scope=f"web-audit:{case.pk}",
    )
    selectors.case_audit_seen(rows, viewer=actor(request))  # no private queue it may not see
    names = _reference_names(rows)
    for entry in rows:  # in memory only: ids read as the names of what they refer to
        if isinstance(entry.changes, dict):
            entry.changes = {
                field: [_named(v, field, names) for v in pair] if isinstance(pair, list) else pair
                for field, pair in entry.changes.items()
                # A field created empty (no description) is no change to show.
                if not (isinstance(pair, list) and all(v in _EMPTY for v in pair))
            }
    return render(
        request,
        "web/cases/history.html",
        {"case": case, "entries": rows, "next_cursor": next_cursor, "nav": "cases"},
        status=status,
    )


_EMPTY: tuple[Any, ...] = (None, "", [], {})


def _reference_fields() -> dict[str, Any]:
    """The audited fields that hold an id, with the model and the column that names it."""
    from casedesk.cases.models import Case
    from casedesk.catalog.models import Product, Subject
    from casedesk.customers.models import Contact
    from casedesk.entitlements.models import ContractLine, Entitlement
    from casedesk.mail.models import Mailbox
    from casedesk.routing.models import Queue
    from casedesk.sla.models import Sla

    return {
        "subject_id": (Subject, "name"),
        "product_id": (Product, "name"),
        "contact_id": (Contact, "name"),
        "entitlement_id": (Entitlement, "name"),
        "contract_line_id": (ContractLine, "name"),
        "queue_id": (Queue, "name"),
        "parent_id": (Case, "ticket_number"),
        "merged_into_id": (Case, "ticket_number"),
        "mailbox_id": (Mailbox, "name"),
        "sla_id": (Sla, "name"),
    }


def _reference_names(entries: list[Any]) -> dict[tuple[str, str], str]:
    """The names of the records the entries' changes refer to: one query a kind of record."""
    fields = _reference_fields()
    wanted: dict[str, set[str]] = {}
    for entry in entries:
        for field, pair in (entry.changes or {}).items():
            if field in fields and isinstance(pair, list):
                wanted.setdefault(field, set()).update(v for v in pair if isinstance(v, str))
    # The customer and the owner are `{"type", "id"}`: account or contact, user or team.
    kinds: dict[str, set[str]] = {}
    for entry in entries:
        for pair in (entry.changes or {}).values():
            for value in pair if isinstance(pair, list) else ():
                if isinstance(value, dict) and isinstance(value.get("id"), str):
                    kinds.setdefault(str(value.get("type")), set()).add(value["id"])
    names: dict[tuple[str, str], str] = {}
    for field, ids in wanted.items():
        model, column = fields[field]
        valid = [i for i in ids if _is_uuid(i)]
        for pk, name in model.objects.filter(pk__in=valid).values_list("pk", column):
            names[(field, str(pk))] = str(name)
    from casedesk.customers.models import Account, Contact
    from casedesk.directory.models import Team, User

    named: dict[str, Any] = {"account": Account, "contact": Contact, "team": Team}
    for kind, ids in kinds.items():
        valid = [i for i in ids if _is_uuid(i)]
        if kind == "user":
            for user in User.objects.filter(pk__in=valid):
                names[(kind, str(user.pk))] = user.display_name
        elif kind in named:
            for pk, name in named[kind].objects.filter(pk__in=valid).values_list("pk", "name"):
                names[(kind, str(pk))] = str(name)
    return names


def _named(value: Any, field: str, names: dict[tuple[str, str], str]) -> Any:
    if isinstance(value, dict) and isinstance(value.get("id"), str):
        name = names.get((str(value.get("type")), value["id"]))
        return {**value, "name": name} if name else value
    return names.get((field, value), value) if isinstance(value, str) else value


def _is_uuid(value: str) -> bool:
    try:
        uuid.UUID(value)
    except ValueError:
        return False
    return True
