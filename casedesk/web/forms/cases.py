from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from casedesk.cases.choices import CaseType, Origin, Priority, Stage, Status
from casedesk.cases.fields import FIELDS, FORM_NAMES, CaseChanges, Ref
from casedesk.cases.workflow import ACTIVE_STATUSES
from casedesk.catalog import selectors as catalog
from casedesk.core.statements import Statement
from casedesk.core.types import LongText, SearchText, Title
from casedesk.sla.choices import KpiStatus
from casedesk.web.fields import TypedCharField
from casedesk.web.forms.base import WebForm, set_choices

# Form field -> the name the services (and the API) use (the fields' `form` names).
API_NAMES = FORM_NAMES
FIELD_OF_API_NAME = {api: field for field, api in API_NAMES.items()}


def parse_customer(value: str) -> Ref | None:
    """`account:<uuid>` or `contact:<uuid>` into a reference; None when empty or malformed."""
    kind, _sep, raw = (value or "").partition(":")
    if kind not in {"account", "contact"}:
        return None
    try:
        return Ref(kind, uuid.UUID(raw))
    except ValueError:
        return None


# Read at every case form; compiled once per process (casedesk/core/statements.py).
_SUBJECTS = Statement[Any](lambda: catalog.subject_list().order_by("name"))
_PRODUCTS = Statement[Any](lambda: catalog.product_list().order_by("name"))


def subject_choices() -> list[tuple[str, str]]:
    subjects = _SUBJECTS.run()
    children: dict[Any, list[Any]] = {}
    for subject in subjects:
        children.setdefault(subject.parent_id, []).append(subject)
    out: list[tuple[str, str]] = [("", "—")]

    def walk(parent: Any, depth: int) -> None:
        for subject in children.get(parent, []):
            out.append((str(subject.pk), "\u2003" * depth + subject.name))
            walk(subject.pk, depth + 1)

    walk(None, 0)
    return out


def _product_choices() -> list[tuple[str, str]]:
    return [("", "—")] + [(str(p.pk), p.name) for p in _PRODUCTS.run()]


def _blank(choices: Any) -> list[tuple[str, str]]:
    return [("", "—"), *[(c.value, c.label) for c in choices]]


class CaseForm(WebForm):
    """The case record's fields as the case form shows them (new case and case page)."""

    title = TypedCharField(type_=Title, label=FIELDS["title"].label, max_length=200)
    customer = forms.CharField(label=FIELDS["customer"].label, widget=forms.HiddenInput)
    # Any contact id: the options follow the chosen customer, and the service checks that the
    # contact belongs to it.
    contact = forms.CharField(label=FIELDS["contact_id"].label, required=False, widget=forms.Select)
    subject = forms.ChoiceField(label=FIELDS["subject_id"].label, required=False)
    product = forms.ChoiceField(label=FIELDS["product_id"].label, required=False)
    origin = forms.ChoiceField(
        label=FIELDS["origin"].label, choices=Origin.choices, initial=Origin.PHONE
    )
    case_type = forms.ChoiceField(label=FIELDS["case_type"].label, required=False)
    priority = forms.ChoiceField(
        label=FIELDS["priority"].label, choices=Priority.choices, initial=Priority.NORMAL
    )
    description = TypedCharField(
        type_=LongText,
        label=FIELDS["description"].label,
        required=False,
        widget=forms.Textarea(attrs={"rows": 5}),
        max_length=100_000,
    )
    parent = forms.UUIDField(required=False, widget=forms.HiddenInput)

    def __init__(
        self, *args: Any, contact_choices: list[tuple[str, str]] | None = None, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        set_choices(self.fields["subject"], subject_choices())
        set_choices(self.fields["product"], _product_choices())
        set_choices(self.fields["case_type"], _blank(CaseType))
        self.fields["contact"].widget.choices = [("", "—"), *(contact_choices or [])]

    def clean_customer(self) -> Ref:
        ref = parse_customer(self.cleaned_data.get("customer") or "")
        if ref is None:
            raise forms.ValidationError(_("Choose a customer."))
        return ref

    def clean_contact(self) -> uuid.UUID | None:
        return _uuid_or_none(self.cleaned_data.get("contact"))

    def clean_subject(self) -> uuid.UUID | None:
        return _uuid_or_none(self.cleaned_data.get("subject"))

    def clean_product(self) -> uuid.UUID | None:
        return _uuid_or_none(self.cleaned_data.get("product"))

    def clean_case_type(self) -> str | None:
        return self.cleaned_data.get("case_type") or None


class CaseEditForm(CaseForm):
    """The case page: the record's fields plus its status reason, with the version read."""

    status = forms.ChoiceField(label=FIELDS["status"].label)
    entitlement = forms.ChoiceField(label=FIELDS["entitlement_id"].label, required=False)
    contract_line = forms.ChoiceField(label=FIELDS["contract_line_id"].label, required=False)
    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)

    def __init__(
        self,
        *args: Any,
        entitlement_choices: list[tuple[str, str]] | None = None,
        contract_line_choices: list[tuple[str, str]] | None = None,
        statuses: Sequence[str] = ACTIVE_STATUSES,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        statuses = list(dict.fromkeys(statuses))
        set_choices(self.fields["status"], [(s, Status(s).label) for s in statuses])
        set_choices(self.fields["entitlement"], [("", "—"), *(entitlement_choices or [])])
        lines = contract_line_choices or []
        set_choices(self.fields["contract_line"], [("", "—"), *lines])
        # A customer without contracts sees no contract line at all (most bill by entitlement).
        self.offers_contract_lines = bool(lines)

    def clean_entitlement(self) -> uuid.UUID | None:
        return _uuid_or_none(self.cleaned_data.get("entitlement"))

    def clean_contract_line(self) -> uuid.UUID | None:
        return _uuid_or_none(self.cleaned_data.get("contract_line"))

    def changes(self) -> CaseChanges:
        """The merge patch of what the user changed."""
        return CaseChanges(
            **{
                API_NAMES[name]: self.cleaned_data[name]
                for name in self.changed_data
                if name in API_NAMES
            }
        )


class StageForm(WebForm):
    stage = forms.ChoiceField(choices=Stage.choices)
    version = forms.IntegerField(min_value=1)


def _uuid_or_none(value: Any) -> uuid.UUID | None:
    if not value:
        return None
    try:
        return uuid.UUID(str(value))
    except ValueError as exc:
        raise forms.ValidationError(_("Choose a valid option.")) from exc


class CaseListForm(WebForm):
    """The case list's filters and sort order (all optional)."""

    search = TypedCharField(type_=SearchText, label=_("Search"), required=False, max_length=200)
    status = forms.ChoiceField(label=_("Status reason"), required=False)
    subject = forms.ChoiceField(label=_("Subject"), required=False)
    queue = forms.ChoiceField(label=_("Queue"), required=False)
    priority = forms.ChoiceField(label=_("Priority"), required=False)
    sla_status = forms.ChoiceField(label=_("SLA status"), required=False)
    owner = forms.ChoiceField(label=_("Owner"), required=False)
    # `account:<uuid>` or `contact:<uuid>`: the list's customer links set it.
    customer = forms.CharField(label=_("Customer"), required=False, max_length=80)
    sort = forms.ChoiceField(label=_("Sort by"), required=False)
    cursor = forms.CharField(required=False, max_length=2000)

    def __init__(
        self,
        *args: Any,
        statuses: list[str],
        sorts: list[tuple[str, str]],
        queues: list[tuple[str, str]] | None = None,
        owners: list[tuple[str, Any]] | None = None,
        customer_name: str | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        set_choices(self.fields["owner"], [("", _("Any")), *(owners or [])])
        customer_value = str(self.data.get("customer") or "") if self.is_bound else ""
        self.fields["customer"].widget = forms.Select(
            choices=[("", _("Any"))]
            + ([(customer_value, customer_name)] if customer_name and customer_value else [])
        )
        set_choices(
            self.fields["status"], [("", _("Any"))] + [(s, Status(s).label) for s in statuses]
        )
        set_choices(self.fields["subject"], subject_choices())
        set_choices(self.fields["sort"], sorts)
        set_choices(self.fields["queue"], [("", _("Any")), *(queues or [])])
        set_choices(self.fields["priority"], [("", _("Any")), *Priority.choices])
        set_choices(self.fields["sla_status"], [("", _("Any")), *KpiStatus.choices])

    def clean_queue(self) -> uuid.UUID | None:
        return _uuid_or_none(self.cleaned_data.get("queue"))

    def clean_owner(self) -> Ref | None:
        kind, _sep, raw = (self.cleaned_data.get("owner") or "").partition(":")
        owner_id = _uuid_or_none(raw)
        return Ref(kind, owner_id) if kind in {"user", "team"} and owner_id else None

    def clean_customer(self) -> Ref | None:
        value = self.cleaned_data.get("customer") or ""
        found = parse_customer(value)
        if value and found is None:
            raise forms.ValidationError(_("Choose a valid option."))
        return found

    def clean_subject(self) -> uuid.UUID | None:
        return _uuid_or_none(self.cleaned_data.get("subject"))
