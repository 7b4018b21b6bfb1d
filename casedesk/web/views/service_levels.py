"""Administration › Business hours and SLAs (managers; docs/service-levels.md): calendars
(list, create, edit) and SLAs (list, create, edit an inactive one, view an active one,
activate, deactivate)."""

from __future__ import annotations

import functools
import uuid
from typing import Any

from django.contrib import messages
from django.forms import formset_factory
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from casedesk.cases import fields as case_fields
from casedesk.cases.choices import Status
from casedesk.core.choices import Channel
from casedesk.core.errors import DomainError, SlaActive
from casedesk.routing import selectors as routing
from casedesk.sla import selectors
from casedesk.sla.calendar import WEEKDAYS
from casedesk.sla.choices import Kpi
from casedesk.sla.models import Calendar, Sla
from casedesk.sla.services import calendars as calendar_services
from casedesk.sla.services import slas as sla_services
from casedesk.web.errors import FIELD_MESSAGES, error_message
from casedesk.web.forms.conditions import (
    OPERATOR_LABELS,
    condition_field_choices,
    conditions_initial,
)
from casedesk.web.forms.service_levels import (
    WEEKDAY_LABELS,
    CalendarForm,
    SlaForm,
    SlaItemForm,
    action_choices,
    action_value,
    week_text,
)
from casedesk.web.views.admin import manager_required, render_admin
from casedesk.web.views.common import (
    activation_action,
    actor,
    found,
    ordered_items,
    posted_version,
)
from casedesk.web.views.editors import editor_again, editor_edit

# What to say, in the user's language, when a service's message for a place is not one of
# the known ones (web/errors.py): by the last part of the place.
FALLBACKS: dict[str, Any] = {
    "time_zone": gettext_lazy("Choose a time zone."),
    "holiday_country": gettext_lazy("Enter a supported country code, such as IT."),
    "holidays": gettext_lazy("Enter dates such as 2026-12-25."),
    "week": gettext_lazy(
        "Working hours must be in order and must not overlap, from 00:00 to 24:00."
    ),
    "field": gettext_lazy("Choose a field."),
    "op": gettext_lazy("This operator does not apply to the chosen field."),
    "value": gettext_lazy("This value does not fit the chosen field and operator."),
    "kpi": gettext_lazy("Choose a KPI."),
    "minutes": gettext_lazy("Enter a whole number of minutes from 1 to 525600."),
    "action": gettext_lazy("Choose an action."),
    "pause_statuses": gettext_lazy("Choose statuses of active cases."),
}


def _text(message: Any, fallback: str) -> str:
    known = FIELD_MESSAGES.get(str(message))
    return str(known if known is not None else FALLBACKS.get(fallback, message))


# --- calendars --------------------------------------------------------------------------------


@manager_required
@require_GET
def calendar_list(request: HttpRequest) -> HttpResponse:
    rows = [
        {
            "calendar": c,
            "days": [
                (WEEKDAY_LABELS[d], week_text(c.week.get(d, []))) for d in WEEKDAYS if c.week.get(d)
            ],
        }
        for c in selectors.calendar_list().order_by("name", "id")
    ]
    return render_admin(request, "web/admin/calendars.html", {"rows": rows})


def _calendar_initial(calendar: Calendar) -> dict[str, Any]:
    return {
        "name": calendar.name,
        "time_zone": calendar.time_zone,
        "holidays": "\n".join(calendar.holidays),
        "holiday_country": calendar.holiday_country or "",
        **{d: week_text(calendar.week.get(d, [])) for d in WEEKDAYS},
    }


def _calendar_errors(form: CalendarForm, exc: DomainError) -> None:
    fields = exc.details.get("fields") if exc.code == "validation_error" else None
    if not isinstance(fields, dict) or not fields:
        form.add_error(None, error_message(exc))
        return
    for place, message in fields.items():
        head, _dot, rest = str(place).partition(".")
        if head == "week" and rest[:3] in WEEKDAYS:
            form.add_error(rest[:3], _text(message, "week"))
        elif head == "week":
            form.add_error(None, _text(message, "week"))
        elif head in form.fields:
            form.add_error(head, _text(message, head))
        else:
            form.add_error(None, _text(message, head))


@manager_required
@require_http_methods(["GET", "POST"])
def calendar_edit(request: HttpRequest, calendar_id: uuid.UUID | None = None) -> HttpResponse:
    calendar = found(selectors.calendar_get, calendar_id=calendar_id) if calendar_id else None
    initial = _calendar_initial(calendar) if calendar else {}
    form = CalendarForm(request.POST or None, initial=initial)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                if calendar is None:
                    calendar_services.calendar_create(
                        actor=actor(request), channel=Channel.UI, **form.values()
                    )
                else:
                    calendar_services.calendar_update(
                        actor=actor(request),
                        calendar_id=calendar.pk,
                        changes=form.values(),
                        expected_version=posted_version(request),
                        channel=Channel.UI,
                    )
            except DomainError as exc:
                _calendar_errors(form, exc)
                status = exc.status
            else:
                messages.success(request, _("The calendar was saved."))
                return redirect("web:admin_calendars")
        else:
            status = 422
    return render_admin(
        request,
        "web/admin/calendar_form.html",
        {"form": form, "calendar": calendar},
        status,
    )


# --- SLAs -------------------------------------------------------------------------------------


# A new SLA starts with one blank item; "Add item" adds more (views/editors.py), whose
# re-rendering shows exactly the items posted.
ItemFormSet = formset_factory(SlaItemForm, extra=1, can_delete=True, can_order=True)
EditedItemFormSet = formset_factory(SlaItemForm, extra=0, can_delete=True, can_order=True)


def _calendar_choices() -> list[tuple[str, str]]:
    return [(str(c.pk), c.name) for c in selectors.calendar_list().order_by("name", "id")]


def _queue_choices(request: HttpRequest) -> list[tuple[str, str]]:
    return [(str(q.pk), q.name) for q in routing.queue_list(user=actor(request)).order_by("name")]


def _item_initial(item: Any) -> dict[str, Any]:
    initial: dict[str, Any] = {
        "name": item.name,
        "kpi": item.kpi,
        "calendar": str(item.calendar_id) if item.calendar_id else "",
        "warn_after_minutes": item.warn_after_minutes,
        "fail_after_minutes": item.fail_after_minutes,
        **conditions_initial(item.conditions),
    }
    initial["rows"] += 1  # a blank condition row to fill in
    for key, prefix in (("on_warning", "w"), ("on_failure", "f")):
        for i, action in enumerate(getattr(item, key)[:3]):
            initial[f"{prefix}{i}"] = action_value(action)
    return initial


def _fallback(place: str) -> str:
    last = place.rsplit(".", 1)[-1]
    if last.endswith("_minutes"):
        return "minutes"
    if ".on_" in f".{place}":
        return "action"
    return last


def _sla_errors(
    form: SlaForm, kept: list[tuple[SlaItemForm, dict[str, str]]], exc: DomainError
) -> None:
    """Each refused place on the form field that holds it, in the user's language."""
    form.add_error(None, error_message(exc))
    fields = exc.details.get("fields") if exc.code == "validation_error" else None
    if not isinstance(fields, dict):
        return
    for place, message in fields.items():
        parts = str(place).split(".")
        if (
            parts[0] == "items"
            and len(parts) > 2
            and parts[1].isdigit()
            and int(parts[1]) < len(kept)
        ):
            item_form, places = kept[int(parts[1])]
            rest = ".".join(parts[2:])
            target = places.get(rest) or places.get(".".join(parts[2:4]))
            text = _text(message, _fallback(rest))
            if target in item_form.fields:
                item_form.add_error(target, text)
            else:
                item_form.add_error(None, text)
        elif parts[0] in form.fields:
            form.add_error(parts[0], _text(message, parts[0]))
        else:
            form.add_error(None, _text(message, parts[0]))


@manager_required
@require_GET
def sla_list(request: HttpRequest) -> HttpResponse:
    return render_admin(
        request,
        "web/admin/slas.html",
        {"slas": selectors.sla_list().order_by("-active", "name", "id")},
    )


def _shown_value(field: str, value: Any) -> str:
    """A condition's value as people read it: a choice by its label."""
    case_field = case_fields.FIELDS.get(field)
    if case_field is not None and case_field.choices is not None and value in case_field.values:
        return str(case_field.choices(value).label)
    return str(value)


def _condition_text(condition: dict[str, Any], labels: dict[str, str]) -> str:
    field = labels.get(condition["field"], condition["field"])
    op, value = condition["op"], condition["value"]
    if op == "is_null":
        state = _("is empty") if value else _("is not empty")
        return f"{field} {state}"
    if isinstance(value, list):
        shown = ", ".join(_shown_value(condition["field"], v) for v in value)
    else:
        shown = _shown_value(condition["field"], value)
    return f"{field} {OPERATOR_LABELS.get(op, op)} {shown}"


def _sla_view(request: HttpRequest, sla: Sla) -> HttpResponse:
    """An active SLA, read-only: its items with conditions and actions in words."""
    calendars = dict(_calendar_choices())
    actions = {
        value: label
        for group in action_choices(_queue_choices(request))[1:]
        for value, label in group[1]
    }
    labels = dict(condition_field_choices())
    items = [
        {
            "item": item,
            "kpi": Kpi(item.kpi).label if item.kpi in Kpi.values else item.kpi,
            "calendar": calendars.get(str(item.calendar_id)) if item.calendar_id else None,
            "conditions": [_condition_text(c, labels) for c in item.conditions],
            "on_warning": [actions.get(action_value(a), action_value(a)) for a in item.on_warning],
            "on_failure": [actions.get(action_value(a), action_value(a)) for a in item.on_failure],
        }
        for item in sla.items.all()
    ]
    pauses = [Status(s).label for s in sla.pause_statuses if s in Status.values]
    return render_admin(
        request, "web/admin/sla_view.html", {"sla": sla, "items": items, "pauses": pauses}
    )


@manager_required
@require_http_methods(["GET", "POST"])
def sla_edit(request: HttpRequest, sla_id: uuid.UUID | None = None) -> HttpResponse:
    sla = found(selectors.sla_get, sla_id=sla_id) if sla_id else None
    if sla is not None and sla.active and request.method == "GET":
        return _sla_view(request, sla)
    if sla is not None and sla.active:
        messages.error(request, error_message(SlaActive()))
        return redirect("web:admin_sla", sla_id=sla.pk)
    initial = (
        {"name": sla.name, "is_default": sla.is_default, "pause_statuses": sla.pause_statuses}
        if sla
        else {"pause_statuses": list(sla_services.DEFAULT_PAUSE_STATUSES)}
    )
    form_kwargs = {
        "calendars": _calendar_choices(),
        "actions": action_choices(_queue_choices(request)),
    }
    edit = editor_edit(request.POST, item_word="item")
    if edit is not None:
        return editor_again(
            request,
            edit,
            form_class=SlaForm,
            formset_class=EditedItemFormSet,
            form_kwargs=form_kwargs,
            template="web/admin/sla_form.html",
            fragment="web/admin/_sla_editor.html",
            context={"sla": sla},
        )
    form = SlaForm(request.POST or None, initial=initial)
    formset = ItemFormSet(
        request.POST or None,
        initial=[_item_initial(i) for i in sla.items.all()] if sla else [],
        prefix="items",
        form_kwargs=form_kwargs,
    )
    status = 200
    if request.method == "POST":
        if form.is_valid() and formset.is_valid():
            kept_forms = ordered_items(formset)
            built = [f.item() for f in kept_forms]
            kept = [(f, places) for f, (_item, places) in zip(kept_forms, built, strict=True)]
            values = {
                "name": form.cleaned_data["name"],
                "is_default": form.cleaned_data["is_default"],
                "pause_statuses": form.cleaned_data["pause_statuses"],
                "items": [item for item, _places in built],
            }
            try:
                if sla is None:
                    saved = sla_services.sla_create(
                        actor=actor(request), channel=Channel.UI, **values
                    )
                else:
                    saved = sla_services.sla_update(
                        actor=actor(request),
                        sla_id=sla.pk,
                        changes=values,
                        expected_version=posted_version(request),
                        channel=Channel.UI,
                    )
            except DomainError as exc:
                _sla_errors(form, kept, exc)
                status = exc.status
            else:
                messages.success(request, _("The SLA was saved."))
                return redirect("web:admin_sla", sla_id=saved.pk)
        else:
            status = 422
    return render_admin(
        request,
        "web/admin/sla_form.html",
        {"form": form, "formset": formset, "sla": sla},
        status,
    )


@manager_required
@require_POST
def sla_action(request: HttpRequest, sla_id: uuid.UUID, action: str) -> HttpResponse:
    activation_action(
        request,
        action,
        activate=functools.partial(sla_services.sla_activate, sla_id=sla_id),
        deactivate=functools.partial(sla_services.sla_deactivate, sla_id=sla_id),
        active=_("The SLA is active."),
        inactive=_("The SLA is inactive."),
    )
    return redirect("web:admin_slas")
