"""Which entitlement and contract line a case uses (SPEC §8), set by the case services.

These functions change the case in memory before it is saved; the terms themselves move
afterwards, in `case_terms_sync`.
"""

from __future__ import annotations

import uuid
from typing import Any

from django.db.models import Q

from casedesk.cases.choices import State
from casedesk.cases.models import Case
from casedesk.cases.selectors import service_settings
from casedesk.core import clock
from casedesk.core.errors import (
    EntitlementExhausted,
    EntitlementNotApplicable,
    ValidationFailed,
)
from casedesk.entitlements import rules
from casedesk.entitlements.choices import EntitlementState
from casedesk.entitlements.models import ContractLine, Entitlement, EntitlementChannel

# The case fields whose change re-runs the default entitlement rule.
CUSTOMER_FIELDS = ("customer_account_id", "customer_contact_id", "contact_id", "product_id")


def case_customer_key(case: Case) -> tuple[Any, ...]:
    """What the entitlement rule looks at: customer, contact and product."""
    return tuple(getattr(case, name) for name in CUSTOMER_FIELDS)


def _customer_of_case(case: Case) -> tuple[str, object]:
    if case.customer_account_id is not None:
        return ("account", case.customer_account_id)
    return ("contact", case.customer_contact_id)


def _customer_of_entitlement(entitlement: Entitlement) -> tuple[str, object]:
    if entitlement.customer_account_id is not None:
        return ("account", entitlement.customer_account_id)
    return ("contact", entitlement.customer_contact_id)


def entitlement_matches(entitlement: Entitlement, case: Case) -> bool:
    """Same customer, and the case's contact and product are among those allowed."""
    return rules.matches(
        entitlement_customer=_customer_of_entitlement(entitlement),
        entitlement_contacts=entitlement.contacts.values_list("id", flat=True),
        entitlement_products=entitlement.products.values_list("id", flat=True),
        case_customer=_customer_of_case(case),
        case_contact=case.contact_id or case.customer_contact_id,
        case_product=case.product_id,
    )


def entitlement_applies(entitlement: Entitlement, case: Case) -> bool:
    """Active today (not draft, waiting, expired or cancelled) and matching the case."""
    shown = rules.shown_state(
        entitlement.state, entitlement.start_date, entitlement.end_date, clock.today()
    )
    return shown == rules.ACTIVE and entitlement_matches(entitlement, case)


def _not_applicable(entitlement: Entitlement, case: Case) -> EntitlementNotApplicable:
    shown = rules.shown_state(
        entitlement.state, entitlement.start_date, entitlement.end_date, clock.today()
    )
    if shown != rules.ACTIVE:
        why = f"the entitlement is {shown}"
    elif _customer_of_entitlement(entitlement) != _customer_of_case(case):
        why = "the entitlement belongs to another customer"
    else:
        why = "the case's contact or product is not covered by the entitlement"
    return EntitlementNotApplicable(
        f"The entitlement does not apply to this case: {why}.",
        details={
            "entitlement_id": str(entitlement.pk),
            "case_id": str(case.pk),
            "reason": why,
            "fields": {"entitlement_id": why},
        },
    )


def require_terms_left(entitlement: Entitlement, case: Case) -> None:
    """A restricted entitlement takes no case when its total or the case's channel has no
    terms left (`entitlement_exhausted`)."""
    if not entitlement.restrict_case_creation:
        return
    remaining = (
        Entitlement.objects.filter(pk=entitlement.pk)
        .values_list("remaining_terms", flat=True)
        .get()
    )
    details = {"entitlement_id": str(entitlement.pk), "case_id": str(case.pk)}
    if rules.exhausted(remaining):
        raise EntitlementExhausted("The entitlement has no terms left.", details=details)
    channel_left = (
        EntitlementChannel.objects.filter(entitlement_id=entitlement.pk, channel=case.origin)
        .values_list("remaining_terms", flat=True)
        .first()
    )
    if channel_left is not None and rules.exhausted(channel_left):
        raise EntitlementExhausted(
            f"The entitlement has no terms left for the {case.origin} channel.",
            details={**details, "channel": case.origin},
        )


def _lookup(entitlement_id: uuid.UUID) -> Entitlement:
    found = Entitlement.objects.filter(id=entitlement_id).first()
    if found is None:
        raise ValidationFailed({"entitlement_id": "no such entitlement"})
    return found


def _associate(case: Case, entitlement_id: uuid.UUID) -> None:
    entitlement = _lookup(entitlement_id)
    if not entitlement_applies(entitlement, case):
        raise _not_applicable(entitlement, case)
    require_terms_left(entitlement, case)
    case.entitlement = entitlement


def customer_default_entitlement(case: Case) -> Entitlement | None:
    """The customer's default entitlement when it is active today and applies to the case."""
    condition = (
        Q(customer_account_id=case.customer_account_id)
        if case.customer_account_id is not None
        else Q(customer_contact_id=case.customer_contact_id)
    )
    found = Entitlement.objects.filter(
        condition, is_default=True, state=EntitlementState.ACTIVE
    ).first()
    if found is None or not entitlement_applies(found, case):
        return None
    return found


def _apply_default(case: Case) -> None:
    default = customer_default_entitlement(case)
    if default is not None:
        # The customer's support terms are used up: refuse rather than open it uncovered.
        require_terms_left(default, case)
        case.entitlement = default


def case_entitlement_on_create(
    *, case: Case, entitlement_id: uuid.UUID | None, given: bool
) -> None:
    """Set a new case's entitlement: the one named (it must apply: `entitlement_not_applicable`;
    restricted ones need terms left: `entitlement_exhausted`), none when null is named, else the
    customer's default entitlement when `apply_default_entitlement_on_create` is on."""
    if given:
        if entitlement_id is not None:
            _associate(case, entitlement_id)
        else:
            case.entitlement = None
        return
    if service_settings().apply_default_entitlement_on_create:
        _apply_default(case)


def case_entitlement_on_update(
    *, case: Case, changes: dict[str, Any], previous: tuple[Any, ...]
) -> None:
    """After a merge patch: a named entitlement must apply (unless it is the case's own and
    still matches); otherwise, when customer, contact or product changed, an entitlement that
    no longer matches is removed (expiry or cancellation never removes it) and, with
    `apply_default_entitlement_on_update`, a case left without one gets the customer's
    default. A contract line of another customer is removed likewise."""
    customer_changed = case_customer_key(case) != previous
    if customer_changed:
        line = case.contract_line
        if "contract_line_id" not in changes and line is not None and not _line_matches(line, case):
            case.contract_line = None
    if "entitlement_id" in changes:
        wanted = changes["entitlement_id"]
        if wanted is None:
            case.entitlement = None
        elif wanted != case.entitlement_id:
            _associate(case, wanted)
        elif customer_changed:
            current = _lookup(wanted)
            if not entitlement_matches(current, case):
                raise _not_applicable(current, case)
        return
    if not customer_changed:
        return
    current_entitlement = case.entitlement
    if current_entitlement is not None and not entitlement_matches(current_entitlement, case):
        case.entitlement = None
    if (
        case.entitlement_id is None
        and case.state == State.ACTIVE
        and service_settings().apply_default_entitlement_on_update
    ):
        _apply_default(case)


def _line_matches(line: ContractLine, case: Case) -> bool:
    contract = line.contract
    return (contract.customer_account_id, contract.customer_contact_id) == (
        case.customer_account_id,
        case.customer_contact_id,
    )


def case_contract_line_set(*, case: Case, contract_line_id: uuid.UUID | None) -> None:
    """Name the contract line the case bills to (or none). It must belong to a contract of the
    case's customer and cover today (`validation_error` on `contract_line_id`)."""
    if contract_line_id is None:
        case.contract_line = None
        return
    line = ContractLine.objects.select_related("contract").filter(id=contract_line_id).first()
    if line is None:
        raise ValidationFailed({"contract_line_id": "no such contract line"})
    if not _line_matches(line, case):
        raise ValidationFailed({"contract_line_id": "the contract belongs to another customer"})
    if contract_line_id == case.contract_line_id:
        return
    today = clock.today()
    if not line.start_date <= today <= line.end_date:
        raise ValidationFailed({"contract_line_id": "the contract line does not cover today"})
    case.contract_line = line
