"""Every lock of `entitlements`, in the global lock order of docs/concurrency.md (level 8,
after the cases): a customer's entitlements in id order, or one entitlement; a contract, then
its line. The ledger's debits take no lock of their own: a conditional
`UPDATE ... WHERE remaining_terms >= x` (`services/terms.py`) locks the row it changes.
"""

from __future__ import annotations

import uuid

from casedesk.core.locks import row_lock, rows_lock
from casedesk.entitlements.models import Contract, ContractLine, Entitlement


def entitlement_lock(entitlement_id: uuid.UUID) -> Entitlement:
    """The entitlement, locked (`not_found`)."""
    return row_lock(Entitlement, "No such entitlement.", id=entitlement_id)


def customer_entitlements_lock(entitlement_id: uuid.UUID) -> None:
    """All the entitlements of the customer of `entitlement_id`, locked in id order: before
    the default flag moves between them, in the order term debits lock them too, so two
    writers never wait on each other."""
    customer = (
        Entitlement.objects.filter(id=entitlement_id)
        .values("customer_account_id", "customer_contact_id")
        .first()
    )
    if customer is not None:
        entitlements = Entitlement.objects.filter(**customer).order_by("id")
        list(rows_lock(entitlements).values_list("id", flat=True))


def other_defaults_lock(entitlement: Entitlement) -> list[Entitlement]:
    """The customer's other entitlements flagged default (whatever their state), locked in id
    order, as every writer of entitlements locks them."""
    return list(
        rows_lock(
            Entitlement.objects.filter(
                customer_account_id=entitlement.customer_account_id,
                customer_contact_id=entitlement.customer_contact_id,
                is_default=True,
            )
            .exclude(id=entitlement.pk)
            .order_by("id")
        )
    )


def contract_lock(contract_id: uuid.UUID) -> Contract:
    """The contract, locked (`not_found`)."""
    return row_lock(Contract, "No such contract.", id=contract_id)


def contract_line_lock(contract: Contract, line_id: uuid.UUID) -> ContractLine:
    """The contract's line, locked after its contract (the order every contract write uses)."""
    return row_lock(ContractLine, "No such contract line.", id=line_id, contract=contract)
