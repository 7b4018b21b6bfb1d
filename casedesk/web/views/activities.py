"""The case timeline's quick adds: phone calls, tasks, e-mails, appointments, notes, posts;
and completing or cancelling an activity."""

from __future__ import annotations

import uuid

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from casedesk.cases import selectors, timeline
from casedesk.cases.services import activities
from casedesk.core.choices import Channel
from casedesk.core.errors import DomainError
from casedesk.web.errors import message_domain_error
from casedesk.web.forms.actions import ActivityForm, CompleteForm, MessageForm, VersionForm
from casedesk.web.views.case_page import case_page
from casedesk.web.views.common import actor, found


def _timeline(case_id: uuid.UUID) -> HttpResponse:
    return redirect(reverse("web:case_detail", kwargs={"case_id": case_id}) + "#timeline")


def _refused(
    request: HttpRequest, case_id: uuid.UUID, exc: DomainError, dialogs: dict[str, object]
) -> HttpResponse:
    message_domain_error(request, exc)
    case = found(selectors.case_get, case_id=case_id)
    return case_page(request, case, dialogs=dialogs, status=exc.status)  # type: ignore[arg-type]


@login_required
@require_POST
def activity_add(request: HttpRequest, case_id: uuid.UUID) -> HttpResponse:
    case = found(selectors.case_get, case_id=case_id)
    form = ActivityForm(request.POST, auto_id="activity_%s")
    if not form.is_valid():
        return case_page(request, case, dialogs={"activity": form}, status=422)
    try:
        activities.activity_create(
            actor=actor(request), case_id=case.pk, channel=Channel.UI, **form.cleaned_data
        )
    except DomainError as exc:
        return _refused(request, case.pk, exc, {"activity": form})
    messages.success(request, _("The activity was added."))
    return _timeline(case.pk)


@login_required
@require_POST
def activity_close(request: HttpRequest, activity_id: uuid.UUID, action: str) -> HttpResponse:
    """Complete (with the actual duration) or cancel an open activity."""
    activity = found(timeline.activity_get, activity_id=activity_id)
    form: VersionForm = (
        CompleteForm(request.POST) if action == "complete" else VersionForm(request.POST)
    )
    if not form.is_valid():
        messages.error(request, _("The activity could not be closed: reload the page."))
        return _timeline(activity.case_id)
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
    return _timeline(activity.case_id)


@login_required
@require_POST
def message_add(request: HttpRequest, case_id: uuid.UUID, kind: str) -> HttpResponse:
    """Add a note or a post to the case."""
    case = found(selectors.case_get, case_id=case_id)
    form = MessageForm(request.POST, auto_id=f"{kind}_%s")
    if not form.is_valid():
        return case_page(request, case, dialogs={kind: form}, status=422)
    create = activities.note_create if kind == "note" else activities.post_create
    try:
        create(
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
    return _timeline(case.pk)
