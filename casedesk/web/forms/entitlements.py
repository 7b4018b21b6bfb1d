from __future__ import annotations

import uuid
from decimal import Decimal
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from casedesk.cases.choices import Origin
from casedesk.catalog import selectors as catalog
from casedesk.core.types import Name
from casedesk.entitlements.choices import AllocationType, DecreaseOn
from casedesk.entitlements.services.entitlements import ChannelTerms
from casedesk.sla import selectors as sla_selectors
from casedesk.web.fields import TypedCharField
from casedesk.web.forms.base import WebForm, set_choices
from casedesk.web.forms.cases import parse_customer


def terms_field(label: Any, *, required: bool = True) -> forms.DecimalField:
    """Terms: whole cases, or hours with at most two decimals."""
    return forms.DecimalField(
        label=label, required=required, max_digits=12, decimal_places=2, min_value=Decimal(0)
    )


class IdsField(forms.MultipleChoiceField):
    """Record ids whose options follow another field of the form (the customer): any id is
    taken, and the service checks that each names a record that fits."""

    def valid_value(self, value: Any) -> bool:
        try:
            uuid.UUID(str(value))
        except ValueError:
            return False
        return True


class EntitlementForm(WebForm):
    """A draft entitlement's terms (active ones take only "default")."""

    name = TypedCharField(type_=Name, label=_("Name"), max_length=200)
    customer = forms.CharField(label=_("Customer"), widget=forms.HiddenInput)
    start_date = forms.DateField(
        label=_("Start date"), widget=forms.DateInput(attrs={"type": "date"})
    )
    end_date = forms.DateField(label=_("End date"), widget=forms.DateInput(attrs={"type": "date"}))
    allocation_type = forms.ChoiceField(label=_("Allocation type"), choices=AllocationType.choices)
    total_terms = terms_field(_("Total terms"))
    decrease_on = forms.ChoiceField(
        label=_("Decrease remaining on"), choices=DecreaseOn.choices, initial=DecreaseOn.RESOLUTION
    )
    restrict_case_creation = forms.BooleanField(label=_("Restrict case creation"), required=False)
    is_default = forms.BooleanField(label=_("Default entitlement"), required=False)
    sla = forms.ChoiceField(
        label=_("SLA"),
        required=False,
        help_text=_("The SLA its cases are measured by; none: the default SLA."),
    )
    products = forms.MultipleChoiceField(label=_("Products"), required=False)
    contacts = IdsField(
        label=_("Contacts"),
        required=False,
        help_text=_("Choose none to cover the customer's cases whatever their contact."),
        widget=forms.SelectMultiple(attrs={"data-customer-contacts": ""}),
    )

    def __init__(
        self, *args: Any, contact_choices: list[tuple[str, str]] | None = None, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        set_choices(self.fields["contacts"], contact_choices or [])
        set_choices(
            self.fields["products"],
            [(str(p.pk), p.name) for p in catalog.product_list().order_by("name")],
        )
        set_choices(self.fields["sla"], [("", _("The default SLA")), *sla_selectors.sla_choices()])
        for origin in Origin:
            self.fields[f"terms_{origin.value}"] = terms_field(origin.label, required=False)

    def channel_fields(self) -> list[Any]:
        return [self[f"terms_{origin.value}"] for origin in Origin]

    def clean_customer(self) -> Any:
        ref = parse_customer(self.cleaned_data.get("customer") or "")
        if ref is None:
            raise forms.ValidationError(_("Choose a customer."))
        return ref

    def values(self) -> dict[str, Any]:
        """The entitlement's fields as the services take them."""
        data = self.cleaned_data
        channels = [
            ChannelTerms(channel=o.value, terms=data[f"terms_{o.value}"])
            for o in Origin
            if data.get(f"terms_{o.value}") is not None
        ]
        terms = data["total_terms"]
        return {
            "name": data["name"],
            "customer": data["customer"],
            "start_date": data["start_date"],
            "end_date": data["end_date"],
            "allocation_type": data["allocation_type"],
            "total_terms": int(terms) if terms == terms.to_integral_value() else terms,
            "decrease_on": data["decrease_on"],
            "restrict_case_creation": data["restrict_case_creation"],
            "is_default": data["is_default"],
            "sla_id": uuid.UUID(data["sla"]) if data.get("sla") else None,
            "contact_ids": [uuid.UUID(c) for c in data["contacts"]],
            "product_ids": [uuid.UUID(p) for p in data["products"]],
            "channels": channels,
        }
