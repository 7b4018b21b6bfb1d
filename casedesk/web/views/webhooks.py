"""Administration of webhooks and their delivery log (administrators; docs/webhooks.md)."""

from __future__ import annotations

import uuid
from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from casedesk.core.choices import Channel
from casedesk.core.errors import DomainError
from casedesk.events import selectors, services
from casedesk.events.choices import ALL_EVENTS
from casedesk.web.errors import form_add_domain_error, message_domain_error
from casedesk.web.forms.webhooks import WebhookForm
from casedesk.web.views.admin import admin_required, render_admin
from casedesk.web.views.common import actor, found, page_of, posted_version

DELIVERIES_PER_PAGE = 50


@admin_required
@require_GET
def webhook_list(request: HttpRequest) -> HttpResponse:
    webhooks = selectors.webhook_list().order_by("created_at", "id")
    return render_admin(request, "web/admin/webhooks.html", {"webhooks": webhooks})


@admin_required
@require_http_methods(["GET", "POST"])
def webhook_edit(request: HttpRequest, webhook_id: uuid.UUID | None = None) -> HttpResponse:
    webhook = found(selectors.webhook_get, webhook_id=webhook_id) if webhook_id else None
    initial: dict[str, Any] = {}
    if webhook is not None:
        every = ALL_EVENTS in webhook.events
        initial = {
            "url": webhook.url,
            "all_events": every,
            "events": [] if every else list(webhook.events),
            "active": webhook.active,
        }
    form = WebhookForm(request.POST or None, initial=initial, creating=webhook is None)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                if webhook is None:
                    values = form.values()
                    services.webhook_create(
                        actor=actor(request),
                        url=values["url"],
                        events=values["events"],
                        secret=values.get("secret", ""),
                        active=values["active"],
                        channel=Channel.UI,
                    )
                else:
                    services.webhook_update(
                        actor=actor(request),
                        webhook_id=webhook.pk,
                        changes=form.values(),
                        expected_version=posted_version(request),
                        channel=Channel.UI,
                    )
            except DomainError as exc:
                form_add_domain_error(form, exc)
                status = exc.status
            else:
                messages.success(request, _("The webhook was saved."))
                return redirect("web:admin_webhooks")
        else:
            status = 422
    context = {"form": form, "webhook": webhook}
    return render_admin(request, "web/admin/webhook_form.html", context, status)


@admin_required
@require_POST
def webhook_delete(request: HttpRequest, webhook_id: uuid.UUID) -> HttpResponse:
    try:
        services.webhook_delete(
            actor=actor(request),
            webhook_id=webhook_id,
            expected_version=posted_version(request),
            channel=Channel.UI,
        )
    except DomainError as exc:
        message_domain_error(request, exc)
        return redirect("web:admin_webhook", webhook_id=webhook_id)
    messages.success(request, _("The webhook was deleted."))
    return redirect("web:admin_webhooks")


@admin_required
@require_GET
def delivery_list(request: HttpRequest, webhook_id: uuid.UUID) -> HttpResponse:
    webhook = found(selectors.webhook_get, webhook_id=webhook_id)
    rows, next_cursor, status = page_of(
        request,
        selectors.delivery_list(webhook_id=webhook.pk),
        order=("-event_id", "-id"),
        limit=DELIVERIES_PER_PAGE,
        scope=f"web-deliveries:{webhook.pk}",
    )
    context = {"webhook": webhook, "deliveries": rows, "next_cursor": next_cursor}
    return render_admin(request, "web/admin/webhook_deliveries.html", context, status)
