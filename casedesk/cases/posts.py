"""The system's posts on a case's timeline, in every language (docs/cases.md#system-posts).

A system post is stored with its `event` and the `params` its sentence needs, and with the
sentence in English as `text` (what the API and the search index read). A page renders it
again in the reader's language from the event and the params; a post stored without params
shows its stored text.

`form` picks one sentence of an event that has several (routing says where the case went).
Params hold names and codes, never a sentence: a status is translated when it is shown.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.utils import translation
from django.utils.translation import gettext_lazy as _
from django_stubs_ext import StrPromise

from casedesk.cases.choices import Status

# (event, form) -> the sentence; `form` is "" for an event with one sentence.
SENTENCES: dict[tuple[str, str], StrPromise] = {
    ("created", ""): _("Case %(ticket)s created."),
    ("assigned", ""): _("Assigned to %(owner)s."),
    ("resolved", ""): _("Case resolved: %(status)s."),
    ("cancelled", ""): _("Case cancelled."),
    ("reactivated", ""): _("Case reactivated."),
    ("merged", ""): _("Case %(ticket)s was merged into this case."),
    ("solution_found", ""): _("Solution found in %(ticket)s."),
    ("connected", ""): _("Connected to %(ticket)s."),
    ("not_routed", "no_rule_set"): _("Routing: no active rule set; nothing changed."),
    ("not_routed", "no_item"): _(
        'Routing by rule set "%(rule_set)s": no item matched; nothing changed.'
    ),
    ("routed", "added"): _(
        'Routed by rule set "%(rule_set)s", item "%(item)s": added to queue "%(queue)s".'
    ),
    ("routed", "moved"): _(
        'Routed by rule set "%(rule_set)s", item "%(item)s": moved to queue "%(queue)s".'
    ),
    ("routed", "already_in"): _(
        'Routed by rule set "%(rule_set)s", item "%(item)s": already in queue "%(queue)s".'
    ),
    ("routed", "added_private"): _(
        'Routed by rule set "%(rule_set)s", item "%(item)s": added to a private queue.'
    ),
    ("routed", "moved_private"): _(
        'Routed by rule set "%(rule_set)s", item "%(item)s": moved to a private queue.'
    ),
    ("routed", "already_in_private"): _(
        'Routed by rule set "%(rule_set)s", item "%(item)s": already in a private queue.'
    ),
    ("routed", "assigned"): _(
        'Routed by rule set "%(rule_set)s", item "%(item)s": assigned to %(owner)s.'
    ),
    ("routed", "already_owned"): _(
        'Routed by rule set "%(rule_set)s", item "%(item)s": already owned by %(owner)s.'
    ),
}

# Params that hold a code, shown as its label.
_LABELS: dict[str, Any] = {"status": Status}


def sentence(event: str, params: Mapping[str, Any]) -> str | None:
    """The post's sentence in the active language, or None when `event` and `params` name no
    sentence (a post stored before params were: show its text)."""
    template = SENTENCES.get((event, str(params.get("form", ""))))
    if template is None:
        return None
    values = {}
    for key, value in params.items():
        labels = _LABELS.get(key)
        values[key] = labels(value).label if labels and value in labels.values else value
    try:
        return str(template) % values
    except (KeyError, TypeError, ValueError):
        return None


def english(event: str, params: Mapping[str, Any]) -> str:
    """The sentence in English, as stored in the post's `text`."""
    with translation.override("en"):
        text = sentence(event, params)
    if text is None:
        raise ValueError(f"no sentence for the post {event!r} with {dict(params)!r}")
    return text
