from __future__ import annotations

from typing import Any

from django import forms


class WebForm(forms.Form):
    """A form of the web UI: labels without a trailing colon; required ones marked by CSS."""

    required_css_class = "required"

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)


def set_choices(field: forms.Field, choices: Any) -> None:
    """Give a choice field its options (known only when the form is made)."""
    assert isinstance(field, forms.ChoiceField)
    field.choices = choices
