"""The texts of notifications, kept as a key and parameters and written in the reader's
language when shown (docs/notifications.md#texts).

Every text may use `{actor}` (who did it, by name), `{ticket}` and `{title}` (the case's),
and the parameters stored with the notification."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.utils.translation import gettext, gettext_noop, pgettext

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
ACTIONS: Mapping[str, str] = {
    "create": gettext_noop("created"),
    "update": gettext_noop("edited"),
    "assign": gettext_noop("assigned"),
    "resolve": gettext_noop("resolved"),
    "cancel": gettext_noop("cancelled"),
    "reactivate": gettext_noop("reactivated"),
    "merge": gettext_noop("merged"),
    "activity_complete": gettext_noop("activity completed"),
    "queue": gettext_noop("queued"),
    "route": gettext_noop("routed"),
}

KPIS: Mapping[str, str] = {
    "first_response": gettext_noop("first response"),
    "resolve": gettext_noop("resolution"),
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
    actor: str | None = None,
) -> str:
    """The text of a notification in the active language; `actor` None: the system did it."""
    template = TEXTS.get(message)
    if template is None:
        return gettext("Something happened on {ticket}").format_map(_Missing(ticket=ticket))
    values = _Missing({str(k): str(v) for k, v in params.items()})
    values["ticket"] = ticket
    values["title"] = title
    values["actor"] = actor if actor is not None else pgettext("actor", "casedesk")
    if "action" in values:
        values["action"] = gettext(ACTIONS.get(values["action"], values["action"]))
    if "kpi" in values:
        values["kpi"] = gettext(KPIS.get(values["kpi"], values["kpi"]))
    return gettext(template).format_map(values)
