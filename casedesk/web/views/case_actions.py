"""The case page's commands: resolve, cancel or merge, reactivate, assign, add to queue, save
and route, and the entitlement's "do not decrement" switch. Each calls one service with the
version the user read, and shows a refusal on the case page with its status."""

from __future__ import annotations

import uuid
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy
from django.views.decorators.http import require_http_methods, require_POST
from django_htmx.http import HttpResponseClientRedirect

from casedesk.cases import selectors
from casedesk.cases.fields import CaseChanges
from casedesk.cases.models import Case
from casedesk.cases.services import assignment, lifecycle, merge, records
from casedesk.cases.services.assignment import owner_name
from casedesk.cases.services.first_response import case_first_response_mark
from casedesk.core.choices import Channel
from casedesk.core.errors import DomainError, OpenActivities
from casedesk.routing.selectors import VisibleQueues
from casedesk.routing.services import items as queue_items
from casedesk.routing.services import routing
from casedesk.routing.services.routing import RouteResult
from casedesk.web.errors import FIELD_OF_API_NAME_ACTIONS, error_message, form_add_domain_error
from casedesk.web.forms.actions import AssignForm, CancelForm, QueueForm, ResolveForm, VersionForm
from casedesk.web.forms.cases import FIELD_OF_API_NAME
from casedesk.web.fragments import is_htmx
from casedesk.web.views.case_page import (
    case_page,
    dialog_answer,
    dialog_page,
    edit_form,
    owner_choices,
    queue_choices,
)
from casedesk.web.views.common import actor, found


def _case(case_id: uuid.UUID) -> Case:
    return found(selectors.case_get, case_id=case_id)


def _back(case: Case | uuid.UUID, request: HttpRequest | None = None) -> HttpResponse:
    """The case page again; a dialog submitted with htmx has the browser load it."""
    case_id = case.pk if isinstance(case, Case) else case
    if request is not None and is_htmx(request):
        return HttpResponseClientRedirect(reverse("web:case_detail", kwargs={"case_id": case_id}))
    return redirect("web:case_detail", case_id=case_id)


# The dialogs whose form answers alone when htmx submits it (templates/web/cases/dialogs/).
DIALOGS = frozenset({"resolve", "cancel", "assign", "queue", "reactivate"})


def _refused(
    request: HttpRequest,
    case: Case,
    name: str,
    form: forms.Form,
    exc: DomainError | None = None,
    warning: dict[str, Any] | None = None,
) -> HttpResponse:
    """The dialog `name` again on the user's input, with the refusal in it: through htmx its
    form alone, else its page (`dialog_page`); another form, on the case page."""
    in_place = is_htmx(request) and name in DIALOGS
    error = ""
    if exc is not None and warning is None:
        if exc.code == "validation_error":
            form_add_domain_error(form, exc, FIELD_OF_API_NAME_ACTIONS)
        elif in_place:
            error = error_message(exc)
        else:
            messages.error(request, error_message(exc))
    status = exc.status if exc is not None else 422
    if in_place:
        return dialog_answer(
            request, case, name, form=form, error=error, warning=warning, status=status
        )
    if name in DIALOGS:
        return dialog_page(request, _case(case.pk), name, form=form, warning=warning, status=status)
    return case_page(
        request,
        _case(case.pk),
        dialogs={name: form},
        open_dialog=name,
        warning=warning,
        status=status,
    )


@login_required
@require_http_methods(["GET", "POST"])
def case_resolve(request: HttpRequest, case_id: uuid.UUID) -> HttpResponse:
    if request.method == "GET":  # the dialog: its form, or its page without JavaScript
        return dialog_page(request, _case(case_id), "resolve")
    case = _case(case_id)
    form = ResolveForm(request.POST, auto_id="resolve_%s")
    if not form.is_valid():
        return _refused(request, case, "resolve", form)
    data = form.cleaned_data
    try:
        lifecycle.case_resolve(
            actor=actor(request),
            case_id=case.pk,
            resolution=data["resolution"],
            resolution_type=data["resolution_type"],
            billable_minutes=data["billable_minutes"],
            cancel_open_activities=bool(request.POST.get("confirm")),
            expected_version=data["version"],
            channel=Channel.UI,
        )
    except OpenActivities as exc:
        return _refused(request, case, "resolve", form, exc, warning=exc.details)
    except DomainError as exc:
        return _refused(request, case, "resolve", form, exc)
    messages.success(request, _("The case was resolved."))
    return _back(case, request)


@login_required
@require_http_methods(["GET", "POST"])
def case_cancel(request: HttpRequest, case_id: uuid.UUID) -> HttpResponse:
    """Cancel the case, or merge it into the chosen master (the seed's "Annulla caso")."""
    if request.method == "GET":  # the dialog: its form, or its page without JavaScript
        return dialog_page(request, _case(case_id), "cancel")
    case = _case(case_id)
    form = CancelForm(request.POST, auto_id="cancel_%s")
    if not form.is_valid():
        return _refused(request, case, "cancel", form)
    data = form.cleaned_data
    try:
        if data["status"] == "merged":
            merge.case_merge(
                actor=actor(request),
                case_id=case.pk,
                into_id=data["into"],
                expected_version=data["version"],
                channel=Channel.UI,
            )
            messages.success(request, _("The case was merged."))
        else:
            lifecycle.case_cancel(
                actor=actor(request),
                case_id=case.pk,
                cancel_open_activities=bool(request.POST.get("confirm")),
                expected_version=data["version"],
                channel=Channel.UI,
            )
            messages.success(request, _("The case was cancelled."))
    except OpenActivities as exc:
        return _refused(request, case, "cancel", form, exc, warning=exc.details)
    except DomainError as exc:
        return _refused(request, case, "cancel", form, exc)
    return _back(case, request)


@login_required
@require_http_methods(["GET", "POST"])
def case_reactivate(request: HttpRequest, case_id: uuid.UUID) -> HttpResponse:
    if request.method == "GET":  # the dialog: its form, or its page without JavaScript
        return dialog_page(request, _case(case_id), "reactivate")
    case = _case(case_id)
    form = VersionForm(request.POST)
    if not form.is_valid():
        return _back(case)
    try:
        lifecycle.case_reactivate(
            actor=actor(request),
            case_id=case.pk,
            expected_version=form.cleaned_data["version"],
            channel=Channel.UI,
        )
    except DomainError as exc:
        return _refused(request, case, "reactivate", form, exc)
    messages.success(request, _("The case was reactivated."))
    return _back(case, request)


@login_required
@require_POST
def case_first_response(request: HttpRequest, case_id: uuid.UUID) -> HttpResponse:
    case = _case(case_id)
    form = VersionForm(request.POST)
    if not form.is_valid():
        return _back(case)
    try:
        case_first_response_mark(
            actor=actor(request),
            case_id=case.pk,
            expected_version=form.cleaned_data["version"],
            channel=Channel.UI,
        )
    except DomainError as exc:  # no dialog: the refusal is a message on the case page
        messages.error(request, error_message(exc))
        return _back(case)
    messages.success(request, _("The first response was recorded."))
    return _back(case)


@login_required
@require_http_methods(["GET", "POST"])
def case_assign(request: HttpRequest, case_id: uuid.UUID) -> HttpResponse:
    if request.method == "GET":  # the dialog: its form, or its page without JavaScript
        return dialog_page(request, _case(case_id), "assign")
    case = _case(case_id)
    form = AssignForm(request.POST, owners=owner_choices(), auto_id="assign_%s")
    if not form.is_valid():
        return _refused(request, case, "assign", form)
    try:
        assigned = assignment.case_assign(
            actor=actor(request),
            case_id=case.pk,
            owner=form.cleaned_data["owner"],
            expected_version=form.cleaned_data["version"],
            channel=Channel.UI,
        )
    except DomainError as exc:
        return _refused(request, case, "assign", form, exc)
    owner = assigned.owner_user or assigned.owner_team
    assert owner is not None  # the "exactly one owner" constraint
    messages.success(
        request, _("The case was assigned to %(owner)s.") % {"owner": owner_name(owner)}
    )
    return _back(case, request)


@login_required
@require_http_methods(["GET", "POST"])
def case_queue(request: HttpRequest, case_id: uuid.UUID) -> HttpResponse:
    if request.method == "GET":  # the dialog: its form, or its page without JavaScript
        return dialog_page(request, _case(case_id), "queue")
    case = _case(case_id)
    form = QueueForm(request.POST, queues=queue_choices(request), auto_id="queue_%s")
    if not form.is_valid():
        return _refused(request, case, "queue", form)
    try:
        placement = queue_items.queue_item_add(
            actor=actor(request),
            case_id=case.pk,
            queue_id=form.cleaned_data["queue"],
            expected_version=form.cleaned_data["version"],
            channel=Channel.UI,
        )
    except DomainError as exc:
        return _refused(request, case, "queue", form, exc)
    messages.success(
        request,
        _("The case was added to the queue %(queue)s.") % {"queue": placement.item.queue.name},
    )
    return _back(case, request)


def route_outcome(result: RouteResult, queues: VisibleQueues) -> tuple[str, dict[str, str]]:
    """What routing did to a case, as one of `no_rule_set`, `no_match`, `private_queue`,
    `queue` or `owner`, with the names its sentence needs (`set`, `item`, `queue`, `owner`):
    a private queue the user may not see is not named."""
    names = {
        "set": result.rule_set.name if result.rule_set else "",
        "item": result.rule_item.name if result.rule_item else "",
    }
    if not result.routed:
        return ("no_rule_set" if result.reason == routing.NO_ACTIVE_RULE_SET else "no_match"), names
    if result.queue_id is not None:
        if not queues.shows(result.queue_id):
            return "private_queue", names
        queue = result.rule_item.route_queue if result.rule_item else None
        return "queue", {**names, "queue": queue.name if queue else ""}
    return "owner", {**names, "owner": owner_name(result.owner) if result.owner else ""}


ROUTE_SENTENCES = {
    "no_rule_set": _lazy("No routing rule set is active: the case stays where it is."),
    "no_match": _lazy(
        "No rule of the active routing rule set %(set)s matched: the case stays where it is."
    ),
    "private_queue": _lazy(
        "The case was routed to a private queue by the rule %(item)s of %(set)s."
    ),
    "queue": _lazy("The case was routed to the queue %(queue)s by the rule %(item)s of %(set)s."),
    "owner": _lazy("The case was assigned to %(owner)s by the rule %(item)s of %(set)s."),
}


def route_message(result: RouteResult, user: Any) -> str:
    """Where the case went and why, in the user's words."""
    outcome, names = route_outcome(result, VisibleQueues(user))
    return str(ROUTE_SENTENCES[outcome]) % names


@login_required
@require_POST
def case_route(request: HttpRequest, case_id: uuid.UUID) -> HttpResponse:
    """Save and route: the case form's edits, then the active routing rule set."""
    case = _case(case_id)
    form = edit_form(case, request.POST)
    if not form.is_valid():
        return case_page(request, case, form=form, status=422)
    try:
        result = routing.case_route(
            actor=actor(request),
            case_id=case.pk,
            changes=form.changes(),
            expected_version=form.cleaned_data["version"],
            channel=Channel.UI,
        )
    except DomainError as exc:
        form_add_domain_error(form, exc, FIELD_OF_API_NAME)
        return case_page(request, _case(case.pk), form=form, status=exc.status)
    (messages.success if result.routed else messages.info)(
        request, route_message(result, actor(request))
    )
    return _back(case)


@login_required
@require_POST
def case_decrement(request: HttpRequest, case_id: uuid.UUID) -> HttpResponse:
    """The command "Do not decrement entitlement terms" (and its undo)."""
    case = _case(case_id)
    form = VersionForm(request.POST)
    if not form.is_valid():
        return _back(case)
    value = request.POST.get("decrement") == "1"
    try:
        records.case_update(
            actor=actor(request),
            case_id=case.pk,
            changes=CaseChanges(decrement_entitlement_terms=value),
            expected_version=form.cleaned_data["version"],
            channel=Channel.UI,
        )
    except DomainError as exc:
        return _refused(request, case, "entitlement", form, exc)
    return _back(case)
