"""Entitlements (terms of support) and legacy contracts.

Terms are stored in the entitlement's unit: whole cases, or minutes for hours. The ledger of
every debit and credit is the truth; `remaining_terms` is a cache written with it.
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q

from casedesk.cases.choices import Origin
from casedesk.core.constraints import exactly_one
from casedesk.entitlements.choices import (
    AllocationType,
    AllotmentType,
    DecreaseOn,
    EntitlementState,
    LedgerReason,
)


class Entitlement(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    name = models.CharField(max_length=200)
    customer_account = models.ForeignKey(
        "casedesk_customers.Account",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="entitlements",
    )
    customer_contact = models.ForeignKey(
        "casedesk_customers.Contact",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="entitlements",
    )
    contacts = models.ManyToManyField(
        "casedesk_customers.Contact", blank=True, related_name="entitled_by"
    )
    products = models.ManyToManyField(
        "casedesk_catalog.Product", blank=True, related_name="entitlements"
    )
    state = models.CharField(
        max_length=10, choices=EntitlementState.choices, default=EntitlementState.DRAFT
    )
    start_date = models.DateField()
    end_date = models.DateField()
    allocation_type = models.CharField(max_length=10, choices=AllocationType.choices)
    total_terms = models.IntegerField()
    remaining_terms = models.IntegerField()
    decrease_on = models.CharField(
        max_length=12, choices=DecreaseOn.choices, default=DecreaseOn.RESOLUTION
    )
    restrict_case_creation = models.BooleanField(default=False)
    is_default = models.BooleanField(default=False)
    # The service level of the entitlement's cases, instead of the default SLA
    # (docs/service-levels.md#slas).
    sla = models.ForeignKey(
        "casedesk_sla.Sla", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField()
    modified_at = models.DateTimeField()
    version = models.PositiveIntegerField(default=1)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=exactly_one("customer_account", "customer_contact"),
                name="entitlement_exactly_one_customer",
            ),
            models.CheckConstraint(
                condition=Q(end_date__gte=models.F("start_date")), name="entitlement_dates_ordered"
            ),
            models.CheckConstraint(
                condition=Q(total_terms__gte=0), name="entitlement_total_not_negative"
            ),
            models.CheckConstraint(
                condition=Q(restrict_case_creation=False) | Q(remaining_terms__gte=0),
                name="entitlement_restricted_never_overdrawn",
            ),
            models.CheckConstraint(
                condition=~Q(allocation_type=AllocationType.HOURS, decrease_on=DecreaseOn.CREATION),
                name="entitlement_hours_decrease_on_resolution",
            ),
            models.UniqueConstraint(
                fields=["customer_account"],
                condition=Q(is_default=True),
                name="one_default_entitlement_per_account",
            ),
            models.UniqueConstraint(
                fields=["customer_contact"],
                condition=Q(is_default=True),
                name="one_default_entitlement_per_contact",
            ),
        ]
        indexes = [
            models.Index(fields=["customer_account", "state"], name="entitlement_account_idx"),
            models.Index(fields=["customer_contact", "state"], name="entitlement_contact_idx"),
        ]

    def __str__(self) -> str:
        return self.name


class EntitlementChannel(models.Model):
    """Terms reserved for one support channel; channels not listed share only the total."""

    id = models.BigAutoField(primary_key=True)
    entitlement = models.ForeignKey(Entitlement, on_delete=models.CASCADE, related_name="channels")
    channel = models.CharField(max_length=10, choices=Origin.choices)
    terms = models.IntegerField()
    remaining_terms = models.IntegerField()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["entitlement", "channel"], name="entitlement_channel_unique"
            ),
            models.CheckConstraint(
                condition=Q(terms__gte=0), name="entitlement_channel_terms_not_negative"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.entitlement_id} {self.channel}"


class Contract(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    name = models.CharField(max_length=200)
    customer_account = models.ForeignKey(
        "casedesk_customers.Account",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="contracts",
    )
    customer_contact = models.ForeignKey(
        "casedesk_customers.Contact",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="contracts",
    )
    start_date = models.DateField()
    end_date = models.DateField()
    created_at = models.DateTimeField()
    version = models.PositiveIntegerField(default=1)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=exactly_one("customer_account", "customer_contact"),
                name="contract_exactly_one_customer",
            ),
            models.CheckConstraint(
                condition=Q(end_date__gte=models.F("start_date")), name="contract_dates_ordered"
            ),
        ]

    def __str__(self) -> str:
        return self.name


class ContractLine(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    contract = models.ForeignKey(Contract, on_delete=models.PROTECT, related_name="lines")
    name = models.CharField(max_length=200)
    allotment_type = models.CharField(max_length=16, choices=AllotmentType.choices)
    total = models.IntegerField(default=0)
    used = models.IntegerField(default=0)
    start_date = models.DateField()
    end_date = models.DateField()
    product = models.ForeignKey(
        "casedesk_catalog.Product",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="contract_lines",
    )
    created_at = models.DateTimeField()
    version = models.PositiveIntegerField(default=1)

    class Meta:
        constraints = [
            models.CheckConstraint(condition=Q(total__gte=0), name="contract_line_total"),
            models.CheckConstraint(
                condition=Q(end_date__gte=models.F("start_date")),
                name="contract_line_dates_ordered",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def remaining(self) -> int:
        return self.total - self.used


class TermLedger(models.Model):
    """One debit (negative) or credit (positive) of an entitlement's terms for a case.

    `channel` is the support channel the case came through (its origin); an entitlement's
    remaining terms are its total plus the sum of its rows, and a listed channel's are its terms
    plus the sum of the rows on that channel.
    """

    id = models.BigAutoField(primary_key=True)
    entitlement = models.ForeignKey(Entitlement, on_delete=models.PROTECT, related_name="ledger")
    case = models.ForeignKey(
        "casedesk_cases.Case", on_delete=models.PROTECT, related_name="term_ledger"
    )
    amount = models.IntegerField()
    reason = models.CharField(max_length=32, choices=LedgerReason.choices)
    channel = models.CharField(max_length=10, choices=Origin.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    at = models.DateTimeField()

    class Meta:
        constraints = [models.CheckConstraint(condition=~Q(amount=0), name="term_ledger_not_zero")]
        indexes = [
            models.Index(fields=["case", "entitlement", "channel"], name="term_ledger_case_idx"),
            models.Index(fields=["entitlement", "id"], name="term_ledger_entitlement_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.entitlement_id} {self.case_id} {self.amount:+d}"


class ContractLineLedger(models.Model):
    """One use (negative) or give-back (positive) of a contract line's allotment for a case."""

    id = models.BigAutoField(primary_key=True)
    contract_line = models.ForeignKey(ContractLine, on_delete=models.PROTECT, related_name="ledger")
    case = models.ForeignKey(
        "casedesk_cases.Case", on_delete=models.PROTECT, related_name="contract_ledger"
    )
    amount = models.IntegerField()
    reason = models.CharField(max_length=32, choices=LedgerReason.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    at = models.DateTimeField()

    class Meta:
        constraints = [
            models.CheckConstraint(condition=~Q(amount=0), name="contract_ledger_not_zero")
        ]
        indexes = [
            models.Index(fields=["case", "contract_line"], name="contract_ledger_case_idx"),
            models.Index(fields=["contract_line", "id"], name="contract_ledger_line_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.contract_line_id} {self.case_id} {self.amount:+d}"
