"""Forms of Service › Contracts: a contract (customer and period) and its lines."""

from __future__ import annotations

import uuid
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from casedesk.catalog import selectors as catalog
from casedesk.core.types import Count, Name
from casedesk.entitlements.choices import AllotmentType
from casedesk.web.fields import TypedCharField, TypedIntegerField
from casedesk.web.forms.base import WebForm, set_choices
from casedesk.web.forms.cases import parse_customer


def _date(label: Any, *, required: bool = True) -> forms.DateField:
    return forms.DateField(
        label=label, required=required, widget=forms.DateInput(attrs={"type": "date"})
    )


class ContractForm(WebForm):
    name = TypedCharField(type_=Name, label=_("Name"), max_length=200)
    customer = forms.CharField(label=_("Customer"), widget=forms.HiddenInput)
    start_date = _date(_("Start date"))
    end_date = _date(_("End date"))

    def clean_customer(self) -> Any:
        ref = parse_customer(self.cleaned_data.get("customer") or "")
        if ref is None:
            raise forms.ValidationError(_("Choose a customer."))
        return ref


class ContractLineForm(WebForm):
    """A line as it is added; editing keeps its allotment type (`ContractLineEditForm`)."""

    name = TypedCharField(type_=Name, label=_("Line name"), max_length=200)
    allotment_type = forms.ChoiceField(label=_("Allotment type"), choices=AllotmentType.choices)
    total = TypedIntegerField(
        type_=Count,
        label=_("Total (cases or minutes)"),
        required=False,
        min_value=0,
        help_text=_("Cases for a line of cases, minutes for a line of time; none for coverage."),
    )
    start_date = _date(_("Start date"), required=False)
    end_date = _date(_("End date"), required=False)
    product = forms.ChoiceField(label=_("Product"), required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        set_choices(
            self.fields["product"],
            [("", "—"), *((str(p.pk), p.name) for p in catalog.product_list().order_by("name"))],
        )

    def clean_total(self) -> int:
        return self.cleaned_data.get("total") or 0

    def clean_product(self) -> uuid.UUID | None:
        value = self.cleaned_data.get("product")
        return uuid.UUID(value) if value else None

    def values(self) -> dict[str, Any]:
        """The line's fields as the services take them (`product` is `product_id`)."""
        data = dict(self.cleaned_data)
        data["product_id"] = data.pop("product")
        return data


class ContractLineEditForm(ContractLineForm):
    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        del self.fields["allotment_type"]
        for name in ("start_date", "end_date"):
            self.fields[name].required = True

    def changes(self) -> dict[str, Any]:
        """What the user changed, as a merge patch of the line."""
        values = self.values()
        values.pop("version")
        names = {"product_id" if n == "product" else n for n in self.changed_data}
        return {name: value for name, value in values.items() if name in names}
