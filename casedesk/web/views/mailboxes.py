"""Administration of mailboxes (administrators): the list, a form per mailbox, poll now."""

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
from casedesk.directory import selectors as directory
from casedesk.directory.models import Team
from casedesk.mail import selectors
from casedesk.mail.models import Mailbox
from casedesk.mail.services import mailboxes as services
from casedesk.mail.services.poll import PollFailed, mailbox_poll
from casedesk.routing import selectors as routing
from casedesk.web.errors import form_add_domain_error, message_domain_error
from casedesk.web.forms.mail import IMAP, PIPE, MailboxForm
from casedesk.web.views.admin import admin_required, render_admin
from casedesk.web.views.common import actor, found, posted_version

# Form fields named differently from the service's.
FIELD_NAMES = {
    "queue_id": "queue",
    "imap": "imap_host",
    **{f"imap.{name}": f"imap_{name}" for name in ("host", "port", "security", "username")},
    "imap.password": "imap_password",
    "imap.folder": "imap_folder",
}


def _owners() -> list[tuple[str, str]]:
    users = [(f"user:{u.pk}", u.display_name) for u in directory.user_list().order_by("username")]
    teams = [(f"team:{t.pk}", t.name) for t in Team.objects.order_by("name")]
    return users + teams


def _initial(mailbox: Mailbox | None, request: HttpRequest) -> dict[str, Any]:
    if mailbox is None:
        return {"owner": f"user:{actor(request).pk}"}
    owner = (
        f"user:{mailbox.owner_user_id}"
        if mailbox.owner_user_id
        else f"team:{mailbox.owner_team_id}"
    )
    return {
        "name": mailbox.name,
        "address": mailbox.address,
        "owner": owner,
        "queue": str(mailbox.queue_id) if mailbox.queue_id else "",
        "arrival": IMAP if mailbox.uses_imap else PIPE,
        "imap_host": mailbox.imap_host,
        "imap_port": mailbox.imap_port,
        "imap_security": mailbox.imap_security,
        "imap_username": mailbox.imap_username,
        "imap_folder": mailbox.imap_folder,
        "poll_seconds": mailbox.poll_seconds,
        "reopen_days": mailbox.reopen_days,
        "auto_acknowledge": mailbox.auto_acknowledge,
        "active": mailbox.active,
    }


@admin_required
@require_GET
def mailbox_list(request: HttpRequest) -> HttpResponse:
    mailboxes = selectors.mailbox_list(user=actor(request)).order_by("name")
    return render_admin(request, "web/admin/mailboxes.html", {"mailboxes": mailboxes})


@admin_required
@require_http_methods(["GET", "POST"])
def mailbox_edit(request: HttpRequest, mailbox_id: uuid.UUID | None = None) -> HttpResponse:
    user = actor(request)
    mailbox = found(selectors.mailbox_get, user=user, mailbox_id=mailbox_id) if mailbox_id else None
    queues = [(str(q.pk), q.name) for q in routing.queue_list(user=user).order_by("name")]
    form = MailboxForm(
        request.POST or None, initial=_initial(mailbox, request), owners=_owners(), queues=queues
    )
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                if mailbox is None:
                    services.mailbox_create(actor=user, channel=Channel.UI, **form.values())
                else:
                    services.mailbox_update(
                        actor=user,
                        mailbox_id=mailbox.pk,
                        changes=form.values(),
                        expected_version=posted_version(request),
                        channel=Channel.UI,
                    )
            except DomainError as exc:
                form_add_domain_error(form, exc, FIELD_NAMES)
                status = exc.status
            else:
                messages.success(request, _("The mailbox was saved."))
                return redirect("web:admin_mailboxes")
        else:
            status = 422
    context = {"form": form, "mailbox": mailbox}
    return render_admin(request, "web/admin/mailbox_form.html", context, status)


@admin_required
@require_POST
def mailbox_poll_now(request: HttpRequest, mailbox_id: uuid.UUID) -> HttpResponse:
    mailbox = found(selectors.mailbox_get, user=actor(request), mailbox_id=mailbox_id)
    try:
        result = mailbox_poll(mailbox_id=mailbox.pk)
    except PollFailed as exc:
        messages.error(request, _("The IMAP server failed: %(error)s") % {"error": exc})
    except DomainError as exc:
        message_domain_error(request, exc)
    else:
        messages.success(
            request,
            _("%(count)d message(s) taken, %(new)d new case(s).")
            % {"count": result.fetched, "new": result.new_cases},
        )
    return redirect("web:admin_mailboxes")
