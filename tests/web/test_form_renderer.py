"""The case page's form renderer writes the same markup as Django's form templates."""

from __future__ import annotations

from typing import Any

import pytest
from django import forms
from django.forms.renderers import DjangoTemplates
from django.utils.safestring import mark_safe

from casedesk.web.forms.actions import MultipleFileField, MultipleFileInput
from casedesk.web.forms.base import WebForm
from casedesk.web.forms.renderer import FAST_RENDERER


class Sample(WebForm):
    title = forms.CharField(max_length=20, help_text="Short <b>title</b>")
    count = forms.IntegerField(required=False, widget=forms.NumberInput(attrs={"min": 0}))
    version = forms.IntegerField(widget=forms.HiddenInput)
    mail = forms.EmailField(required=False)
    text = forms.CharField(widget=forms.Textarea(attrs={"rows": 3, "data-x": True}))
    kind = forms.ChoiceField(choices=[("", "—"), ("a", "A & <b>"), ("b", 'B "quoted"')])
    owner = forms.ChoiceField(
        choices=[("Users", [("u:1", "Ann"), ("u:2", "Bob")]), ("Teams", [("t:1", "Ops")])]
    )
    many = forms.MultipleChoiceField(choices=[(1, "One"), (2, "Two")], required=False)
    pick = forms.ChoiceField(choices=[("x", "X"), ("y", "Y")], widget=forms.RadioSelect)
    flag = forms.BooleanField(required=False)
    when = forms.DateField(required=False, widget=forms.DateInput(attrs={"type": "date"}))
    upload = forms.FileField(required=False)
    files = MultipleFileField(required=False, widget=MultipleFileInput(attrs={"data-y": "1"}))


def _rendered(form: forms.Form) -> list[str]:
    out = [str(form[name].as_field_group()) for name in form.fields]
    out += [str(form[name]) for name in form.fields]
    return out


@pytest.mark.parametrize(
    "data",
    [
        None,
        {},
        {
            "title": 'A <script> & "x"',
            "count": "-3",
            "version": "7",
            "mail": "not mail",
            "text": "line one\n<b>two</b>",
            "kind": "a",
            "owner": "t:1",
            "many": ["1", "2"],
            "pick": "y",
            "flag": "on",
            "when": "2026-12-07",
        },
    ],
)
def test_fields_render_as_with_django_templates(data: Any) -> None:
    def make() -> forms.Form:
        form = Sample(data, initial={"title": mark_safe("<i>safe</i>"), "kind": "b"})
        form.fields["title"].disabled = data == {}
        return form

    django_form = make()
    django_form.renderer = DjangoTemplates()
    fast_form = make()
    fast_form.renderer = FAST_RENDERER
    assert _rendered(fast_form) == _rendered(django_form)


def test_every_form_uses_the_fast_renderer() -> None:
    from django.forms.renderers import get_default_renderer

    from casedesk.web.forms.renderer import FastFormRenderer

    assert isinstance(get_default_renderer(), FastFormRenderer)
    assert isinstance(Sample().renderer, FastFormRenderer)
