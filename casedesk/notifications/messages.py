"""The texts of notifications, kept as a key and parameters and written in the reader's
language when shown (docs/notifications.md#texts).

Every text may use `{actor}` (who did it, by name), `{ticket}` and `{title}` (the case's),
and the parameters stored with the notification."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.utils.functional import Promise
from django.utils.translation import gettext, gettext_noop, pgettext, pgettext_lazy

ASSIGNED_TO_YOU = "assigned_to_you"
ASSIGNED_TO_TEAM = "assigned_to_team"
CASE_CHANGED = "case_changed"
NOTE_ADDED = "note_added"
MENTIONED = "mentioned"
EMAIL_RECEIVED = "email_received"
SLA_WARNING = "sla_warning"
SLA_FAILURE = "sla_failure"

TEXTS: Mapping[str, str] = {
    ASSIGNED_TO_YOU: gettext_noop("{actor} assigned {ticket} “{title}” to you"),
    ASSIGNED_TO_TEAM: gettext_noop("{actor} assigned {ticket} “{title}” to your team {team}"),
    CASE_CHANGED: gettext_noop("{actor} changed {ticket} “{title}”: {action}"),
    NOTE_ADDED: gettext_noop("{actor} added a note to {ticket} “{title}”"),
    MENTIONED: gettext_noop("{actor} mentioned you in a note on {ticket} “{title}”"),
    EMAIL_RECEIVED: gettext_noop("New e-mail from {sender} on {ticket} “{title}”"),
    SLA_WARNING: gettext_noop("{ticket} “{title}”: {item} ({kpi}) will soon be overdue"),
    SLA_FAILURE: gettext_noop("{ticket} “{title}”: {item} ({kpi}) is overdue"),
}

# The kinds of case write (`CaseAction`), as a follower reads them.
ACTIONS: Mapping[str, Promise] = {
    "create": pgettext_lazy("notification action", "created"),
    "update": pgettext_lazy("notification action", "edited"),
    "assign": pgettext_lazy("notification action", "assigned"),
    "resolve": pgettext_lazy("notification action", "resolved"),
    "cancel": pgettext_lazy("notification action", "cancelled"),
    "reactivate": pgettext_lazy("notification action", "reactivated"),
    "merge": pgettext_lazy("notification action", "merged"),
    "activity_complete": pgettext_lazy("notification action", "activity completed"),
    "queue": pgettext_lazy("notification action", "queued"),
    "route": pgettext_lazy("notification action", "routed"),
}

KPIS: Mapping[str, Promise] = {
    "first_response": pgettext_lazy("notification kpi", "first response"),
    "resolve": pgettext_lazy("notification kpi", "resolution"),
}


class _Missing(dict[str, str]):
    def __missing__(self, key: str) -> str:
        return ""


def notification_text(
    *,
    message: str,
    params: Mapping[str, Any],
    ticket: str = "",
    title: str = "",
    actor_name: str = "",
) -> str:
    """The text of a notification in the active language; without `actor_name` the system
    did it."""
    template = TEXTS.get(message)
    if template is None:
        return gettext("Something happened on {ticket}").format_map(_Missing(ticket=ticket))
    values = _Missing({str(k): str(v) for k, v in params.items()})
    values["ticket"] = ticket
    values["title"] = title
    values["actor"] = actor_name or pgettext("actor", "casedesk")
    if "action" in values:
        values["action"] = str(ACTIONS.get(values["action"], values["action"]))
    if "kpi" in values:
        values["kpi"] = str(KPIS.get(values["kpi"], values["kpi"]))
    return gettext(template).format_map(values)
