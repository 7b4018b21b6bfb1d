"""Administration: queues, routing rule sets, status reason transitions and service settings
(managers). Users and teams (administrators) are in `users`."""

from __future__ import annotations

import functools
import uuid
from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.forms import formset_factory
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from casedesk.cases import selectors as case_selectors
from casedesk.cases.choices import Status
from casedesk.cases.services import config as config_services
from casedesk.core.choices import Channel
from casedesk.core.errors import DomainError
from casedesk.directory import selectors as directory
from casedesk.directory.access import has_role
from casedesk.directory.choices import Role
from casedesk.routing import selectors as routing
from casedesk.routing.services import queues as queue_services
from casedesk.routing.services import rule_sets as rule_set_services
from casedesk.web.errors import (
    error_message,
    field_message,
    field_path_label,
    form_add_domain_error,
    message_domain_error,
)
from casedesk.web.forms.admin import (
    QueueForm,
    RuleItemForm,
    RuleSetForm,
    ServiceSettingsForm,
)
from casedesk.web.forms.conditions import conditions_initial
from casedesk.web.views.common import (
    activation_action,
    actor,
    found,
    ordered_items,
    posted_version,
)
from casedesk.web.views.editors import editor_again, editor_edit

View = Callable[..., HttpResponse]


def _forbidden(request: HttpRequest, message: str) -> HttpResponse:
    return render(request, "web/error.html", {"message": message, "code": "forbidden"}, status=403)


def manager_required(view: View) -> View:
    @functools.wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not has_role(actor(request), Role.MANAGER):
            return _forbidden(request, _("Only managers and administrators can open this page."))
        return view(request, *args, **kwargs)

    return login_required(wrapper)


def admin_required(view: View) -> View:
    @functools.wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not has_role(actor(request), Role.ADMIN):
            return _forbidden(request, _("Only administrators can open this page."))
        return view(request, *args, **kwargs)

    return login_required(wrapper)


def _users() -> list[tuple[str, str]]:
    return [(str(u.pk), u.display_name) for u in directory.user_list().order_by("username")]


def render_admin(
    request: HttpRequest, template: str, context: dict[str, Any], status: int = 200
) -> HttpResponse:
    return render(request, template, {"nav": "admin", **context}, status=status)


@manager_required
@require_GET
def admin_home(request: HttpRequest) -> HttpResponse:
    return render_admin(request, "web/admin/home.html", {})


# --- queues -----------------------------------------------------------------------------------


@manager_required
@require_GET
def queue_list(request: HttpRequest) -> HttpResponse:
    queues = routing.queue_list(user=actor(request)).order_by("name")
    return render_admin(request, "web/admin/queues.html", {"queues": queues})


@manager_required
@require_http_methods(["GET", "POST"])
def queue_edit(request: HttpRequest, queue_id: uuid.UUID | None = None) -> HttpResponse:
    queue = found(routing.queue_get, user=actor(request), queue_id=queue_id) if queue_id else None
    initial = (
        {
            "name": queue.name,
            "type": queue.type,
            "members": [str(m.pk) for m in queue.members.all()],
        }
        if queue
        else {}
    )
    form = QueueForm(request.POST or None, initial=initial, users=_users())
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                if queue is None:
                    queue_services.queue_create(
                        actor=actor(request), channel=Channel.UI, **form.values()
                    )
                else:
                    queue_services.queue_update(
                        actor=actor(request),
                        queue_id=queue.pk,
                        changes=form.values(),
                        expected_version=posted_version(request),
                        channel=Channel.UI,
                    )
            except DomainError as exc:
                form_add_domain_error(form, exc, {"member_ids": "members"})
                status = exc.status
            else:
                messages.success(request, _("The queue was saved."))
                return redirect("web:admin_queues")
        else:
            status = 422
    return render_admin(
        request, "web/admin/queue_form.html", {"form": form, "queue": queue}, status
    )


# --- routing rule sets ------------------------------------------------------------------------


def _destinations(request: HttpRequest) -> list[Any]:
    """Where a rule may send a case: a queue, a user or a team (managers see every queue)."""
    queues = [
        (f"queue:{q.pk}", q.name) for q in routing.queue_list(user=actor(request)).order_by("name")
    ]
    users = [(f"user:{u.pk}", u.display_name) for u in directory.user_list().order_by("username")]
    teams = [(f"team:{t.pk}", t.name) for t in directory.team_list().order_by("name")]
    return [(_("Queues"), queues), (_("Users"), users), (_("Teams"), teams)]


# A new rule set starts with one blank rule; "Add rule" adds more (views/editors.py).
ItemFormSet = formset_factory(RuleItemForm, extra=1, can_delete=True, can_order=True)
# An active rule set is read-only: its rules and no blank ones to fill in; the editor's
# buttons re-render exactly the rules posted.
ReadOnlyItemFormSet = formset_factory(RuleItemForm, extra=0, can_delete=True, can_order=True)


def _item_initial(item: Any, *, blank_row: bool = True) -> dict[str, Any]:
    """A stored rule as the editor's item, with one blank condition row to fill in unless
    the set is read-only."""
    if item.route_queue_id:
        route = f"queue:{item.route_queue_id}"
    elif item.route_owner_user_id:
        route = f"user:{item.route_owner_user_id}"
    else:
        route = f"team:{item.route_owner_team_id}"
    conditions = conditions_initial(item.conditions)
    conditions["rows"] += 1 if blank_row else 0
    return {"name": item.name, "route_to": route, **conditions}


@manager_required
@require_GET
def rule_set_list(request: HttpRequest) -> HttpResponse:
    return render_admin(
        request,
        "web/admin/rule_sets.html",
        {"rule_sets": routing.rule_set_list().order_by("-active", "name")},
    )


@manager_required
@require_http_methods(["GET", "POST"])
def rule_set_edit(request: HttpRequest, rule_set_id: uuid.UUID | None = None) -> HttpResponse:
    rule_set = found(routing.rule_set_get, rule_set_id=rule_set_id) if rule_set_id else None
    read_only = bool(rule_set and rule_set.active)
    destinations = _destinations(request)
    edit = None if read_only else editor_edit(request.POST, item_word="rule")
    if edit is not None:
        return editor_again(
            request,
            edit,
            form_class=RuleSetForm,
            formset_class=ReadOnlyItemFormSet,
            form_kwargs={"destinations": destinations},
            template="web/admin/rule_set_form.html",
            fragment="web/admin/_rule_set_editor.html",
            context={"rule_set": rule_set},
        )
    items_initial = (
        [_item_initial(i, blank_row=not read_only) for i in rule_set.items.all()]
        if rule_set
        else []
    )
    form = RuleSetForm(request.POST or None, initial={"name": rule_set.name} if rule_set else {})
    formset_class = ReadOnlyItemFormSet if read_only else ItemFormSet
    formset = formset_class(
        request.POST or None,
        initial=items_initial,
        prefix="items",
        form_kwargs={"destinations": destinations},
    )
    status = 200
    if request.method == "POST":
        if form.is_valid() and formset.is_valid():
            kept = ordered_items(formset)
            specs = [f.spec() for f in kept]
            try:
                if rule_set is None:
                    saved = rule_set_services.rule_set_create(
                        actor=actor(request),
                        name=form.cleaned_data["name"],
                        items=specs,
                        channel=Channel.UI,
                    )
                else:
                    saved = rule_set_services.rule_set_update(
                        actor=actor(request),
                        rule_set_id=rule_set.pk,
                        changes={"name": form.cleaned_data["name"], "items": specs},
                        expected_version=posted_version(request),
                        channel=Channel.UI,
                    )
            except DomainError as exc:
                if exc.code == "validation_error":
                    form.add_error(None, error_message(exc))
                    for name, text in (exc.details.get("fields") or {}).items():
                        form.add_error(None, f"{field_path_label(name)}: {field_message(text)}")
                else:
                    form.add_error(None, error_message(exc))
                status = exc.status
            else:
                messages.success(request, _("The routing rule set was saved."))
                return redirect("web:admin_rule_set", rule_set_id=saved.pk)
        else:
            status = 422
    return render_admin(
        request,
        "web/admin/rule_set_form.html",
        {"form": form, "formset": formset, "rule_set": rule_set},
        status,
    )


@manager_required
@require_POST
def rule_set_action(request: HttpRequest, rule_set_id: uuid.UUID, action: str) -> HttpResponse:
    activation_action(
        request,
        action,
        activate=functools.partial(rule_set_services.rule_set_activate, rule_set_id=rule_set_id),
        deactivate=functools.partial(
            rule_set_services.rule_set_deactivate, rule_set_id=rule_set_id
        ),
        active=_("The routing rule set is active."),
        inactive=_("The routing rule set is inactive."),
    )
    return redirect("web:admin_rule_sets")


# --- status transitions and service settings --------------------------------------------------


@manager_required
@require_http_methods(["GET", "POST"])
def transitions(request: HttpRequest) -> HttpResponse:
    config = case_selectors.service_settings()
    statuses = list(Status)
    status = 200
    enforced = config.transitions_enforced
    allowed: dict[str, list[str]] = {k: list(v) for k, v in config.transitions_allowed.items()}
    if request.method == "POST":
        enforced = request.POST.get("enforced") == "on"
        allowed = {}
        for source in statuses:
            targets = [t.value for t in statuses if request.POST.get(f"t-{source.value}-{t.value}")]
            if targets:
                allowed[source.value] = targets
        try:
            config_services.status_transitions_set(
                actor=actor(request),
                enforced=enforced,
                allowed=allowed,
                expected_version=posted_version(request),
                channel=Channel.UI,
            )
        except DomainError as exc:
            message_domain_error(request, exc)
            status = exc.status
        else:
            messages.success(request, _("The status reason transitions were saved."))
            return redirect("web:admin_transitions")
    return render_admin(
        request,
        "web/admin/transitions.html",
        {
            "statuses": statuses,
            "enforced": enforced,
            "checked": {f"{s}-{t}" for s, targets in allowed.items() for t in targets},
            "version": config.version,
        },
        status,
    )


@manager_required
@require_http_methods(["GET", "POST"])
def service_settings(request: HttpRequest) -> HttpResponse:
    config = case_selectors.service_settings()
    fields = (
        "parent_close_policy",
        "max_child_cases",
        "allow_closed_updates",
        "apply_default_entitlement_on_create",
        "apply_default_entitlement_on_update",
    )
    initial = {f: getattr(config, f) for f in fields} | {"version": config.version}
    form = ServiceSettingsForm(request.POST or None, initial=initial)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                config_services.service_settings_update(
                    actor=actor(request),
                    changes={f: form.cleaned_data[f] for f in fields if f in form.changed_data},
                    expected_version=form.cleaned_data["version"],
                    channel=Channel.UI,
                )
            except DomainError as exc:
                form_add_domain_error(form, exc)
                status = exc.status
            else:
                messages.success(request, _("The service settings were saved."))
                return redirect("web:admin_service")
        else:
            status = 422
    return render_admin(request, "web/admin/service.html", {"form": form}, status)
