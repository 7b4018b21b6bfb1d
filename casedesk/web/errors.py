"""Domain refusals shown to people: a translated message per error code, field errors on forms.

The services speak English in their messages (the API's contract); the web UI shows the
message for the error's code in the user's language, and puts `validation_error` fields on
the form fields they name.
"""

from __future__ import annotations

import re
from typing import Any

from django import forms
from django.contrib import messages
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from casedesk.core.errors import DomainError

CODE_MESSAGES: dict[str, Any] = {
    "bad_request": _("The request could not be understood."),
    "forbidden": _("You are not allowed to do this."),
    "not_found": _("The record does not exist."),
    "activity_closed": _("The activity is closed and can no longer be changed."),
    "queue_item_closed": _("The queue item is closed."),
    "open_activities": _("The case has open activities."),
    "transition_not_allowed": _("This status change is not allowed for the case."),
    "case_not_active": _("The case is not active: resolved and cancelled cases are read-only."),
    "first_response_given": _("The first response was already given."),
    "case_not_closed": _("The case is already active."),
    "case_merged": _("A merged case cannot be reactivated."),
    "case_hierarchy": _("This parent and child relationship is not allowed."),
    "child_cases_open": _("The case has active child cases."),
    "entitlement_exhausted": _("The entitlement has no terms left."),
    "entitlement_state": _("The entitlement's state does not allow this."),
    "entitlement_not_applicable": _("The entitlement does not apply to this case."),
    "rule_set_active": _("An active routing rule set is read-only: deactivate it first."),
    "sla_active": _("An active SLA is read-only: deactivate it first."),
    "contract_in_use": _(
        "Cases bill to this contract line: it cannot be removed, nor the contract moved to "
        "another customer."
    ),
    "version_mismatch": _(
        "Someone else changed this record after you opened it. Reload the page to see the "
        "changes, then make yours again."
    ),
    "validation_error": _("Some values are not valid."),
    "rate_limited": _("Too many requests; try again in a moment."),
    "unavailable": _("The service is busy; try again in a moment."),
    "too_large": _("What you sent is too large: shorten the text and try again."),
}

# The services' field messages, in the user's language.
FIELD_MESSAGES: dict[str, Any] = {
    "is required": _("This field is required."),
    "the contact does not belong to the customer": _(
        "The contact must be the customer or a contact of the customer account."
    ),
    "no such account": _("The account does not exist."),
    "no such contact": _("The contact does not exist."),
    "every contact must belong to the customer": _(
        "Every contact must be the customer or a contact of the customer account."
    ),
    "names a contact that does not exist": _("A chosen contact does not exist."),
    "no such case": _("The case does not exist."),
    "no such subject": _("The subject does not exist."),
    "no such product": _("The product does not exist."),
    "no such SLA": _("The SLA does not exist."),
    "no such calendar": _("The calendar does not exist."),
    "no such queue": _("The queue does not exist."),
    "an SLA needs at least one item": _("Add at least one item."),
    "an SLA needs at least one item to be activated": _(
        "An SLA needs at least one item to be activated."
    ),
    "is already the name of another item of this SLA": _("Another item of this SLA has this name."),
    "must not be after the failure time": _("The warning must not come after the failure."),
    "has no working time": _("The week has no working time."),
    "a contact needs a name": _("A contact needs a name."),
    "may not be cleared": _("This field cannot be emptied."),
    "a new case needs an active status": _("A new case needs an active status."),
    "cannot be negative": _("Enter a number of at least 0."),
    "must not be before the start date": _("The end date must not be before the start date."),
    "must not be before scheduled_start": _("The end must not be before the start."),
    "the line must lie within the contract's dates": _(
        "The line's dates must lie within the contract's dates."
    ),
    "a coverage-dates line has no total": _("A line of coverage dates has no total."),
    "a line starts before this date": _("A line of the contract starts before this date."),
    "a line ends after this date": _("A line of the contract ends after this date."),
    "only phone calls and e-mails have a direction": _(
        "Only phone calls and e-mails have a direction."
    ),
    "this user name is taken": _("This user name is taken."),
    "must not contain control or invisible characters": _(
        "Use visible characters only: no line breaks, tabs, invisible or direction-changing"
        " characters."
    ),
    "must not begin or end with a space": _("Remove the spaces at the beginning and end."),
    "a team with this name exists": _("A team with this name exists."),
    "you already have a view with this name": _("You already have a view with this name."),
    "a user keeps at most 50 views": _("You can keep at most 50 views: delete one first."),
    "must have at most 60 characters": _("Use at most 60 characters."),
    "is not a valid e-mail address": _("Enter a valid e-mail address."),
    "names a team that does not exist": _("A chosen team does not exist."),
    "names a user that does not exist": _("A chosen user does not exist."),
    "an administrator cannot deactivate themselves": _("You cannot deactivate yourself."),
    "the last active administrator cannot be deactivated": _(
        "This is the last active administrator: it cannot be deactivated."
    ),
    "the last active administrator must stay an administrator": _(
        "This is the last active administrator: it must keep the Administrator role."
    ),
}


def error_message(exc: DomainError) -> str:
    if exc.code == "entitlement_exhausted" and "remaining" in exc.details:
        return _exhausted_message(exc.details)
    return str(CODE_MESSAGES.get(exc.code, exc.message))


def _exhausted_message(details: dict[str, Any]) -> str:
    """What is left and what the case needs, in the entitlement's unit."""
    from casedesk.entitlements import rules
    from casedesk.web.templatetags.casedesk_web import label, terms

    kind = str(details.get("allocation_type", "cases"))
    left = terms(rules.stored_to_terms(max(int(details["remaining"] or 0), 0), kind), kind)
    needed = terms(rules.stored_to_terms(int(details.get("needed", 0)), kind), kind)
    if details.get("channel"):
        return _(
            "The entitlement has %(left)s left for the %(channel)s channel; this case needs "
            "%(needed)s."
        ) % {"left": left, "needed": needed, "channel": label(details["channel"], "origin")}
    return _("The entitlement has %(left)s left; this case needs %(needed)s.") % {
        "left": left,
        "needed": needed,
    }


def field_message(message: Any) -> str:
    text = str(message)
    return str(FIELD_MESSAGES.get(text, text))


def form_add_domain_error(
    form: forms.BaseForm, exc: DomainError, field_map: dict[str, str] | None = None
) -> None:
    """Put a refusal on `form`: fields it names on those fields, the rest on the form."""
    fields = exc.details.get("fields") if exc.code == "validation_error" else None
    placed = False
    if isinstance(fields, dict):
        for name, message in fields.items():
            target = (field_map or {}).get(name, name)
            if target in form.fields:
                form.add_error(target, field_message(message))
                placed = True
            else:
                form.add_error(None, f"{name}: {field_message(message)}")
                placed = True
    if not placed:
        form.add_error(None, error_message(exc))


_ITEM_PATH = re.compile(r"^items\.(\d+)(?:\.conditions\.(\d+))?(?:\.(\w+))?$")
_PATH_PARTS: dict[str, Any] = {
    "field": _("field"),
    "op": _("operator"),
    "value": _("value"),
    "name": _("name"),
    "route_to": _("destination"),
    "queue_id": _("queue"),
    "owner": _("owner"),
    "calendar_id": _("calendar"),
    "warn_after_minutes": _("warning after"),
    "fail_after_minutes": _("failure after"),
}


def field_path_label(path: str) -> str:
    """Where a refusal points, as people say it: `items.1.conditions.0.value` is "Rule 2,
    condition 1, value"; `allowed.in_progress` is the status "In progress"; a case field its
    label."""
    from casedesk.cases.choices import Status
    from casedesk.cases.fields import FIELDS

    found = _ITEM_PATH.match(path)
    if found:
        item, condition, part = found.groups()
        words = [_("Rule %(n)s") % {"n": int(item) + 1}]
        if condition is not None:
            words.append(_("condition %(n)s") % {"n": int(condition) + 1})
        if part:
            words.append(str(_PATH_PARTS.get(part, part)))
        return ", ".join(str(w) for w in words)
    head, _dot, rest = path.partition(".")
    if head == "allowed" and rest in Status.values:
        return str(Status(rest).label)
    if path in FIELDS:
        return str(FIELDS[path].label)
    return path


def message_domain_error(request: HttpRequest, exc: DomainError) -> None:
    """Show a refusal as a message on the next page."""
    text = error_message(exc)
    fields = exc.details.get("fields") if exc.code == "validation_error" else None
    if isinstance(fields, dict) and fields:
        text += " " + "; ".join(
            f"{field_path_label(k)}: {field_message(v)}" for k, v in fields.items()
        )
    messages.error(request, text)


# Action fields as the services name them -> the dialogs' form fields.
FIELD_OF_API_NAME_ACTIONS = {"into": "into", "owner": "owner", "queue_id": "queue"}
