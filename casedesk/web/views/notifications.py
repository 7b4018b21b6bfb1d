"""The notifications page, marking read, the notification settings of the profile, following a
case, and the user names offered when typing `@` in a note (docs/notifications.md)."""

from __future__ import annotations

import uuid
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from casedesk.core.errors import DomainError, NotFound
from casedesk.notifications import selectors
from casedesk.notifications.choices import NotificationKind
from casedesk.notifications.services import preferences
from casedesk.web.errors import message_domain_error
from casedesk.web.views.common import actor, page_of, session_json

PER_PAGE = 50
MENTION_LIMIT = 8


def _back(request: HttpRequest, default: str) -> HttpResponseRedirect:
    target = request.POST.get("next") or ""
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return HttpResponseRedirect(target)
    return HttpResponseRedirect(default)


@login_required
@require_GET
def notification_list(request: HttpRequest) -> HttpResponse:
    """The user's notifications, newest first (`?unread=1`: the unread ones)."""
    user = actor(request)
    unread_only = request.GET.get("unread") == "1"
    rows, next_cursor, status = page_of(
        request,
        selectors.notification_list(user=user, unread=unread_only),
        order=("-created_at", "-id"),
        limit=PER_PAGE,
        scope=f"notifications:{user.pk}:{unread_only}",
    )
    items = [{**selectors.notification_item(n), "case": n.case} for n in rows]
    return render(
        request,
        "web/notifications/list.html",
        {
            "items": items,
            "next_cursor": next_cursor,
            "unread_only": unread_only,
            "nav": "notifications",
        },
        status=status,
    )


@login_required
@require_POST
def notification_read(request: HttpRequest, notification_id: uuid.UUID) -> HttpResponse:
    """Mark one of the user's notifications read; another's is not found."""
    try:
        preferences.notification_mark_read(actor=actor(request), notification_id=notification_id)
    except NotFound as exc:
        raise Http404(exc.message) from exc
    return _back(request, reverse("web:notification_list"))


@login_required
@require_POST
def notifications_read_all(request: HttpRequest) -> HttpResponse:
    """Mark every unread notification of the user read."""
    marked = preferences.notifications_mark_all_read(actor=actor(request))
    if marked:
        messages.success(request, _("All notifications were marked read."))
    return _back(request, reverse("web:notification_list"))


def settings_rows(request: HttpRequest) -> list[dict[str, Any]]:
    """The rows of the settings grid of the profile page: each kind with its two choices."""
    chosen = selectors.notification_settings(user=actor(request))
    return [
        {"kind": kind, "label": label, **chosen[kind]} for kind, label in NotificationKind.choices
    ]


@login_required
@require_POST
def notification_settings(request: HttpRequest) -> HttpResponse:
    """The grid of the profile page: a box ticked is on, a box left empty is off."""
    choices = {
        kind: {
            "in_app": request.POST.get(f"{kind}.in_app") == "on",
            "email": request.POST.get(f"{kind}.email") == "on",
        }
        for kind in NotificationKind.values
    }
    try:
        preferences.notification_settings_set(actor=actor(request), choices=choices)
    except DomainError as exc:
        message_domain_error(request, exc)
    else:
        messages.success(request, _("Your notification settings were saved."))
    return HttpResponseRedirect(reverse("web:profile") + "#notifications")


@login_required
@require_POST
def case_follow(request: HttpRequest, case_id: uuid.UUID, *, follow: bool) -> HttpResponse:
    """Follow the case (`follow`) or stop following it, then back to it."""
    service = preferences.case_follow if follow else preferences.case_unfollow
    try:
        service(actor=actor(request), case_id=case_id)
    except NotFound as exc:
        raise Http404(exc.message) from exc
    done = _("You follow this case.") if follow else _("You no longer follow this case.")
    messages.success(request, done)
    return redirect("web:case_detail", case_id=case_id)


@session_json
@require_GET
def user_mention_lookup(request: HttpRequest) -> HttpResponse:
    """The active users whose user name (or name) begins with what follows the `@`."""
    text = (request.GET.get("q") or "").strip()[:150]
    users = selectors.mention_candidates(text=text, limit=MENTION_LIMIT)
    return JsonResponse(
        {"items": [{"username": u.username, "name": u.display_name} for u in users]}
    )
