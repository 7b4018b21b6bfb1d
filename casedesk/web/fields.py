"""Form fields that validate with the named input types of casedesk.core.types.

The web forms refuse exactly what the API's schemas refuse (length, NUL characters, ranges),
so both interfaces hand the services the same values.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _
from pydantic import TypeAdapter
from pydantic import ValidationError as PydanticValidationError


def _message(error: Mapping[str, Any]) -> str:
    kind = error.get("type", "")
    ctx = error.get("ctx") or {}
    if kind == "string_too_long":
        return str(_("Use at most %(n)s characters.") % {"n": ctx.get("max_length")})
    if kind == "string_too_short":
        return str(_("This field is required."))
    if kind in {"greater_than_equal", "greater_than"}:
        return str(_("Enter a number of at least %(n)s.") % {"n": ctx.get("ge", ctx.get("gt"))})
    if kind in {"less_than_equal", "less_than"}:
        return str(_("Enter a number of at most %(n)s.") % {"n": ctx.get("le", ctx.get("lt"))})
    if kind in {"int_parsing", "int_type", "int_from_float"}:
        return str(_("Enter a whole number."))
    return str(_("Enter a valid value."))


class TypedCharField(forms.CharField):
    """A text field checked by one of the named types (`Title`, `Name`, `LongText`, ...)."""

    def __init__(self, *, type_: Any, **kwargs: Any) -> None:
        self.adapter: TypeAdapter[Any] = TypeAdapter(type_)
        kwargs.setdefault("strip", True)
        super().__init__(**kwargs)

    def clean(self, value: Any) -> Any:
        value = super().clean(value)
        if value in self.empty_values and not self.required:
            return value
        try:
            return self.adapter.validate_python(value)
        except PydanticValidationError as exc:
            raise forms.ValidationError(_message(exc.errors()[0])) from exc


class TypedIntegerField(forms.IntegerField):
    """A whole number checked by a named type (`Minutes`, `Count`, ...)."""

    def __init__(self, *, type_: Any, **kwargs: Any) -> None:
        self.adapter: TypeAdapter[Any] = TypeAdapter(type_)
        super().__init__(**kwargs)

    def clean(self, value: Any) -> Any:
        value = super().clean(value)
        if value is None:
            return value
        try:
            return self.adapter.validate_python(value)
        except PydanticValidationError as exc:
            raise forms.ValidationError(_message(exc.errors()[0])) from exc
