"""The term ledger's rule, applied after every write to a case (SPEC §8)."""

from __future__ import annotations

from casedesk.cases.models import Case
from casedesk.directory.models import User


def case_terms_sync(*, case: Case, actor: User | None, channel: str) -> None:
    """Write to the ledger the difference between the case's target debit and what the ledger
    holds for it, on its entitlement and matching channel. Every case service calls it last."""
    return None
