"""The term ledger's rule, applied after every write to a case (docs/entitlements.md#the-rule).

For each case there is a target: what it should have consumed, where. After every write the
ledger gets only the difference between that target and what it already holds for the case, as
rows; the stored counters (`remaining_terms` of the entitlement and its channels, `used` of a
contract line) are a cache written by the same statements. A debit on a restricted entitlement is
one conditional `UPDATE ... WHERE remaining_terms >= amount`: a row lock plus a re-checked
condition on PostgreSQL, a serialised writer on SQLite, so parallel requests never overdraw.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any

from django.db.models import F, Q, QuerySet, Sum

from casedesk.cases.models import Case
from casedesk.core import clock
from casedesk.core.errors import EntitlementExhausted
from casedesk.directory.access import Actor, actor_user
from casedesk.entitlements import rules
from casedesk.entitlements.choices import AllocationType, LedgerReason
from casedesk.entitlements.models import (
    ContractLine,
    ContractLineLedger,
    Entitlement,
    EntitlementChannel,
    TermLedger,
)

_NO_CHANNEL = ""


def case_terms_sync(
    *, case: Case, actor: Actor, channel: str, reason: str, created: bool = False
) -> None:
    """Write to the ledger the difference between the case's target debit and what the ledger
    holds for it, on its entitlement and matching channel, and likewise on its contract line.
    The case-write pipeline (`cases/services/pipeline.py`) calls it after every case write,
    inside the write's transaction; `reason` is the case event behind the change
    (`rules.ledger_reason`), recorded on the rows that are not a move between entitlements,
    channels or contract lines.

    Refuse with `entitlement_exhausted` (nothing written: the caller's transaction rolls back)
    when a debit would take a restricted entitlement, or its channel, below zero.

    `created`: the case is new in this transaction, so the ledger holds nothing for it yet
    (the holdings are not read).
    """
    _sync_entitlement(case, actor, reason, created)
    _sync_contract_line(case, actor, reason, created)


def _held(ledger: QuerySet[Any], *keys: str) -> dict[tuple[uuid.UUID, str], int]:
    """What `ledger` (one case's rows) holds: the sum of its amounts by (place, channel), the
    channel read from the second of `keys` when there is one; sums of zero left out."""
    rows = ledger.values(*keys).annotate(total=Sum("amount"))
    return {
        (r[keys[0]], r[keys[1]] if len(keys) > 1 else _NO_CHANNEL): r["total"]
        for r in rows
        if r["total"]
    }


def _moves(
    held: dict[tuple[uuid.UUID, str], int], target: tuple[uuid.UUID, str] | None, debit: int
) -> list[rules.Move]:
    """The rows that bring what a ledger holds for a case to its target (none when it holds
    nothing and owes nothing)."""
    if not held and not debit:
        return []
    return rules.ledger_moves(held=held, target=target, debit=debit)


def _terms_of(case: Case) -> tuple[str, str]:
    """Allocation type and decrease-on of the case's entitlement (fixed while cases use it, so
    the instance the case service already loaded will do)."""
    entitlement_id = case.entitlement_id
    assert entitlement_id is not None
    cached = case.entitlement if Case.entitlement.is_cached(case) else None
    if cached is None or cached.pk != entitlement_id:
        cached = Entitlement.objects.only("allocation_type", "decrease_on").get(pk=entitlement_id)
    return cached.allocation_type, cached.decrease_on


def _sync_entitlement(case: Case, actor: Actor, reason: str, created: bool) -> None:
    held = {}
    if not created:  # a new case has no rows yet (and a batch of them costs nothing here)
        held = _held(TermLedger.objects.filter(case_id=case.pk), "entitlement_id", "channel")
    target: tuple[uuid.UUID, str] | None = None
    debit = 0
    if case.entitlement_id is not None:
        allocation_type, decrease_on = _terms_of(case)
        target = (case.entitlement_id, case.origin)
        debit = rules.target_debit(
            allocation_type=allocation_type,
            decrease_on=decrease_on,
            decrement=case.decrement_entitlement_terms,
            case_state=case.state,
            billable_minutes=case.billable_minutes,
        )
    moves = _moves(held, target, debit)
    if not moves:
        return
    now = clock.now()
    rows = []
    for move in moves:
        _apply(case, move)
        rows.append(
            TermLedger(
                entitlement_id=move.entitlement_id,
                case_id=case.pk,
                amount=move.amount,
                reason=_row_reason(move, target, moves, reason),
                channel=move.channel,
                actor=actor_user(actor),
                at=now,
            )
        )
    TermLedger.objects.bulk_create(rows)


def _row_reason(
    move: rules.Move,
    target: tuple[uuid.UUID, str] | None,
    moves: Sequence[rules.Move],
    reason: str,
) -> str:
    """A move between entitlements or channels says so; anything else is the case's event."""
    moved = [m for m in moves if (m.entitlement_id, m.channel) != target]
    if not moved:
        return reason
    if target is None:
        return reason
    if any(m.entitlement_id != target[0] for m in moved):
        return LedgerReason.ENTITLEMENT_CHANGED
    return LedgerReason.CHANNEL_CHANGED


def _exhausted(case: Case, move: rules.Move, *, channel: bool) -> EntitlementExhausted:
    """The refusal of a debit, saying what is left and what was needed (in the stored unit:
    cases, or minutes of an entitlement in hours) so no one reads "no terms left" of an
    entitlement with an hour left."""
    entitlement = Entitlement.objects.values("allocation_type", "remaining_terms").get(
        pk=move.entitlement_id
    )
    remaining: int | None = entitlement["remaining_terms"]
    if channel:
        remaining = (
            EntitlementChannel.objects.filter(
                entitlement_id=move.entitlement_id, channel=move.channel
            )
            .values_list("remaining_terms", flat=True)
            .first()
        )
    kind = entitlement["allocation_type"]
    details: dict[str, Any] = {
        "case_id": str(case.pk),
        "entitlement_id": str(move.entitlement_id),
        "needed": -move.amount,
        "remaining": remaining,
        "allocation_type": kind,
    }
    left = _amount(remaining or 0, kind)
    needed = _amount(-move.amount, kind)
    if channel:
        details["channel"] = move.channel
        message = (
            f"The entitlement has {left} left for the {move.channel} channel; "
            f"this case needs {needed}."
        )
    else:
        message = f"The entitlement has {left} left; this case needs {needed}."
    return EntitlementExhausted(message, details=details)


def _amount(stored: int, allocation_type: str) -> str:
    value = rules.stored_to_terms(max(stored, 0), allocation_type)
    unit = "case" if allocation_type == AllocationType.CASES else "hour"
    return f"{value:g} {unit}{'' if value == 1 else 's'}"


def _apply(case: Case, move: rules.Move) -> None:
    """Update the cached counters for one move; a debit on a restricted entitlement only when
    it leaves the total and the matching channel at zero or above."""
    now = clock.now()
    total = Entitlement.objects.filter(pk=move.entitlement_id)
    if move.amount < 0:
        total = total.filter(Q(restrict_case_creation=False) | Q(remaining_terms__gte=-move.amount))
    changed = total.update(
        remaining_terms=F("remaining_terms") + move.amount,
        version=F("version") + 1,
        modified_at=now,
    )
    if not changed:
        raise _exhausted(case, move, channel=False)
    # The entitlement's row is locked now: its restrict flag cannot change under us.
    listed = (
        EntitlementChannel.objects.filter(entitlement_id=move.entitlement_id, channel=move.channel)
        .values("id", "entitlement__restrict_case_creation")
        .first()
    )
    if listed is None:
        return
    line = EntitlementChannel.objects.filter(id=listed["id"])
    if move.amount < 0 and listed["entitlement__restrict_case_creation"]:
        line = line.filter(remaining_terms__gte=-move.amount)
    if not line.update(remaining_terms=F("remaining_terms") + move.amount):
        raise _exhausted(case, move, channel=True)


def _sync_contract_line(case: Case, actor: Actor, reason: str, created: bool) -> None:
    held = {}
    if not created:
        held = _held(ContractLineLedger.objects.filter(case_id=case.pk), "contract_line_id")
    target: tuple[uuid.UUID, str] | None = None
    debit = 0
    if case.contract_line_id is not None:
        allotment = (
            ContractLine.objects.filter(pk=case.contract_line_id)
            .values_list("allotment_type", flat=True)
            .get()
        )
        target = (case.contract_line_id, _NO_CHANNEL)
        debit = rules.contract_line_target(
            allotment_type=allotment, case_state=case.state, billable_minutes=case.billable_minutes
        )
    moves = _moves(held, target, debit)
    if not moves:
        return
    now = clock.now()
    entries = []
    for move in moves:
        ContractLine.objects.filter(pk=move.entitlement_id).update(
            used=F("used") - move.amount, version=F("version") + 1
        )
        moved = move.entitlement_id != case.contract_line_id
        entries.append(
            ContractLineLedger(
                contract_line_id=move.entitlement_id,
                case_id=case.pk,
                amount=move.amount,
                reason=LedgerReason.CONTRACT_LINE_CHANGED if moved else reason,
                actor=actor_user(actor),
                at=now,
            )
        )
    ContractLineLedger.objects.bulk_create(entries)
