"""A routing condition's field and operator as people read them, for every editor that takes
conditions (routing rule sets, SLA items): the case field's label in the user's language, never
its internal name (`merged_into_id`, `customer.type`, `eq`)."""

from __future__ import annotations

import re
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


# The editors' limits (docs/routing.md, docs/service-levels.md): "Add condition" and "Add
# rule" stop there. An item saved through the API may hold more (up to the services' limits):
# the editor shows them all, and never makes more rows than `ROWS_AT_MOST`, whatever is posted.
CONDITIONS_AT_MOST = 20
ITEMS_AT_MOST = 100
ROWS_AT_MOST = 50


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
    """A stored item's conditions as the editor's rows (`c0_field`, `c0_op`, `c0_value`, ...,
    and their number, `rows`): a list as comma-separated values, a flag as true or false."""
    initial: dict[str, Any] = {"rows": min(len(conditions), ROWS_AT_MOST)}
    for i, condition in enumerate(conditions[:ROWS_AT_MOST]):
        value = condition.get("value")
        if isinstance(value, list):
            value = ", ".join(str(v) for v in value)
        if isinstance(value, bool):
            value = "true" if value else "false"
        initial[f"c{i}_field"] = condition.get("field")
        initial[f"c{i}_op"] = condition.get("op")
        initial[f"c{i}_value"] = "" if value is None else value
    return initial


def posted_rows(data: Mapping[str, Any], prefix: str) -> int:
    """The condition rows a form posted without saying how many (`rows`): up to the last
    row that has a value."""
    pattern = re.compile(re.escape(prefix) + r"c(\d+)_(?:field|op|value)$")
    found = [int(m.group(1)) for key in data if (m := pattern.match(key))]
    return min(max(found) + 1, ROWS_AT_MOST) if found else 0


class ConditionRows:
    """The condition rows of an editor's item form (a Django form that mixes this in): as many
    as the form says (its hidden `rows`), fields and operators by their labels, and the filled
    rows read back as conditions."""

    if TYPE_CHECKING:  # what the Django form this is mixed into provides
        fields: dict[str, forms.Field]
        cleaned_data: dict[str, Any]
        is_bound: bool
        data: Any
        initial: Any

        def __getitem__(self, name: str) -> forms.BoundField: ...

        def add_prefix(self, field_name: str) -> str: ...

    row_count = 1

    def _posted_rows(self) -> int:
        """The number of rows posted: `rows`, else (a client that does not send it) the rows
        that have a field."""
        raw = self.data.get(self.add_prefix("rows"))
        try:
            return int(raw)
        except (TypeError, ValueError):
            return posted_rows(self.data, self.add_prefix(""))

    def add_condition_fields(self) -> None:
        rows = self._posted_rows() if self.is_bound else self.initial.get("rows", 1)
        self.row_count = max(0, min(int(rows), ROWS_AT_MOST))
        self.fields["rows"] = forms.IntegerField(
            widget=forms.HiddenInput, required=False, initial=self.row_count
        )
        choices = [("", "—"), *condition_field_choices()]
        ops = [("", "—"), *[(op, str(OPERATOR_LABELS[op])) for op in matching.OPERATORS]]
        for i in range(self.row_count):
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
            for i in range(self.row_count)
        ]

    def conditions(self) -> list[tuple[int, dict[str, Any]]]:
        """The filled rows as conditions, each with its row: `is_null` takes true unless told
        false, `in` comma-separated values, the others one value of the field's kind."""
        data = self.cleaned_data
        found: list[tuple[int, dict[str, Any]]] = []
        for i in range(self.row_count):
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
