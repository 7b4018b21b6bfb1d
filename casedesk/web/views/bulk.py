"""Bulk commands of the case list: apply the routing rule, assign, add to queue.

Each case is handled in its own transaction by the same services as the case page; one
refused case does not stop the others, and the answer says what happened to each.
"""

from __future__ import annotations

import uuid
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST

from casedesk.cases.services import assignment
from casedesk.core.choices import Channel
from casedesk.core.errors import DomainError
from casedesk.routing.services import items as queue_items
from casedesk.routing.services import routing
from casedesk.web.errors import error_message
from casedesk.web.forms.actions import parse_owner
from casedesk.web.views.common import actor, parse_uuid

MAX_SELECTED = 1000


def _summary(request: HttpRequest, done: int, refused: list[str]) -> None:
    if done:
        messages.success(
            request,
            ngettext("%(count)s case done.", "%(count)s cases done.", done) % {"count": done},
        )
    for line in refused[:20]:
        messages.error(request, line)


@login_required
@require_POST
def case_bulk(request: HttpRequest) -> HttpResponse:
    target = request.POST.get("next") or "/cases/"
    if not url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        target = "/cases/"
    ids = [i for i in (parse_uuid(v) for v in request.POST.getlist("case_ids")) if i]
    ids = list(dict.fromkeys(ids))[:MAX_SELECTED]
    if not ids:
        messages.error(request, _("Select at least one case."))
        return redirect(target)
    action = request.POST.get("action")
    user = actor(request)
    refused: list[str] = []
    done = 0
    if action == "route":
        for result in routing.cases_route(actor=user, case_ids=ids):
            if result.error is not None:
                refused.append(f"{result.case_id}: {error_message(result.error)}")
            else:
                done += 1
    elif action in {"assign", "queue"}:
        owner = parse_owner(request.POST.get("owner") or "")
        queue_id = parse_uuid(request.POST.get("queue"))
        if (action == "assign" and owner is None) or (action == "queue" and queue_id is None):
            messages.error(request, _("Choose where the selected cases go."))
            return redirect(target)
        for case_id in ids:
            try:
                _apply(action, user, case_id, owner, queue_id)
            except DomainError as exc:
                refused.append(f"{case_id}: {error_message(exc)}")
            else:
                done += 1
    else:
        messages.error(request, _("Choose a command."))
        return redirect(target)
    _summary(request, done, refused)
    return redirect(target)


def _apply(action: str, user: Any, case_id: uuid.UUID, owner: Any, queue_id: Any) -> None:
    if action == "assign":
        assignment.case_assign(actor=user, case_id=case_id, owner=owner, channel=Channel.UI)
    else:
        queue_items.queue_item_add(
            actor=user, case_id=case_id, queue_id=queue_id, channel=Channel.UI
        )
