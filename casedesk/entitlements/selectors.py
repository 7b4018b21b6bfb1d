"""Reads of entitlements, their ledger, and contracts; one place owns the joins."""

from __future__ import annotations

import uuid

from django.db.models import FloatField, Prefetch, Q, QuerySet
from django.db.models.functions import Cast

from casedesk.cases.models import Case
from casedesk.core import clock
from casedesk.core.errors import NotFound
from casedesk.customers.models import Account, Contact
from casedesk.entitlements import rules
from casedesk.entitlements.choices import EntitlementState, ShownState
from casedesk.entitlements.models import (
    Contract,
    ContractLine,
    ContractLineLedger,
    Entitlement,
    EntitlementChannel,
    TermLedger,
)

ENTITLEMENT_RELATED = ("customer_account", "customer_contact")


def entitlement_queryset() -> QuerySet[Entitlement]:
    """Entitlements with everything their record shows, in a constant number of queries."""
    return (
        Entitlement.objects.select_related(*ENTITLEMENT_RELATED)
        .prefetch_related(
            Prefetch("channels", queryset=EntitlementChannel.objects.order_by("channel")),
            "contacts",
            "products",
        )
        .all()
    )


def entitlement_get(*, entitlement_id: uuid.UUID) -> Entitlement:
    found = entitlement_queryset().filter(id=entitlement_id).first()
    if found is None:
        raise NotFound("No such entitlement.")
    return found


# The states that a period alone decides: before it, within it, after it (dates inclusive).
PERIOD_STATES = (ShownState.WAITING, ShownState.ACTIVE, ShownState.EXPIRED)


def period_filter(state: str) -> Q:
    """Records whose `start_date`–`end_date` period puts them in `state` today."""
    today = clock.today()
    if state == ShownState.WAITING:
        return Q(start_date__gt=today)
    if state == ShownState.EXPIRED:
        return Q(end_date__lt=today)
    return Q(start_date__lte=today, end_date__gte=today)


def shown_state_filter(state: str) -> Q:
    """The stored condition behind a shown state (waiting and expired derive from today)."""
    if state in PERIOD_STATES:
        return Q(state=EntitlementState.ACTIVE) & period_filter(state)
    return Q(state=state)


def customer_filter(customer_id: uuid.UUID) -> Q:
    return Q(customer_account_id=customer_id) | Q(customer_contact_id=customer_id)


def entitlement_list(
    *, customer_id: uuid.UUID | None = None, state: str | None = None
) -> QuerySet[Entitlement]:
    """Entitlements of one customer and/or in one shown state (a filter not given does not
    apply)."""
    qs = entitlement_queryset()
    if customer_id is not None:
        qs = qs.filter(customer_filter(customer_id))
    if state:
        qs = qs.filter(shown_state_filter(state))
    return qs


def customer_active_entitlements(*, customer: Account | Contact) -> list[Entitlement]:
    """What the customer may get support under today (the seed: check before giving support)."""
    qs = entitlement_list(customer_id=customer.pk, state=ShownState.ACTIVE)
    return list(qs.order_by("-is_default", "name", "id"))


def entitlements_near_exhaustion(*, share: float, limit: int) -> list[Entitlement]:
    """Active entitlements with at most `share` of their terms left, the emptiest first."""
    left = Cast("remaining_terms", FloatField()) / Cast("total_terms", FloatField())
    return list(
        entitlement_list(state=ShownState.ACTIVE)
        .filter(total_terms__gt=0)
        .annotate(left=left)
        .filter(left__lte=share)
        .order_by("left", "name", "id")[:limit]
    )


def entitlement_ledger(*, entitlement_id: uuid.UUID) -> tuple[str, QuerySet[TermLedger]]:
    """The entitlement's unit and every debit and credit of it (callers order them)."""
    unit = (
        Entitlement.objects.filter(id=entitlement_id)
        .values_list("allocation_type", flat=True)
        .first()
    )
    if unit is None:
        raise NotFound("No such entitlement.")
    return unit, TermLedger.objects.filter(entitlement_id=entitlement_id)


def contract_queryset() -> QuerySet[Contract]:
    return Contract.objects.select_related("customer_account", "customer_contact")


def contract_list(
    *, customer_id: uuid.UUID | None = None, state: str | None = None
) -> QuerySet[Contract]:
    """Contracts of one customer and/or in one state of their period (`waiting`, `active`,
    `expired`); a filter not given does not apply."""
    qs = contract_queryset()
    if customer_id is not None:
        qs = qs.filter(customer_filter(customer_id))
    if state:
        qs = qs.filter(period_filter(state))
    return qs


def customer_contract_lines(
    *, account_id: uuid.UUID | None, contact_id: uuid.UUID | None
) -> QuerySet[ContractLine]:
    """The contract lines a case of this customer may bill to today: lines of the customer's
    own contracts (an account's, or a contact's) whose period covers today."""
    today = clock.today()
    return (
        ContractLine.objects.select_related("contract")
        .filter(
            contract__customer_account_id=account_id,
            contract__customer_contact_id=contact_id,
            start_date__lte=today,
            end_date__gte=today,
        )
        .order_by("contract__name", "name", "id")
    )


def contract_state(contract: Contract) -> str:
    """`waiting` before the contract's start date, `expired` after its end date, else `active`
    (contracts store no state: their period decides)."""
    return rules.shown_state(
        EntitlementState.ACTIVE, contract.start_date, contract.end_date, clock.today()
    )


def customer_contracts(*, customer: Account | Contact, limit: int = 20) -> list[Contract]:
    """The customer's contracts, the latest-ending first (the customer page)."""
    qs = contract_list(customer_id=customer.pk).order_by("-end_date", "name", "id")
    return list(qs[:limit])


def contract_get(*, contract_id: uuid.UUID) -> Contract:
    found = contract_queryset().filter(id=contract_id).first()
    if found is None:
        raise NotFound("No such contract.")
    return found


def contract_line_list(*, contract_id: uuid.UUID) -> QuerySet[ContractLine]:
    if not Contract.objects.filter(id=contract_id).exists():
        raise NotFound("No such contract.")
    return ContractLine.objects.filter(contract_id=contract_id)


def contract_line_get(*, contract_id: uuid.UUID, line_id: uuid.UUID) -> ContractLine:
    """One line of one contract (a line of another contract is not found)."""
    found = (
        ContractLine.objects.select_related("product")
        .filter(id=line_id, contract_id=contract_id)
        .first()
    )
    if found is None:
        raise NotFound("No such contract line.")
    return found


def contract_lines_in_use(*, contract_id: uuid.UUID) -> set[uuid.UUID]:
    """The contract's lines that a case names or whose ledger holds a use or a give-back: they
    bill and cannot be removed."""
    named = Case.objects.filter(contract_line__contract_id=contract_id)
    used = ContractLineLedger.objects.filter(contract_line__contract_id=contract_id)
    return set(named.values_list("contract_line_id", flat=True)) | set(
        used.values_list("contract_line_id", flat=True)
    )


def contract_ledger(*, contract_id: uuid.UUID) -> QuerySet[ContractLineLedger]:
    """Every use and give-back of the contract's lines (callers order them)."""
    return ContractLineLedger.objects.filter(contract_line__contract_id=contract_id)
