"""The case page: the record's form, the process bar, the timeline, the side panels and the
dialogs of its commands, rendered with what a refused action needs to show again."""

from __future__ import annotations

from typing import Any

from django import forms
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.cache import patch_vary_headers
from django.utils.translation import gettext_lazy
from django_htmx.http import HttpResponseClientRedirect

from casedesk.attachments.selectors import attachments_of_entries
from casedesk.cases import actions, selectors, timeline, workflow
from casedesk.cases.allowed import MERGE_CANDIDATES, CaseAllowed, case_allowed
from casedesk.cases.choices import ActivityState, Stage, Status
from casedesk.cases.models import Activity, Case
from casedesk.cases.permissions import activity_change_allowed
from casedesk.cases.services.common import customer_of
from casedesk.core.statements import Statement
from casedesk.directory import selectors as directory
from casedesk.entitlements import rules as entitlement_rules
from casedesk.entitlements import selectors as entitlement_selectors
from casedesk.mail.services.send import email_defaults, last_incoming_of, smtp_server
from casedesk.notifications.selectors import case_followed, notification_unread_count
from casedesk.notifications.services.preferences import case_notifications_mark_read
from casedesk.routing import selectors as routing
from casedesk.search import similar
from casedesk.web.context import remember_unread
from casedesk.web.forms.actions import (
    ActivityForm,
    AssignForm,
    CancelForm,
    CompleteForm,
    EmailForm,
    MessageForm,
    NoteForm,
    QueueForm,
    ResolveForm,
)
from casedesk.web.forms.base import set_choices
from casedesk.web.forms.cases import API_NAMES, CaseEditForm
from casedesk.web.fragments import FRAGMENT_HEADER
from casedesk.web.views.common import actor, found
from casedesk.web.views.customers import contact_choices_for, customer_context

TIMELINE_PAGE = 50

# The side panel's connected cases, newest first, with the columns it shows of each (their
# number, title and status reason); compiled once per process (casedesk/core/statements.py).
_CONNECTIONS = Statement[Any](
    lambda case_id: (
        similar.connections_for_case(case_id=case_id, known=True)
        .only(
            "solution_found",
            "created_at",
            *(
                f"{side}__{name}"
                for side in ("case", "other")
                for name in ("ticket_number", "title", "status", "state")
            ),
        )
        .order_by("-created_at", "-id")
    )
)


def merge_masters(allowed: CaseAllowed) -> list[tuple[str, str]]:
    """The cases this case may be merged into, as the cancel dialog offers them."""
    return [(str(c.pk), f"{c.ticket_number} {c.title}") for c in allowed.merge_candidates]


def owner_choices() -> list[tuple[str, Any]]:
    from django.utils.translation import gettext as _

    # Names only: the users' teams and the teams' members are not read.
    user_rows = directory.user_list().prefetch_related(None).order_by("username")
    team_rows = directory.team_list().prefetch_related(None).order_by("name")
    users = [(f"user:{u.pk}", u.display_name) for u in user_rows]
    teams = [(f"team:{t.pk}", t.name) for t in team_rows]
    return [(_("Users"), users), (_("Teams"), teams)]


def visible_queues(request: HttpRequest) -> list[Any]:
    """The queues the user may see, by name, without their members; read once a request (the
    queue dialog's choices and the case's own queue use the same list)."""
    found = getattr(request, "_casedesk_queues", None)
    if found is None:
        queues = routing.queue_list(user=actor(request)).prefetch_related(None)
        found = list(queues.order_by("name"))
        setattr(request, "_casedesk_queues", found)  # noqa: B010
    return found


def queue_choices(request: HttpRequest) -> list[tuple[str, str]]:
    return [(str(q.pk), q.name) for q in visible_queues(request)]


def active_entitlements(case: Case) -> list[Any]:
    """The active entitlements of the case's customer."""
    return list(entitlement_selectors.customer_active_entitlements(customer=customer_of(case)))


def entitlement_choices(case: Case, active: list[Any] | None = None) -> list[tuple[str, str]]:
    """The customer's active entitlements (`active`, when read already), and the one the case
    names (even past its end)."""
    found = list(active if active is not None else active_entitlements(case))
    if case.entitlement_id and all(e.pk != case.entitlement_id for e in found):
        current = case.entitlement
        if current is not None:
            found.insert(0, current)
    return [(str(e.pk), e.name) for e in found]


def contract_line_choices(case: Case) -> list[tuple[str, str]]:
    """The lines the case may bill to today, and the one it names (even past its period)."""
    lines = list(
        entitlement_selectors.customer_contract_lines(
            account_id=case.customer_account_id, contact_id=case.customer_contact_id
        )
    )
    if case.contract_line_id and all(line.pk != case.contract_line_id for line in lines):
        current = case.contract_line
        if current is not None:
            lines.insert(0, current)
    return [(str(line.pk), f"{line.contract.name} › {line.name}") for line in lines]


def terms_display(entitlement: Any, stored: int) -> Any:
    return entitlement_rules.stored_to_terms(stored, entitlement.allocation_type)


def edit_initial(case: Case) -> dict[str, Any]:
    customer = customer_of(case)
    kind = "account" if case.customer_account_id else "contact"
    return {
        "title": case.title,
        "customer": f"{kind}:{customer.pk}",
        "contact": str(case.contact_id) if case.contact_id else "",
        "subject": str(case.subject_id) if case.subject_id else "",
        "product": str(case.product_id) if case.product_id else "",
        "origin": case.origin,
        "case_type": case.case_type or "",
        "priority": case.priority,
        "description": case.description,
        "status": case.status,
        "entitlement": str(case.entitlement_id) if case.entitlement_id else "",
        "contract_line": str(case.contract_line_id) if case.contract_line_id else "",
        "version": case.version,
    }


def edit_form(
    case: Case,
    data: Any = None,
    allowed: CaseAllowed | None = None,
    active: list[Any] | None = None,
) -> CaseEditForm:
    """The case form as a save reads it: every status reason an edit might name (the service
    decides which the case may take), and the case's own. When `allowed` says the user may
    only correct the case, the other fields are closed and keep their values."""
    initial = edit_initial(case)
    customer_value = (data or {}).get("customer") or initial["customer"]
    form = CaseEditForm(
        data,
        initial=initial,
        # The case's contact stays offered even past the first contacts of a large account.
        contact_choices=contact_choices_for(
            customer_value, [(data or {}).get("contact") or initial["contact"]]
        ),
        entitlement_choices=entitlement_choices(case, active),
        contract_line_choices=contract_line_choices(case),
        statuses=[*workflow.ACTIVE_STATUSES, case.status],
    )
    if allowed is not None and actions.CORRECT in allowed and actions.EDIT not in allowed:
        for name, field in form.fields.items():
            if name in API_NAMES and API_NAMES[name] not in actions.CLOSED_CORRECTABLE:
                field.disabled = True
    return form


def offer(form: CaseEditForm, case: Case, allowed: CaseAllowed) -> CaseEditForm:
    """The case form as the page shows it: the status reasons the case may move to now (its
    own alone when it may not be edited)."""
    statuses = allowed.statuses if actions.EDIT in allowed else [case.status]
    set_choices(form.fields["status"], [(s, Status(s).label) for s in statuses])
    return form


# The command dialogs whose body the case page leaves out until one is opened: each is also a
# page of its own at its action's address, for browsers without JavaScript and for the
# dialog's htmx request (docs/web.md, "The case page"). The actions that open each.
COMMAND_DIALOGS: dict[str, frozenset[str]] = {
    "resolve": frozenset({actions.RESOLVE}),
    "cancel": frozenset({actions.CANCEL, actions.MERGE}),
    "assign": frozenset({actions.ASSIGN}),
    "queue": frozenset({actions.ADD_TO_QUEUE}),
    "reactivate": frozenset({actions.REACTIVATE}),
}


def dialog_forms(
    request: HttpRequest, case: Case, allowed: CaseAllowed, wanted: frozenset[str] = frozenset()
) -> dict[str, forms.Form]:
    """The forms of the composer and of the command dialogs in `wanted`, each with the
    choices the user may take now; an action the user may not take has none."""
    found: dict[str, forms.Form] = {
        "activity": ActivityForm(auto_id="activity_%s"),
        "note": NoteForm(auto_id="note_%s"),
        "email": EmailForm(auto_id="email_%s"),
        "post": MessageForm(auto_id="post_%s"),
    }
    version = {"version": case.version}
    if "resolve" in wanted and actions.RESOLVE in allowed:
        found["resolve"] = ResolveForm(
            initial={**version, "billable_minutes": case.total_minutes},
            resolution_types=allowed.resolution_types,
            auto_id="resolve_%s",
        )
    if "cancel" in wanted and (actions.CANCEL in allowed or actions.MERGE in allowed):
        found["cancel"] = CancelForm(initial=version, auto_id="cancel_%s")
    if "assign" in wanted and actions.ASSIGN in allowed:
        owner = f"user:{case.owner_user_id}" if case.owner_user_id else f"team:{case.owner_team_id}"
        found["assign"] = AssignForm(
            initial={**version, "owner": owner}, owners=owner_choices(), auto_id="assign_%s"
        )
    if "queue" in wanted and actions.ADD_TO_QUEUE in allowed:
        found["queue"] = QueueForm(
            initial={**version, "queue": str(getattr(case, "current_queue_id", "") or "")},
            queues=queue_choices(request),
            auto_id="queue_%s",
        )
    return found


def offer_dialogs(dialogs: dict[str, forms.Form], allowed: CaseAllowed) -> None:
    """Narrow the choices of the dialogs (fresh, or bound to a refused input) to what the user
    may take now."""
    resolve = dialogs.get("resolve")
    if isinstance(resolve, ResolveForm):
        resolve.offer(allowed.resolution_types)
    cancel = dialogs.get("cancel")
    if isinstance(cancel, CancelForm):
        choices = ((Status.CANCELLED, actions.CANCEL), (Status.MERGED, actions.MERGE))
        statuses = [status for status, action in choices if action in allowed]
        cancel.offer(statuses=statuses, masters=merge_masters(allowed))


def _queue_and_worker(case: Case) -> tuple[Any, Any]:
    """The case's queue, if the user may see it (`case` has been through `case_seen`), and
    who works its item there: one read of the open queue item."""
    queue_id = getattr(case, "current_queue_id", None)
    if queue_id is None:
        return None, None
    item = routing.open_item_of(case_id=case.pk)
    if item is None or item.queue_id != queue_id:
        return None, None
    return item.queue, item.worked_by


def _kpis(case: Case) -> list[dict[str, Any]]:
    """The case's KPIs in force, each with the working time left before its failure time
    (negative: overdue) while it runs (docs/service-levels.md#on-a-case)."""
    if case.sla_id is None:
        return []
    from casedesk.core import clock
    from casedesk.sla import reports as sla_reports
    from casedesk.sla import selectors as sla_selectors
    from casedesk.sla.instances import counting

    now = clock.now()
    left = sla_reports.TimeLeft()
    return [
        {
            "instance": instance,
            "left": left.of(instance, now)
            if counting(status=instance.status, succeeded_at=instance.succeeded_at)
            else None,
        }
        for instance in sla_selectors.case_kpis(case_id=case.pk)
    ]


TIMELINE_FILTERS = (
    ("all", gettext_lazy("Everything")),
    ("notes", gettext_lazy("Notes")),
    ("emails", gettext_lazy("E-mails")),
    ("activities", gettext_lazy("Calls, tasks, appointments")),
    ("posts", gettext_lazy("Posts")),
)


def _composer_tab(dialogs: dict[str, forms.Form], allowed: CaseAllowed, reply: Any) -> str:
    """The composer's open tab: the one whose form was refused, else a note (or the first kind
    the user may write)."""
    for name in ("email", "activity", "note", "post"):
        form = dialogs.get(name)
        if form is not None and form.is_bound and form.errors:
            return name
    if actions.ADD_NOTE in allowed:
        return "note"
    return "email" if reply else "activity"


def case_page(
    request: HttpRequest,
    case: Case,
    *,
    form: CaseEditForm | None = None,
    dialogs: dict[str, forms.Form] | None = None,
    open_dialog: str | None = None,
    warning: dict[str, Any] | None = None,
    status: int = 200,
    template: str | None = None,
    extra: dict[str, Any] | None = None,
    allowed: CaseAllowed | None = None,
) -> HttpResponse:
    """Render the case page (`allowed`: what the user may do, when the caller has read it);
    a refused action passes its bound form and the dialog to reopen.
    `template` renders a part of it instead (an htmx answer, docs/web.md#partial-updates); an
    htmx request for the timeline alone (its filter) gets the timeline."""
    user = actor(request)
    case = selectors.case_seen(case, viewer=user)  # a private queue it may not see: none
    # The viewer is reading the case: its notifications about it are read (the bell drops).
    # A whole page shows the bell: its count first, and nothing to mark when it is nought.
    part = template is not None or timeline_swap(request)
    if not part:
        unread = notification_unread_count(user=user)
        if unread:
            unread -= case_notifications_mark_read(actor=user, case_id=case.pk)
        remember_unread(request, max(unread, 0))
    else:
        case_notifications_mark_read(actor=user, case_id=case.pk)
    # The command dialogs' bodies only where the answer shows them: a dialog opened (its own
    # page or htmx request) or one refused and shown again.
    wanted = frozenset({*(dialogs or {}), *([open_dialog] if open_dialog else [])})
    # The cases it may be merged into are listed by the cancel dialog alone; elsewhere one
    # tells whether merging is possible.
    if allowed is None:
        allowed = case_allowed(
            user=user, case=case, merge_candidates=MERGE_CANDIDATES if "cancel" in wanted else 1
        )
    # Read once: the form's choices and the customer panel show them.
    active = active_entitlements(case)
    if form is None:
        form = edit_form(case, allowed=allowed, active=active)
    offer(form, case, allowed)
    customer_value = form["customer"].value() or edit_initial(case)["customer"]
    can_change = allowed.may_change
    editable = actions.EDIT in allowed
    all_dialogs = dialog_forms(request, case, allowed, wanted)
    all_dialogs.update(dialogs or {})
    offer_dialogs(all_dialogs, allowed)
    show = request.GET.get("show") or "all"
    if show not in timeline.TIMELINE_SHOWS:
        show = "all"
    page = timeline.case_timeline(
        case_id=case.pk,
        limit=TIMELINE_PAGE,
        cursor=request.GET.get("timeline") or None,
        show=show,
    )
    files = attachments_of_entries(
        activity_ids=[e.record.pk for e in page.items if e.kind == "activity"],
        note_ids=[e.record.pk for e in page.items if e.kind == "note"],
    )
    for entry in page.items:
        # Read by the timeline's template.
        setattr(entry.record, "files", files.get(entry.record.pk, []))  # noqa: B010
    whole = show == "all" and not request.GET.get("timeline") and page.next is None
    # The reply box shows what the service fills in when a field is left empty; the case's
    # newest incoming e-mail is on the timeline when the page holds all of it.
    reply = None
    if can_change and case.state != "cancelled":
        activities = (e.record for e in page.items if isinstance(e.record, Activity))
        reply = (
            email_defaults(case, last_incoming_of(activities)) if whole else email_defaults(case)
        )
    email_form = all_dialogs["email"]
    if reply is not None:
        email_form.fields["to"].widget.attrs["placeholder"] = reply["to"]
        email_form.fields["subject"].widget.attrs["placeholder"] = reply["subject"]
    if whole:  # every activity of the case is on the page: count them there
        open_count = sum(
            1
            for entry in page.items
            if isinstance(entry.record, Activity) and entry.record.state == ActivityState.OPEN
        )
    else:
        open_count = timeline.activity_list(case_id=case.pk, state=ActivityState.OPEN).count()
    # The open activities this user may edit, complete or cancel.
    changeable_activities = {
        record.pk
        for record in (entry.record for entry in page.items)
        if isinstance(record, Activity)
        and not workflow.activity_is_closed(record.state)
        and activity_change_allowed(user, case, record, case_allowed=can_change)
    }
    entitlement = case.entitlement
    connections = [
        (c, similar.connection_other(c, case.pk)) for c in _CONNECTIONS.run(case_id=case.pk)
    ]
    # The case's solution (`similar.case_solution`): its newest connection marked so.
    solution = next(
        (c for c, _other in connections if c.case_id == case.pk and c.solution_found), None
    )
    children = (
        list(
            selectors.case_list(selectors.CaseFilters(parent_id=case.pk), viewer=user).order_by(
                "-created_at"
            )[:100]
        )
        if allowed.child_count
        else []
    )
    queue, worked_by = _queue_and_worker(case)
    if template is None and part:  # htmx asks for the timeline alone
        template = "web/cases/_timeline.html"
    complete_form = CompleteForm(auto_id=False)
    response = render(
        request,
        template or "web/cases/detail.html",
        {
            "case": case,
            "form": form,
            # A refused form sent to an action's address is shown at the case's own address.
            "page_address": reverse("web:case_detail", args=[case.pk]),
            **customer_context(customer_value, customer_of(case), active),
            "can_change": can_change,
            "can": dict.fromkeys(allowed.actions, True),
            "editable": editable,
            "correctable": actions.CORRECT in allowed and not editable,
            "disabled": not editable,
            "stages": Stage.choices,
            "stage_index": [s for s, _label in Stage.choices].index(case.stage),
            "dialogs": all_dialogs,
            "open_dialog": open_dialog,
            "warning": warning,
            "reply": reply,
            "smtp_configured": smtp_server() is not None,
            "timeline": page.items,
            "timeline_show": show,
            "timeline_filters": TIMELINE_FILTERS,
            "composer_tab": _composer_tab(all_dialogs, allowed, reply),
            "timeline_next": page.next,
            "complete_form": complete_form,
            "open_activities": open_count,
            "changeable_activities": changeable_activities,
            "entitlement": entitlement,
            "entitlement_remaining": (
                terms_display(entitlement, entitlement.remaining_terms) if entitlement else None
            ),
            "connections": connections,
            "solution": solution,
            "children": children,
            "parent": case.parent,
            "merged_into": case.merged_into,
            "queue": queue,
            "worked_by": worked_by,
            "kpis": _kpis(case),
            "following": case_followed(user=user, case_id=case.pk),
            "nav": "cases",
            **(extra or {}),
        },
        status=status,
    )
    # The same address answers the page or a part of it: caches must tell them apart.
    patch_vary_headers(response, ("HX-Request", "HX-Target"))
    if template is not None:
        response[FRAGMENT_HEADER] = "1"
    return response


def dialog_page(
    request: HttpRequest,
    case: Case,
    name: str,
    *,
    form: forms.Form | None = None,
    warning: dict[str, Any] | None = None,
    status: int = 200,
) -> HttpResponse:
    """A command dialog (`COMMAND_DIALOGS`) at its action's address: its form alone when the
    case page's dialog asks for it with htmx, else a page of its own (browsers without
    JavaScript; a refused form sent without htmx, shown again whatever the case became). A
    dialog the user may not open now sends the browser to the case page."""
    user = actor(request)
    case = selectors.case_seen(case, viewer=user)
    candidates = MERGE_CANDIDATES if name == "cancel" else 1
    allowed = case_allowed(user=user, case=case, merge_candidates=candidates)
    if form is None and not COMMAND_DIALOGS[name] & allowed.actions:
        address = reverse("web:case_detail", args=[case.pk])
        if getattr(request, "htmx", None):
            return HttpResponseClientRedirect(address)
        return redirect(address)
    part = f"web/cases/dialogs/{name}.html"
    htmx = getattr(request, "htmx", None)
    in_place = htmx is not None and bool(htmx) and htmx.target == f"dialog-{name}"
    return case_page(
        request,
        case,
        dialogs={name: form} if form is not None else None,
        open_dialog=name,
        warning=warning,
        status=status,
        template=part if in_place else "web/cases/dialog_page.html",
        # The page is at an address that answers GET: reloading it sends nothing.
        extra={
            "dialog_name": name,
            "dialog_template": part,
            "as_page": not in_place,
            "page_address": "",
        },
        allowed=allowed,
    )


def timeline_swap(request: HttpRequest) -> bool:
    """Whether the request is htmx asking for the timeline alone (its filter, "Older
    entries"); restoring the browser's history asks for the whole page."""
    htmx = getattr(request, "htmx", None)
    if request.method != "GET" or not htmx:
        return False
    return bool(htmx.target == "timeline" and not htmx.history_restore_request)


def composer_answer(
    request: HttpRequest,
    case: Case,
    *,
    dialogs: dict[str, forms.Form] | None = None,
    status: int = 200,
) -> HttpResponse:
    """The answer to the composer submitted with htmx: the timeline (with the composer, reset
    or with the refused form on its tab) and, out of band, every part of the page that carries
    the case's version (header and command bar, process bar, side panels, dialogs) and the
    messages. `case` is the case as it was before the write: the case form's version (posted
    with the composer as `read_version`) is refreshed only when nobody else changed the case
    since the page read it, so that the form never overwrites a change its user has not
    seen."""
    read = request.POST.get("read_version")
    fresh = found(selectors.case_get, case_id=case.pk)
    return case_page(
        request,
        fresh,
        dialogs=dialogs,
        status=status,
        template="web/cases/_live.html",
        extra={"refresh_version": read == str(case.version)},
    )


def dialog_answer(
    request: HttpRequest,
    case: Case,
    name: str,
    *,
    form: forms.Form,
    error: str = "",
    warning: dict[str, Any] | None = None,
    status: int = 422,
) -> HttpResponse:
    """A dialog's form refused through htmx: the form again, with its errors (and `error`,
    the service's refusal), swapped inside the open dialog."""
    return case_page(
        request,
        found(selectors.case_get, case_id=case.pk),
        dialogs={name: form},
        open_dialog=name,
        warning=warning,
        status=status,
        template=f"web/cases/dialogs/{name}.html",
        extra={"dialog_error": error},
    )
