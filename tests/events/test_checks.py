"""`casedesk check` verifies the outbox: every delivery has its event, no pending delivery is
later than its back-off allows (docs/operations.md)."""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Callable
from typing import Any

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.test import override_settings

from casedesk.core import clock
from casedesk.core.invariants import run_all
from casedesk.events.models import Delivery, Webhook
from tests.conftest import Api

pytestmark = pytest.mark.django_db

HOOK = {"url": "http://127.0.0.1:9/hook", "events": ["*"], "secret": "x" * 20}


@pytest.fixture
def pending(admin_api: Api, new_case: Callable[..., dict[str, Any]]) -> Delivery:
    with override_settings(WEBHOOK_ALLOW_PRIVATE=True):
        assert admin_api.post("/api/v1/webhooks", HOOK).status_code == 201
    new_case()
    return Delivery.objects.get()


def _events_violations() -> list[tuple[str, str]]:
    return [(name, line) for name, line in run_all() if "deliver" in name]


def test_fresh_pending_deliveries_pass(pending: Delivery) -> None:
    assert _events_violations() == []


def test_a_pending_delivery_nobody_attempted_is_reported(pending: Delivery) -> None:
    Delivery.objects.filter(pk=pending.pk).update(
        next_attempt_at=clock.now() - dt.timedelta(hours=1)
    )

    [(name, line)] = _events_violations()

    assert name == "pending_deliveries_within_back_off"
    assert str(pending.pk) in line


def test_a_retry_beyond_24_hours_is_reported(pending: Delivery) -> None:
    Delivery.objects.filter(pk=pending.pk).update(
        next_attempt_at=pending.created_at + dt.timedelta(hours=25)
    )

    assert [name for name, _ in _events_violations()] == ["pending_deliveries_within_back_off"]


def test_a_later_delivery_waiting_for_its_cases_earlier_one_is_not_late(
    agent_api: Api, pending: Delivery
) -> None:
    agent_api.patch(f"/api/v1/cases/{pending.case_id}", {"priority": "high"})
    Delivery.objects.update(next_attempt_at=clock.now() - dt.timedelta(hours=1))

    lines = _events_violations()

    assert [line for _, line in lines if str(pending.pk) in line]
    assert len(lines) == 1  # the update's delivery waits for the creation's


def test_a_delivery_of_an_event_that_does_not_exist_is_reported(pending: Delivery) -> None:
    with connection.constraint_checks_disabled():
        Delivery.objects.filter(pk=pending.pk).update(event_id=999_999_999)
        lines = _events_violations()
        Delivery.objects.filter(pk=pending.pk).delete()

    assert (
        "deliveries_have_their_event",
        f"delivery {pending.pk} is of event 999999999, which does not exist",
    ) in lines


def test_check_command_reports_the_outbox(pending: Delivery) -> None:
    Delivery.objects.filter(pk=pending.pk).update(
        next_attempt_at=clock.now() - dt.timedelta(hours=1)
    )
    out, err = io.StringIO(), io.StringIO()

    with pytest.raises(CommandError, match="1 violation"):
        call_command("check", stdout=out, stderr=err)

    assert "pending_deliveries_within_back_off" in out.getvalue() + err.getvalue()


def test_the_demo_has_a_disabled_example_webhook() -> None:
    call_command("demo", stdout=io.StringIO())

    [webhook] = Webhook.objects.all()
    assert webhook.active is False
    assert Delivery.objects.count() == 0
