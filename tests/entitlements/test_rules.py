"""Term arithmetic without a database (docs/entitlements.md)."""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from casedesk.entitlements import rules
from casedesk.entitlements.choices import LedgerReason

E1 = uuid.UUID(int=1)
E2 = uuid.UUID(int=2)
D = dt.date(2026, 6, 15)


@pytest.mark.parametrize(
    ("given_hours", "minutes"),
    [("1.33", 80), ("1", 60), ("0.01", 1), ("0.5", 30), ("2.25", 135), ("0", 0), ("0.99", 59)],
)
def test_hours_are_kept_as_whole_minutes_rounded_half_up_when_stored(
    given_hours: str, minutes: int
) -> None:
    assert rules.terms_to_stored(Decimal(given_hours), rules.HOURS) == minutes


def test_hours_with_three_decimals_are_refused_when_stored() -> None:
    with pytest.raises(rules.TermsError):
        rules.terms_to_stored(Decimal("1.005"), rules.HOURS)


def test_fractional_cases_are_refused_when_stored() -> None:
    with pytest.raises(rules.TermsError):
        rules.terms_to_stored(Decimal("1.5"), rules.CASES)
    assert rules.terms_to_stored(Decimal("3.00"), rules.CASES) == 3


def test_minutes_are_shown_as_hours_with_two_decimals_when_hours() -> None:
    assert rules.stored_to_terms(80, rules.HOURS) == 1.33
    assert rules.stored_to_terms(-90, rules.HOURS) == -1.5
    assert rules.stored_to_terms(600, rules.HOURS) == 10
    assert rules.stored_to_terms(7, rules.CASES) == 7


@given(st.decimals(min_value=0, max_value=100_000, places=2))
def test_two_decimal_hours_survive_a_round_trip_when_stored_and_shown(hours: Decimal) -> None:
    minutes = rules.terms_to_stored(hours, rules.HOURS)
    assert abs(Decimal(str(rules.stored_to_terms(minutes, rules.HOURS))) - hours) <= Decimal("0.01")


@pytest.mark.parametrize(
    ("state", "start", "end", "shown"),
    [
        ("active", D, D, "active"),
        ("active", D + dt.timedelta(days=1), D + dt.timedelta(days=5), "waiting"),
        ("active", D - dt.timedelta(days=5), D - dt.timedelta(days=1), "expired"),
        ("draft", D - dt.timedelta(days=5), D - dt.timedelta(days=1), "draft"),
        ("cancelled", D, D, "cancelled"),
    ],
)
def test_waiting_and_expired_derive_from_the_dates_when_active(
    state: str, start: dt.date, end: dt.date, shown: str
) -> None:
    assert rules.shown_state(state, start, end, D) == shown


def _target(**kw: object) -> int:
    base: dict[str, object] = {
        "allocation_type": rules.CASES,
        "decrease_on": rules.CREATION,
        "decrement": True,
        "case_state": "active",
        "billable_minutes": 0,
    }
    base.update(kw)
    return rules.target_debit(**base)  # type: ignore[arg-type]


def test_target_is_one_case_when_creation_mode_and_not_cancelled() -> None:
    assert _target() == 1
    assert _target(case_state="resolved") == 1
    assert _target(case_state="cancelled") == 0


def test_target_is_zero_when_terms_are_not_decremented() -> None:
    assert _target(decrement=False) == 0
    assert _target(decrease_on=rules.RESOLUTION, case_state="resolved", decrement=False) == 0


def test_target_counts_only_when_resolved_in_resolution_mode() -> None:
    assert _target(decrease_on=rules.RESOLUTION) == 0
    assert _target(decrease_on=rules.RESOLUTION, case_state="resolved") == 1
    assert _target(decrease_on=rules.RESOLUTION, case_state="cancelled") == 0


def test_target_is_the_billable_minutes_when_hours() -> None:
    hours = {"allocation_type": rules.HOURS, "decrease_on": rules.RESOLUTION}
    assert _target(**hours, case_state="resolved", billable_minutes=95) == 95
    assert _target(**hours, case_state="active", billable_minutes=95) == 0


def test_contract_line_target_is_one_case_or_minutes_when_resolved() -> None:
    assert (
        rules.contract_line_target(
            allotment_type="cases", case_state="resolved", billable_minutes=9
        )
        == 1
    )
    assert (
        rules.contract_line_target(
            allotment_type="minutes", case_state="resolved", billable_minutes=9
        )
        == 9
    )
    assert (
        rules.contract_line_target(
            allotment_type="coverage_dates", case_state="resolved", billable_minutes=9
        )
        == 0
    )
    assert (
        rules.contract_line_target(allotment_type="cases", case_state="active", billable_minutes=9)
        == 0
    )


def test_only_the_difference_is_written_when_the_ledger_already_holds_the_target() -> None:
    assert rules.ledger_moves(held={(E1, "phone"): -1}, target=(E1, "phone"), debit=1) == []
    assert rules.ledger_moves(held={}, target=(E1, "phone"), debit=1) == [
        rules.Move(E1, "phone", -1)
    ]
    assert rules.ledger_moves(held={(E1, "phone"): -60}, target=(E1, "phone"), debit=90) == [
        rules.Move(E1, "phone", -30)
    ]


def test_a_move_credits_the_old_place_before_debiting_the_new_when_channel_changes() -> None:
    moves = rules.ledger_moves(held={(E1, "phone"): -1}, target=(E1, "email"), debit=1)
    assert moves == [rules.Move(E1, "phone", 1), rules.Move(E1, "email", -1)]


def test_a_move_credits_the_old_entitlement_when_the_entitlement_changes() -> None:
    moves = rules.ledger_moves(held={(E2, "phone"): -1}, target=(E1, "phone"), debit=1)
    assert sorted(moves, key=lambda m: m.amount) == [
        rules.Move(E1, "phone", -1),
        rules.Move(E2, "phone", 1),
    ]


def test_everything_is_credited_when_the_case_leaves_its_entitlement() -> None:
    moves = rules.ledger_moves(held={(E1, "phone"): -1, (E2, "web"): 0}, target=None, debit=0)
    assert moves == [rules.Move(E1, "phone", 1)]


@given(
    held=st.dictionaries(
        st.tuples(st.sampled_from([E1, E2]), st.sampled_from(["phone", "email", "web"])),
        st.integers(min_value=-500, max_value=500),
        max_size=6,
    ),
    target=st.one_of(
        st.none(),
        st.tuples(st.sampled_from([E1, E2]), st.sampled_from(["phone", "email", "web"])),
    ),
    debit=st.integers(min_value=0, max_value=500),
)
def test_after_the_moves_the_ledger_holds_exactly_the_target_when_any_history(
    held: dict[tuple[uuid.UUID, str], int], target: tuple[uuid.UUID, str] | None, debit: int
) -> None:
    if target is None:
        debit = 0
    after = dict(held)
    for move in rules.ledger_moves(held=held, target=target, debit=debit):
        assert move.amount != 0
        key = (move.entitlement_id, move.channel)
        after[key] = after.get(key, 0) + move.amount
    expected = {target: -debit} if target is not None and debit else {}
    assert {k: v for k, v in after.items() if v} == expected


@pytest.mark.parametrize(
    ("facts", "covered"),
    [
        ({}, True),
        ({"same_customer": False}, False),
        ({"limited_contacts": True}, False),
        ({"limited_contacts": True, "contact_allowed": True}, True),
        ({"limited_products": True}, False),
        ({"limited_products": True, "product_allowed": True}, True),
        ({"limited_contacts": True, "contact_allowed": True, "limited_products": True}, False),
    ],
)
def test_a_limited_entitlement_covers_only_its_contacts_and_products(
    facts: dict[str, bool], covered: bool
) -> None:
    base = {
        "same_customer": True,
        "limited_contacts": False,
        "contact_allowed": False,
        "limited_products": False,
        "product_allowed": False,
    }
    assert rules.covers(**{**base, **facts}) is covered


def test_nothing_left_means_exhausted_when_restricted() -> None:
    assert rules.exhausted(0) and rules.exhausted(-3) and not rules.exhausted(1)


def test_ledger_reason_is_the_lifecycle_event_when_the_write_is_one() -> None:
    assert rules.ledger_reason(action="merge", changed={"entitlement_id"}) == "case_merged"


def test_ledger_reason_is_the_first_explaining_field_when_the_write_is_an_edit() -> None:
    changed = {"billable_minutes", "origin", "title"}
    assert rules.ledger_reason(action="update", changed=changed) == "channel_changed"


def test_ledger_reason_is_case_updated_when_no_field_explains_the_edit() -> None:
    assert rules.ledger_reason(action="activity_complete", changed={"total_minutes"}) == (
        "case_updated"
    )


def test_ledger_reasons_are_all_ledger_reason_choices_when_listed() -> None:
    reasons = {value for name, value in vars(rules).items() if name.startswith("REASON_")}
    assert reasons <= set(LedgerReason.values)
