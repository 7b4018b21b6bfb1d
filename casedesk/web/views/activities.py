"""The case timeline's quick adds: phone calls, tasks, e-mails, appointments, notes, posts;
and editing, completing or cancelling an open activity."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from casedesk.attachments.services import Upload, note_create_with_uploads
from casedesk.cases import selectors, timeline, workflow
from casedesk.cases.choices import Direction
from casedesk.cases.models import Activity, Case
from casedesk.cases.permissions import activity_change_allowed
from casedesk.cases.services import activities
from casedesk.core.choices import Channel
from casedesk.core.errors import ActivityClosed, DomainError, Forbidden
from casedesk.web.errors import error_message, form_add_domain_error, message_domain_error
from casedesk.web.forms.actions import (
    ActivityEditForm,
    ActivityForm,
    CompleteForm,
    MessageForm,
    NoteForm,
    VersionForm,
)
from casedesk.web.fragments import is_htmx
from casedesk.web.views.case_page import case_page, composer_answer
from casedesk.web.views.common import actor, found


def _timeline(case_id: uuid.UUID) -> HttpResponse:
    return redirect(reverse("web:case_detail", kwargs={"case_id": case_id}) + "#timeline")


def _refused(
    request: HttpRequest, case_id: uuid.UUID, exc: DomainError, dialogs: dict[str, object]
) -> HttpResponse:
    message_domain_error(request, exc)
    case = found(selectors.case_get, case_id=case_id)
    if is_htmx(request):
        return composer_answer(request, case, dialogs=dialogs, status=exc.status)  # type: ignore[arg-type]
    return case_page(request, case, dialogs=dialogs, status=exc.status)  # type: ignore[arg-type]


def _composed(request: HttpRequest, case: Case) -> HttpResponse:
    """A write from the composer done: the timeline in place (htmx), or the page again."""
    if is_htmx(request):
        return composer_answer(request, case)
    return _timeline(case.pk)


def _composer_refused(request: HttpRequest, case: Case, name: str, form: Any) -> HttpResponse:
    if is_htmx(request):
        return composer_answer(request, case, dialogs={name: form}, status=422)
    return case_page(request, case, dialogs={name: form}, status=422)


@login_required
@require_POST
def activity_add(request: HttpRequest, case_id: uuid.UUID) -> HttpResponse:
    case = found(selectors.case_get, case_id=case_id)
    form = ActivityForm(request.POST, auto_id="activity_%s")
    if not form.is_valid():
        return _composer_refused(request, case, "activity", form)
    try:
        activities.activity_create(
            actor=actor(request), case_id=case.pk, channel=Channel.UI, **form.cleaned_data
        )
    except DomainError as exc:
        return _refused(request, case.pk, exc, {"activity": form})
    messages.success(request, _("The activity was added."))
    return _composed(request, case)


def _minute(value: dt.datetime | None) -> dt.datetime | None:
    """A stored time as the form shows it (to the minute), so that an untouched field is
    unchanged."""
    return value.replace(second=0, microsecond=0) if value else None


def _edit_initial(activity: Activity) -> dict[str, Any]:
    return {
        "subject": activity.subject,
        "direction": activity.direction or "",
        "due": _minute(activity.due),
        "scheduled_start": _minute(activity.scheduled_start),
        "scheduled_end": _minute(activity.scheduled_end),
        "duration_minutes": activity.duration_minutes,
        "description": activity.description,
        "version": activity.version,
    }


@login_required
@require_http_methods(["GET", "POST"])
def activity_edit(request: HttpRequest, activity_id: uuid.UUID) -> HttpResponse:
    """Edit an open activity: its subject, description, due date, schedule, direction (phone
    calls and e-mails) and duration. The form is not offered for a closed activity or one the
    user may not change (the case page says why); a posted form is the service's to refuse."""
    activity = found(timeline.activity_get, activity_id=activity_id)
    case = found(selectors.case_get, case_id=activity.case_id)
    if request.method == "GET":
        refusal: DomainError | None = None
        if workflow.activity_is_closed(activity.state):
            refusal = ActivityClosed()
        elif not activity_change_allowed(actor(request), case, activity):
            refusal = Forbidden()
        if refusal is not None:
            messages.error(request, error_message(refusal))
            return _timeline(case.pk)
    form = ActivityEditForm(
        request.POST if request.method == "POST" else None,
        initial=_edit_initial(activity),
        has_direction=workflow.direction_allowed(activity.type, Direction.INCOMING),
    )
    status = 200
    if request.method == "POST":
        status = 422
        if form.is_valid():
            try:
                activities.activity_update(
                    actor=actor(request),
                    activity_id=activity.pk,
                    changes=form.changes(),
                    expected_version=form.cleaned_data["version"],
                    channel=Channel.UI,
                )
            except DomainError as exc:
                form_add_domain_error(form, exc)
                status = exc.status
            else:
                messages.success(request, _("The activity was saved."))
                return _timeline(case.pk)
    return render(
        request,
        "web/cases/activity_edit.html",
        {"form": form, "activity": activity, "case": case, "nav": "cases"},
        status=status,
    )


@login_required
@require_POST
def activity_close(request: HttpRequest, activity_id: uuid.UUID, action: str) -> HttpResponse:
    """Complete (with the actual duration) or cancel an open activity."""
    activity = found(timeline.activity_get, activity_id=activity_id)
    case = found(selectors.case_get, case_id=activity.case_id)  # as the page read it
    form: VersionForm = (
        CompleteForm(request.POST) if action == "complete" else VersionForm(request.POST)
    )
    if not form.is_valid():
        messages.error(request, _("The activity could not be closed: reload the page."))
        return _composed(request, case)
    try:
        if action == "complete":
            activities.activity_complete(
                actor=actor(request),
                activity_id=activity.pk,
                duration_minutes=form.cleaned_data.get("duration_minutes"),
                expected_version=form.cleaned_data["version"],
                channel=Channel.UI,
            )
            messages.success(request, _("The activity was completed."))
        else:
            activities.activity_cancel(
                actor=actor(request),
                activity_id=activity.pk,
                expected_version=form.cleaned_data["version"],
                channel=Channel.UI,
            )
            messages.success(request, _("The activity was cancelled."))
    except DomainError as exc:
        return _refused(request, activity.case_id, exc, {})
    return _composed(request, case)


@login_required
@require_POST
def message_add(request: HttpRequest, case_id: uuid.UUID, kind: str) -> HttpResponse:
    """Add a note or a post to the case."""
    case = found(selectors.case_get, case_id=case_id)
    form: MessageForm = (
        NoteForm(request.POST, request.FILES, auto_id="note_%s")
        if kind == "note"
        else MessageForm(request.POST, auto_id=f"{kind}_%s")
    )
    if not form.is_valid():
        return _composer_refused(request, case, kind, form)
    try:
        if kind == "note":
            note_create_with_uploads(
                actor=actor(request),
                case_id=case.pk,
                text=form.cleaned_data["text"],
                uploads=[
                    Upload(f, f.name, f.content_type) for f in form.cleaned_data["attachments"]
                ],
                channel=Channel.UI,
            )
        else:
            activities.post_create(
                actor=actor(request),
                case_id=case.pk,
                text=form.cleaned_data["text"],
                channel=Channel.UI,
            )
    except DomainError as exc:
        return _refused(request, case.pk, exc, {kind: form})
    messages.success(
        request, _("The note was added.") if kind == "note" else _("The post was added.")
    )
    return _composed(request, case)
