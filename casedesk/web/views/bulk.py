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
from django.utils.translation import gettext_lazy as _lazy
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST

from casedesk.cases.models import Case
from casedesk.cases.services import assignment
from casedesk.cases.services.assignment import owner_name
from casedesk.cases.services.common import resolve_owner
from casedesk.core.choices import Channel
from casedesk.core.errors import DomainError
from casedesk.routing.models import Queue
from casedesk.routing.selectors import VisibleQueues
from casedesk.routing.services import items as queue_items
from casedesk.routing.services import routing
from casedesk.web.errors import error_message
from casedesk.web.forms.actions import parse_owner
from casedesk.web.views.case_actions import route_outcome
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


# Where routing sent each case of a bulk command, after its ticket number (the outcomes of
# `route_outcome`, as the case page says them).
BULK_ROUTE_SENTENCES = {
    "no_rule_set": _lazy("%(ticket)s: not routed, no routing rule set is active."),
    "no_match": _lazy("%(ticket)s: not routed, no rule of “%(set)s” matched."),
    "private_queue": _lazy("%(ticket)s: routed to a private queue by the rule “%(item)s”."),
    "queue": _lazy("%(ticket)s: routed to the queue “%(queue)s” by the rule “%(item)s”."),
    "owner": _lazy("%(ticket)s: assigned to %(owner)s by the rule “%(item)s”."),
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
        queues = VisibleQueues(user)  # read once for every case
        for routed in routing.cases_route(actor=user, case_ids=ids):
            if routed.error is not None:
                refused.append(f"{ticket(routed.case_id)}: {error_message(routed.error)}")
            elif routed.result is not None:
                outcome, names = route_outcome(routed.result, queues)
                sentence = BULK_ROUTE_SENTENCES[outcome]
                done.append(str(sentence) % {**names, "ticket": ticket(routed.case_id)})
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
        try:
            name = owner_name(resolve_owner(owner))
        except DomainError:  # each case's assignment refuses it and says why
            name = ""
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
