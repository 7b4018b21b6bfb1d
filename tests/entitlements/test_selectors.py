"""Reads of entitlements that pages build on."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

pytestmark = pytest.mark.django_db


def test_near_exhaustion_is_the_share_left_not_the_number_left(
    make_entitlement: Callable[..., dict[str, Any]],
) -> None:
    from casedesk.entitlements import selectors
    from casedesk.entitlements.models import Entitlement

    def made(name: str, total: int, left: int, activate: bool = True) -> None:
        record = make_entitlement(name=name, total_terms=total, activate=activate)
        Entitlement.objects.filter(pk=record["id"]).update(remaining_terms=left)

    made("Ten percent of many", 10_000, 1_000)
    made("A fifth", 5, 1)
    made("Most left", 5, 4)
    made("Empty", 2, 0)
    made("Overdrawn", 4, -1)
    made("Draft, empty", 10, 0, activate=False)

    found = selectors.entitlements_near_exhaustion(share=0.2, limit=10)
    assert [e.name for e in found] == ["Overdrawn", "Empty", "Ten percent of many", "A fifth"]
    limited = selectors.entitlements_near_exhaustion(share=0.2, limit=2)
    assert [e.name for e in limited] == ["Overdrawn", "Empty"]
