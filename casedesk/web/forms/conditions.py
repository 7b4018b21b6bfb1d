"""A routing condition's field and operator as people read them, for every editor that takes
conditions (routing rule sets, SLA items): the case field's label in the user's language, never
its internal name (`merged_into_id`, `customer.type`, `eq`)."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from django_stubs_ext import StrPromise

from casedesk.cases import fields as case_fields
from casedesk.routing import matching

OPERATOR_LABELS: dict[str, StrPromise] = {
    "eq": _("is"),
    "ne": _("is not"),
    "in": _("is one of"),
    "contains": _("contains"),
    "is_null": _("is empty"),
}
_REF_PART_LABELS: dict[str, StrPromise] = {
    "type": _("type"),
    "id": _("ID"),
    "name": _("name"),
}


def condition_field_choices() -> list[tuple[str, str]]:
    """The fields a condition may read, by their labels in the user's language."""
    labels = {f.name: f.label for f in case_fields.FIELDS_IN_ORDER}
    out: list[tuple[str, str]] = []
    for name in matching.FIELDS:
        base, _dot, part = name.partition(".")
        if part:
            out.append((name, f"{labels.get(base, base)} ({_REF_PART_LABELS.get(part, part)})"))
        else:
            out.append((name, str(labels.get(name, name))))
    return out
