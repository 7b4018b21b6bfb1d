"""Entitlements: create, edit and their lifecycle (docs/entitlements.md#lifecycle-and-editing).
Managers write; agents read."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.db.models import Sum

from casedesk.cases.models import Case
from casedesk.cases.services.common import Ref, contact_belongs, resolve_customer
from casedesk.catalog.models import Product
from casedesk.core import clock
from casedesk.core.audit import audit_record, diff
from casedesk.core.choices import Channel
from casedesk.core.concurrency import ExpectedVersion, check_version
from casedesk.core.errors import EntitlementState, ValidationFailed
from casedesk.customers.models import Account, Contact
from casedesk.directory.access import Actor, require_role
from casedesk.directory.choices import Role
from casedesk.entitlements import rules
from casedesk.entitlements.choices import AllocationType, DecreaseOn
from casedesk.entitlements.choices import EntitlementState as State
from casedesk.entitlements.locks import (
    customer_entitlements_lock,
    entitlement_lock,
    other_defaults_lock,
)
from casedesk.entitlements.models import Entitlement, EntitlementChannel, TermLedger
from casedesk.sla.models import Sla

# Fields a PATCH may change, under their API names.
WRITABLE_FIELDS = frozenset(
    {
        "name",
        "customer",
        "contact_ids",
        "product_ids",
        "start_date",
        "end_date",
        "allocation_type",
        "total_terms",
        "decrease_on",
        "restrict_case_creation",
        "is_default",
        "channels",
        "sla_id",
    }
)
# What may still change once the entitlement is no longer a draft (active, waiting, expired).
ALWAYS_WRITABLE = frozenset({"is_default"})
# What cannot change while cases use the entitlement: their terms would change meaning.
FIXED_WHILE_IN_USE = frozenset({"customer", "allocation_type", "decrease_on"})


@dataclass(frozen=True)
class ChannelTerms:
    """Terms reserved for one support channel, as given (cases, or hours)."""

    channel: str
    terms: Decimal | int


_MANAGERS_ONLY = "Only managers maintain entitlements."


def _customer_ref(entitlement: Entitlement) -> dict[str, str] | None:
    if entitlement.customer_account_id:
        return {"type": "account", "id": str(entitlement.customer_account_id)}
    if entitlement.customer_contact_id:
        return {"type": "contact", "id": str(entitlement.customer_contact_id)}
    return None


def _snapshot(entitlement: Entitlement) -> dict[str, Any]:
    """The audited fields under their API names (terms as stored: cases or minutes)."""
    return {
        "name": entitlement.name,
        "customer": _customer_ref(entitlement),
        "contact_ids": sorted(str(i) for i in entitlement.contacts.values_list("id", flat=True)),
        "product_ids": sorted(str(i) for i in entitlement.products.values_list("id", flat=True)),
        "state": entitlement.state,
        "start_date": entitlement.start_date.isoformat(),
        "end_date": entitlement.end_date.isoformat(),
        "allocation_type": entitlement.allocation_type,
        "total_terms": entitlement.total_terms,
        "decrease_on": entitlement.decrease_on,
        "restrict_case_creation": entitlement.restrict_case_creation,
        "is_default": entitlement.is_default,
        "channels": {c.channel: c.terms for c in entitlement.channels.order_by("channel")},
        "sla_id": str(entitlement.sla_id) if entitlement.sla_id else None,
    }


def _audit(
    *,
    actor: Actor,
    entitlement: Entitlement,
    action: str,
    channel: str,
    before: dict[str, Any] | None,
) -> None:
    audit_record(
        actor=actor,
        action=action,
        channel=channel,
        entity=entitlement,
        entity_type="entitlement",
        changes=diff(before or {}, _snapshot(entitlement)),
    )


def _touch(entitlement: Entitlement) -> None:
    entitlement.version += 1
    entitlement.modified_at = clock.now()


def _stored(value: Decimal | int, allocation_type: str, field: str) -> int:
    try:
        stored = rules.terms_to_stored(value, allocation_type)
    except rules.TermsError as exc:
        raise ValidationFailed({field: str(exc)}) from exc
    if stored < 0:
        raise ValidationFailed({field: "must not be negative"})
    return stored


def _set_customer(entitlement: Entitlement, customer: Account | Contact) -> None:
    if isinstance(customer, Account):
        entitlement.customer_account, entitlement.customer_contact = customer, None
    else:
        entitlement.customer_account, entitlement.customer_contact = None, customer


def _customer(entitlement: Entitlement) -> Account | Contact:
    customer = entitlement.customer_account or entitlement.customer_contact
    assert customer is not None
    return customer


def _contacts(ids: Sequence[uuid.UUID], customer: Account | Contact) -> list[Contact]:
    unique = list(dict.fromkeys(ids))
    found = {c.pk: c for c in Contact.objects.filter(id__in=unique)}
    if len(found) != len(unique):
        raise ValidationFailed({"contact_ids": "names a contact that does not exist"})
    if not all(contact_belongs(c, customer) for c in found.values()):
        raise ValidationFailed({"contact_ids": "every contact must belong to the customer"})
    return [found[i] for i in unique]


def _products(ids: Sequence[uuid.UUID]) -> list[Product]:
    unique = list(dict.fromkeys(ids))
    found = {p.pk: p for p in Product.objects.filter(id__in=unique)}
    if len(found) != len(unique):
        raise ValidationFailed({"product_ids": "names a product that does not exist"})
    return [found[i] for i in unique]


def _channel_terms(
    channels: Sequence[ChannelTerms], allocation_type: str, total: int
) -> dict[str, int]:
    from casedesk.cases.choices import Origin

    out: dict[str, int] = {}
    for item in channels:
        if item.channel not in Origin.values:
            raise ValidationFailed({"channels": f"unknown channel {item.channel!r}"})
        if item.channel in out:
            raise ValidationFailed({"channels": f"channel {item.channel} is listed twice"})
        terms = _stored(item.terms, allocation_type, "channels")
        if terms > total:
            raise ValidationFailed({"channels": "a channel cannot have more terms than the total"})
        out[item.channel] = terms
    return out


def _set_sla(entitlement: Entitlement, sla_id: uuid.UUID | None) -> None:
    """The entitlement's own SLA (docs/service-levels.md#slas), or none: the default applies."""
    if sla_id is None:
        entitlement.sla = None
        return
    sla = Sla.objects.filter(id=sla_id).first()
    if sla is None:
        raise ValidationFailed({"sla_id": "no such SLA"})
    entitlement.sla = sla


def _check_shape(entitlement: Entitlement) -> None:
    if entitlement.end_date < entitlement.start_date:
        raise ValidationFailed({"end_date": "must not be before the start date"})
    if entitlement.allocation_type not in AllocationType.values:
        raise ValidationFailed({"allocation_type": "must be cases or hours"})
    if entitlement.decrease_on not in DecreaseOn.values:
        raise ValidationFailed({"decrease_on": "must be creation or resolution"})
    if (
        entitlement.allocation_type == AllocationType.HOURS
        and entitlement.decrease_on == DecreaseOn.CREATION
    ):
        raise ValidationFailed(
            {"decrease_on": "hours are consumed on resolution only (billable time)"}
        )


def _clear_other_defaults(*, entitlement: Entitlement, actor: Actor, channel: str) -> None:
    """One default per customer: clear the flag on the customer's others, whatever their
    state (locked in id order, as every writer of entitlements locks them)."""
    for other in other_defaults_lock(entitlement):
        before = _snapshot(other)
        other.is_default = False
        _touch(other)
        other.save(update_fields=["is_default", "version", "modified_at"])
        _audit(actor=actor, entitlement=other, action="update", channel=channel, before=before)


@transaction.atomic
def entitlement_create(
    *,
    actor: Actor,
    name: str,
    customer: Ref,
    start_date: dt.date,
    end_date: dt.date,
    allocation_type: str,
    total_terms: Decimal | int,
    contact_ids: Sequence[uuid.UUID] = (),
    product_ids: Sequence[uuid.UUID] = (),
    channels: Sequence[ChannelTerms] = (),
    decrease_on: str = DecreaseOn.RESOLUTION,
    restrict_case_creation: bool = False,
    is_default: bool = False,
    sla_id: uuid.UUID | None = None,
    channel: str = Channel.API,
) -> Entitlement:
    """Create a draft entitlement for a customer; terms are whole cases or hours (two decimals,
    kept as minutes). Setting `is_default` clears it on the customer's other entitlements.
    `sla_id` names the SLA its cases are measured by (none: the default SLA).

    Refuse with `forbidden` for agents and `validation_error` for an unknown customer, contact,
    product or SLA, a contact outside the customer, bad dates or terms, or hours on creation.
    """
    require_role(actor, Role.MANAGER, _MANAGERS_ONLY)
    now = clock.now()
    entitlement = Entitlement(
        name=name,
        start_date=start_date,
        end_date=end_date,
        allocation_type=allocation_type,
        decrease_on=decrease_on,
        restrict_case_creation=restrict_case_creation,
        is_default=is_default,
        state=State.DRAFT,
        created_at=now,
        modified_at=now,
    )
    _set_customer(entitlement, resolve_customer(customer))
    _set_sla(entitlement, sla_id)
    _check_shape(entitlement)
    total = _stored(total_terms, allocation_type, "total_terms")
    entitlement.total_terms = entitlement.remaining_terms = total
    contacts = _contacts(contact_ids, _customer(entitlement))
    products = _products(product_ids)
    channel_terms = _channel_terms(channels, allocation_type, total)
    if is_default:
        _clear_other_defaults(entitlement=entitlement, actor=actor, channel=channel)
    entitlement.save()
    entitlement.contacts.set(contacts)
    entitlement.products.set(products)
    EntitlementChannel.objects.bulk_create(
        EntitlementChannel(entitlement=entitlement, channel=c, terms=t, remaining_terms=t)
        for c, t in channel_terms.items()
    )
    _audit(actor=actor, entitlement=entitlement, action="create", channel=channel, before=None)
    return entitlement


def _in_use(entitlement: Entitlement) -> bool:
    return (
        Case.objects.filter(entitlement_id=entitlement.pk).exists()
        or TermLedger.objects.filter(entitlement_id=entitlement.pk).exists()
    )


def _ledger_sums(entitlement: Entitlement) -> tuple[int, dict[str, int]]:
    rows = TermLedger.objects.filter(entitlement_id=entitlement.pk).values("channel")
    by_channel = {r["channel"]: r["total"] for r in rows.annotate(total=Sum("amount"))}
    return sum(by_channel.values()), by_channel


@transaction.atomic
def entitlement_update(
    *,
    actor: Actor,
    entitlement_id: uuid.UUID,
    changes: dict[str, Any],
    expected_version: ExpectedVersion = None,
    channel: str = Channel.API,
) -> Entitlement:
    """Apply a merge patch. A draft is editable; an active (also waiting or expired) one only
    takes `is_default`; a cancelled one nothing (`entitlement_state`). Customer, allocation type
    and decrease-on are fixed once cases use the entitlement (`entitlement_state`).

    Terms edited on a draft keep what the ledger holds: remaining = total + the ledger's sum.
    Refuse with `forbidden`, `version_mismatch`, `validation_error` (also for a restricted
    entitlement whose remaining terms the edit would take below zero).
    """
    require_role(actor, Role.MANAGER, _MANAGERS_ONLY)
    if changes.get("is_default"):
        customer_entitlements_lock(entitlement_id)
    entitlement = entitlement_lock(entitlement_id)
    check_version(expected_version, entitlement.version)
    unknown = set(changes) - WRITABLE_FIELDS
    if unknown:
        raise ValidationFailed({name: "is not a writable field" for name in sorted(unknown)})
    if entitlement.state == State.CANCELLED or (
        entitlement.state == State.ACTIVE and set(changes) - ALWAYS_WRITABLE
    ):
        raise EntitlementState(
            "Only a draft entitlement can be edited; an active one only takes is_default.",
            details={"entitlement_id": str(entitlement.pk), "state": entitlement.state},
        )
    if set(changes) & FIXED_WHILE_IN_USE and _in_use(entitlement):
        fixed = {
            name
            for name in set(changes) & FIXED_WHILE_IN_USE
            if _differs(entitlement, name, changes[name])
        }
        if fixed:
            raise EntitlementState(
                "Cases use this entitlement: its customer, allocation type and decrease-on "
                "are fixed.",
                details={"entitlement_id": str(entitlement.pk), "fields": sorted(fixed)},
            )
    before = _snapshot(entitlement)
    old_allocation = entitlement.allocation_type
    for name in ("name", "start_date", "end_date", "allocation_type", "decrease_on"):
        if name in changes:
            if changes[name] is None:
                raise ValidationFailed({name: "may not be cleared"})
            setattr(entitlement, name, changes[name])
    for name in ("restrict_case_creation", "is_default", "total_terms"):
        if name in changes and changes[name] is None:
            raise ValidationFailed({name: "may not be cleared"})
    for name in ("restrict_case_creation", "is_default"):
        if name in changes:
            setattr(entitlement, name, bool(changes[name]))
    if "customer" in changes:
        if changes["customer"] is None:
            raise ValidationFailed({"customer": "is required"})
        _set_customer(entitlement, resolve_customer(changes["customer"]))
    if "sla_id" in changes:
        _set_sla(entitlement, changes["sla_id"])
    _check_shape(entitlement)
    unit = entitlement.allocation_type
    if "total_terms" in changes:
        entitlement.total_terms = _stored(changes["total_terms"], unit, "total_terms")
    elif unit != old_allocation:
        entitlement.total_terms = _converted(entitlement.total_terms, old_allocation, unit)
    ledger_total, ledger_by_channel = _ledger_sums(entitlement)
    entitlement.remaining_terms = entitlement.total_terms + ledger_total
    customer = _customer(entitlement)
    contacts = None
    if "contact_ids" in changes:
        contacts = _contacts(changes["contact_ids"] or [], customer)
    elif "customer" in changes:
        contacts = _contacts(list(entitlement.contacts.values_list("id", flat=True)), customer)
    products = _products(changes["product_ids"] or []) if "product_ids" in changes else None
    existing = {c.channel: c.terms for c in entitlement.channels.all()}
    channel_terms: dict[str, int] | None = None
    if "channels" in changes:
        channel_terms = _channel_terms(changes["channels"] or [], unit, entitlement.total_terms)
    elif unit != old_allocation:
        channel_terms = {
            c: _converted(t, old_allocation, unit, "channels") for c, t in existing.items()
        }
    listed = channel_terms if channel_terms is not None else existing
    if any(terms > entitlement.total_terms for terms in listed.values()):
        raise ValidationFailed({"channels": "a channel cannot have more terms than the total"})
    if entitlement.restrict_case_creation:
        if entitlement.remaining_terms < 0:
            raise ValidationFailed(
                {"total_terms": "is less than what cases already consumed from it"}
            )
        if any(t + ledger_by_channel.get(c, 0) < 0 for c, t in listed.items()):
            raise ValidationFailed(
                {"channels": "a channel has less than what cases already consumed from it"}
            )
    if entitlement.is_default and (not before["is_default"] or "customer" in changes):
        _clear_other_defaults(entitlement=entitlement, actor=actor, channel=channel)
    entitlement.save()
    if contacts is not None:
        entitlement.contacts.set(contacts)
    if products is not None:
        entitlement.products.set(products)
    if channel_terms is not None:
        entitlement.channels.exclude(channel__in=list(channel_terms)).delete()
        for name, terms in channel_terms.items():
            EntitlementChannel.objects.update_or_create(
                entitlement=entitlement,
                channel=name,
                defaults={
                    "terms": terms,
                    "remaining_terms": terms + ledger_by_channel.get(name, 0),
                },
            )
    if _snapshot(entitlement) == before:
        return entitlement
    _touch(entitlement)
    entitlement.save(update_fields=["version", "modified_at"])
    _audit(actor=actor, entitlement=entitlement, action="update", channel=channel, before=before)
    return entitlement


def _converted(stored: int, old: str, new: str, field: str = "total_terms") -> int:
    """Keep the number shown when the unit changes: 10 cases become 10 hours."""
    shown = rules.stored_to_terms(stored, old)
    try:
        return rules.terms_to_stored(Decimal(str(shown)), new)
    except rules.TermsError as exc:
        raise ValidationFailed({field: f"give the terms in the new unit: {exc}"}) from exc


def _differs(entitlement: Entitlement, name: str, value: Any) -> bool:
    if name == "customer":
        if value is None:
            return True
        current = _customer_ref(entitlement)
        return current != {"type": value.type, "id": str(value.id)}
    return bool(getattr(entitlement, name) != value)


def _transition(
    *,
    actor: Actor,
    entitlement_id: uuid.UUID,
    expected_version: ExpectedVersion,
    allowed_from: tuple[str, ...],
    target: str,
    action: str,
    channel: str,
) -> Entitlement:
    require_role(actor, Role.MANAGER, _MANAGERS_ONLY)
    entitlement = entitlement_lock(entitlement_id)
    check_version(expected_version, entitlement.version)
    if entitlement.state not in allowed_from:
        shown = rules.shown_state(
            entitlement.state, entitlement.start_date, entitlement.end_date, clock.today()
        )
        raise EntitlementState(
            f"A {shown} entitlement cannot be {action}d.",
            details={"entitlement_id": str(entitlement.pk), "state": shown, "action": action},
        )
    before = _snapshot(entitlement)
    entitlement.state = target
    _touch(entitlement)
    entitlement.save(update_fields=["state", "version", "modified_at"])
    _audit(actor=actor, entitlement=entitlement, action=action, channel=channel, before=before)
    return entitlement


@transaction.atomic
def entitlement_activate(
    *,
    actor: Actor,
    entitlement_id: uuid.UUID,
    expected_version: ExpectedVersion = None,
    channel: str = Channel.API,
) -> Entitlement:
    """Activate a draft: it becomes applicable to cases from its start date to its end date
    (shown as waiting before, expired after). Refuse with `entitlement_state` otherwise."""
    return _transition(
        actor=actor,
        entitlement_id=entitlement_id,
        expected_version=expected_version,
        allowed_from=(State.DRAFT,),
        target=State.ACTIVE,
        action="activate",
        channel=channel,
    )


@transaction.atomic
def entitlement_deactivate(
    *,
    actor: Actor,
    entitlement_id: uuid.UUID,
    expected_version: ExpectedVersion = None,
    channel: str = Channel.API,
) -> Entitlement:
    """Return an active (also waiting or expired) entitlement to draft, where it can be edited;
    cases keep it. Refuse with `entitlement_state` for a draft or cancelled one."""
    return _transition(
        actor=actor,
        entitlement_id=entitlement_id,
        expected_version=expected_version,
        allowed_from=(State.ACTIVE,),
        target=State.DRAFT,
        action="deactivate",
        channel=channel,
    )


@transaction.atomic
def entitlement_cancel(
    *,
    actor: Actor,
    entitlement_id: uuid.UUID,
    expected_version: ExpectedVersion = None,
    channel: str = Channel.API,
) -> Entitlement:
    """Cancel an active (also waiting or expired) entitlement for good: it applies to no new
    case; cases keep it and what they consumed. Refuse with `entitlement_state` otherwise."""
    return _transition(
        actor=actor,
        entitlement_id=entitlement_id,
        expected_version=expected_version,
        allowed_from=(State.ACTIVE,),
        target=State.CANCELLED,
        action="cancel",
        channel=channel,
    )
