"""Random sequences of lifecycle operations through the services, checking the invariants after
every step (docs/cases.md): a resolved case has exactly one live resolution; a merged case owns no
activities; totals match what was billed; no child has children; a refusal changes nothing."""

from __future__ import annotations

import uuid
from typing import Any, ClassVar

import pytest
from django.db import transaction
from django.db.models import Sum
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

from casedesk.cases import checks, workflow
from casedesk.cases.choices import ActivityState, ActivityType, State, Status
from casedesk.cases.models import Activity, Case, Note, Post, ServiceSettings
from casedesk.cases.services import activities, lifecycle, merge, records
from casedesk.cases.services.common import Ref
from casedesk.core.errors import DomainError
from casedesk.directory.models import User

pytestmark = pytest.mark.django_db

RESOLUTION = ActivityType.CASE_RESOLUTION
USER_TYPES = ["phone_call", "task", "email", "appointment"]
minutes = st.integers(min_value=0, max_value=120)
# How often each operation succeeded and each refusal was met, over all examples.
OUTCOMES: dict[str, int] = {}


def _world() -> list[tuple[Any, ...]]:
    """Everything a refused operation must leave as it was."""
    cases = list(
        Case.objects.order_by("id").values_list(
            "id",
            "version",
            "state",
            "status",
            "stage",
            "parent_id",
            "merged_into_id",
            "total_minutes",
            "billable_minutes",
        )
    )
    acts = list(
        Activity.objects.order_by("id").values_list(
            "id", "case_id", "state", "billed", "superseded", "version", "duration_minutes"
        )
    )
    return [*cases, *acts, Note.objects.count(), Post.objects.count()]


class LifecycleMachine(RuleBasedStateMachine):
    actor: ClassVar[User]
    customer_id: ClassVar[uuid.UUID]

    cases = Bundle("cases")
    activities = Bundle("activities")

    def __init__(self) -> None:
        super().__init__()
        self._atomic = transaction.atomic()
        self._atomic.__enter__()  # each example rolls back to here in teardown

    def teardown(self) -> None:
        try:
            self.check_command()  # `casedesk check` agrees at the end of every sequence
        finally:
            transaction.set_rollback(True)
            self._atomic.__exit__(None, None, None)

    def _attempt(self, operation: str, expected: set[str], call: Any) -> Any:
        """Run a service; a refusal must carry an expected code and change nothing."""
        before = _world()
        try:
            result = call()
        except DomainError as exc:
            assert exc.code in expected, (operation, exc.code, exc.details)
            assert _world() == before, f"{operation} refused with {exc.code} but changed data"
            OUTCOMES[exc.code] = OUTCOMES.get(exc.code, 0) + 1
            return None
        OUTCOMES[operation] = OUTCOMES.get(operation, 0) + 1
        return result

    # --- rules ------------------------------------------------------------------------------

    @rule(target=cases)
    def create_case(self) -> Any:
        case = records.case_create(
            actor=self.actor, title="Case", customer=Ref("account", self.customer_id)
        )
        return case.pk

    @rule(target=cases, parent=cases)
    def add_child(self, parent: uuid.UUID) -> Any:
        case = self._attempt(
            "add_child",
            {"case_hierarchy", "case_not_active"},
            lambda: records.case_create(actor=self.actor, parent_id=parent),
        )
        return multiple() if case is None else case.pk

    @rule(
        target=activities,
        case=cases,
        kind=st.sampled_from(USER_TYPES),
        duration=st.none() | minutes,
    )
    def add_activity(self, case: uuid.UUID, kind: str, duration: int | None) -> Any:
        activity = self._attempt(
            "add_activity",
            {"case_not_active"},
            lambda: activities.activity_create(
                actor=self.actor,
                case_id=case,
                type=kind,
                subject="Work",
                duration_minutes=duration,
            ),
        )
        return multiple() if activity is None else activity.pk

    @rule(activity=activities, duration=st.none() | minutes)
    def complete_activity(self, activity: uuid.UUID, duration: int | None) -> None:
        self._attempt(
            "complete",
            {"activity_closed"},
            lambda: activities.activity_complete(
                actor=self.actor, activity_id=activity, duration_minutes=duration
            ),
        )

    @rule(activity=activities)
    def cancel_activity(self, activity: uuid.UUID) -> None:
        self._attempt(
            "cancel_activity",
            {"activity_closed"},
            lambda: activities.activity_cancel(actor=self.actor, activity_id=activity),
        )

    @rule(
        case=cases,
        resolution_type=st.sampled_from(workflow.RESOLVED_STATUSES),
        billable=st.none() | minutes,
        cancel_open=st.booleans(),
    )
    def resolve(
        self, case: uuid.UUID, resolution_type: str, billable: int | None, cancel_open: bool
    ) -> None:
        state = Case.objects.get(id=case).state
        result = self._attempt(
            "resolve",
            {"case_not_active", "open_activities", "child_cases_open"},
            lambda: lifecycle.case_resolve(
                actor=self.actor,
                case_id=case,
                resolution="Fixed",
                resolution_type=resolution_type,
                billable_minutes=billable,
                cancel_open_activities=cancel_open,
            ),
        )
        if state != State.ACTIVE:
            assert result is None
        if result is not None:
            assert (result.state, result.status) == ("resolved", resolution_type)
            if billable is not None:
                assert result.billable_minutes == billable

    @rule(case=cases, cancel_open=st.booleans())
    def cancel(self, case: uuid.UUID, cancel_open: bool) -> None:
        self._attempt(
            "cancel",
            {"case_not_active", "open_activities", "child_cases_open"},
            lambda: lifecycle.case_cancel(
                actor=self.actor, case_id=case, cancel_open_activities=cancel_open
            ),
        )

    @rule(case=cases)
    def reactivate(self, case: uuid.UUID) -> None:
        current = Case.objects.get(id=case)
        expected = workflow.lifecycle_refusal(
            workflow.REACTIVATE, state=current.state, status=current.status
        )
        result = self._attempt(
            "reactivate",
            {"case_not_closed", "case_merged"},
            lambda: lifecycle.case_reactivate(actor=self.actor, case_id=case),
        )
        assert (result is None) == (expected is not None)
        if result is not None:
            assert (result.state, result.status, result.stage) == (
                "active",
                "in_progress",
                "research",
            )

    @rule(subordinate=cases, master=cases)
    def merge(self, subordinate: uuid.UUID, master: uuid.UUID) -> None:
        result = self._attempt(
            "merge",
            {"case_not_active", "case_hierarchy", "validation_error"},
            lambda: merge.case_merge(actor=self.actor, case_id=subordinate, into_id=master),
        )
        if subordinate == master:
            assert result is None
        if result is not None:
            assert result.status == Status.MERGED and result.merged_into_id == master

    @rule(
        policy=st.sampled_from(["independent", "block", "cascade"]),
        limit=st.sampled_from([1, 2, 100]),
    )
    def configure(self, policy: str, limit: int) -> None:
        ServiceSettings.objects.filter(id=1).update(
            parent_close_policy=policy, max_child_cases=limit
        )

    # --- invariants -------------------------------------------------------------------------

    @invariant()
    def lifecycle_invariants(self) -> None:
        cases = {
            row[0]: row
            for row in Case.objects.values_list(
                "id", "state", "status", "parent_id", "total_minutes", "billable_minutes"
            )
        }
        live: dict[uuid.UUID, list[tuple[int | None, int | None]]] = {}
        for case_id, total, billable in Activity.objects.filter(
            type=RESOLUTION, superseded=False
        ).values_list("case_id", "total_minutes", "billable_minutes"):
            live.setdefault(case_id, []).append((total, billable))
        worked = (
            Activity.objects.filter(state=ActivityState.COMPLETED)
            .exclude(type=RESOLUTION)
            .values_list("case_id", "billed")
            .annotate(s=Sum("duration_minutes"))
        )
        sums = {(case_id, billed): total or 0 for case_id, billed, total in worked}
        counted = dict(
            Activity.objects.filter(type=RESOLUTION)
            .values_list("case_id")
            .annotate(s=Sum("total_minutes"))
            .values_list("case_id", "s")
        )
        merged = {case_id for case_id, row in cases.items() if row[2] == Status.MERGED}
        for case_id, (_, state, _status, parent_id, total, billable) in cases.items():
            resolutions = live.get(case_id, [])
            # A resolved case has exactly one live resolution; other cases none.
            assert len(resolutions) == (1 if state == State.RESOLVED else 0), case_id
            # Totals match what was billed.
            assert sums.get((case_id, True), 0) == (counted.get(case_id) or 0), case_id
            if state == State.RESOLVED:
                assert (total, billable) == resolutions[0], case_id
            else:
                assert (total, billable) == (sums.get((case_id, False), 0), 0), case_id
            # No child has children; a merged case has none either.
            if parent_id is not None:
                assert cases[parent_id][3] is None, case_id
                assert parent_id not in merged, case_id
        # A merged case owns no activities, notes or posts.
        for model in (Activity, Note, Post):
            assert not model.objects.filter(case__status=Status.MERGED).exists(), model

    def check_command(self) -> None:
        for check in (
            checks.status_matches_state,
            checks.one_live_resolution,
            checks.merged_owns_nothing,
            checks.one_level_of_children,
            checks.totals_match_billing,
        ):
            assert list(check()) == [], check.__name__


def test_random_lifecycles_keep_every_invariant(make_user: Any) -> None:
    from casedesk.customers.services import account_create

    actor = make_user("manager")
    LifecycleMachine.actor = actor
    LifecycleMachine.customer_id = account_create(actor=actor, name="Acme Srl").pk
    OUTCOMES.clear()
    run_state_machine_as_test(
        LifecycleMachine, settings=settings(max_examples=15, stateful_step_count=30)
    )
    # The sequences reached every operation, and the main refusals, at least once.
    operations = {
        "add_child",
        "add_activity",
        "complete",
        "cancel_activity",
        "resolve",
        "cancel",
        "reactivate",
        "merge",
    }
    assert operations <= set(OUTCOMES), OUTCOMES
    assert {"case_not_active", "activity_closed"} <= set(OUTCOMES), OUTCOMES
