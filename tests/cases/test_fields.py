"""The case's fields are declared once, in casedesk/cases/fields.py (docs/cases.md, "Adding a
field to a case"): every column of the case is declared there or named internal, and every
place that lists the case's fields says what the registry derives."""

from __future__ import annotations

import uuid
from typing import Any

import pydantic
import pytest

from casedesk.api.routers.cases import (
    ALLOWED_ACTIONS_HELP,
    CaseIn,
    CaseOut,
    CasePatch,
    case_out,
)
from casedesk.cases import actions, fields, selectors
from casedesk.cases.fields import FIELDS, FIELDS_IN_ORDER, CaseChanges, Ref
from casedesk.cases.models import Case
from casedesk.cases.selectors import CASE_ROW_FIELDS
from casedesk.cases.services import records
from casedesk.cases.services.common import case_snapshot
from casedesk.cases.services.import_rows import CaseImportRow
from casedesk.routing import matching
from casedesk.routing.services.routing import case_values
from casedesk.web.forms.cases import API_NAMES, CaseEditForm, StageForm


@pytest.fixture
def case(new_case: Any) -> Case:
    return selectors.case_get(case_id=uuid.UUID(new_case()["id"]))


def _names(predicate: Any) -> list[str]:
    return [f.name for f in FIELDS_IN_ORDER if predicate(f)]


def test_every_column_of_the_case_is_a_declared_field_or_internal_when_the_model_is_read() -> None:
    columns = {f.name for f in Case._meta.concrete_fields}
    declared = {column for f in FIELDS_IN_ORDER for column in fields.model_columns(f)}

    assert columns == declared | fields.INTERNAL
    assert not declared & fields.INTERNAL


def test_declared_fields_agree_with_their_columns_when_nullable_or_a_choice() -> None:
    for field in FIELDS_IN_ORDER:
        if field.kind == fields.REF:  # exactly one of its two columns: checked by a constraint
            assert all(Case._meta.get_field(c).null for c in field.columns), field.name
            continue
        for column in fields.model_columns(field):
            model_field = Case._meta.get_field(column)
            assert model_field.null == field.nullable, field.name
            if field.kind == fields.CHOICE:
                assert tuple(value for value, _label in model_field.choices) == field.values


def test_api_case_answer_lists_every_field_in_the_registry_order_when_built() -> None:
    assert list(CaseOut.model_fields) == [f.name for f in FIELDS_IN_ORDER]
    nullable = {name for name, info in CaseOut.model_fields.items() if not info.is_required()}
    assert nullable == set()  # every field is always in the answer, null or not
    for name, info in CaseOut.model_fields.items():
        assert (type(None) in getattr(info.annotation, "__args__", ())) == FIELDS[name].nullable


def test_api_patch_and_create_bodies_take_the_fields_the_registry_lets_them_when_built() -> None:
    assert list(CasePatch.model_fields) == list(fields.WRITABLE)
    # Creation also takes `route`, an option of the request rather than a field of the case.
    assert set(CaseIn.model_fields) == set(_names(lambda f: f.create)) | {"route"}


def test_update_service_patch_takes_the_writable_fields_when_built() -> None:
    assert list(CaseChanges.model_fields) == list(fields.WRITABLE)
    assert tuple(_names(lambda f: f.update)) == fields.WRITABLE
    assert set(_names(lambda f: f.correct)) == actions.CLOSED_CORRECTABLE
    assert set(fields.WRITABLE) >= actions.CLOSED_CORRECTABLE


def test_api_help_of_allowed_actions_names_every_correctable_field_when_documented() -> None:
    correct = ALLOWED_ACTIONS_HELP.split("`correct` is PATCH of ", 1)[1].split(" (", 1)[0]

    assert set(correct.replace(" and ", ", ").split(", ")) == actions.CLOSED_CORRECTABLE


def test_update_service_applies_every_writable_field_when_given() -> None:
    # A field with no rule of its own is set as given, once its value is checked.
    assert set(fields.WRITABLE) >= records._OWN_RULES
    assert set(fields.WRITABLE) - records._OWN_RULES == records._PLAIN


def test_patch_tells_a_field_not_given_from_one_cleared_when_built() -> None:
    cleared = CaseChanges(case_type=None)
    untouched = CaseChanges()

    assert cleared.given() == {"case_type": None}
    assert untouched.given() == {}
    assert bool(cleared) and not untouched


def test_patch_refuses_a_field_that_is_not_writable_when_built() -> None:
    with pytest.raises(pydantic.ValidationError):
        CaseChanges(owner=Ref("user", uuid.uuid4()))
    with pytest.raises(pydantic.ValidationError):
        CaseChanges(state="resolved")


def test_audit_snapshot_holds_the_audited_fields_when_taken(case: Case) -> None:
    assert list(case_snapshot(case)) == [f.name for f in fields.AUDITED]


def test_routing_matches_the_matchable_fields_when_the_rules_are_built() -> None:
    expected = _names(lambda f: f.matchable and f.kind != fields.REF)
    for f in FIELDS_IN_ORDER:
        if f.matchable and f.kind == fields.REF:
            expected += [f"{f.name}.type", f"{f.name}.id", f"{f.name}.name"]

    assert list(matching.FIELDS) == expected
    for name in expected:
        if name in FIELDS:
            spec, field = matching.FIELDS[name], FIELDS[name]
            assert (spec.kind, spec.nullable, spec.choices) == (
                field.kind,
                field.nullable,
                field.values,
            )
            assert spec.operators == field.operators


def test_routing_reads_every_matchable_field_of_a_case_when_it_decides(case: Case) -> None:
    assert set(case_values(case, queue_id=None)) == set(matching.FIELDS)


def test_import_columns_are_the_imported_fields_when_declared() -> None:
    # `resolution` becomes the resolution activity, not a field of the case.
    assert set(CaseImportRow.model_fields) - {"resolution"} == set(fields.IMPORT_COLUMNS)


def test_case_rows_read_every_column_field_when_listed() -> None:
    for field in FIELDS_IN_ORDER:
        if field.kind == fields.REF:
            assert {f"{c}_id" for c in field.columns} <= set(CASE_ROW_FIELDS)
        elif field.attribute is None:
            assert f"current_{field.name}" in CASE_ROW_FIELDS
        else:
            assert field.attribute in CASE_ROW_FIELDS


def test_case_answer_holds_every_field_in_the_registry_order_when_written(case: Case) -> None:
    assert list(case_out(case, None)) == [f.name for f in FIELDS_IN_ORDER]


def test_case_form_names_the_fields_that_have_a_form_name_when_built() -> None:
    form_fields = {**CaseEditForm.base_fields, **StageForm.base_fields}

    assert {f.form: f.name for f in FIELDS_IN_ORDER if f.form} == API_NAMES
    for form_name, api_name in API_NAMES.items():
        assert form_name in form_fields, form_name
        if form_name in CaseEditForm.base_fields:
            assert form_fields[form_name].label == FIELDS[api_name].label
