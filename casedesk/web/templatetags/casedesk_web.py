"""Template filters of the web UI: localised numbers and durations, choice labels."""

from __future__ import annotations

import functools
import uuid
from decimal import Decimal
from typing import Any
from urllib.parse import urlencode

from django import template
from django.urls import get_script_prefix, reverse
from django.utils import formats
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from casedesk.cases import choices as case_choices
from casedesk.cases import posts
from casedesk.directory import choices as directory_choices
from casedesk.entitlements import choices as entitlement_choices
from casedesk.entitlements import selectors as entitlement_selectors
from casedesk.routing import choices as routing_choices
from casedesk.sla import choices as sla_choices

register = template.Library()

# `{% id_url %}`: the address of a view taking one id, reversed once per process (and script
# prefix) with this id in its place; a list of 50 rows with a few links each otherwise
# reverses a couple of hundred addresses a page (docs/performance.md, "The web pages").
_ID_SENTINEL = str(uuid.UUID(int=0))


@functools.lru_cache(maxsize=256)
def _id_address(name: str, prefix: str) -> tuple[str, str]:
    head, found, tail = reverse(name, args=[_ID_SENTINEL]).partition(_ID_SENTINEL)
    if not found:  # pragma: no cover - an id that the address does not show
        raise template.TemplateSyntaxError(f"{name} does not take an id")
    return head, tail


@functools.lru_cache(maxsize=256)
def _fixed_address(name: str, prefix: str) -> str:
    return reverse(name)


@register.simple_tag
def fixed_url(name: str) -> str:
    """`{% url name %}` for a view without arguments, reversed once per process."""
    return _fixed_address(name, get_script_prefix())


@register.simple_tag
def id_url(name: str, pk: Any) -> str:
    """`{% url name pk %}` for a view whose one argument is a UUID, at a fraction of the cost."""
    head, tail = _id_address(name, get_script_prefix())
    return f"{head}{uuid.UUID(str(pk))}{tail}"


# The audit's channels and actions, in the user's language.
CHANNELS: dict[str, Any] = {
    "api": gettext_lazy("API"),
    "ui": gettext_lazy("Web UI"),
    "cli": gettext_lazy("Command line"),
    "routing": gettext_lazy("Routing"),
    "cascade": gettext_lazy("Cascade from the parent case"),
    "merge": gettext_lazy("Merge"),
    "system": gettext_lazy("System"),
}
ACTIONS: dict[str, Any] = {
    "create": gettext_lazy("Created"),
    "update": gettext_lazy("Changed"),
    "resolve": gettext_lazy("Resolved"),
    "cancel": gettext_lazy("Cancelled"),
    "merge": gettext_lazy("Merged"),
    "reactivate": gettext_lazy("Reactivated"),
    "assign": gettext_lazy("Assigned"),
    "queue": gettext_lazy("Queue changed"),
    "route": gettext_lazy("Routed"),
    "activity_complete": gettext_lazy("Activity completed"),
    "email": gettext_lazy("E-mail"),
}

CHOICES: dict[str, Any] = {
    "origin": case_choices.Origin,
    "case_type": case_choices.CaseType,
    "priority": case_choices.Priority,
    "stage": case_choices.Stage,
    "state": case_choices.State,
    "status": case_choices.Status,
    "customer_type": case_choices.CustomerType,
    "owner_type": case_choices.OwnerType,
    "activity_type": case_choices.ActivityType,
    "activity_state": case_choices.ActivityState,
    "direction": case_choices.Direction,
    "email_status": case_choices.EmailStatus,
    "parent_close_policy": case_choices.ParentClosePolicy,
    "role": directory_choices.Role,
    "token_state": directory_choices.TokenState,
    "queue_type": routing_choices.QueueType,
    "queue_item_state": routing_choices.QueueItemState,
    "entitlement_state": entitlement_choices.ShownState,
    "allocation_type": entitlement_choices.AllocationType,
    "decrease_on": entitlement_choices.DecreaseOn,
    "allotment_type": entitlement_choices.AllotmentType,
    "kpi": sla_choices.Kpi,
    "kpi_status": sla_choices.KpiStatus,
}


@register.filter
def label(value: Any, kind: str) -> str:
    """The translated label of a stored choice value (`{{ case.status|label:"status" }}`)."""
    if value in (None, ""):
        return ""
    if kind == "channel":
        return str(CHANNELS.get(value, value))
    if kind == "action":
        return str(ACTIONS.get(value, value))
    choices = CHOICES.get(kind)
    if choices is None:
        return str(value)
    try:
        return str(choices(value).label)
    except ValueError:
        return str(value)


@register.filter
def contract_state(contract: Any) -> str:
    """The state of a contract's period today: waiting, active or expired."""
    return entitlement_selectors.contract_state(contract)


@register.filter
def allotment(amount: Any, allotment_type: Any) -> str:
    """An amount of a contract line: cases, or minutes as hours and minutes (none for coverage
    dates)."""
    if amount in (None, ""):
        return ""
    if allotment_type == entitlement_choices.AllotmentType.MINUTES:
        return minutes(amount)
    if allotment_type == entitlement_choices.AllotmentType.CASES:
        return ngettext("%(n)s case", "%(n)s cases", abs(int(amount))) % {"n": num(amount)}
    return "—"


@register.filter
def terms(amount: Any, allocation_type: Any) -> str:
    """An amount of an entitlement's terms with its unit, singular or plural as the language
    says: "1 case", "3 cases", "1.5 hours"."""
    if amount in (None, ""):
        return ""
    value = Decimal(str(amount))
    # A fraction of an hour reads as a plural in both languages ("0.5 hours", "1,5 ore").
    count = abs(int(value)) if value == value.to_integral_value() else 2
    text = num(amount)
    if allocation_type == "cases":
        return ngettext("%(n)s case", "%(n)s cases", count) % {"n": text}
    return ngettext("%(n)s hour", "%(n)s hours", count) % {"n": text}


@register.filter
def num(value: Any, decimals: int | None = None) -> str:
    """A number with the language's grouping and decimal separators."""
    if value in (None, ""):
        return ""
    if decimals is None and isinstance(value, Decimal | float):
        # 40.0 reads "40", 1.50 "1.5": no trailing zeros after the decimal separator.
        exact = Decimal(str(value))
        value = (
            exact.quantize(Decimal(1)) if exact == exact.to_integral_value() else exact.normalize()
        )
    return formats.number_format(value, decimal_pos=decimals, use_l10n=True, force_grouping=True)


@register.filter
def minutes(value: Any) -> str:
    """A duration in minutes, as hours and minutes ("1 h 20 min")."""
    if value in (None, ""):
        return ""
    total = int(value)
    hours, rest = divmod(abs(total), 60)
    sign = "-" if total < 0 else ""
    if hours and rest:
        return _("%(sign)s%(h)s h %(m)s min") % {"sign": sign, "h": num(hours), "m": rest}
    if hours:
        return _("%(sign)s%(h)s h") % {"sign": sign, "h": num(hours)}
    return _("%(sign)s%(m)s min") % {"sign": sign, "m": rest}


@register.filter
def working_time(value: Any) -> str:
    """A span of working time (a timedelta, its sign ignored) as hours and minutes."""
    if value in (None, ""):
        return ""
    return minutes(int(abs(value.total_seconds()) // 60))


@register.simple_tag(takes_context=True)
def query(context: Any, **changes: Any) -> str:
    """The current query string with some parameters changed (None or "" removes one)."""
    request = context["request"]
    # The request's parameters read once a request: a list calls this for every row, and
    # copying the QueryDict (a deep copy) each time cost more than the rest of the row.
    base = getattr(request, "_casedesk_query", None)
    if base is None:
        base = {key: request.GET.getlist(key) for key in request.GET}
        setattr(request, "_casedesk_query", base)  # noqa: B010
    params = dict(base)
    for key, value in changes.items():
        if value in (None, ""):
            params.pop(key, None)
        else:
            params[key] = [value]
    encoded = urlencode([(key, str(value)) for key, values in params.items() for value in values])
    return f"?{encoded}" if encoded else "?"


# The system's posts on a case's wall, by event.
POST_EVENTS: dict[str, Any] = {
    "created": gettext_lazy("Case created"),
    "assigned": gettext_lazy("Assigned"),
    "resolved": gettext_lazy("Case resolved"),
    "cancelled": gettext_lazy("Case cancelled"),
    "merged": gettext_lazy("Case merged"),
    "reactivated": gettext_lazy("Case reactivated"),
    "routed": gettext_lazy("Routed"),
    "not_routed": gettext_lazy("Not routed"),
    "connected": gettext_lazy("Similar case connected"),
    "solution_found": gettext_lazy("Solution found"),
}
# Events whose text says nothing more than the event itself.
PLAIN_EVENTS = frozenset({"created", "cancelled", "reactivated"})


@register.filter
def post_text(post: Any) -> str:
    """A post's text in the user's language: a system post's sentence rendered from its event
    and params (casedesk/cases/posts.py), else the text as written."""
    if getattr(post, "author_id", None) is None:
        rendered = posts.sentence(getattr(post, "event", ""), getattr(post, "params", None) or {})
        if rendered is not None:
            return rendered
    return str(getattr(post, "text", ""))


@register.filter
def post_event(post: Any) -> str:
    """The headline of a system post in the user's language ("" for a user's post)."""
    if getattr(post, "author_id", None) is not None:
        return ""
    return str(POST_EVENTS.get(getattr(post, "event", ""), ""))


@register.filter
def post_is_plain(post: Any) -> bool:
    return getattr(post, "event", "") in PLAIN_EVENTS and getattr(post, "author_id", None) is None


# The case's audited fields under their API names, as the case form calls them.
FIELD_LABELS: dict[str, Any] = {
    "title": gettext_lazy("Case title"),
    "description": gettext_lazy("Description"),
    "customer": gettext_lazy("Customer"),
    "contact_id": gettext_lazy("Contact"),
    "subject_id": gettext_lazy("Subject"),
    "product_id": gettext_lazy("Product"),
    "origin": gettext_lazy("Origin"),
    "case_type": gettext_lazy("Case type"),
    "priority": gettext_lazy("Priority"),
    "stage": gettext_lazy("Process"),
    "state": gettext_lazy("State"),
    "status": gettext_lazy("Status reason"),
    "owner": gettext_lazy("Owner"),
    "queue_id": gettext_lazy("Queue"),
    "parent_id": gettext_lazy("Parent case"),
    "merged_into_id": gettext_lazy("Merged into"),
    "entitlement_id": gettext_lazy("Entitlement"),
    "decrement_entitlement_terms": gettext_lazy("Decrement entitlement terms"),
    "total_minutes": gettext_lazy("Total time"),
    "billable_minutes": gettext_lazy("Billable time"),
    "resolved_at": gettext_lazy("Resolved on"),
}
# Fields whose values are choices, and the label kind of each.
CHOICE_FIELDS = {
    "origin": "origin",
    "case_type": "case_type",
    "priority": "priority",
    "stage": "stage",
    "state": "state",
    "status": "status",
}


@register.filter
def field_label(name: str) -> str:
    return str(FIELD_LABELS.get(name, name))


@register.filter
def change_value(value: Any, field: str = "") -> str:
    """An audited value as text: choices by label, references by name or id, lists joined,
    empty as a dash."""
    if value in (None, "", [], {}):
        return "—"
    if field in CHOICE_FIELDS and isinstance(value, str):
        return label(value, CHOICE_FIELDS[field])
    if isinstance(value, dict):
        return str(value.get("name") or value.get("id") or value)
    if isinstance(value, list):
        return ", ".join(change_value(v) for v in value)
    if isinstance(value, bool):
        return _("yes") if value else _("no")
    return str(value)
