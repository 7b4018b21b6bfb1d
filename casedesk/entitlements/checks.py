"""Invariants of the term ledger for `casedesk check` (docs/entitlements.md#the-rule): the stored
counters are a cache of the ledger, and every case holds exactly its target."""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Iterator

from django.db.models import Sum

from casedesk.cases.models import Case
from casedesk.core.invariants import invariant
from casedesk.entitlements import rules
from casedesk.entitlements.models import (
    ContractLine,
    ContractLineLedger,
    Entitlement,
    EntitlementChannel,
    TermLedger,
)

CHUNK = 2000


@invariant("entitlement_ledger")
def entitlement_counters_match_the_ledger() -> Iterator[str]:
    """remaining = total + Σ ledger, for each entitlement and each listed channel; a restricted
    entitlement is never overdrawn."""
    sums = dict(
        TermLedger.objects.values("entitlement_id")
        .annotate(total=Sum("amount"))
        .values_list("entitlement_id", "total")
    )
    rows = Entitlement.objects.values_list(
        "id", "total_terms", "remaining_terms", "restrict_case_creation"
    )
    for eid, total, remaining, restricted in rows.iterator(chunk_size=CHUNK):
        expected = total + (sums.get(eid) or 0)
        if remaining != expected:
            yield (f"entitlement {eid}: remaining_terms is {remaining}, the ledger says {expected}")
        if restricted and remaining < 0:
            yield f"entitlement {eid}: restricted but overdrawn ({remaining})"
    by_channel = {
        (r["entitlement_id"], r["channel"]): r["total"]
        for r in TermLedger.objects.values("entitlement_id", "channel").annotate(
            total=Sum("amount")
        )
    }
    channels = EntitlementChannel.objects.values_list(
        "entitlement_id",
        "channel",
        "terms",
        "remaining_terms",
        "entitlement__restrict_case_creation",
    )
    for eid, name, terms, remaining, restricted in channels.iterator(chunk_size=CHUNK):
        expected = terms + (by_channel.get((eid, name)) or 0)
        if remaining != expected:
            yield (
                f"entitlement {eid} channel {name}: remaining_terms is {remaining}, "
                f"the ledger says {expected}"
            )
        if restricted and remaining < 0:
            yield f"entitlement {eid} channel {name}: restricted but overdrawn ({remaining})"


@invariant("contract_line_ledger")
def contract_lines_match_the_ledger() -> Iterator[str]:
    """used = −Σ ledger for each contract line."""
    sums = dict(
        ContractLineLedger.objects.values("contract_line_id")
        .annotate(total=Sum("amount"))
        .values_list("contract_line_id", "total")
    )
    for lid, used in ContractLine.objects.values_list("id", "used").iterator(chunk_size=CHUNK):
        expected = -(sums.get(lid) or 0)
        if used != expected:
            yield f"contract line {lid}: used is {used}, the ledger says {expected}"


@invariant("case_terms")
def cases_hold_their_target() -> Iterator[str]:
    """What the ledger holds for each case is its target debit, on its entitlement and origin
    channel (nothing elsewhere)."""
    held: dict[uuid.UUID, dict[tuple[uuid.UUID, str], int]] = defaultdict(dict)
    rows = TermLedger.objects.values("case_id", "entitlement_id", "channel").annotate(
        total=Sum("amount")
    )
    for row in rows.iterator(chunk_size=CHUNK):
        if row["total"]:
            held[row["case_id"]][(row["entitlement_id"], row["channel"])] = row["total"]
    units = {
        eid: (allocation, decrease)
        for eid, allocation, decrease in Entitlement.objects.values_list(
            "id", "allocation_type", "decrease_on"
        ).iterator(chunk_size=CHUNK)
    }
    cases = Case.objects.filter(entitlement__isnull=False).values_list(
        "id", "entitlement_id", "origin", "state", "decrement_entitlement_terms", "billable_minutes"
    )
    for cid, eid, origin, state, decrement, billable in cases.iterator(chunk_size=CHUNK):
        allocation, decrease = units[eid]
        debit = rules.target_debit(
            allocation_type=allocation,
            decrease_on=decrease,
            decrement=decrement,
            case_state=state,
            billable_minutes=billable,
        )
        expected = {(eid, origin): -debit} if debit else {}
        found = held.pop(cid, {})
        if found != expected:
            yield f"case {cid}: the ledger holds {_show(found)}, its target is {_show(expected)}"
    for cid, found in held.items():
        yield f"case {cid}: has no entitlement but the ledger holds {_show(found)}"


def _show(holdings: dict[tuple[uuid.UUID, str], int]) -> str:
    if not holdings:
        return "nothing"
    return ", ".join(f"{amount} on {eid}/{channel}" for (eid, channel), amount in holdings.items())
