"""The routing rules as pure functions: condition validation and matching (no database)."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from casedesk.routing import matching
from casedesk.routing.matching import (
    FIELDS,
    ConditionInvalid,
    condition_clean,
    condition_holds,
    conditions_hold,
    first_match,
)

CUSTOMER = str(uuid.uuid4())
CASE: dict[str, Any] = {
    "title": "Connessione fibra assente a Città di Castello",
    "description": "",
    "priority": "high",
    "origin": "email",
    "case_type": None,
    "subject_id": None,
    "number": 1042,
    "decrement_entitlement_terms": True,
    "customer.type": "account",
    "customer.id": CUSTOMER,
    "customer.name": "Acme Srl",
}


def cond(field: str, op: str, value: Any = None) -> dict[str, Any]:
    return condition_clean({"field": field, "op": op, "value": value})


def test_eq_holds_when_the_value_is_equal() -> None:
    assert condition_holds(cond("priority", "eq", "high"), CASE)
    assert not condition_holds(cond("priority", "eq", "low"), CASE)


def test_ne_holds_when_the_field_is_null_or_different() -> None:
    assert condition_holds(cond("case_type", "ne", "problem"), CASE)
    assert condition_holds(cond("priority", "ne", "low"), CASE)
    assert not condition_holds(cond("priority", "ne", "high"), CASE)


def test_in_holds_when_the_value_is_listed() -> None:
    assert condition_holds(cond("origin", "in", ["web", "email"]), CASE)
    assert not condition_holds(cond("origin", "in", ["phone"]), CASE)
    assert not condition_holds(cond("case_type", "in", ["problem", "question"]), CASE)


def test_contains_ignores_case_and_accents_when_matching_text() -> None:
    assert condition_holds(cond("title", "contains", "CITTA di"), CASE)
    assert condition_holds(cond("customer.name", "contains", "acme"), CASE)
    assert not condition_holds(cond("title", "contains", "rame"), CASE)


def test_is_null_checks_presence_when_given_true_or_false() -> None:
    assert condition_holds(cond("subject_id", "is_null", True), CASE)
    assert condition_holds(cond("subject_id", "is_null"), CASE)  # true by default
    assert not condition_holds(cond("subject_id", "is_null", False), CASE)
    assert condition_holds(cond("customer.id", "is_null", False), CASE)


def test_uuid_values_compare_in_canonical_form_when_written_in_capitals() -> None:
    assert condition_holds(cond("customer.id", "eq", CUSTOMER.upper()), CASE)
    assert cond("customer.id", "eq", CUSTOMER.upper())["value"] == CUSTOMER


def test_integers_and_booleans_compare_by_value_when_typed_correctly() -> None:
    assert condition_holds(cond("number", "in", [1041, 1042]), CASE)
    assert condition_holds(cond("decrement_entitlement_terms", "eq", True), CASE)


def test_all_conditions_must_hold_when_an_item_has_several() -> None:
    both = [cond("priority", "eq", "high"), cond("origin", "eq", "email")]
    one = [cond("priority", "eq", "high"), cond("origin", "eq", "phone")]
    assert conditions_hold(both, CASE)
    assert not conditions_hold(one, CASE)
    assert conditions_hold([], CASE)


def test_first_matching_item_wins_when_several_match() -> None:
    items = [
        [cond("priority", "eq", "low")],
        [cond("origin", "eq", "email")],
        [],
    ]
    assert first_match(items, CASE) == 1
    assert first_match(items[:1], CASE) is None


@pytest.mark.parametrize(
    ("raw", "key"),
    [
        ({"field": "colour", "op": "eq", "value": "red"}, "field"),
        ({"field": "priority", "op": "like", "value": "high"}, "op"),
        ({"field": "priority", "op": "eq", "value": "urgent"}, "value"),
        ({"field": "priority", "op": "eq", "value": None}, "value"),
        ({"field": "priority", "op": "contains", "value": "hi"}, "op"),
        ({"field": "number", "op": "eq", "value": "12"}, "value"),
        ({"field": "number", "op": "eq", "value": True}, "value"),
        ({"field": "number", "op": "eq", "value": 2**40}, "value"),
        ({"field": "subject_id", "op": "eq", "value": "not-a-uuid"}, "value"),
        ({"field": "origin", "op": "in", "value": []}, "value"),
        ({"field": "origin", "op": "in", "value": "email"}, "value"),
        ({"field": "origin", "op": "in", "value": ["email", "fax"]}, "value"),
        ({"field": "title", "op": "contains", "value": "  "}, "value"),
        ({"field": "title", "op": "eq", "value": "a\x00b"}, "value"),
        ({"field": "title", "op": "eq", "value": "\ud800"}, "value"),
        ({"field": "title", "op": "eq", "value": "x" * 201}, "value"),
        ({"field": "subject_id", "op": "is_null", "value": "yes"}, "value"),
        ({"field": "created_at", "op": "eq", "value": "2026-01-01"}, "op"),
        ({"field": "decrement_entitlement_terms", "op": "eq", "value": 1}, "value"),
        ({"field": "priority", "op": "eq", "value": "high", "extra": 1}, "extra"),
    ],
)
def test_condition_is_refused_naming_the_bad_part_when_invalid(raw: Any, key: str) -> None:
    with pytest.raises(ConditionInvalid) as caught:
        condition_clean(raw)
    assert key in caught.value.errors


def test_condition_is_refused_when_not_an_object() -> None:
    with pytest.raises(ConditionInvalid):
        condition_clean(["priority", "eq", "high"])


# --- properties -----------------------------------------------------------------------------

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=30) | st.floats(),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=5), inner),
    max_leaves=8,
)
fields = st.sampled_from(sorted(FIELDS)) | st.text(max_size=20)
ops = st.sampled_from(matching.OPERATORS) | st.text(max_size=10)


def _value_for(spec: matching.FieldSpec) -> st.SearchStrategy[Any]:
    if spec.kind == "choice":
        return st.sampled_from(spec.choices)
    if spec.kind == "uuid":
        return st.uuids().map(str)
    if spec.kind == "int":
        return st.integers(min_value=-(2**31), max_value=2**31 - 1)
    if spec.kind == "bool":
        return st.booleans()
    return st.text(
        st.characters(exclude_categories=("Cs",), exclude_characters="\x00"), max_size=40
    )


@given(field=fields, op=ops, value=json_values)
def test_validation_either_refuses_or_yields_a_condition_that_evaluates(
    field: Any, op: Any, value: Any
) -> None:
    """Whatever JSON is given, validation refuses it (naming field, op or value) or yields a
    canonical condition that evaluates without error, and cleaning is idempotent."""
    try:
        clean = condition_clean({"field": field, "op": op, "value": value})
    except ConditionInvalid as exc:
        assert set(exc.errors) <= {"field", "op", "value", "condition"}
        return
    assert condition_clean(clean) == clean
    assert isinstance(condition_holds(clean, CASE), bool)
    assert isinstance(condition_holds(clean, {}), bool)


@st.composite
def field_and_values(draw: st.DrawFn) -> tuple[str, Any, Any]:
    name = draw(st.sampled_from([n for n, s in FIELDS.items() if s.kind != "datetime"]))
    spec = FIELDS[name]
    actual = draw(st.none() | _value_for(spec)) if spec.nullable else draw(_value_for(spec))
    expected = draw(_value_for(spec))
    return name, actual, expected


@given(data=field_and_values())
def test_eq_and_ne_are_opposites_and_in_agrees_with_eq_for_any_value(
    data: tuple[str, Any, Any],
) -> None:
    name, actual, expected = data
    values = {name: actual}
    eq = condition_clean({"field": name, "op": "eq", "value": expected})
    ne = condition_clean({"field": name, "op": "ne", "value": expected})
    assert condition_holds(eq, values) != condition_holds(ne, values)
    if "in" in FIELDS[name].operators:
        in_ = condition_clean({"field": name, "op": "in", "value": [expected]})
        assert condition_holds(in_, values) == condition_holds(eq, values)
    is_null = condition_clean({"field": name, "op": "is_null", "value": True})
    assert condition_holds(is_null, values) == (actual is None)
