"""Entitlement amounts and refusals read as people write them (docs/entitlements.md)."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.utils import translation

from casedesk.core.errors import EntitlementExhausted
from casedesk.web.errors import error_message
from casedesk.web.templatetags.casedesk_web import num, terms


@pytest.mark.parametrize(
    ("value", "en", "it"),
    [
        (Decimal("40.0"), "40", "40"),
        (Decimal("1.50"), "1.5", "1,5"),
        (40.0, "40", "40"),
        (Decimal("1234.25"), "1,234.25", "1.234,25"),
        (7, "7", "7"),
    ],
)
def test_numbers_have_no_trailing_zeros(value: object, en: str, it: str) -> None:
    with translation.override("en"):
        assert num(value) == en
    with translation.override("it"):
        assert num(value) == it


def test_terms_read_with_their_unit() -> None:
    with translation.override("en"):
        assert terms(Decimal("40.0"), "hours") == "40 hours"
        assert terms(1, "cases") == "1 case"


def test_an_exhausted_entitlement_says_what_is_left_and_what_is_needed() -> None:
    refusal = EntitlementExhausted(
        "x", details={"remaining": 60, "needed": 90, "allocation_type": "hours"}
    )
    with translation.override("en"):
        assert error_message(refusal) == (
            "The entitlement has 1 hour left; this case needs 1.5 hours."
        )
    with translation.override("it"):
        assert error_message(refusal) == (
            "All'autorizzazione restano 1 ora; questo caso ne richiede 1,5 ore."
        )
    channel = EntitlementExhausted(
        "x",
        details={"remaining": 0, "needed": 1, "allocation_type": "cases", "channel": "phone"},
    )
    with translation.override("en"):
        assert error_message(channel) == (
            "The entitlement has 0 cases left for the Phone channel; this case needs 1 case."
        )
