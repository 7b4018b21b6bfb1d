"""The form of a webhook (administration pages)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from casedesk.core.types import Text
from casedesk.events.choices import ALL_EVENTS, EventType
from casedesk.web.fields import TypedCharField
from casedesk.web.forms.base import WebForm

Url = Text(2000, min_length=1)
Secret = Text(200, strip=False)


class WebhookForm(WebForm):
    url = TypedCharField(type_=Url, label=_("URL"), max_length=2000)
    all_events = forms.BooleanField(label=_("Every event"), required=False, initial=True)
    events = forms.MultipleChoiceField(
        label=_("Events"),
        required=False,
        choices=EventType.choices,
        widget=forms.CheckboxSelectMultiple,
    )
    secret = TypedCharField(
        type_=Secret,
        label=_("Secret"),
        max_length=200,
        required=False,
        strip=False,
        widget=forms.PasswordInput(render_value=False),
        help_text=_(
            "Signs every delivery (at least 16 characters). It is never shown again; "
            "leave it empty to keep the current one."
        ),
    )
    active = forms.BooleanField(label=_("Active"), required=False, initial=True)

    def __init__(self, *args: Any, creating: bool, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.creating = creating
        if creating:
            self.fields["secret"].required = True
            self.fields["secret"].help_text = _(
                "Signs every delivery (at least 16 characters). It is never shown again."
            )

    def values(self) -> dict[str, Any]:
        data = self.cleaned_data
        values: dict[str, Any] = {
            "url": data["url"],
            "events": [ALL_EVENTS] if data["all_events"] else list(data["events"]),
            "active": bool(data["active"]),
        }
        if data.get("secret"):
            values["secret"] = data["secret"]
        return values
