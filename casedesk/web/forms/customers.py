from __future__ import annotations

import uuid
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from casedesk.core.types import Email, Name, PersonName, Phone
from casedesk.web.fields import TypedCharField
from casedesk.web.forms.base import WebForm


class AccountForm(WebForm):
    name = TypedCharField(type_=Name, label=_("Account name"), max_length=200)
    email = TypedCharField(type_=Email, label=_("E-mail"), required=False, max_length=254)
    phone = TypedCharField(type_=Phone, label=_("Phone"), required=False, max_length=50)


class ContactFields(WebForm):
    """A contact's own fields; its forms add the account."""

    first_name = TypedCharField(
        type_=PersonName, label=_("First name"), required=False, max_length=100
    )
    last_name = TypedCharField(type_=PersonName, label=_("Last name"), max_length=100)
    email = TypedCharField(type_=Email, label=_("E-mail"), required=False, max_length=254)
    phone = TypedCharField(type_=Phone, label=_("Phone"), required=False, max_length=50)


class ContactForm(ContactFields):
    """Inline creation from the case form: the account, when given, is the chosen customer."""

    account_id = forms.UUIDField(required=False, widget=forms.HiddenInput)

    def clean_account_id(self) -> uuid.UUID | None:
        value: uuid.UUID | None = self.cleaned_data.get("account_id")
        return value


class ContactPageForm(ContactFields):
    """The contact page's form: its parent account chosen with the account picker, or none."""

    account_name = forms.CharField(label=_("Account"), required=False, max_length=200)
    account_id = forms.UUIDField(required=False, widget=forms.HiddenInput)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if (data.get("account_name") or "").strip() and not data.get("account_id"):
            self.add_error(
                "account_name",
                _("Choose the account among those found, or leave the field empty for none."),
            )
        return data

    def values(self) -> dict[str, Any]:
        """The contact's fields as the services take them."""
        return {k: v for k, v in self.cleaned_data.items() if k != "account_name"}
