"""A routing condition's field and operator as people read them, for every editor that takes
conditions (routing rule sets, SLA items): the case field's label in the user's language, never
its internal name (`merged_into_id`, `customer.type`, `eq`)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from django import forms
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


# The condition rows an editor shows for each rule or SLA item (all must hold).
CONDITIONS_PER_ITEM = 3


def _convert(kind: str, raw: str) -> Any:
    """A typed value of the field's kind; a wrong one is passed on for the service to refuse."""
    text = raw.strip()
    if kind == "int":
        try:
            return int(text)
        except ValueError:
            return text
    if kind == "bool":
        return text.lower() in {"1", "true", "yes", "sì", "si"}
    return text


def conditions_initial(conditions: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    """A stored item's conditions as the editor's rows (`c0_field`, `c0_op`, `c0_value`, ...):
    a list as comma-separated values, a flag as true or false."""
    initial: dict[str, Any] = {}
    for i, condition in enumerate(conditions[:CONDITIONS_PER_ITEM]):
        value = condition.get("value")
        if isinstance(value, list):
            value = ", ".join(str(v) for v in value)
        if isinstance(value, bool):
            value = "true" if value else "false"
        initial[f"c{i}_field"] = condition.get("field")
        initial[f"c{i}_op"] = condition.get("op")
        initial[f"c{i}_value"] = "" if value is None else value
    return initial


class ConditionRows:
    """The condition rows of an editor's item form (a Django form that mixes this in): fields
    and operators by their labels, and the filled rows read back as conditions."""

    if TYPE_CHECKING:  # what the Django form this is mixed into provides
        fields: dict[str, forms.Field]
        cleaned_data: dict[str, Any]

        def __getitem__(self, name: str) -> forms.BoundField: ...

    def add_condition_fields(self) -> None:
        choices = [("", "—"), *condition_field_choices()]
        ops = [("", "—"), *[(op, str(OPERATOR_LABELS[op])) for op in matching.OPERATORS]]
        for i in range(CONDITIONS_PER_ITEM):
            self.fields[f"c{i}_field"] = forms.ChoiceField(
                label=_("Field"), choices=choices, required=False
            )
            self.fields[f"c{i}_op"] = forms.ChoiceField(
                label=_("Operator"), choices=ops, required=False
            )
            self.fields[f"c{i}_value"] = forms.CharField(
                label=_("Value"), required=False, max_length=2000
            )

    def condition_rows(self) -> list[tuple[Any, Any, Any]]:
        return [
            (self[f"c{i}_field"], self[f"c{i}_op"], self[f"c{i}_value"])
            for i in range(CONDITIONS_PER_ITEM)
        ]

    def conditions(self) -> list[tuple[int, dict[str, Any]]]:
        """The filled rows as conditions, each with its row: `is_null` takes true unless told
        false, `in` comma-separated values, the others one value of the field's kind."""
        data = self.cleaned_data
        found: list[tuple[int, dict[str, Any]]] = []
        for i in range(CONDITIONS_PER_ITEM):
            field, op, raw = data.get(f"c{i}_field"), data.get(f"c{i}_op"), data.get(f"c{i}_value")
            if not field or not op:
                continue
            spec = matching.FIELDS.get(field)
            kind = spec.kind if spec else "text"
            if op == "is_null":
                value: Any = _convert("bool", raw or "true")
            elif op == "in":
                value = [_convert(kind, part) for part in (raw or "").split(",") if part.strip()]
            else:
                value = _convert(kind, raw or "")
            found.append((i, {"field": field, "op": op, "value": value}))
        return found
