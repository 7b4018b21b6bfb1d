"""Contracts and their lines (SPEC §8, legacy billing): managers write; agents read.

A line's allotment is `cases`, `minutes` or `coverage_dates`; resolved cases naming the line use
1 case or their billable minutes (written by `case_terms_sync`), reactivation gives them back.
"""

from __future__ import annotations

import datetime as dt
import uuid

from django.db import transaction

from casedesk.cases.services.common import Ref, resolve_customer
from casedesk.catalog.models import Product
from casedesk.core import clock
from casedesk.core.audit import audit_record
from casedesk.core.choices import Channel
from casedesk.core.errors import Forbidden, NotFound, ValidationFailed
from casedesk.customers.models import Account
from casedesk.directory.models import User
from casedesk.entitlements.choices import AllotmentType
from casedesk.entitlements.models import Contract, ContractLine


def _require_manager(actor: User | None) -> None:
    if actor is not None and not actor.is_manager:
        raise Forbidden("Only managers maintain contracts.")


@transaction.atomic
def contract_create(
    *,
    actor: User | None,
    name: str,
    customer: Ref,
    start_date: dt.date,
    end_date: dt.date,
    channel: str = Channel.API,
) -> Contract:
    """Create a contract for a customer over a period (dates inclusive).

    Refuse with `forbidden` for agents and `validation_error` for an unknown customer or an
    end date before the start date.
    """
    _require_manager(actor)
    if end_date < start_date:
        raise ValidationFailed({"end_date": "must not be before the start date"})
    found = resolve_customer(customer)
    contract = Contract(name=name, start_date=start_date, end_date=end_date, created_at=clock.now())
    if isinstance(found, Account):
        contract.customer_account = found
    else:
        contract.customer_contact = found
    contract.save()
    audit_record(
        actor=actor,
        action="create",
        channel=channel,
        entity=contract,
        entity_type="contract",
        changes={
            "name": [None, name],
            "customer": [None, {"type": customer.type, "id": str(customer.id)}],
            "start_date": [None, start_date],
            "end_date": [None, end_date],
        },
    )
    return contract


@transaction.atomic
def contract_line_create(
    *,
    actor: User | None,
    contract_id: uuid.UUID,
    name: str,
    allotment_type: str,
    total: int = 0,
    start_date: dt.date | None = None,
    end_date: dt.date | None = None,
    product_id: uuid.UUID | None = None,
    channel: str = Channel.API,
) -> ContractLine:
    """Add a line to a contract: `total` cases or minutes (0 for coverage dates), over the
    contract's period unless narrower dates are given.

    Refuse with `forbidden`, `not_found` (contract) and `validation_error` (dates outside the
    contract, unknown product, a total on a coverage-dates line).
    """
    _require_manager(actor)
    contract = Contract.objects.select_for_update().filter(id=contract_id).first()
    if contract is None:
        raise NotFound("No such contract.")
    if allotment_type not in AllotmentType.values:
        raise ValidationFailed({"allotment_type": "must be cases, minutes or coverage_dates"})
    if allotment_type == AllotmentType.COVERAGE_DATES and total:
        raise ValidationFailed({"total": "a coverage-dates line has no total"})
    start = start_date or contract.start_date
    end = end_date or contract.end_date
    if end < start:
        raise ValidationFailed({"end_date": "must not be before the start date"})
    if start < contract.start_date or end > contract.end_date:
        raise ValidationFailed({"start_date": "the line must lie within the contract's dates"})
    product = None
    if product_id is not None:
        product = Product.objects.filter(id=product_id).first()
        if product is None:
            raise ValidationFailed({"product_id": "no such product"})
    line = ContractLine.objects.create(
        contract=contract,
        name=name,
        allotment_type=allotment_type,
        total=total,
        used=0,
        start_date=start,
        end_date=end,
        product=product,
        created_at=clock.now(),
    )
    contract.version += 1
    contract.save(update_fields=["version"])
    audit_record(
        actor=actor,
        action="create",
        channel=channel,
        entity=line,
        entity_type="contract_line",
        changes={
            "contract_id": [None, contract.pk],
            "name": [None, name],
            "allotment_type": [None, allotment_type],
            "total": [None, total],
            "start_date": [None, start],
            "end_date": [None, end],
            "product_id": [None, product_id],
        },
    )
    return line
