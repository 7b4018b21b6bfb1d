"""Contracts and their lines (docs/entitlements.md#records, legacy billing): managers write; agents
read.

A line's allotment is `cases`, `minutes` or `coverage_dates`; resolved cases naming the line use
1 case or their billable minutes (written by `case_terms_sync`), reactivation gives them back.
A contract's record includes its lines: adding, changing or removing a line bumps the contract's
version too. A line that cases name or have used stays (`contract_in_use`), and so does the
customer of a contract whose lines cases name.
"""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from django.db import transaction

from casedesk.cases.models import Case
from casedesk.cases.services.common import Ref, resolve_customer
from casedesk.catalog.models import Product
from casedesk.core import clock
from casedesk.core.audit import audit_record, diff, snapshot
from casedesk.core.choices import Channel
from casedesk.core.concurrency import ExpectedVersion, check_version
from casedesk.core.errors import ContractInUse, ValidationFailed
from casedesk.customers.models import Account, Contact
from casedesk.directory.access import Actor, require_role
from casedesk.directory.choices import Role
from casedesk.entitlements import selectors
from casedesk.entitlements.choices import AllotmentType
from casedesk.entitlements.locks import contract_line_lock, contract_lock
from casedesk.entitlements.models import Contract, ContractLine

CONTRACT_WRITABLE = frozenset({"name", "customer", "start_date", "end_date"})
LINE_WRITABLE = frozenset({"name", "total", "start_date", "end_date", "product_id"})
LINE_AUDITED = ("name", "allotment_type", "total", "start_date", "end_date", "product")


_MANAGERS_ONLY = "Only managers maintain contracts."


def _set_customer(contract: Contract, customer: Account | Contact) -> None:
    if isinstance(customer, Account):
        contract.customer_account, contract.customer_contact = customer, None
    else:
        contract.customer_account, contract.customer_contact = None, customer


def _customer_ref(contract: Contract) -> dict[str, str]:
    if contract.customer_account_id:
        return {"type": "account", "id": str(contract.customer_account_id)}
    return {"type": "contact", "id": str(contract.customer_contact_id)}


def _contract_snapshot(contract: Contract) -> dict[str, Any]:
    values = snapshot(contract, ("name", "start_date", "end_date"))
    values["customer"] = _customer_ref(contract)
    return values


def _line_snapshot(line: ContractLine) -> dict[str, Any]:
    """The line's audited fields under their API names."""
    values = snapshot(line, LINE_AUDITED)
    values["product_id"] = values.pop("product")
    return values


def _check_line(line: ContractLine, contract: Contract) -> None:
    """A line's shape: no total on coverage dates, its dates ordered and within the contract's."""
    if line.allotment_type == AllotmentType.COVERAGE_DATES and line.total:
        raise ValidationFailed({"total": "a coverage-dates line has no total"})
    if line.total < 0:
        raise ValidationFailed({"total": "cannot be negative"})
    if line.end_date < line.start_date:
        raise ValidationFailed({"end_date": "must not be before the start date"})
    if line.start_date < contract.start_date or line.end_date > contract.end_date:
        raise ValidationFailed({"start_date": "the line must lie within the contract's dates"})


def _product(product_id: uuid.UUID | None) -> Product | None:
    if product_id is None:
        return None
    product = Product.objects.filter(id=product_id).first()
    if product is None:
        raise ValidationFailed({"product_id": "no such product"})
    return product


def _not_cleared(changes: dict[str, Any], names: tuple[str, ...]) -> None:
    cleared = {
        name: "may not be cleared" for name in names if name in changes and changes[name] is None
    }
    if cleared:
        raise ValidationFailed(cleared)


@transaction.atomic
def contract_create(
    *,
    actor: Actor,
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
    require_role(actor, Role.MANAGER, _MANAGERS_ONLY)
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
    actor: Actor,
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
    require_role(actor, Role.MANAGER, _MANAGERS_ONLY)
    contract = contract_lock(contract_id)
    if allotment_type not in AllotmentType.values:
        raise ValidationFailed({"allotment_type": "must be cases, minutes or coverage_dates"})
    line = ContractLine(
        contract=contract,
        name=name,
        allotment_type=allotment_type,
        total=total,
        used=0,
        start_date=start_date or contract.start_date,
        end_date=end_date or contract.end_date,
        product=_product(product_id),
        created_at=clock.now(),
    )
    _check_line(line, contract)
    line.save()
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
            "start_date": [None, line.start_date],
            "end_date": [None, line.end_date],
            "product_id": [None, product_id],
        },
    )
    return line


@transaction.atomic
def contract_update(
    *,
    actor: Actor,
    contract_id: uuid.UUID,
    changes: dict[str, Any],
    expected_version: ExpectedVersion = None,
    channel: str = Channel.API,
) -> Contract:
    """Apply a merge patch to a contract: `name`, `customer`, `start_date`, `end_date`.

    The period must still hold every line's dates. The customer is fixed once a case names one
    of the contract's lines (`contract_in_use`). Refuse with `forbidden`, `not_found`,
    `version_mismatch`, `validation_error` (unknown or cleared fields, unknown customer, dates).
    """
    require_role(actor, Role.MANAGER, _MANAGERS_ONLY)
    contract = contract_lock(contract_id)
    check_version(expected_version, contract.version)
    unknown = set(changes) - CONTRACT_WRITABLE
    if unknown:
        raise ValidationFailed({name: "is not a writable field" for name in sorted(unknown)})
    _not_cleared(changes, ("name", "customer", "start_date", "end_date"))
    before = _contract_snapshot(contract)
    for name in ("name", "start_date", "end_date"):
        if name in changes:
            setattr(contract, name, changes[name])
    if "customer" in changes:
        _set_customer(contract, resolve_customer(changes["customer"]))
    if contract.end_date < contract.start_date:
        raise ValidationFailed({"end_date": "must not be before the start date"})
    after = _contract_snapshot(contract)
    changed = diff(before, after)
    if not changed:
        return contract
    lines = ContractLine.objects.filter(contract=contract)
    if lines.filter(start_date__lt=contract.start_date).exists():
        raise ValidationFailed({"start_date": "a line starts before this date"})
    if lines.filter(end_date__gt=contract.end_date).exists():
        raise ValidationFailed({"end_date": "a line ends after this date"})
    if "customer" in changed and Case.objects.filter(contract_line__contract=contract).exists():
        raise ContractInUse(
            "Cases bill to this contract's lines: its customer is fixed.",
            details={"contract_id": str(contract.pk), "fields": ["customer"]},
        )
    contract.version += 1
    contract.save()
    audit_record(
        actor=actor,
        action="update",
        channel=channel,
        entity=contract,
        entity_type="contract",
        changes=changed,
    )
    return contract


@transaction.atomic
def contract_line_update(
    *,
    actor: Actor,
    contract_id: uuid.UUID,
    line_id: uuid.UUID,
    changes: dict[str, Any],
    expected_version: ExpectedVersion = None,
    channel: str = Channel.API,
) -> ContractLine:
    """Apply a merge patch to a contract line: `name`, `total`, `start_date`, `end_date`,
    `product_id` (null: no product). Its allotment type is fixed; what cases used stays, so a
    total below it shows a negative remainder. The contract's version grows with the line's.

    Refuse with `forbidden`, `not_found` (contract, or a line of another contract),
    `version_mismatch` (the line's version), `validation_error` (as for a new line).
    """
    require_role(actor, Role.MANAGER, _MANAGERS_ONLY)
    contract = contract_lock(contract_id)
    line = contract_line_lock(contract, line_id)
    check_version(expected_version, line.version)
    unknown = set(changes) - LINE_WRITABLE
    if unknown:
        raise ValidationFailed({name: "is not a writable field" for name in sorted(unknown)})
    _not_cleared(changes, ("name", "total", "start_date", "end_date"))
    before = _line_snapshot(line)
    for name in ("name", "total", "start_date", "end_date"):
        if name in changes:
            setattr(line, name, changes[name])
    if "product_id" in changes:
        line.product = _product(changes["product_id"])
    _check_line(line, contract)
    changed = diff(before, _line_snapshot(line))
    if not changed:
        return line
    line.version += 1
    line.save()
    contract.version += 1
    contract.save(update_fields=["version"])
    audit_record(
        actor=actor,
        action="update",
        channel=channel,
        entity=line,
        entity_type="contract_line",
        changes=changed,
        details={"contract_id": str(contract.pk)},
    )
    return line


@transaction.atomic
def contract_line_delete(
    *,
    actor: Actor,
    contract_id: uuid.UUID,
    line_id: uuid.UUID,
    expected_version: ExpectedVersion = None,
    channel: str = Channel.API,
) -> Contract:
    """Remove a line that no case names and none has used (a line added by mistake); return
    its contract, whose version grows.

    Refuse with `forbidden`, `not_found`, `version_mismatch` (the line's version) and
    `contract_in_use` (a case names the line, or its ledger holds uses or give-backs).
    """
    require_role(actor, Role.MANAGER, _MANAGERS_ONLY)
    contract = contract_lock(contract_id)
    line = contract_line_lock(contract, line_id)
    check_version(expected_version, line.version)
    if line.pk in selectors.contract_lines_in_use(contract_id=contract.pk):
        raise ContractInUse(
            "Cases bill to this contract line: it cannot be removed.",
            details={"contract_id": str(contract.pk), "contract_line_id": str(line.pk)},
        )
    before = _line_snapshot(line)
    audit_record(
        actor=actor,
        action="delete",
        channel=channel,
        entity=line,
        entity_type="contract_line",
        changes={name: [value, None] for name, value in before.items()},
        details={"contract_id": str(contract.pk)},
    )
    line.delete()
    contract.version += 1
    contract.save(update_fields=["version"])
    return contract
