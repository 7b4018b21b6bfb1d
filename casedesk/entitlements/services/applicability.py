"""Which entitlement and contract line a case uses
(docs/entitlements.md#applicability-and-the-default-entitlement), set by the case services.

These functions change the case in memory before it is saved; the terms themselves move
afterwards, in `case_terms_sync`.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

from django.db.models import Exists, OuterRef, QuerySet, Subquery, Value

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


@dataclass(frozen=True)
class Fit:
    """How an entitlement fits a case, read in one query."""

    entitlement: Entitlement
    matches: bool  # same customer, contact and product allowed
    shown_state: str
    channel_left: int | None  # the case's channel's remaining terms, when it is listed

    @property
    def applies(self) -> bool:
        return self.matches and self.shown_state == rules.ACTIVE


def _among(links: QuerySet[Any], **value: uuid.UUID | None) -> Exists | Value:
    """Whether the value is among the entitlement's links (never when there is none)."""
    if None in value.values():
        return Value(False)
    return Exists(links.filter(**value))


def _fit(case: Case, **filters: Any) -> Fit | None:
    """The entitlement matching `filters`, with whether it covers the case's contact and
    product and what its channel for the case's origin has left."""
    contacts = Entitlement.contacts.through.objects.filter(entitlement_id=OuterRef("pk"))
    products = Entitlement.products.through.objects.filter(entitlement_id=OuterRef("pk"))
    contact = case.contact_id or case.customer_contact_id
    channel = EntitlementChannel.objects.filter(entitlement_id=OuterRef("pk"), channel=case.origin)
    found = (
        Entitlement.objects.filter(**filters)
        .annotate(
            limited_contacts=Exists(contacts),
            contact_allowed=_among(contacts, contact_id=contact),
            limited_products=Exists(products),
            product_allowed=_among(products, product_id=case.product_id),
            channel_left=Subquery(channel.values("remaining_terms")[:1]),
        )
        .first()
    )
    if found is None:
        return None
    return Fit(
        entitlement=found,
        matches=rules.covers(
            same_customer=_customer_of_entitlement(found) == _customer_of_case(case),
            limited_contacts=found.limited_contacts,  # type: ignore[attr-defined]
            contact_allowed=found.contact_allowed,  # type: ignore[attr-defined]
            limited_products=found.limited_products,  # type: ignore[attr-defined]
            product_allowed=found.product_allowed,  # type: ignore[attr-defined]
        ),
        shown_state=rules.shown_state(found.state, found.start_date, found.end_date, clock.today()),
        channel_left=found.channel_left,  # type: ignore[attr-defined]
    )


def _not_applicable(fit: Fit, case: Case) -> EntitlementNotApplicable:
    entitlement = fit.entitlement
    if fit.shown_state != rules.ACTIVE:
        why = f"the entitlement is {fit.shown_state}"
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


def _require_terms_left(fit: Fit, case: Case) -> None:
    """A restricted entitlement takes no case when its total or the case's channel has no
    terms left (`entitlement_exhausted`). Debits themselves are checked again by
    `case_terms_sync`'s conditional update."""
    entitlement = fit.entitlement
    if not entitlement.restrict_case_creation:
        return
    details = {"entitlement_id": str(entitlement.pk), "case_id": str(case.pk)}
    if rules.exhausted(entitlement.remaining_terms):
        raise EntitlementExhausted("The entitlement has no terms left.", details=details)
    if fit.channel_left is not None and rules.exhausted(fit.channel_left):
        raise EntitlementExhausted(
            f"The entitlement has no terms left for the {case.origin} channel.",
            details={**details, "channel": case.origin},
        )


def _associate(case: Case, entitlement_id: uuid.UUID) -> None:
    fit = _fit(case, id=entitlement_id)
    if fit is None:
        raise ValidationFailed({"entitlement_id": "no such entitlement"})
    if not fit.applies:
        raise _not_applicable(fit, case)
    _require_terms_left(fit, case)
    case.entitlement = fit.entitlement


def _apply_default(case: Case) -> None:
    """The customer's default entitlement, when it is active today and applies to the case;
    when it is restricted and used up the customer's support terms are used up: refuse."""
    customer = (
        {"customer_account_id": case.customer_account_id}
        if case.customer_account_id is not None
        else {"customer_contact_id": case.customer_contact_id}
    )
    default = Entitlement.objects.filter(
        is_default=True, state=EntitlementState.ACTIVE, **customer
    ).values_list("id", flat=True)
    default_id = default.first()  # most customers have none: one short query
    if default_id is None:
        return
    fit = _fit(case, id=default_id)
    if fit is not None and fit.applies:
        _require_terms_left(fit, case)
        case.entitlement = fit.entitlement


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
            fit = _fit(case, id=wanted)
            if fit is not None and not fit.matches:
                raise _not_applicable(fit, case)
        return
    if not customer_changed:
        return
    if case.entitlement_id is not None:
        fit = _fit(case, id=case.entitlement_id)
        if fit is not None and not fit.matches:
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
