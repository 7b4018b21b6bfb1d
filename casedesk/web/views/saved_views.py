"""Service › Cases: the user's saved views of the case list (docs/web.md#saved-views)."""

from __future__ import annotations

import uuid
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from casedesk.cases.services import saved_views
from casedesk.core.choices import Channel
from casedesk.core.errors import DomainError, ValidationFailed
from casedesk.web.errors import field_message, message_domain_error
from casedesk.web.views.common import actor, found, session_json


def _list_url(query: dict[str, str], saved: uuid.UUID | None = None) -> str:
    params = dict(query)
    if saved is not None:
        params["saved"] = str(saved)
    return "/cases/?" + urlencode(params)


def _refused(request: HttpRequest, exc: DomainError) -> None:
    fields = exc.details.get("fields") if isinstance(exc, ValidationFailed) else None
    if fields:
        for message in fields.values():
            messages.error(request, field_message(message))
    else:
        message_domain_error(request, exc)


def _query(request: HttpRequest) -> dict[str, str]:
    return {k: request.POST[k] for k in saved_views.KEPT if request.POST.get(k)}


@login_required
@require_POST
def saved_view_create(request: HttpRequest) -> HttpResponse:
    """Save the list's current filters and sort (posted beside the list) under a name."""
    query = _query(request)
    try:
        view = saved_views.saved_view_create(
            actor=actor(request), name=request.POST.get("name", ""), query=query, channel=Channel.UI
        )
    except DomainError as exc:
        _refused(request, exc)
        return redirect(_list_url(query))
    messages.success(request, _("The view %(name)s was saved.") % {"name": view.name})
    return redirect(_list_url(view.query, view.pk))


# A saved view's tab counts its cases up to this many ("1,000+" beyond).
COUNT_CAP = 1000


@session_json
@require_GET
def saved_view_count(request: HttpRequest, saved_view_id: uuid.UUID) -> HttpResponse:
    """The count on a saved view's tab, fetched by the tab when the list shows it: exact when
    the case counters can tell, else counted up to `COUNT_CAP` (docs/web.md#saved-views).
    Signed out, 401 (htmx leaves the tab as it is); another user's view is not found."""
    from casedesk.cases import selectors
    from casedesk.web.views.cases import list_query

    view = found(saved_views.saved_view_get, user=actor(request), view_id=saved_view_id)
    asked = list_query(request, view.query)
    count, more = selectors.case_count_upto(asked.filters, viewer=actor(request), cap=COUNT_CAP)
    return render(request, "web/cases/_saved_count.html", {"count": count, "more": more})


@login_required
@require_POST
def saved_view_rename(request: HttpRequest, saved_view_id: uuid.UUID) -> HttpResponse:
    try:
        view = saved_views.saved_view_rename(
            actor=actor(request),
            view_id=saved_view_id,
            name=request.POST.get("name", ""),
            channel=Channel.UI,
        )
    except DomainError as exc:
        _refused(request, exc)
        return redirect("/cases/")
    messages.success(request, _("The view was renamed."))
    return redirect(_list_url(view.query, view.pk))


@login_required
@require_POST
def saved_view_delete(request: HttpRequest, saved_view_id: uuid.UUID) -> HttpResponse:
    try:
        saved_views.saved_view_delete(
            actor=actor(request), view_id=saved_view_id, channel=Channel.UI
        )
    except DomainError as exc:
        _refused(request, exc)
        return redirect("/cases/")
    messages.success(request, _("The view was deleted."))
    return redirect("/cases/")
