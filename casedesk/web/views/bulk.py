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

from casedesk.cases.models import Case
from casedesk.cases.services import assignment
from casedesk.core.choices import Channel
from casedesk.core.errors import DomainError
from casedesk.directory.models import Team, User
from casedesk.routing.models import Queue
from casedesk.routing.selectors import VisibleQueues
from casedesk.routing.services import items as queue_items
from casedesk.routing.services import routing
from casedesk.routing.services.routing import NO_ACTIVE_RULE_SET, RouteResult
from casedesk.web.errors import error_message
from casedesk.web.forms.actions import parse_owner
from casedesk.web.views.common import actor, parse_uuid

MAX_SELECTED = 1000
SHOWN = 20


def _summary(request: HttpRequest, done: list[str], refused: list[str]) -> None:
    """What happened to each case, by its ticket number: the cases done first (the count, then
    each one's line), then each refusal with its reason; at most `SHOWN` lines of each."""
    if done:
        messages.success(
            request,
            ngettext("%(count)s case done.", "%(count)s cases done.", len(done))
            % {"count": len(done)},
        )
    for line in done[:SHOWN]:
        messages.info(request, line)
    for line in refused[:SHOWN]:
        messages.error(request, line)
    hidden = max(len(done) - SHOWN, 0) + max(len(refused) - SHOWN, 0)
    if hidden:
        messages.info(
            request,
            ngettext("…and %(count)s more case.", "…and %(count)s more cases.", hidden)
            % {"count": hidden},
        )


def _routed_line(
    ticket: str, result: RouteResult, queues: VisibleQueues, names: dict[uuid.UUID, str]
) -> str:
    """Where routing sent the case and by which rule, or why it did not."""
    if not result.routed:
        if result.reason == NO_ACTIVE_RULE_SET:
            return _("%(ticket)s: not routed, no routing rule set is active.") % {"ticket": ticket}
        return _("%(ticket)s: not routed, no rule of “%(rule_set)s” matched.") % {
            "ticket": ticket,
            "rule_set": result.rule_set.name if result.rule_set else "",
        }
    rule = result.rule_item.name if result.rule_item else ""
    if result.queue_id is not None:
        queue = names.get(result.queue_id, "")
        if not queues.shows(result.queue_id):
            return _("%(ticket)s: routed to a private queue by the rule “%(rule)s”.") % {
                "ticket": ticket,
                "rule": rule,
            }
        return _("%(ticket)s: routed to the queue “%(queue)s” by the rule “%(rule)s”.") % {
            "ticket": ticket,
            "queue": queue,
            "rule": rule,
        }
    owner = result.owner
    name = getattr(owner, "display_name", None) or getattr(owner, "name", "")
    return _("%(ticket)s: assigned to %(owner)s by the rule “%(rule)s”.") % {
        "ticket": ticket,
        "owner": name,
        "rule": rule,
    }


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
    tickets = dict(Case.objects.filter(pk__in=ids).values_list("pk", "ticket_number"))
    refused: list[str] = []
    done: list[str] = []

    def ticket(case_id: uuid.UUID) -> str:
        return tickets.get(case_id) or _("an unknown case")

    if action == "route":
        queues = VisibleQueues(user)
        outcomes = routing.cases_route(actor=user, case_ids=ids)
        names = dict(
            Queue.objects.filter(
                pk__in={o.result.queue_id for o in outcomes if o.result and o.result.queue_id}
            ).values_list("pk", "name")
        )
        for outcome in outcomes:
            if outcome.error is not None:
                refused.append(f"{ticket(outcome.case_id)}: {error_message(outcome.error)}")
            elif outcome.result is not None:
                done.append(_routed_line(ticket(outcome.case_id), outcome.result, queues, names))
    elif action in {"assign", "queue"}:
        owner = parse_owner(request.POST.get("owner") or "")
        queue_id = parse_uuid(request.POST.get("queue"))
        if (action == "assign" and owner is None) or (action == "queue" and queue_id is None):
            messages.error(request, _("Choose where the selected cases go."))
            return redirect(target)
        where = _where(action, owner, queue_id)
        for case_id in ids:
            try:
                _apply(action, user, case_id, owner, queue_id)
            except DomainError as exc:
                refused.append(f"{ticket(case_id)}: {error_message(exc)}")
            else:
                done.append(f"{ticket(case_id)}: {where}")
    else:
        messages.error(request, _("Choose a command."))
        return redirect(target)
    _summary(request, done, refused)
    return redirect(target)


def _where(action: str, owner: Any, queue_id: Any) -> str:
    """Where the command sent the cases, said once for all of them."""
    if action == "assign":
        model = User if owner.type == "user" else Team
        found = model.objects.filter(pk=owner.id).first()
        name = getattr(found, "display_name", None) or getattr(found, "name", "")
        return _("assigned to %(owner)s.") % {"owner": name}
    queue = Queue.objects.filter(pk=queue_id).values_list("name", flat=True).first() or ""
    return _("added to the queue “%(queue)s”.") % {"queue": queue}


def _apply(action: str, user: Any, case_id: uuid.UUID, owner: Any, queue_id: Any) -> None:
    if action == "assign":
        assignment.case_assign(actor=user, case_id=case_id, owner=owner, channel=Channel.UI)
    else:
        queue_items.queue_item_add(
            actor=user, case_id=case_id, queue_id=queue_id, channel=Channel.UI
        )
