"""Service › Queues: items available to work on, items I am working on; pick, release,
remove."""

from __future__ import annotations

import uuid
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_POST

from casedesk.core import clock
from casedesk.core.choices import Channel
from casedesk.core.errors import DomainError
from casedesk.routing import selectors
from casedesk.routing.services import items as item_services
from casedesk.web.errors import error_message
from casedesk.web.forms.actions import VersionForm
from casedesk.web.views.common import actor, page_both, parse_uuid

PAGE_SIZE = 25  # as the case list
VIEWS: dict[str, tuple[Any, str]] = {
    "available": (gettext_lazy("Items available to work on"), "none"),
    "mine": (gettext_lazy("Items I am working on"), "me"),
    "all": (gettext_lazy("All items"), ""),
}


@login_required
@require_GET
def queue_items(request: HttpRequest) -> HttpResponse:
    user = actor(request)
    view = request.GET.get("view") or "available"
    if view not in VIEWS:
        view = "available"
    heading, worked_by = VIEWS[view]
    queues = list(selectors.queue_list(user=user).order_by("name"))
    queue_id = parse_uuid(request.GET.get("queue"))
    if queue_id is not None and queue_id not in {q.pk for q in queues}:
        queue_id = None
    filters = selectors.ItemFilters(queue_id=queue_id, worked_by=worked_by or None)
    sort = request.GET.get("sort") or "entered"
    if sort not in ("entered", "-entered"):
        sort = "entered"
    rows, next_cursor, previous_cursor, status = page_both(
        request,
        selectors.queue_item_list(user=user, filters=filters).select_related(
            "case__customer_account", "case__customer_contact"
        ),
        order=("entered_on", "id"),
        limit=PAGE_SIZE,
        scope=f"web-items:{view}:{queue_id}",
        reverse=sort == "-entered",
    )
    htmx = getattr(request, "htmx", None)
    # htmx asks for the list region only (the filter, the table, the pages).
    region = bool(htmx and htmx.target == "queue-list")
    return render(
        request,
        "web/queues/_items.html" if region else "web/queues/items.html",
        {
            "heading": heading,
            "view": view,
            "views": [
                (
                    key,
                    label,
                    selectors.queue_item_count(
                        user=user,
                        filters=selectors.ItemFilters(queue_id=queue_id, worked_by=by or None),
                    ),
                )
                for key, (label, by) in VIEWS.items()
            ],
            "queues": queues,
            "queue_id": queue_id,
            "items": rows,
            "next_cursor": next_cursor,
            "previous_cursor": previous_cursor,
            "paged": bool(request.GET.get("cursor")),
            "sort": sort,
            "now": clock.now(),
            "nav": "queues",
        },
        status=status,
    )


def _back(request: HttpRequest) -> HttpResponse:
    target = request.POST.get("next") or "/queues/"
    if not url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        target = "/queues/"
    return redirect(target)


@login_required
@require_POST
def queue_item_action(request: HttpRequest, item_id: uuid.UUID, action: str) -> HttpResponse:
    """Pick (optionally removing the item from the queue), release or remove a queue item."""
    form = VersionForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("The item could not be changed: reload the page."))
        return _back(request)
    common = {
        "actor": actor(request),
        "item_id": item_id,
        "expected_version": form.cleaned_data["version"],
        "channel": Channel.UI,
    }
    try:
        if action == "pick":
            remove = request.POST.get("remove") == "1"
            picked = item_services.queue_item_pick(remove=remove, **common)
            if request.POST.get("open") == "1":  # "Pick and open": on to the case
                messages.success(request, _("You are now working on the item."))
                return redirect("web:case_detail", case_id=picked.case_id)
            text = (
                _("You picked the item; it left the queue and the case is now yours.")
                if remove
                else _("You are now working on the item.")
            )
        elif action == "release":
            item_services.queue_item_release(**common)
            text = _("The item was released.")
        else:
            item_services.queue_item_remove(**common)
            text = _("The item was removed from the queue.")
    except DomainError as exc:
        if exc.status in {403, 404}:
            return _refusal_page(request, exc)
        messages.error(request, error_message(exc))  # closed meanwhile, or changed: show it
        return _back(request)
    messages.success(request, text)
    return _back(request)


def _refusal_page(request: HttpRequest, exc: DomainError) -> HttpResponse:
    return render(
        request,
        "web/error.html",
        {"message": error_message(exc), "code": exc.code},
        status=exc.status,
    )
