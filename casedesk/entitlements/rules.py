"""Term arithmetic (docs/entitlements.md#the-rule), in plain Python: units, shown states, target
debits, ledger moves.

Terms are kept as integers in the entitlement's unit: whole cases, or minutes for hours.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

CASES = "cases"
HOURS = "hours"
CREATION = "creation"
RESOLUTION = "resolution"
MINUTES_PER_HOUR = 60

DRAFT = "draft"
ACTIVE = "active"
WAITING = "waiting"
EXPIRED = "expired"
CANCELLED = "cancelled"

# Case states as stored on the case (casedesk.cases.choices.State).
CASE_ACTIVE = "active"
CASE_RESOLVED = "resolved"
CASE_CANCELLED = "cancelled"

# Contract line allotment types.
ALLOT_CASES = "cases"
ALLOT_MINUTES = "minutes"


# Ledger reasons (casedesk.entitlements.choices.LedgerReason), by the case event behind them.
REASON_CASE_CREATED = "case_created"
REASON_CASE_UPDATED = "case_updated"
REASON_CASE_RESOLVED = "case_resolved"
REASON_CASE_CANCELLED = "case_cancelled"
REASON_CASE_MERGED = "case_merged"
REASON_CASE_REACTIVATED = "case_reactivated"
REASON_ENTITLEMENT_CHANGED = "entitlement_changed"
REASON_CHANNEL_CHANGED = "channel_changed"
REASON_DECREMENT_CHANGED = "decrement_changed"
REASON_CONTRACT_LINE_CHANGED = "contract_line_changed"
REASON_BILLABLE_CHANGED = "billable_changed"

# The case actions that are their own reason (the audit action of the case write).
_ACTION_REASONS = {
    "create": REASON_CASE_CREATED,
    "resolve": REASON_CASE_RESOLVED,
    "cancel": REASON_CASE_CANCELLED,
    "merge": REASON_CASE_MERGED,
    "reactivate": REASON_CASE_REACTIVATED,
}
# For any other write, the first changed field (API name) that explains a new target.
_CHANGE_REASONS = (
    ("entitlement_id", REASON_ENTITLEMENT_CHANGED),
    ("contract_line_id", REASON_CONTRACT_LINE_CHANGED),
    ("origin", REASON_CHANNEL_CHANGED),
    ("decrement_entitlement_terms", REASON_DECREMENT_CHANGED),
    ("billable_minutes", REASON_BILLABLE_CHANGED),
    ("state", REASON_CASE_UPDATED),
)


def ledger_reason(*, action: str, changed: Collection[str]) -> str:
    """The reason the ledger records for a case write: the lifecycle event (`action`) if it is
    one, else the first field in `changed` that moves the target, else `case_updated`."""
    if action in _ACTION_REASONS:
        return _ACTION_REASONS[action]
    for field, reason in _CHANGE_REASONS:
        if field in changed:
            return reason
    return REASON_CASE_UPDATED


class TermsError(ValueError):
    """An amount that cannot be stored in the entitlement's unit."""


def terms_to_stored(value: Decimal | int, allocation_type: str) -> int:
    """Terms as given (cases, or hours with at most two decimals) to the stored integer.

    Hours become whole minutes, rounded half up: 1.33 h is 80 min.
    """
    amount = Decimal(value)
    if not amount.is_finite():
        raise TermsError("must be a finite number")
    if allocation_type == HOURS:
        if amount != amount.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP):
            raise TermsError("hours take at most two decimals")
        return int((amount * MINUTES_PER_HOUR).quantize(Decimal(1), rounding=ROUND_HALF_UP))
    if amount != amount.to_integral_value():
        raise TermsError("must be a whole number of cases")
    return int(amount)


def stored_to_terms(stored: int, allocation_type: str) -> int | float:
    """The stored integer in the entitlement's unit: cases, or hours with two decimals."""
    if allocation_type == HOURS:
        hours = (Decimal(stored) / MINUTES_PER_HOUR).quantize(
            Decimal("0.01"), rounding=ROUND_HALF_UP
        )
        return float(hours)
    return int(stored)


def shown_state(state: str, start_date: dt.date, end_date: dt.date, today: dt.date) -> str:
    """Only draft, active and cancelled are stored; an active one before its start date is
    `waiting` and after its end date `expired` (dates are inclusive)."""
    if state != ACTIVE:
        return state
    if today < start_date:
        return WAITING
    if today > end_date:
        return EXPIRED
    return ACTIVE


def target_debit(
    *,
    allocation_type: str,
    decrease_on: str,
    decrement: bool,
    case_state: str,
    billable_minutes: int,
) -> int:
    """What the case should have consumed from its entitlement (a positive number, or 0).

    One case (cases) or its billable minutes (hours) when terms are decremented and either the
    entitlement decreases on creation and the case is not cancelled (merged cases are cancelled),
    or it decreases on resolution and the case is resolved.
    """
    if not decrement:
        return 0
    if decrease_on == CREATION:
        counts = case_state != CASE_CANCELLED
    else:
        counts = case_state == CASE_RESOLVED
    if not counts:
        return 0
    if allocation_type == HOURS:
        return max(0, int(billable_minutes))
    return 1


def contract_line_target(*, allotment_type: str, case_state: str, billable_minutes: int) -> int:
    """What a resolved case consumes from its contract line: 1 case or its billable minutes."""
    if case_state != CASE_RESOLVED:
        return 0
    if allotment_type == ALLOT_CASES:
        return 1
    if allotment_type == ALLOT_MINUTES:
        return max(0, int(billable_minutes))
    return 0


@dataclass(frozen=True)
class Move:
    """One ledger row to write: a signed amount on an entitlement and a channel."""

    entitlement_id: uuid.UUID
    channel: str
    amount: int


def ledger_moves(
    *,
    held: Mapping[tuple[uuid.UUID, str], int],
    target: tuple[uuid.UUID, str] | None,
    debit: int,
) -> list[Move]:
    """The rows that bring what the ledger holds for one case to its target.

    `held` maps (entitlement, channel) to the sum of the case's rows there (negative for what
    it consumed); `target` is where the case now belongs and `debit` what it should consume
    there. Every other place is credited back to zero, then the target is adjusted; within an
    entitlement credits come before debits so that a move between channels nets out first.
    Entitlements are visited in a stable order (by id) to lock rows in the same order.
    """
    wanted: dict[tuple[uuid.UUID, str], int] = {
        key: -amount for key, amount in held.items() if amount != 0 and key != target
    }
    if target is not None:
        delta = -debit - held.get(target, 0)
        if delta != 0:
            wanted[target] = delta
    moves = [Move(key[0], key[1], amount) for key, amount in wanted.items() if amount != 0]
    moves.sort(key=lambda m: (str(m.entitlement_id), m.amount < 0, m.channel))
    return moves


def covers(
    *,
    same_customer: bool,
    limited_contacts: bool,
    contact_allowed: bool,
    limited_products: bool,
    product_allowed: bool,
) -> bool:
    """Whether an entitlement covers a case: the same customer, and, when it is limited to
    some contacts or products, the case's contact and product among them (a case without a
    contact or product is not covered by a limited entitlement)."""
    if not same_customer:
        return False
    if limited_contacts and not contact_allowed:
        return False
    return not (limited_products and not product_allowed)


def exhausted(remaining: int) -> bool:
    """A restricted entitlement (or channel) with nothing left refuses new cases."""
    return remaining <= 0
