"""Random sequences of case operations against entitlements and a contract line, through the
services, checking after every step that the ledger holds exactly each case's target, that the
stored counters equal the ledger, that restricted entitlements are never overdrawn, and that a
refused operation changes nothing (docs/entitlements.md)."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any, ClassVar

import pytest
from django.db import transaction
from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    Bundle,
    RuleBasedStateMachine,
    invariant,
    multiple,
    rule,
    run_state_machine_as_test,
)

from casedesk.cases.fields import CaseChanges
from casedesk.cases.models import Case
from casedesk.cases.services import lifecycle, merge, records
from casedesk.cases.services.common import Ref
from casedesk.core import clock
from casedesk.core.errors import DomainError
from casedesk.directory.models import User
from casedesk.entitlements import checks
from casedesk.entitlements.models import (
    ContractLine,
    Entitlement,
    EntitlementChannel,
    TermLedger,
)
from casedesk.entitlements.services import contracts, entitlements
from casedesk.entitlements.services.entitlements import ChannelTerms

pytestmark = pytest.mark.django_db

ORIGINS = st.sampled_from(["phone", "email", "web"])
OUTCOMES: dict[str, int] = {}


def _world() -> list[Any]:
    """Everything a refused operation must leave as it was."""
    return [
        list(Case.objects.order_by("id").values_list("id", "version", "state", "entitlement_id")),
        list(Entitlement.objects.order_by("id").values_list("id", "remaining_terms", "version")),
        list(EntitlementChannel.objects.order_by("id").values_list("id", "remaining_terms")),
        list(ContractLine.objects.order_by("id").values_list("id", "used")),
        TermLedger.objects.count(),
    ]


class LedgerMachine(RuleBasedStateMachine):
    actor: ClassVar[User]
    customers: ClassVar[list[uuid.UUID]]
    entitlement_ids: ClassVar[list[uuid.UUID]]
    line_id: ClassVar[uuid.UUID]

    cases = Bundle("cases")

    def __init__(self) -> None:
        super().__init__()
        self._atomic = transaction.atomic()
        self._atomic.__enter__()  # each example rolls back to here in teardown

    def teardown(self) -> None:
        transaction.set_rollback(True)
        self._atomic.__exit__(None, None, None)

    def _attempt(self, name: str, operation: Any) -> Any:
        before = _world()
        try:
            result = operation()
        except DomainError as exc:
            OUTCOMES[f"{name}:{exc.code}"] = OUTCOMES.get(f"{name}:{exc.code}", 0) + 1
            assert _world() == before, f"{name} refused with {exc.code} but changed something"
            return None
        OUTCOMES[name] = OUTCOMES.get(name, 0) + 1
        return result

    @rule(
        target=cases,
        customer=st.integers(0, 1),
        entitlement=st.integers(-2, 3),
        origin=ORIGINS,
        decrement=st.booleans(),
        line=st.booleans(),
    )
    def create(
        self, customer: int, entitlement: int, origin: str, decrement: bool, line: bool
    ) -> Any:
        fields: dict[str, Any] = {"origin": origin, "decrement_entitlement_terms": decrement}
        given: set[str] = set()
        if entitlement >= 0:
            own = [0, 1, 2, 3] if customer == 0 else [3, 3, 3, 0]
            fields["entitlement_id"] = self.entitlement_ids[own[entitlement]]
            given.add("entitlement_id")
        elif entitlement == -1:
            fields["entitlement_id"] = None
            given.add("entitlement_id")
        if line and customer == 0:
            fields["contract_line_id"] = self.line_id
        case = self._attempt(
            "create",
            lambda: records.case_create(
                actor=self.actor,
                title="Race",
                customer=Ref("account", self.customers[customer]),
                given=frozenset(given),
                **fields,
            ),
        )
        return case.pk if case is not None else multiple()

    @rule(case=cases, entitlement=st.integers(-1, 3))
    def move_entitlement(self, case: uuid.UUID, entitlement: int) -> None:
        target = self.entitlement_ids[entitlement] if entitlement >= 0 else None
        self._patch("move_entitlement", case, {"entitlement_id": target})

    @rule(case=cases, origin=ORIGINS)
    def move_channel(self, case: uuid.UUID, origin: str) -> None:
        self._patch("move_channel", case, {"origin": origin})

    @rule(case=cases, decrement=st.booleans())
    def toggle_decrement(self, case: uuid.UUID, decrement: bool) -> None:
        self._patch("toggle_decrement", case, {"decrement_entitlement_terms": decrement})

    @rule(case=cases, customer=st.integers(0, 1))
    def change_customer(self, case: uuid.UUID, customer: int) -> None:
        self._patch("change_customer", case, {"customer": Ref("account", self.customers[customer])})

    def _patch(self, name: str, case: uuid.UUID, changes: dict[str, Any]) -> None:
        self._attempt(
            name,
            lambda: records.case_update(
                actor=self.actor, case_id=case, changes=CaseChanges(**changes)
            ),
        )

    @rule(case=cases, minutes=st.integers(0, 150))
    def resolve(self, case: uuid.UUID, minutes: int) -> None:
        self._attempt(
            "resolve",
            lambda: lifecycle.case_resolve(
                actor=self.actor, case_id=case, resolution="Done.", billable_minutes=minutes
            ),
        )

    @rule(case=cases)
    def cancel(self, case: uuid.UUID) -> None:
        self._attempt("cancel", lambda: lifecycle.case_cancel(actor=self.actor, case_id=case))

    @rule(case=cases)
    def reactivate(self, case: uuid.UUID) -> None:
        self._attempt(
            "reactivate", lambda: lifecycle.case_reactivate(actor=self.actor, case_id=case)
        )

    @rule(subordinate=cases, master=cases)
    def merge(self, subordinate: uuid.UUID, master: uuid.UUID) -> None:
        if subordinate == master:
            return
        self._attempt(
            "merge",
            lambda: merge.case_merge(actor=self.actor, case_id=subordinate, into_id=master),
        )

    @invariant()
    def ledger_is_the_truth(self) -> None:
        for check in (
            checks.entitlement_counters_match_the_ledger,
            checks.contract_lines_match_the_ledger,
            checks.cases_hold_their_target,
        ):
            assert list(check()) == [], check.__name__


def test_random_case_histories_keep_the_ledger_exact(make_user: Any) -> None:
    from casedesk.customers.services import account_create

    actor = make_user("manager")
    today = clock.today()
    customers = [account_create(actor=actor, name=n).pk for n in ("Acme Srl", "Beta Spa")]

    def entitlement(customer: int, **fields: Any) -> uuid.UUID:
        created = entitlements.entitlement_create(
            actor=actor,
            name="E",
            customer=Ref("account", customers[customer]),
            start_date=today - dt.timedelta(days=1),
            end_date=today + dt.timedelta(days=1),
            **fields,
        )
        entitlements.entitlement_activate(actor=actor, entitlement_id=created.pk)
        return created.pk

    LedgerMachine.actor = actor
    LedgerMachine.customers = customers
    LedgerMachine.entitlement_ids = [
        entitlement(
            0,
            allocation_type="cases",
            total_terms=1,
            decrease_on="creation",
            restrict_case_creation=True,
            channels=[ChannelTerms("phone", 1)],
            is_default=True,
        ),
        entitlement(
            0,
            allocation_type="hours",
            total_terms=3,
            restrict_case_creation=True,
            channels=[ChannelTerms("email", 1)],
        ),
        entitlement(0, allocation_type="cases", total_terms=2, decrease_on="resolution"),
        entitlement(
            1, allocation_type="cases", total_terms=1, decrease_on="creation", is_default=True
        ),
    ]
    contract = contracts.contract_create(
        actor=actor,
        name="C",
        customer=Ref("account", customers[0]),
        start_date=today - dt.timedelta(days=1),
        end_date=today + dt.timedelta(days=1),
    )
    LedgerMachine.line_id = contracts.contract_line_create(
        actor=actor, contract_id=contract.pk, name="L", allotment_type="minutes", total=100
    ).pk
    OUTCOMES.clear()
    run_state_machine_as_test(
        LedgerMachine, settings=settings(max_examples=20, stateful_step_count=25)
    )
    reached = {key for key in OUTCOMES if ":" not in key}
    assert {"create", "move_entitlement", "move_channel", "resolve", "reactivate"} <= reached
    assert any(key.endswith(":entitlement_exhausted") for key in OUTCOMES), OUTCOMES
    assert any(key.endswith(":entitlement_not_applicable") for key in OUTCOMES), OUTCOMES
