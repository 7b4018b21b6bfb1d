"""Routing rules as plain Python: which conditions are valid, and whether a case matches.

No database and no Django models: a case is given as a mapping of field name to value (the
case record's scalar fields under their API names, plus `customer.type`, `customer.id`,
`customer.name` and `owner.type`, `owner.id`, `owner.name`), built by the routing service.

A condition is `{"field", "op", "value"}`; an item's conditions all must hold; the first item
whose conditions hold routes the case.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from casedesk.cases import fields as case_fields
from casedesk.core.text import fold

OPERATORS = ("eq", "ne", "in", "contains", "is_null")
MAX_TEXT = 200
MAX_IN_VALUES = 100


@dataclass(frozen=True)
class FieldSpec:
    """What a field holds: `text`, `choice`, `uuid`, `int`, `bool` or `datetime`."""

    kind: str
    nullable: bool = False
    choices: tuple[str, ...] = ()

    @property
    def operators(self) -> tuple[str, ...]:
        return case_fields.OPERATORS_BY_KIND[self.kind]


def _specs() -> dict[str, FieldSpec]:
    """The case's `matchable` fields (casedesk/cases/fields.py), a reference as its type, id
    and name after the others."""
    declared = [f for f in case_fields.FIELDS_IN_ORDER if f.matchable]
    specs = {
        f.name: FieldSpec(f.kind, nullable=f.nullable, choices=f.values)
        for f in declared
        if f.kind != case_fields.REF
    }
    for f in declared:
        if f.kind == case_fields.REF:
            specs[f"{f.name}.type"] = FieldSpec("choice", choices=f.ref_types)
            specs[f"{f.name}.id"] = FieldSpec("uuid")
            specs[f"{f.name}.name"] = FieldSpec("text")
    return specs


FIELDS: dict[str, FieldSpec] = _specs()

INT_MIN, INT_MAX = -(2**31), 2**31 - 1


class ConditionInvalid(ValueError):
    """A condition that cannot be saved; `errors` maps `field`/`op`/`value` to a message."""

    def __init__(self, errors: dict[str, str]) -> None:
        self.errors = errors
        super().__init__("; ".join(f"{k}: {v}" for k, v in errors.items()))


def _clean_text(value: Any) -> str:
    if not isinstance(value, str):
        raise ValueError("must be a string")
    if "\x00" in value:
        raise ValueError("must not contain NUL characters")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise ValueError("must be valid Unicode text") from exc
    if len(value) > MAX_TEXT:
        raise ValueError(f"must be at most {MAX_TEXT} characters")
    return value


def _scalar(spec: FieldSpec, value: Any) -> Any:
    """One comparison value of the field's kind, in its canonical form; ValueError if not."""
    if value is None:
        raise ValueError("must not be null (use the is_null operator)")
    if spec.kind == "text":
        return _clean_text(value)
    if spec.kind == "choice":
        if not isinstance(value, str) or value not in spec.choices:
            raise ValueError(f"must be one of {', '.join(spec.choices)}")
        return value
    if spec.kind == "uuid":
        if not isinstance(value, str):
            raise ValueError("must be a UUID string")
        try:
            return str(uuid.UUID(value))
        except ValueError as exc:
            raise ValueError("must be a UUID string") from exc
    if spec.kind == "int":
        if isinstance(value, bool) or not isinstance(value, int):
            raise ValueError("must be an integer")
        if not INT_MIN <= value <= INT_MAX:
            raise ValueError("is out of range")
        return value
    if spec.kind == "bool":
        if not isinstance(value, bool):
            raise ValueError("must be true or false")
        return value
    raise ValueError("cannot be compared")


def condition_clean(raw: Any) -> dict[str, Any]:
    """The condition in canonical form (`{"field", "op", "value"}`), or ConditionInvalid.

    `is_null` takes `true` (the default) or `false`; `in` a non-empty list of at most 100
    values; `contains` a non-empty text for text fields; the others one value of the field's
    kind.
    """
    if not isinstance(raw, Mapping):
        raise ConditionInvalid({"condition": "must be an object with field, op and value"})
    unknown = sorted(str(k) for k in set(raw) - {"field", "op", "value"})
    if unknown:
        raise ConditionInvalid({name: "is not a condition key" for name in unknown})
    field, op = raw.get("field"), raw.get("op")
    spec = FIELDS.get(field) if isinstance(field, str) else None
    if spec is None:
        raise ConditionInvalid({"field": f"unknown field {field!r}"[: MAX_TEXT + 20]})
    if not isinstance(op, str) or op not in OPERATORS:
        raise ConditionInvalid({"op": f"must be one of {', '.join(OPERATORS)}"})
    if op not in spec.operators:
        raise ConditionInvalid({"op": f"{op} does not apply to {field}"})
    value = raw.get("value")
    try:
        if op == "is_null":
            if value is None:
                value = True
            if not isinstance(value, bool):
                raise ValueError("must be true or false")
        elif op == "in":
            if not isinstance(value, list) or not value:
                raise ValueError("must be a non-empty list")
            if len(value) > MAX_IN_VALUES:
                raise ValueError(f"must have at most {MAX_IN_VALUES} values")
            value = [_scalar(spec, v) for v in value]
        elif op == "contains":
            value = _clean_text(value)
            if not fold(value):
                raise ValueError("must not be blank")
        else:
            value = _scalar(spec, value)
    except ValueError as exc:
        raise ConditionInvalid({"value": str(exc)}) from exc
    return {"field": field, "op": op, "value": value}


def _normal(spec: FieldSpec, value: Any) -> Any:
    if value is None:
        return None
    if spec.kind == "uuid":
        return str(value).lower()
    return value


def condition_holds(condition: Mapping[str, Any], values: Mapping[str, Any]) -> bool:
    """Whether one clean condition holds for the case `values`. A missing field is null."""
    field, op, expected = condition["field"], condition["op"], condition["value"]
    spec = FIELDS[field]
    actual = _normal(spec, values.get(field))
    if op == "is_null":
        return (actual is None) is bool(expected)
    if op == "eq":
        return actual is not None and actual == _normal(spec, expected)
    if op == "ne":
        return actual is None or actual != _normal(spec, expected)
    if op == "in":
        return actual is not None and actual in [_normal(spec, v) for v in expected]
    if op == "contains":
        return actual is not None and fold(str(expected)) in fold(str(actual))
    raise ValueError(f"unknown operator {op!r}")


def conditions_hold(conditions: Sequence[Mapping[str, Any]], values: Mapping[str, Any]) -> bool:
    """All of them (an item without conditions matches every case)."""
    return all(condition_holds(c, values) for c in conditions)


def first_match(
    items: Sequence[Sequence[Mapping[str, Any]]], values: Mapping[str, Any]
) -> int | None:
    """The index of the first item (given as its conditions) that matches, or None."""
    for index, conditions in enumerate(items):
        if conditions_hold(conditions, values):
            return index
    return None
